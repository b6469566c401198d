"""gunicorn's settings for Switchboard (docs/deployment.md): `.venv/bin/gunicorn -c gunicorn.conf.py`.

Command-line options win over these, e.g. `--bind 127.0.0.1:8001` for a second instance on
one machine. scripts/serve, the systemd unit in deploy/ and the integration tests' servers
(tests/servers.py) all start gunicorn with this file.
"""
import logging
import os
import resource

from ops.log_format import gunicorn_logconfig

wsgi_app = "wsgi:app"
bind = ["127.0.0.1:8000"]

# One gevent worker per instance: Socket.IO keeps each connection's state in the process that
# accepted it (a long-polling client's requests must reach the same process); one gevent worker
# serves thousands of connections. Scale with more instances (docs/deployment.md).
worker_class = "gevent"
workers = 1
# Simultaneous connections (each websocket holds one) the worker accepts; each takes a file
# descriptor, hence the open-file limit raised in on_starting below.
worker_connections = 10000

# The gevent worker tells the master it is alive every second; one that stays silent this long
# (its loop blocked) is killed and replaced.
timeout = 30
# SIGTERM: stop accepting, finish the requests and socket events in flight, close every socket
# (clients reconnect to another instance and resync), then exit; whatever is still running after
# this many seconds is cut.
graceful_timeout = 20
# Seconds an idle HTTP keep-alive connection stays open (the reverse proxy reuses them).
keepalive = 5

# Request limits: a request line (method, path, query) over 4094 bytes is refused with 414, more
# than 100 headers or one over 8190 bytes with 400, before the app sees them. Bodies are limited
# by the app (REQUEST_MAX_BYTES, UPLOAD_MAX_BYTES).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# No control socket (gunicorn 27 would otherwise create one under $HOME, one per instance).
control_socket_disable = True

# LOG_FORMAT=json (docs/deployment.md, "Monitoring"): gunicorn's own lines are JSON objects too, and
# it writes no access log (the app logs every request by its route template, never its URL).
if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = gunicorn_logconfig()

def on_starting(server):
    """Raise the open-file limit's soft value to its hard value: every connection is a file descriptor,
    and the usual soft limit (1024) is far below worker_connections. The worker inherits it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as error:
            server.log.warning("could not raise the open-file limit from %s to %s: %s", soft, hard, error)
    if soft < worker_connections + 100:
        server.log.warning("open-file limit %s is below worker_connections (%s): raise it (LimitNOFILE in "
                           "systemd, ulimit -n)", soft, worker_connections)


def post_worker_init(worker):
    """On SIGTERM the worker stops accepting (gunicorn) and closes its sockets once their events in
    flight are answered (blueprints.chat.socket_queue), so that their clients reconnect elsewhere."""
    import signal

    import gevent

    from blueprints.chat.socket_queue import close_connections_gracefully, refusing_new_connections

    sockets = worker.wsgi.extensions["socketio"].server
    gateway = worker.wsgi.extensions["gateway_delivery"]  # the bzGhost gateway's connections (gateway/)
    stop_accepting = worker.handle_exit

    def close_sockets():
        log = logging.getLogger("switchboard.shutdown")
        # Gateway connections close as soon as the command each runs is answered (not waited for here).
        log.info("shutting down: closing %s gateway connections", gateway.close_all())
        # Events in flight get most of graceful_timeout (the command line's, if given), then the rest.
        closed = close_connections_gracefully(sockets, max(0.5, worker.cfg.graceful_timeout - 2.5))
        log.info("shutting down: closed %s socket connections", closed)
        gevent.sleep(1.5)  # gunicorn closes its listener within a second: connections accepted meanwhile
        if latecomers := close_connections_gracefully(sockets, 1.0):
            log.info("shutting down: closed %s more socket connections", latecomers)
        if latecomers := gateway.close_all():
            log.info("shutting down: closing %s more gateway connections", latecomers)

    def handle_exit(sig, frame):
        stop_accepting(sig, frame)
        gevent.spawn(close_sockets)  # out of the signal handler, as gunicorn does for SIGQUIT

    worker.handle_exit = handle_exit
    signal.signal(signal.SIGTERM, handle_exit)
    # Until gunicorn closes its listener (within a second), new sockets are sent elsewhere at once.
    worker.wsgi = refusing_new_connections(worker.wsgi, lambda: not worker.alive)
