from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.models_base import one_of, utcnow
from portal.rendering import html_column, stores_html


class OrgType(StrEnum):
    SOCIAL_WORK = "社工机构"
    COMMUNITY_ORG = "社区社会组织"
    COMMITTEE_MEMBER = "委员单位"
    STREET_COMMUNITY = "街道或社区"
    OTHER = "其他"


class OrgStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class OrgRole(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"


@stores_html("introduction")
class Organization(db.Model):
    """A member unit (成员单位)."""

    __tablename__ = "organizations"
    __table_args__ = (one_of("status", OrgStatus), one_of("org_type", OrgType))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    org_type: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(20), index=True)
    city: Mapped[str] = mapped_column(String(50))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    introduction: Mapped[str] = mapped_column(Text, default="")
    introduction_html: Mapped[str | None] = html_column()
    status: Mapped[str] = mapped_column(String(10), default=OrgStatus.PENDING, index=True)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]

    applicant: Mapped[User | None] = relationship(foreign_keys=[applicant_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="org", cascade="all, delete-orphan", order_by="Membership.created_at"
    )
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="org", cascade="all, delete-orphan", order_by="Invitation.created_at"
    )

    @property
    def is_verified(self) -> bool:
        return self.status == OrgStatus.VERIFIED

    @property
    def admins(self) -> list[Membership]:
        return [m for m in self.memberships if m.role == OrgRole.ADMIN]


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("org_id", "user_id"), one_of("role", OrgRole))

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default=OrgRole.EDITOR)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organization] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Invitation(db.Model):
    """An emailed invitation to join an organization; accepted by the user owning that email."""

    __tablename__ = "invitations"
    __table_args__ = (one_of("role", OrgRole),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(10), default=OrgRole.EDITOR)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]

    org: Mapped[Organization] = relationship(back_populates="invitations")
    invited_by: Mapped[User | None] = relationship()
