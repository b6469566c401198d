"""What a transport answers when something it needs fails rather than refuses: the database
or the storage unreachable (a restart, a cut connection, the pool exhausted) answers
`unavailable` / `storage_unavailable` (503, retryable; one warning line, no traceback), any
other fault `internal_error` (500; logged with its traceback). Nothing was changed either way:
the transport's unit of work rolled back."""
from __future__ import annotations

import logging

from sqlalchemy import exc

from actions.errors import ActionError, internal_error, storage_unavailable, unavailable
from models.database import is_unavailable
from storage import StorageUnavailable

log = logging.getLogger(__name__)
# The exception types an outage raises (is_an_outage tells which of them are one).
OUTAGES = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, exc.DisconnectionError, StorageUnavailable)


def fault_answer(error: BaseException, what: str) -> ActionError:
    """The answer to `error`, raised while doing `what`; call it from the `except` block."""
    if isinstance(error, StorageUnavailable):
        log.warning("%s: file storage unavailable (%s)", what, error)
        return storage_unavailable()
    if is_unavailable(error):
        log.warning("%s: database unavailable (%s)", what, _reason(error))
        return unavailable()
    log.exception("%s failed", what)
    return internal_error()


def is_an_outage(error: BaseException) -> bool:
    """Whether `error` is an outage `fault_answer` answers with 503 (else it is a fault, a 500)."""
    return isinstance(error, StorageUnavailable) or is_unavailable(error)


def _reason(error: BaseException) -> str:
    """The driver's first line, never the statement or its parameters (message bodies)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines() or [""]
    return f"{type(cause).__name__}: {lines[0][:200]}"
