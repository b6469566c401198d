"""Request bodies past their limit: refused unread, and the connection closed.

Flask's MAX_CONTENT_LENGTH (the REQUEST_MAX_BYTES setting) makes werkzeug refuse a JSON or form
body whose Content-Length is larger with 413, before reading a byte of it (a body sent without
a length is cut at the limit); the upload routes raise the limit to UPLOAD_MAX_BYTES for
themselves (blueprints/files). The refusal answers in the JSON envelope (blueprints/errors).

The unread rest is the problem left: to keep the connection for a next request, gunicorn reads
and throws away whatever remains of the body, 100 MB if that is what was announced, a kilobyte
at a time on the worker's one loop. It ignores `Connection: close` from the app, so after a 413
is written the connection is shut instead, and gunicorn finds it ended.
"""
from __future__ import annotations

import socket

from flask import Flask, Response, request


def init_app(app: Flask) -> None:
    app.after_request(close_after_refused_body)


def close_after_refused_body(response: Response) -> Response:
    connection = request.environ.get("gunicorn.socket")
    if response.status_code == 413 and connection is not None:
        response.call_on_close(lambda: _shut(connection))  # once the answer is written
    return response


def _shut(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client went first
