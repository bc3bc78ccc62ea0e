"""In-app notifications, per-user delivery preferences and follows."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import one_of, utcnow


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


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]


class NotificationPreference(db.Model):
    """A user's choice for one kind; no row means the default (in-app and e-mail on)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)


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
