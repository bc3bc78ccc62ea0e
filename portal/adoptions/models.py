"""Adoption reports (借鉴反馈): a member unit used a published case in its own community."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.cases.models import Case
from portal.extensions import db
from portal.models_base import one_of, utcnow
from portal.orgs.models import Organization
from portal.rendering import html_column, stores_html


class AdoptionKind(StrEnum):
    ADOPTED = "adopted"  # 直接借鉴
    ADAPTED = "adapted"  # 改造后借鉴


@stores_html("changes", "results")
class AdoptionReport(db.Model):
    __tablename__ = "adoption_reports"
    __table_args__ = (UniqueConstraint("case_id", "org_id"), one_of("kind", AdoptionKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default=AdoptionKind.ADOPTED)
    place: Mapped[str] = mapped_column(String(100), default="")  # where: community / county
    changes: Mapped[str] = mapped_column(Text, default="")       # what the unit changed
    changes_html: Mapped[str | None] = html_column()
    results: Mapped[str] = mapped_column(Text, default="")       # results so far
    results_html: Mapped[str | None] = html_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()
    org: Mapped[Organization] = relationship()
    author: Mapped[User | None] = relationship()
