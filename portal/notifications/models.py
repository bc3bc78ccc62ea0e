"""In-app notifications, per-user delivery preferences and follows."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import at_least, one_of, utcnow

if TYPE_CHECKING:
    from portal.cases.models import Case


class Kind(StrEnum):
    EXPERT_COMMENT = "expert_comment"        # a new expert comment on my unit's case
    COMMENT_REPLY = "comment_reply"          # a reply to my comment
    REVIEW_ASSIGNMENT = "review_assignment"  # I was asked to review a case
    CASE_WORKFLOW = "case_workflow"          # my unit's case changed state
    REPORT_DECISION = "report_decision"      # a moderator decided on my comment or my report
    FOLLOWED_CASE = "followed_case"          # a new published case in something I follow
    SESSION_ARCHIVED = "session_archived"    # a session I registered for was closed and archived
    SESSION_REGISTRATION = "session_registration"  # I moved from a session's waiting list to a seat
    SESSION_PROPOSAL = "session_proposal"    # a case proposed for a session: new (admins) or decided (the unit)
    CASE_DISCUSSION = "case_discussion"      # someone outside the unit commented on (or replied under) its case
    CALL_OPENED = "call_opened"              # a call for cases opened in a theme I follow
    CALL_ENTRY = "call_entry"                # my unit's entry: received, shortlisted, awarded; deadline near
    CALL_REVIEW = "call_review"              # calls: I was asked to score entries (reviewers), scoring done (admins)


_UNREAD_GROUP = text("read_at IS NULL AND group_key IS NOT NULL")


class Notification(db.Model):
    """One line in a user's notification centre.

    A grouped notification (``group_key`` set, e.g. "theme:3": new cases in something followed)
    is one row per user and followed thing while it is unread: each further case raises
    ``count`` and rewrites ``text``, ``url`` and ``created_at`` (the time of the latest case).
    Once read, the next case starts a new row."""

    __tablename__ = "notifications"
    __table_args__ = (
        at_least("count", 1),
        Index("uq_notifications_unread_group", "user_id", "group_key", unique=True,
              sqlite_where=_UNREAD_GROUP, postgresql_where=_UNREAD_GROUP),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    group_key: Mapped[str | None] = mapped_column(String(60))
    count: Mapped[int] = mapped_column(default=1)


class DigestFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class NotificationPreference(db.Model):
    """A user's choice for one kind; no row means the default (in-app and e-mail on, and for
    followed cases a daily digest)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (one_of("digest", DigestFrequency),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)
    # Only FOLLOWED_CASE mail is bundled: with ``email`` on, one digest a day or a week
    # (``email`` off is 不发送). Every other kind is mailed as it happens and ignores this.
    digest: Mapped[str] = mapped_column(String(10), default=DigestFrequency.DAILY)


class FollowTarget(StrEnum):
    THEME = "theme"
    PROVINCE = "province"
    ORG = "org"


class Follow(db.Model):
    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "target_type", "target_key"), one_of("target_type", FollowTarget))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str] = mapped_column(String(10))
    target_key: Mapped[str] = mapped_column(String(50), index=True)  # theme id, province name or org id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationDigest(db.Model):
    """One digest e-mail sent to a user: when, and how many new cases it listed."""

    __tablename__ = "notification_digests"
    __table_args__ = (one_of("frequency", DigestFrequency), at_least("case_count", 1))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    frequency: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    case_count: Mapped[int]


class DigestItem(db.Model):
    """A newly published case waiting for (``digest_id`` empty) or listed in one user's digest.

    Written when the case is published, in the same transaction, for each follower who wants
    digest e-mail; one row per (user, case) ever, so a case is in at most one digest per user
    (a case archived and restored later is not announced twice). ``target_type``/``target_key``
    say which follow brought it (the most specific: unit, then theme, then province)."""

    __tablename__ = "digest_items"
    __table_args__ = (UniqueConstraint("user_id", "case_id"), one_of("target_type", FollowTarget))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str] = mapped_column(String(10))
    target_key: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notification_digests.id", ondelete="CASCADE"),
                                                  index=True)

    case: Mapped[Case] = relationship()
