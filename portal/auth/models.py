from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models_base import new_token, utcnow
from portal.rendering import html_column, stores_html

if TYPE_CHECKING:
    from portal.cases.models import Theme
    from portal.orgs.models import Membership


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # Stored normalised (trimmed, lower case; see auth.services.normalize_email), so log-in
    # lookups compare with ``==`` and use the unique index.
    __table_args__ = (CheckConstraint("email = lower(trim(email))", name="email_normalized"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    disabled_at: Mapped[datetime | None]
    # Part of the login cookie: rotating it logs out every other session.
    session_token: Mapped[str] = mapped_column(String(32), default=new_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    reviewer_profile: Mapped[ReviewerProfile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    # Flask-Login -------------------------------------------------------
    #: The secret of the sign-in (LoginSession) this request belongs to; set at sign-in and by
    #: the user loader. Not a column.
    login_secret = None  # str | None; no annotation, so the ORM leaves it unmapped

    def get_id(self) -> str:
        """What the session and remember-me cookies carry: user, account token (rotated when the
        password changes) and the sign-in's own secret (its row goes at log-out)."""
        return f"{self.id}:{self.session_token}:{self.login_secret or ''}"

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    # Passwords ---------------------------------------------------------
    def set_password(self, password: str) -> None:
        # scrypt with a random salt by default; the test suite picks a cheaper method for speed.
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Roles -------------------------------------------------------------
    @property
    def is_reviewer(self) -> bool:
        """Holds the reviewer role (even if the account is disabled). Whether someone acts and
        is shown as an expert is permissions.is_active_expert."""
        return self.reviewer_profile is not None and self.reviewer_profile.active

    def membership_in(self, org_id: int) -> Membership | None:
        return next((m for m in self.memberships if m.org_id == org_id), None)


class LoginSession(db.Model):
    """One signed-in browser. Logging out deletes its row, so a copy of its cookies (session or
    remember-me) no longer signs anyone in; the account page lists them and ends any or all."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # sha256 of the secret in the cookie: a copy of this table signs nobody in.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remembered: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


@stores_html("bio")
class ReviewerProfile(db.Model):
    """Expert commentator (点评专家) details; the reviewer role is held while ``active``."""

    __tablename__ = "reviewer_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    expertise: Mapped[str] = mapped_column(String(500), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str | None] = html_column()
    photo_name: Mapped[str] = mapped_column(String(64), default="")  # stored upload name; "" = none
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="reviewer_profile")
    # Fields of expertise matched to the case themes (table defined in portal.reviews.models).
    themes: Mapped[list[Theme]] = relationship(secondary="reviewer_themes", order_by="Theme.position")

    @property
    def expertise_list(self) -> list[str]:
        return [part.strip() for part in self.expertise.replace("，", "、").replace(",", "、").split("、") if part.strip()]
