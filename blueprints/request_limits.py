"""Request bodies past their limit: refused unread, and the connection closed.

Flask's MAX_CONTENT_LENGTH (the REQUEST_MAX_BYTES setting) makes werkzeug refuse a JSON or form
body whose Content-Length is larger with 413, before reading a byte of it (a body sent without
a length is cut at the limit: the API's JSON reader, blueprints.api.json_body, refuses one that
reaches it with the same 413); the upload routes raise the limit to UPLOAD_MAX_BYTES for
themselves (blueprints/files). The refusal answers in the JSON envelope (blueprints/errors).

The unread rest is the problem left: to keep the connection for a next request, gunicorn reads
and throws away whatever remains of the body, 100 MB if that is what was announced, a kilobyte
at a time on the worker's one loop, for as long as the client goes on sending. It ignores
`Connection: close` from the app; its response object (the owner of `start_response`) has
`force_close()`, which makes it close the connection once the answer is written, unread rest
and all. Under another server this does nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask


def init_app(app: Flask) -> None:
    app.wsgi_app = CloseAfterRefusedBody(app.wsgi_app)


class CloseAfterRefusedBody:
    """WSGI middleware: a 413 answer closes its connection (gunicorn), rather than drain the body."""

    def __init__(self, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def closing_start_response(status: str, headers: list, exc_info=None):
            if status.startswith("413"):
                force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
                if callable(force_close):
                    force_close()
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, closing_start_response)
