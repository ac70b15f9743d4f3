"""Time: stored in UTC, shown and reasoned about in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Return the current time, aware, in UTC (how the database stores it)."""
    return datetime.now(UTC)


def local_date(moment: datetime) -> date:
    """Return the Asia/Shanghai calendar date of a naive-UTC or aware datetime."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TZ).date()


def today() -> date:
    """Return today's date in Asia/Shanghai."""
    return local_date(utcnow())


def parse_date(text: str, *, what: str = "date") -> date:
    """Parse YYYY-MM-DD, naming the field in the error."""
    from mediation.errors import InvalidInput

    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what}: {text!r} is not a date in the form YYYY-MM-DD") from None
