"""Switchboard: realtime chat with an operator back office.

`create_app()` builds the Flask app; `python app.py` runs a development server.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from blueprints.response_json import ResponseJSON
from config import load_config
from events.admission import init_app as init_unit_gate
from events.dispatch import Dispatcher
from events.unit_of_work import install as install_unit_of_work
from extensions import csrf, db, login_manager, migrate, socketio
from gateway import init_gateway
from i18n import init_app as init_i18n
from jobs import init_jobs
from realtime.socketio_adapter import init_realtime
from realtime.web_push_adapter import init_web_push


def create_app(overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    """Build the app from the environment; `overrides` (tests) win over it."""
    app = Flask(__name__, instance_relative_config=True)
    # JSON keys in the order each payload names them (payloads.py): sorting every object of a history
    # page's 50 messages cost a third of its encoding (issue 15); no client may rely on the order. Written by
    # orjson (blueprints.response_json.ResponseJSON).
    app.json = ResponseJSON(app)
    os.makedirs(app.instance_path, exist_ok=True)
    environ = dict(os.environ if environ is None else environ)
    configure_logging_early(environ)
    settings = load_config(app.instance_path, environ)
    app.config.from_object(settings)
    if overrides:
        app.config.update(overrides)
    configure_logging(app)
    trust_proxies(app)
    register_extensions(app)
    register_operations(app)
    register_unit_of_work(app)
    register_request_limits(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_commands(app)
    return app


def configure_logging_early(environ: Mapping[str, str]) -> None:
    """The settings' own warnings (read next) in LOG_FORMAT too."""
    from ops.logs import configure_logging_early as configure

    configure(environ)


def configure_logging(app: Flask) -> None:
    """LOG_FORMAT text or json, every line with its request id (ops.logs)."""
    from ops.logs import configure_logging as configure

    configure(app)


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take scheme, host and client address from X-Forwarded-*."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def register_extensions(app: Flask) -> None:
    # Socket.IO handlers must be declared before the first init_app: Flask-SocketIO keeps
    # them for every later app only if no server existed when they were declared.
    import blueprints.auth.qr_events  # noqa: F401  (the login page's /qr-login namespace)
    import blueprints.chat.events  # noqa: F401
    import models  # noqa: F401  (registers the tables with SQLAlchemy and Alembic)
    from blueprints.chat import socket_queue
    from blueprints.chat.socket_support import match_socket_path
    from long_reads import read_long_statements_off_loop
    from models.database import configure_engine_events
    from ops.logs import socket_request_ids
    from realtime.room_index import IndexedRoomsManager

    db.init_app(app)
    with app.app_context():
        configure_engine_events(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
        read_long_statements_off_loop(db.engine)  # SQLite: reads marked long run on a native thread
    install_unit_of_work(db.session.session_factory.class_)
    init_unit_gate(app)  # at most DATABASE_UNITS_AT_ONCE units of work use the database at once
    app.extensions["events"] = Dispatcher()
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"),
                    render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    init_i18n(app)  # before the admin: Flask-Admin translates its pages through Flask-Babel too
    # Processes reach each other's sockets through the event bus (realtime.bus), not
    # through a Socket.IO message queue: the in-process manager is all Socket.IO needs
    # (its rooms indexed per socket: a disconnect costs its own rooms, not every room's).
    socketio.init_app(
        app,
        client_manager=IndexedRoomsManager(),
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        cors_allowed_origins=app.config["CORS_ALLOWED_ORIGINS"] or None,
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=1_000_000,
    )
    # Its transport's answers (/socket.io/, served before Flask) carry X-Request-ID as Flask's do.
    app.wsgi_app = socket_request_ids(app.wsgi_app, "/socket.io/")
    # Each socket's events in order, one at a time, a full queue refused with `busy` before any work.
    socket_queue.install(socketio.server)
    match_socket_path(app)  # each event's request context matches a rule: no NotFound raised per event
    init_realtime(app)
    init_gateway(app)  # the bzGhost clients' adapter and /ws/im, on the same bus (docs/gateway.md)
    init_jobs(app)
    init_web_push(app)  # new messages to members without a live socket, by a job (actions/web_push.py)


def register_operations(app: Flask) -> None:
    """Request ids first (every later hook logs with one), metrics of committed facts, and the
    probes: /healthz, /readyz, /metrics (blueprints.ops)."""
    from blueprints import ops
    from ops.logs import init_request_ids
    from ops.metrics import init_metrics

    init_request_ids(app)
    init_metrics(app)
    ops.init_app(app)


def register_unit_of_work(app: Flask) -> None:
    """One transaction per request, committed on success; its events leave after the response."""
    from blueprints import http_unit

    http_unit.init_app(app)


def register_request_limits(app: Flask) -> None:
    """Bodies past MAX_CONTENT_LENGTH are refused unread, and their connection closed."""
    from blueprints import request_limits

    request_limits.init_app(app)


def register_blueprints(app: Flask) -> None:
    from admin import init_admin
    from blueprints import converters
    from blueprints.api import bp as api_bp
    from blueprints.api import refuse_bodies_not_taken
    from blueprints.auth import bp as auth_bp
    from blueprints.chat import bp as chat_bp
    from blueprints.files import bp as files_bp
    from blueprints.module_preloads import module_preloads
    from blueprints.settings import bp as settings_bp

    converters.init_app(app)  # `<id:...>` in the routes below
    app.add_template_global(module_preloads)  # pages' <link rel="modulepreload">
    app.register_blueprint(auth_bp)
    app.register_blueprint(chat_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(api_bp, url_prefix="/api")
    csrf.exempt(api_bp)  # both check the CSRF header themselves (blueprints.request_auth)
    app.register_blueprint(files_bp)
    csrf.exempt(files_bp)
    init_admin(app)
    refuse_bodies_not_taken(app)  # every /api route registered above (and the files blueprint's)


def register_errorhandlers(app: Flask) -> None:
    """Refusals answer in one JSON envelope (API, files, JSON clients) or as pages."""
    from blueprints import errors

    errors.init_app(app)


def register_security_headers(app: Flask) -> None:
    """CSP, framing, sniffing, referrer, HSTS and caching headers on every response."""
    from blueprints import security_headers

    security_headers.init_app(app)


def register_commands(app: Flask) -> None:
    from commands import register

    register(app)


def load_dotenv_file() -> None:
    """Entry points (wsgi.py, `python app.py`) read an optional `.env`; the environment wins."""
    from dotenv import load_dotenv

    load_dotenv(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".env"), override=False)


if __name__ == "__main__":
    load_dotenv_file()
    os.environ.setdefault("SWITCHBOARD_ENV", "development")
    os.environ.setdefault("SOCKETIO_ASYNC_MODE", "threading")
    application = create_app()
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    socketio.run(application, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")),
                 debug=True, allow_unsafe_werkzeug=True)
