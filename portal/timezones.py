"""The platform's time zone, Asia/Shanghai, and conversions to and from stored times.

Every datetime in the database is naive UTC (:func:`portal.models_base.utcnow`). What people
see and type is Asia/Shanghai: pages (Flask-Babel's ``BABEL_DEFAULT_TIMEZONE``), form fields,
calendar files, due dates and the year things belong to.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

NAME = "Asia/Shanghai"
SHANGHAI = ZoneInfo(NAME)


def shanghai_to_utc(value: datetime | None) -> datetime | None:
    """A naive Asia/Shanghai wall-clock time (as typed in a form) -> naive UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC).replace(tzinfo=None)


def utc_to_shanghai(value: datetime | None) -> datetime | None:
    """Naive UTC (as stored) -> naive Asia/Shanghai wall-clock time (for form fields)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None)


def as_shanghai(value: datetime) -> datetime:
    """Naive UTC (as stored) -> an aware Asia/Shanghai time (calendar files)."""
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI)


def today() -> date:
    """Today's date in Asia/Shanghai."""
    return datetime.now(SHANGHAI).date()
