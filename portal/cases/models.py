from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text, UniqueConstraint, and_, case, extract, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.models_base import at_least, one_of, utcnow
from portal.orgs.models import Organization
from portal.rendering import html_column, stores_html
from portal.timezones import utc_to_shanghai


class CaseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETURNED = "returned"
    ARCHIVED = "archived"


class CommunityType(StrEnum):
    URBAN = "城市社区"
    RURAL = "农村社区"
    PERI_URBAN = "城乡结合部"
    OTHER = "其他"


#: The four required sections and the optional fifth, in reading order: field -> heading.
SECTIONS: dict[str, str] = {
    "background": "背景",
    "approach": "做法",
    "outcomes": "成效",
    "lessons": "经验启示",
    "problems": "问题与展望",
}
REQUIRED_SECTIONS = ("background", "approach", "outcomes", "lessons")

#: The long text columns of a case that no card or list row shows: list queries leave them out
#: (``services.card_options``) and load them only on the case page. A new long column (such as
#: the rendered HTML of a section) is added here and every list stops loading it.
LONG_COLUMNS: tuple[str, ...] = (*SECTIONS, *(f"{name}_html" for name in SECTIONS))

case_themes = Table(
    "case_themes",
    db.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("theme_id", ForeignKey("themes.id", ondelete="RESTRICT"), primary_key=True),
    # The list filtered by a theme reads that theme's cases from here (the key leads with case_id).
    Index("ix_case_themes_theme_id_case_id", "theme_id", "case_id"),
)

case_tags = Table(
    "case_tags",
    db.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Theme(db.Model):
    """Controlled vocabulary. Retired themes stay on old cases but cannot be chosen anew."""

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)


_PUBLISHED = text("status = 'published'")
_FEATURED = text("status = 'published' AND featured")
_FEATURED_SQLITE = text("status = 'published' AND featured = 1")  # as SQLAlchemy writes the test there


@stores_html("background", "approach", "outcomes", "lessons", "problems")
class Case(db.Model):
    """A structured community-governance case (治理案例) published by a member unit."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("org_id", "external_id"),
        one_of("status", CaseStatus),
        one_of("community_type", ["", *CommunityType]),
        at_least("beneficiaries"),
        CheckConstraint("started_on IS NULL OR ended_on IS NULL OR ended_on >= started_on", name="period"),
        # The orders the public lists read the first rows of (home page, /cases), over published
        # cases only: a few index entries instead of sorting them all. (Not view_count: an index
        # on it would make every flush of the view counts update every index of the table.)
        Index("ix_cases_published_order", "published_at", "id", sqlite_where=_PUBLISHED, postgresql_where=_PUBLISHED),
        Index("ix_cases_featured_order", "published_at", "id", sqlite_where=_FEATURED_SQLITE,
              postgresql_where=_FEATURED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")
    background: Mapped[str] = mapped_column(Text, default="")
    background_html: Mapped[str | None] = html_column(deferred_group="sections_html")
    approach: Mapped[str] = mapped_column(Text, default="")
    approach_html: Mapped[str | None] = html_column(deferred_group="sections_html")
    outcomes: Mapped[str] = mapped_column(Text, default="")
    outcomes_html: Mapped[str | None] = html_column(deferred_group="sections_html")
    lessons: Mapped[str] = mapped_column(Text, default="")
    lessons_html: Mapped[str | None] = html_column(deferred_group="sections_html")
    problems: Mapped[str] = mapped_column(Text, default="")
    problems_html: Mapped[str | None] = html_column(deferred_group="sections_html")
    province: Mapped[str] = mapped_column(String(20), default="", index=True)
    city: Mapped[str] = mapped_column(String(50), default="")
    county: Mapped[str] = mapped_column(String(50), default="")
    community: Mapped[str] = mapped_column(String(100), default="")
    community_type: Mapped[str] = mapped_column(String(10), default="")
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    partners: Mapped[str] = mapped_column(String(300), default="")
    beneficiaries: Mapped[int | None]
    funding_source: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default=CaseStatus.DRAFT, index=True)
    featured: Mapped[bool] = mapped_column(default=False)
    view_count: Mapped[int] = mapped_column(default=0)
    cover_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachments.id", ondelete="SET NULL", use_alter=True, name="fk_cases_cover_id_attachments"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None] = mapped_column(index=True)

    org: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    themes: Mapped[list[Theme]] = relationship(secondary=case_themes, order_by="Theme.position")
    tags: Mapped[list[Tag]] = relationship(secondary=case_tags, order_by="Tag.name")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", cascade="all, delete-orphan", foreign_keys="Attachment.case_id",
        order_by="Attachment.created_at")
    cover: Mapped[Attachment | None] = relationship(foreign_keys=[cover_id], post_update=True)
    transitions: Mapped[list[CaseTransition]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseTransition.id")
    versions: Mapped[list[CaseVersion]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseVersion.number")
    privacy_decisions: Mapped[list[PrivacyDecision]] = relationship(
        back_populates="case", cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.status == CaseStatus.PUBLISHED

    @hybrid_property
    def year(self) -> int | None:
        """The year of a case: the year the practice started; only when no start date is recorded,
        the year (Asia/Shanghai) it was published. Shown and filtered on by /cases and /search."""
        if self.started_on is not None:
            return self.started_on.year
        return utc_to_shanghai(self.published_at).year if self.published_at is not None else None

    @year.inplace.expression
    @classmethod
    def _year_expression(cls):
        """The same rule in SQL (``Case.year == 2023``). published_at is naive UTC and Asia/Shanghai
        is UTC+8 all year (no daylight saving): from 16:00 UTC on 31 December it is the next year."""
        published = cls.published_at
        new_year_in_shanghai = and_(extract("month", published) == 12, extract("day", published) == 31,
                                    extract("hour", published) >= 16)
        return case((cls.started_on.is_not(None), extract("year", cls.started_on)),
                    else_=extract("year", published) + case((new_year_in_shanghai, 1), else_=0))

    @property
    def region(self) -> str:
        return " ".join(p for p in (self.province, self.city, self.county, self.community) if p)

    @property
    def last_return(self) -> CaseTransition | None:
        return next((t for t in reversed(self.transitions) if t.to_status == CaseStatus.RETURNED), None)


class FacetVersion(db.Model):
    """A counter per kind of data (row "cases"), raised in the same transaction as every change
    to it (portal.cases.facets): what a worker computed from that data and cached is good while
    the counter it read stays the same, whichever worker made the change."""

    __tablename__ = "facet_versions"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (at_least("size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    mime: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="attachments", foreign_keys=[case_id])

    @property
    def is_image(self) -> bool:
        return self.kind in ("jpg", "png")


class CaseTransition(db.Model):
    """One step of the editorial workflow, shown as the case's timeline."""

    __tablename__ = "case_transitions"
    __table_args__ = (one_of("from_status", CaseStatus), one_of("to_status", CaseStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()


class CaseVersion(db.Model):
    """The content of a case as it was before a save (kept for submitted and published cases)."""

    __tablename__ = "case_versions"
    __table_args__ = (UniqueConstraint("case_id", "number"), one_of("status", CaseStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    snapshot: Mapped[str] = mapped_column(Text)  # JSON of the content fields
    status: Mapped[str] = mapped_column(String(12))
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="versions")
    saved_by: Mapped[User | None] = relationship()


class PrivacyDecision(db.Model):
    """A unit's statement that a privacy-scan finding is not personal data."""

    __tablename__ = "privacy_decisions"
    __table_args__ = (UniqueConstraint("case_id", "finding_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    finding_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    masked_value: Mapped[str] = mapped_column(String(100))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="privacy_decisions")
    decided_by: Mapped[User | None] = relationship()
