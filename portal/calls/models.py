"""Calls for cases and awards (案例征集与评选).

A call (征集) is announced with its rules: who may enter, when (Asia/Shanghai, stored as naive
UTC), which parts a case must have, its own rubric (dimensions with weights), how many reviewers
score each entry and the award levels. Verified units enter their cases (entries); admins assign
reviewers, who score each dimension (1-10) with an internal note; admins shortlist entries,
decide awards (with a reason, audited) and publish the results.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.cases.models import Case, Theme
from portal.extensions import db
from portal.models_base import at_least, one_of, utcnow
from portal.orgs.models import Organization
from portal.rendering import html_column, stores_html
from portal.sessions.models import SharingSession

#: Lowest and highest score per dimension.
SCORE_MIN, SCORE_MAX = 1, 10

call_themes = Table(
    "call_themes",
    db.metadata,
    Column("call_id", ForeignKey("case_calls.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)

#: The sessions a call feeds: its shortlist is presented there.
call_sessions = Table(
    "call_sessions",
    db.metadata,
    Column("call_id", ForeignKey("case_calls.id", ondelete="CASCADE"), primary_key=True),
    Column("session_id", ForeignKey("sharing_sessions.id", ondelete="CASCADE"), primary_key=True),
)


@stores_html("description")
class CaseCall(db.Model):
    __tablename__ = "case_calls"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="period"),
        at_least("reviewers_per_entry", 1),
        at_least("max_entries_per_unit", 1),
        at_least("min_attachments"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    description_html: Mapped[str | None] = html_column()
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime] = mapped_column(index=True)
    review_due_on: Mapped[date | None] = mapped_column(Date)
    # Who may enter: verified units, optionally only some unit types / provinces (one per line).
    org_types: Mapped[str] = mapped_column(String(200), default="")
    provinces: Mapped[str] = mapped_column(String(400), default="")
    # Case parts this call requires beyond the usual ones (section names, one per line).
    required_sections: Mapped[str] = mapped_column(String(200), default="")
    min_attachments: Mapped[int] = mapped_column(default=0)
    max_entries_per_unit: Mapped[int] = mapped_column(default=1)
    reviewers_per_entry: Mapped[int] = mapped_column(default=2)
    blind: Mapped[bool] = mapped_column(default=False)  # reviewers do not see the entering unit
    # Spread (highest minus lowest weighted score, 1-10 scale) from which an entry is flagged.
    disagreement: Mapped[float] = mapped_column(default=3.0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    announced_at: Mapped[datetime | None]          # None: a draft only admins see
    closing_reminded_at: Mapped[datetime | None]   # "deadline approaching" sent
    results_published_at: Mapped[datetime | None]
    results_override: Mapped[str] = mapped_column(Text, default="")  # why results went out with scores missing

    themes: Mapped[list[Theme]] = relationship(secondary=call_themes, order_by="Theme.position")
    sessions: Mapped[list[SharingSession]] = relationship(secondary=call_sessions,
                                                          order_by="SharingSession.starts_at")
    dimensions: Mapped[list[CallDimension]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallDimension.position")
    levels: Mapped[list[AwardLevel]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="AwardLevel.position")
    entries: Mapped[list[CallEntry]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallEntry.id")


class CallDimension(db.Model):
    """One scoring dimension of a call, with its weight (the weights need not add up to 100)."""

    __tablename__ = "call_dimensions"
    __table_args__ = (UniqueConstraint("call_id", "name"), at_least("weight", 1))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("case_calls.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    weight: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)

    call: Mapped[CaseCall] = relationship(back_populates="dimensions")


class AwardLevel(db.Model):
    """一等奖 / 二等奖 / 优秀案例 ...: how many of each the call awards."""

    __tablename__ = "award_levels"
    __table_args__ = (UniqueConstraint("call_id", "name"), at_least("places", 1))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("case_calls.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    places: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)

    call: Mapped[CaseCall] = relationship(back_populates="levels")


class EntryStatus(StrEnum):
    ENTERED = "entered"
    WITHDRAWN = "withdrawn"


class CallEntry(db.Model):
    """A unit's case entered in a call. Withdrawn entries stay (the unit's history)."""

    __tablename__ = "call_entries"
    __table_args__ = (UniqueConstraint("call_id", "case_id"), one_of("status", EntryStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("case_calls.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    presenter: Mapped[str] = mapped_column(String(100), default="")  # who would present it at a session
    status: Mapped[str] = mapped_column(String(10), default=EntryStatus.ENTERED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # entered (or entered again)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    shortlisted: Mapped[bool] = mapped_column(default=False)
    award_level_id: Mapped[int | None] = mapped_column(ForeignKey("award_levels.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")  # the latest decision's reason
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("case_proposals.id", ondelete="SET NULL"))

    call: Mapped[CaseCall] = relationship(back_populates="entries")
    case: Mapped[Case] = relationship()
    org: Mapped[Organization] = relationship()
    award: Mapped[AwardLevel | None] = relationship()
    assignments: Mapped[list[CallAssignment]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="CallAssignment.id")


class CallAssignment(db.Model):
    """A reviewer asked to score an entry; scored once every dimension has a score."""

    __tablename__ = "call_assignments"
    __table_args__ = (UniqueConstraint("entry_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("call_entries.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    automatic: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(Text, default="")  # internal: admins only
    scored_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[CallEntry] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    scores: Mapped[list[CallScore]] = relationship(back_populates="assignment", cascade="all, delete-orphan")


class CallScore(db.Model):
    __tablename__ = "call_scores"
    __table_args__ = (UniqueConstraint("assignment_id", "dimension_id"),
                      CheckConstraint(f"score BETWEEN {SCORE_MIN} AND {SCORE_MAX}", name="score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("call_assignments.id", ondelete="CASCADE"), index=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("call_dimensions.id", ondelete="CASCADE"))
    score: Mapped[int]

    assignment: Mapped[CallAssignment] = relationship(back_populates="scores")


class ReviewerConflict(db.Model):
    """A reviewer's declared conflict of interest with a unit: never assigned its entries."""

    __tablename__ = "reviewer_conflicts"
    __table_args__ = (UniqueConstraint("reviewer_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organization] = relationship()

