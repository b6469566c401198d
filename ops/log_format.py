"""The request id of the running request or socket event, and the JSON log format: the parts of
ops.logs that gunicorn's master loads too (gunicorn.conf.py), so importing nothing of the app."""
from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str] = ContextVar("switchboard_request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Gives every record the current request id ("-" outside requests and events)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, process, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
            "process": record.process,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def gunicorn_logconfig() -> dict:
    """gunicorn's own lines (start, stop, workers) as JSON on stderr; no access log (the app logs
    each request, by route template: gunicorn's would print URLs, and the secrets some carry);
    the root logger left to the app (ops.logs), which adds request ids."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["discard"], "propagate": False},
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "discard": {"class": "logging.NullHandler"},
        },
        "formatters": {"json": {"()": "ops.log_format.JsonFormatter"}},
    }
