"""Errors an action raises; every transport renders them the same way."""
from __future__ import annotations


class ActionError(Exception):
    """A refused request: nothing was changed. `code` is stable, `message` is for people."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class InvalidInput(ActionError):
    status = 400


class Unauthorized(ActionError):
    status = 401


class Forbidden(ActionError):
    status = 403


class NotFound(ActionError):
    status = 404


class Conflict(ActionError):
    status = 409


def internal_error() -> ActionError:
    """A fault of the server, not a refusal: what every transport answers instead of a traceback
    (the transaction was rolled back, so nothing was changed)."""
    return ActionError("internal_error", "Something went wrong; nothing was changed.", 500)


def unknown_event() -> ActionError:
    """A Socket.IO event the server has no handler for (a newer client's, a typo): answered all the same,
    as every client event is."""
    return ActionError("unknown_event", "The server has no such event.", 404)


def unavailable() -> ActionError:
    """A part the server needs (the database) cannot be reached now: nothing was changed, and the
    same request may be sent again in a moment (with the same client_id for a send)."""
    return ActionError("unavailable", "The service is briefly unavailable; nothing was changed. Try again.", 503)


def storage_unavailable() -> ActionError:
    """The file storage (S3) cannot be reached now: nothing was stored, and the same request may be sent again."""
    return ActionError("storage_unavailable", "File storage is briefly unavailable; nothing was changed. Try again.",
                       503)
