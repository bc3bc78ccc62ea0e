from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import at_least, utcnow

_UNSENT = text("sent_at IS NULL AND failed_at IS NULL")


class OutgoingMail(db.Model):
    """One message waiting to go out, sent, or given up on (kept for the record and for
    ``flask mail status``). A sender claims a batch by writing its token into ``claimed_by``
    in one UPDATE, so several processes never send the same row; a claim older than
    MAIL_CLAIM_SECONDS (a sender that died mid-batch) may be taken over."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        at_least("attempts"),
        Index("ix_outgoing_mail_due", "next_attempt_at", sqlite_where=_UNSENT, postgresql_where=_UNSENT),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
