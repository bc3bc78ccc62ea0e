"""Small helpers shared by every feature's models."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC timestamp: SQLite keeps no zone, so every column stores UTC and
    templates convert to Asia/Shanghai through Flask-Babel."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_token(nbytes: int = 16) -> str:
    return secrets.token_hex(nbytes)


def one_of(column: str, values, name: str | None = None):
    """A CHECK constraint ``column IN (values)``, named ``ck_<table>_<name or column>`` by the
    naming convention. The migration that adds it spells the same list out literally."""
    from sqlalchemy import CheckConstraint

    listed = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or column)


def at_least(column: str, minimum: int = 0, name: str | None = None):
    """A CHECK constraint ``column IS NULL OR column >= minimum`` (NULL: not given)."""
    from sqlalchemy import CheckConstraint

    return CheckConstraint(f"{column} IS NULL OR {column} >= {int(minimum)}", name=name or column)
