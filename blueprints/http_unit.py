"""The HTTP transport's unit of work: one transaction per request, events after the response.

Every request runs in one unit (events.unit_of_work): it commits when the response is a
success (status below 400) and rolls back otherwise, so a refused request changes nothing.
Static files and the probes are served outside any unit (`outside_units`).
Committed events are held until the WSGI server has written the response and closed it:
the caller learns that its change is stored before anyone else hears of it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from flask import Flask, Response, current_app, g, request

from events.admission import sending
from events.unit_of_work import HeldEvents, begin_unit, finish_unit, in_unit


def init_app(app: Flask) -> None:
    app.before_request(_open_unit)
    app.after_request(_close_unit)
    app.teardown_request(_abandon_unit)


def _open_unit() -> None:
    if outside_units(request.endpoint):
        return
    read_the_body_first()
    with sending(_view_is_marked("sends_a_message")):
        begin_unit()  # a view marked @sends_a_message waits in the gate's senders' line
    g.held_events = HeldEvents().start()


def read_the_body_first() -> None:
    """Read the request's body, at the client's pace, before its unit holds anything: a place at the gate,
    a pooled connection, a lock. The unit may write before its view reads the body (a token's first use
    is noted while the request is authenticated), and on SQLite that write holds the database's one write
    lock: every other write of the process waited for it while the body came, then failed. A body is at
    most MAX_CONTENT_LENGTH (werkzeug refuses a longer one, 413, before reading it) and is kept for the
    view (request.get_data, request.form). Only a view marked @streams_its_body reads its own, later."""
    if (request.content_length or "chunked" in request.headers.get("Transfer-Encoding", "").lower()) and (
            not _view_is_marked("streams_its_body")):
        request.get_data()


def streams_its_body(view: Callable) -> Callable:
    """Mark a view that reads its body as a stream (a file upload, up to its own limit), through
    `streamed_body()`, waiting on the client holding nothing (events.outside_the_database)."""
    view.streams_its_body = True
    return view


def streamed_body() -> BinaryIO:
    """The request's body as a stream, for a view marked @streams_its_body (any other has read it already)."""
    if not _view_is_marked("streams_its_body"):
        raise RuntimeError(f"{request.endpoint} streams its body: mark its view @streams_its_body")
    return request.stream


def _view_is_marked(mark: str) -> bool:
    """Whether the request's view carries `mark` (@sends_a_message, @streams_its_body)."""
    return getattr(current_app.view_functions.get(request.endpoint), mark, False)


def outside_units(endpoint: str | None) -> bool:
    """Static files and the probes (blueprints.ops) open no unit, so they never wait in line at the
    gate (events.admission): a liveness probe must answer while a storm keeps every place taken, and
    what /readyz and /metrics read goes straight to the pool, with its own timeout."""
    return endpoint is not None and (endpoint.rpartition(".")[2] == "static" or endpoint.startswith("ops."))


def leave_unit() -> None:
    """A long-lived connection (the gateway's WebSocket) ends the request's unit at once, empty:
    each of its commands runs in a unit of its own."""
    if in_unit():
        finish_unit(commit=False)
    held = g.pop("held_events", None)
    if held is not None:
        held.stop()


def _close_unit(response: Response) -> Response:
    if in_unit():
        finish_unit(commit=response.status_code < 400)
    held = g.pop("held_events", None)
    if held is not None:
        held.stop()
        response.call_on_close(held.release)
    return response


def _abandon_unit(_error: BaseException | None) -> None:
    """The request ended without a response (an unhandled error): nothing of it is kept."""
    if in_unit():
        finish_unit(commit=False)
    held = g.pop("held_events", None)
    if held is not None:  # committed before the error: the change is real, so is its event
        held.stop()
        held.release()
