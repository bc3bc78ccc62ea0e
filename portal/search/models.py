from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import utcnow


class SearchOutbox(db.Model):
    """A case whose index entry must be refreshed. Written in the same transaction as the
    change itself, so the database stays the source of truth and no change is lost."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20), default="case")
    entity_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
