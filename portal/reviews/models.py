"""Expert commentary (专家点评), rubric scores, unit responses, review assignments and
internal reviews."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.cases.models import Case, Theme
from portal.extensions import db
from portal.models_base import one_of, utcnow
from portal.orgs.models import Organization
from portal.rendering import html_column, stores_html

if TYPE_CHECKING:
    from portal.sessions.models import SharingSession

#: Fields of expertise of a reviewer, from the case themes.
reviewer_themes = Table(
    "reviewer_themes",
    db.metadata,
    Column("user_id", ForeignKey("reviewer_profiles.user_id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)


class RubricDimension(db.Model):
    """A scoring dimension admins configure (创新性, 实效性 ...). Retired dimensions keep their
    old scores but are not offered for new comments."""

    __tablename__ = "rubric_dimensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)


@stores_html("body")
class ExpertComment(db.Model):
    """A reviewer's public commentary on a published case."""

    __tablename__ = "expert_comments"
    __table_args__ = (UniqueConstraint("case_id", "author_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)  # Markdown source; rendered through the bleach allow-list
    body_html: Mapped[str | None] = html_column()
    # Conflict-of-interest declaration: has_conflict False means "no tie to the publishing unit".
    has_conflict: Mapped[bool] = mapped_column(default=False)
    conflict_note: Mapped[str] = mapped_column(String(300), default="")
    # The sharing session in which the comment was given (portal.sessions), if any.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_sessions.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship()
    author: Mapped[User] = relationship()
    session: Mapped[SharingSession | None] = relationship()
    scores: Mapped[list[ExpertScore]] = relationship(back_populates="comment", cascade="all, delete-orphan")
    revisions: Mapped[list[ExpertCommentRevision]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", order_by="ExpertCommentRevision.id")
    response: Mapped[UnitResponse | None] = relationship(back_populates="comment", cascade="all, delete-orphan")


class ExpertScore(db.Model):
    __tablename__ = "expert_scores"
    __table_args__ = (UniqueConstraint("comment_id", "dimension_id"),
                      CheckConstraint("score BETWEEN 1 AND 5", name="score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("expert_comments.id", ondelete="CASCADE"), index=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("rubric_dimensions.id", ondelete="RESTRICT"))
    score: Mapped[int]  # 1-5, checked by the service (with a message) and the database

    comment: Mapped[ExpertComment] = relationship(back_populates="scores")
    dimension: Mapped[RubricDimension] = relationship()


@stores_html("body")
class ExpertCommentRevision(db.Model):
    """The text and scores of an expert comment as they were before an edit."""

    __tablename__ = "expert_comment_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("expert_comments.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = html_column()
    scores: Mapped[str] = mapped_column(Text, default="{}")  # JSON {dimension name: score}
    has_conflict: Mapped[bool] = mapped_column(default=False)
    conflict_note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the replaced text was written

    comment: Mapped[ExpertComment] = relationship(back_populates="revisions")


@stores_html("body")
class UnitResponse(db.Model):
    """The publishing unit's one public answer (回应) to an expert comment."""

    __tablename__ = "unit_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("expert_comments.id", ondelete="CASCADE"), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = html_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    comment: Mapped[ExpertComment] = relationship(back_populates="response")
    org: Mapped[Organization] = relationship()
    author: Mapped[User | None] = relationship()


class Recommendation(StrEnum):
    PUBLISH = "publish"
    RETURN = "return"
    REJECT = "reject"


class AssignmentStatus(StrEnum):
    PENDING = "pending"      # assigned, no internal review yet
    REVIEWED = "reviewed"    # internal review posted
    CANCELLED = "cancelled"  # withdrawn by a curator


class ReviewAssignment(db.Model):
    """A curator asks a reviewer to review a submitted case."""

    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("case_id", "reviewer_id"), one_of("status", AssignmentStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    hide_unit: Mapped[bool] = mapped_column(default=False)      # blind: the reviewer does not see the unit
    hide_reviewer: Mapped[bool] = mapped_column(default=False)  # the unit does not see the reviewer
    status: Mapped[str] = mapped_column(String(10), default=AssignmentStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
    review: Mapped[InternalReview | None] = relationship(back_populates="assignment", cascade="all, delete-orphan")


@stores_html("body")
class InternalReview(db.Model):
    """An assigned reviewer's recommendation, seen by curators and the unit only."""

    __tablename__ = "internal_reviews"
    __table_args__ = (one_of("recommendation", Recommendation),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("review_assignments.id", ondelete="CASCADE"), unique=True)
    recommendation: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = html_column()
    reasons: Mapped[str] = mapped_column(Text, default="")  # required for "return" and "reject"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="review")


__all__ = ["Theme"]
