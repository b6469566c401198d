"""The main figures of one instance, for the back office's live Operations page
(admin/operations.py): are we OK, without Grafana.

Sockets, send->ack latency and errors are this process's (the instance the operator's browser
reached); online users, messages per minute, jobs and readiness are the deployment's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from sqlalchemy import func

from extensions import db
from models import Message
from models.time import utcnow
from ops import metrics, readiness


@dataclass(frozen=True)
class Figures:
    sockets: dict[str, int]  # by transport
    online_users: int | None  # None: presence unreachable
    messages_last_minute: int | None  # None: the database unreachable
    send_ack_p50_ms: float | None  # None: no send in the last five minutes
    send_ack_p99_ms: float | None
    sends_recent: int
    errors_recent: int  # HTTP 5xx and socket events failed with a fault, last five minutes
    jobs: dict[str, int] | None  # queued, scheduled, retrying, failed; None: queue or database unreachable
    readiness: dict  # ops.readiness.check_all


def operations_figures(app: Flask) -> Figures:
    sends = metrics.recent_send_ack.values()
    return Figures(
        sockets=dict(metrics.socket_counts(app)),
        online_users=_or_none(lambda: len(app.extensions["presence"].online_user_ids())),
        messages_last_minute=_or_none(_messages_last_minute),
        send_ack_p50_ms=_milliseconds(metrics.recent_send_ack.quantile(0.5)),
        send_ack_p99_ms=_milliseconds(metrics.recent_send_ack.quantile(0.99)),
        sends_recent=len(sends),
        errors_recent=len(metrics.recent_errors.values()),
        jobs=_or_none(_jobs),
        readiness=readiness.check_all(app),
    )


def flat(figures: Figures) -> dict[str, str]:
    """Every figure as the text the page shows, keyed by the page's `data-figure` names."""
    def shown(value) -> str:
        return "unavailable" if value is None else str(value)

    texts = {f"sockets.{transport}": str(count) for transport, count in figures.sockets.items()}
    texts |= {"online_users": shown(figures.online_users), "messages_last_minute": shown(figures.messages_last_minute),
              "send_ack_p50_ms": "no sends" if figures.send_ack_p50_ms is None else f"{figures.send_ack_p50_ms} ms",
              "send_ack_p99_ms": "no sends" if figures.send_ack_p99_ms is None else f"{figures.send_ack_p99_ms} ms",
              "sends_recent": str(figures.sends_recent), "errors_recent": str(figures.errors_recent)}
    for state in ("queued", "scheduled", "retrying", "failed"):
        texts[f"jobs.{state}"] = shown(None if figures.jobs is None else figures.jobs[state])
    for name, check in figures.readiness["checks"].items():
        texts[f"readiness.{name}"] = (f"up, {check['latency_ms']} ms" if check["status"] == "up"
                                      else f"DOWN: {check.get('detail') or check.get('error')}")
    texts["readiness"] = "ready" if figures.readiness["ok"] else "NOT READY"
    return texts


def _messages_last_minute() -> int:
    return db.session.execute(db.select(func.count(Message.id)).where(
        Message.created_at >= utcnow() - timedelta(minutes=1), Message.kind != "system")).scalar_one()


def _jobs() -> dict[str, int]:
    from actions.job_admin import job_counts

    counts = job_counts()
    return {"queued": counts.queued, "scheduled": counts.scheduled, "retrying": counts.retrying,
            "failed": counts.failed}


def _milliseconds(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _or_none(read):
    try:
        return read()
    except Exception:  # noqa: BLE001  (a dependency down: the page says unavailable, readiness says why)
        db.session.rollback()
        return None
