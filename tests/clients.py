"""Test clients that run every request and socket event in its own app context, as in production.

The `app` fixture keeps an app context pushed so tests can call actions directly. Flask
reuses a pushed context for test requests, which would share `g` (Flask-Login caches the
current user there) and the database session between the test and every request: a
request made without a cookie would then run as whoever logged in last. These clients
push a fresh context per request and socket event, and expire the test's own session
afterwards so that what a request committed is read again.
"""
from __future__ import annotations

from flask.testing import FlaskClient
from flask_socketio.test_client import SocketIOTestClient

from extensions import db


def _reload_test_session() -> None:
    db.session.expire_all()


class IsolatedClient(FlaskClient):
    """Flask test client: each request gets its own app context (own `g`, own db session)."""

    def open(self, *args, **kwargs):
        # Buffered: the response is read and closed, as a WSGI server does, which releases
        # the request's events (blueprints.http_unit).
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _reload_test_session()
        return response


class IsolatedSocketClient(SocketIOTestClient):
    """Flask-SocketIO test client: connect, each event and disconnect get their own app context."""

    def connect(self, *args, **kwargs):
        with self.app.app_context():
            super().connect(*args, **kwargs)
        _reload_test_session()

    def emit(self, *args, **kwargs):
        with self.app.app_context():
            ack = super().emit(*args, **kwargs)
        _reload_test_session()
        return ack

    def disconnect(self, *args, **kwargs):
        with self.app.app_context():
            super().disconnect(*args, **kwargs)
        _reload_test_session()
