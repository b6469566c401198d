"""The one clock the models use: timezone-aware UTC, stored as naive UTC."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def isoformat(moment: datetime | None) -> str | None:
    """Render a stored (naive UTC) time as ISO 8601 with an explicit `Z`."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds") + "Z"
