"""blueprints/request_limits.py and MAX_CONTENT_LENGTH (REQUEST_MAX_BYTES): a JSON or form body
past the limit is refused with 413 before a byte of it is read; uploads keep their own limit."""
import io

import pytest
from werkzeug.test import EnvironBuilder

from tests.helpers import bearer, database_rows, error_of

HUGE = 100 * 1024 * 1024


class UnreadableBody(io.RawIOBase):
    """A request body of HUGE bytes that fails the test if anything reads it."""

    position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:  # the test client measures the body this way
        self.position = HUGE + offset if whence == 2 else offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        raise AssertionError("the refused body was read")


def test_a_json_body_past_the_limit_is_refused_with_413_unread(client):
    before = database_rows()
    response = client.post("/api/tokens", input_stream=UnreadableBody(), content_type="application/json")
    assert error_of(response) == (413, "request_entity_too_large")
    assert database_rows() == before


def test_a_form_past_the_limit_is_refused_with_413_unread(client):
    response = client.post("/login", input_stream=UnreadableBody(), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_a_json_body_within_the_limit_is_read(client, alice):
    # 100 kB in a field the route reads only after the password (a field it does not take is 400 invalid_field,
    # "name" is a token's name, checked: at most 64 characters)
    padded = {"username": "alice", "password": "wrong", "totp": "x" * 100_000}
    assert error_of(client.post("/api/tokens", json=padded)) == (401, "invalid_credentials")


@pytest.mark.parametrize("app_settings", [{"MAX_CONTENT_LENGTH": 1024, "UPLOAD_MAX_BYTES": 50_000}])
def test_uploads_keep_their_own_limit_above_the_bodies_one(client, alice, group):
    def upload(size: int):
        return client.post(f"/api/conversations/{group.id}/files", headers=bearer(alice),
                           data={"file": (io.BytesIO(b"a" * size), "notes.txt", "text/plain")})

    assert upload(40_000).status_code == 201
    assert error_of(upload(60_000)) == (413, "file_too_large")


class ServerResponse:
    """Stands in for gunicorn's response object, whose bound start_response the app is given."""

    closed = False

    def force_close(self) -> None:
        self.closed = True

    def start_response(self, status, headers, exc_info=None):
        return lambda data: None


@pytest.mark.parametrize(("body_bytes", "closed"), [(HUGE, True), (10, False)])
def test_a_413_asks_the_server_to_close_the_connection(app, body_bytes, closed):
    server = ServerResponse()
    environ = EnvironBuilder(path="/api/tokens", method="POST", data=b"{}" + b" " * 8,
                             content_type="application/json").get_environ()
    environ["CONTENT_LENGTH"] = str(body_bytes)  # what the client announces
    b"".join(app.wsgi_app(environ, server.start_response))
    assert server.closed is closed


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/direct"), ("POST", "/api/no-such-route"),
                                              ("POST", "/api/me")])
def test_a_body_past_the_limit_is_refused_before_its_credentials_and_route_are_looked_at(client, method, path):
    """docs/protocol.md (413): the body is read before the request's unit of work opens, so its size is the first
    thing refused: without credentials (401), to no route (404) or with a method the route does not take (405)."""
    response = client.open(path, method=method, input_stream=UnreadableBody(), content_type="application/json")
    assert error_of(response) == (413, "request_entity_too_large")
