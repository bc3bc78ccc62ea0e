"""Sharing sessions (分享会): events with phases, standalone sessions and numbered series, their
people, running order, materials, numbers, registrations and case proposals."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.cases.models import Case, Theme
from portal.extensions import db
from portal.models_base import at_least, one_of, utcnow
from portal.orgs.models import Organization
from portal.rendering import html_column, stores_html

event_themes = Table(
    "event_themes",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)

session_themes = Table(
    "session_themes",
    db.metadata,
    Column("session_id", ForeignKey("sharing_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
)

#: Organizations that attended a session (linked to the unit directory).
session_orgs = Table(
    "session_orgs",
    db.metadata,
    Column("session_id", ForeignKey("sharing_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("org_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)


@stores_html("description")
class Event(db.Model):
    """An event (活动) with one or more phases (sessions)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    organizer: Mapped[str] = mapped_column(String(200), default="")
    co_organizers: Mapped[str] = mapped_column(String(500), default="")  # one per line
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    description_html: Mapped[str | None] = html_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    themes: Mapped[list[Theme]] = relationship(secondary=event_themes, order_by="Theme.position")
    sessions: Mapped[list[SharingSession]] = relationship(back_populates="event", order_by="SharingSession.starts_at")


@stores_html("description")
class Series(db.Model):
    """A numbered series of sessions (第一期, 第二期 ...)."""

    __tablename__ = "session_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str | None] = html_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sessions: Mapped[list[SharingSession]] = relationship(back_populates="series",
                                                          order_by="SharingSession.series_number")


#: The long text columns of a session that no session card shows: lists leave them out
#: (``services.listings.card_options``). A new long column (rendered HTML) is added here.
SESSION_LONG_COLUMNS: tuple[str, ...] = ("description", "minutes", "description_html", "minutes_html")


class SessionFormat(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    HYBRID = "hybrid"


class SessionStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    ARCHIVED = "archived"


@stores_html("description", "minutes")
class SharingSession(db.Model):
    """One session (阶段/场次). Times are stored as naive UTC and shown in Asia/Shanghai."""

    __tablename__ = "sharing_sessions"
    __table_args__ = (
        UniqueConstraint("series_id", "series_number"),
        one_of("status", SessionStatus),
        one_of("format", SessionFormat),
        at_least("capacity"),
        at_least("participants"),
        at_least("provinces_count"),
        at_least("orgs_count"),
        at_least("series_number", 1),
        CheckConstraint("ends_at >= starts_at", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("session_series.id", ondelete="SET NULL"), index=True)
    series_number: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    description_html: Mapped[str | None] = html_column()
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    format: Mapped[str] = mapped_column(String(10), default=SessionFormat.ONLINE)
    venue: Mapped[str] = mapped_column(String(200), default="")  # platform (腾讯会议 …) or address
    host: Mapped[str] = mapped_column(String(100), default="")   # 主持人
    status: Mapped[str] = mapped_column(String(10), default=SessionStatus.PLANNED, index=True)
    capacity: Mapped[int | None]  # None: no limit
    registration_open: Mapped[bool] = mapped_column(default=True)
    # Numbers recorded when the session is closed.
    participants: Mapped[int | None]
    provinces_count: Mapped[int | None]
    orgs_count: Mapped[int | None]
    recording_url: Mapped[str] = mapped_column(String(500), default="")
    minutes: Mapped[str] = mapped_column(Text, default="")  # minutes / summary, Markdown
    minutes_html: Mapped[str | None] = html_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    event: Mapped[Event | None] = relationship(back_populates="sessions")
    series: Mapped[Series | None] = relationship(back_populates="sessions")
    themes: Mapped[list[Theme]] = relationship(secondary=session_themes, order_by="Theme.position")
    organizations: Mapped[list[Organization]] = relationship(secondary=session_orgs, order_by="Organization.name")
    speakers: Mapped[list[SessionSpeaker]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionSpeaker.position")
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="AgendaItem.position")
    materials: Mapped[list[SessionMaterial]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionMaterial.id")
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Registration.id")
    proposals: Mapped[list[CaseProposal]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="CaseProposal.id")


class SpeakerRole(StrEnum):
    HOST = "host"            # 主持
    REMARKS = "remarks"      # 致辞
    PRESENTER = "presenter"  # 案例分享
    COMMENTATOR = "commentator"  # 点评
    SUMMARY = "summary"      # 总结


class SessionSpeaker(db.Model):
    __tablename__ = "session_speakers"
    __table_args__ = (one_of("role", SpeakerRole),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sharing_sessions.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100))  # as shown; kept when the account goes
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # expert directory
    position: Mapped[int] = mapped_column(default=0)

    session: Mapped[SharingSession] = relationship(back_populates="speakers")
    user: Mapped[User | None] = relationship()


class AgendaKind(StrEnum):
    TALK = "talk"
    CASE = "case"


class AgendaItem(db.Model):
    """One item of the running order: a talk, or a presented case."""

    __tablename__ = "agenda_items"
    __table_args__ = (one_of("kind", AgendaKind), at_least("duration_minutes"), at_least("recording_offset"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sharing_sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(5), default=AgendaKind.TALK)
    title: Mapped[str] = mapped_column(String(150))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))  # presenting unit
    presenter: Mapped[str] = mapped_column(String(100), default="")
    duration_minutes: Mapped[int | None]
    recording_offset: Mapped[int | None]  # seconds into the recording
    notes: Mapped[str] = mapped_column(Text, default="")

    session: Mapped[SharingSession] = relationship(back_populates="agenda")
    case: Mapped[Case | None] = relationship()
    org: Mapped[Organization | None] = relationship()


class MaterialKind(StrEnum):
    SLIDES = "slides"
    DOCUMENT = "document"
    PHOTO = "photo"
    LINK = "link"


class SessionMaterial(db.Model):
    __tablename__ = "session_materials"
    __table_args__ = (one_of("kind", MaterialKind), at_least("size"))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sharing_sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(150))
    url: Mapped[str] = mapped_column(String(500), default="")  # for links
    original_name: Mapped[str] = mapped_column(String(200), default="")
    stored_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    file_kind: Mapped[str] = mapped_column(String(10), default="")
    mime: Mapped[str] = mapped_column(String(120), default="")
    size: Mapped[int] = mapped_column(default=0)
    members_only: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[SharingSession] = relationship(back_populates="materials")


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Registration(db.Model):
    __tablename__ = "session_registrations"
    __table_args__ = (UniqueConstraint("session_id", "user_id"), one_of("status", RegistrationStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sharing_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=RegistrationStatus.REGISTERED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[SharingSession] = relationship(back_populates="registrations")
    user: Mapped[User] = relationship()


class ProposalStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class CaseProposal(db.Model):
    """A member unit proposes one of its published cases for an upcoming session."""

    __tablename__ = "case_proposals"
    __table_args__ = (UniqueConstraint("session_id", "case_id"), one_of("status", ProposalStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sharing_sessions.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    presenter: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=ProposalStatus.PENDING)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    session: Mapped[SharingSession] = relationship(back_populates="proposals")
    case: Mapped[Case] = relationship()
    org: Mapped[Organization] = relationship()
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
