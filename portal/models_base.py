"""Small helpers shared by every feature's models."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Naive UTC timestamp: SQLite keeps no zone, so every column stores UTC and
    templates convert to Asia/Shanghai through Flask-Babel."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_token(nbytes: int = 16) -> str:
    return secrets.token_hex(nbytes)
