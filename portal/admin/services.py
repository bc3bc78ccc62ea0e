"""Platform administration of users. Every action is checked and audited here."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.admin import audit
from portal.auth.models import ReviewerProfile, User
from portal.errors import PermissionDenied, ValidationError
from portal.extensions import db
from portal.models_base import new_token, paginate, utcnow


def _require_admin(actor) -> None:
    # actor None means the command line, which runs with operator rights.
    if actor is not None and not permissions.is_platform_admin(actor):
        raise PermissionDenied(_("只有平台管理员可以执行此操作。"))


def search_users(actor, query: str = "", role: str = "", page: int = 1, per_page: int = 30):
    _require_admin(actor)
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    query = (query or "").strip()
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(User.email.ilike(like), User.display_name.ilike(f"%{query}%")))
    if role == "admin":
        stmt = stmt.where(User.is_admin.is_(True))
    elif role == "reviewer":
        stmt = stmt.join(ReviewerProfile).where(ReviewerProfile.active.is_(True))
    elif role == "disabled":
        stmt = stmt.where(User.disabled_at.is_not(None))
    return paginate(stmt, page=page, per_page=per_page, options=(selectinload(User.reviewer_profile),),
                    count_by=User.id)


def set_admin(actor, user: User, value: bool) -> None:
    _require_admin(actor)
    if not value and actor is not None and actor.id == user.id:
        raise ValidationError(_("不能撤销自己的管理员权限，请让另一位管理员操作。"))
    if user.is_admin == value:
        return
    user.is_admin = value
    audit.record(actor, "user.grant_admin" if value else "user.revoke_admin", user, user.email)


def grant_reviewer(actor, user: User, *, title: str, affiliation: str, expertise: str, bio: str = "") -> ReviewerProfile:
    """Make the user a reviewer (点评专家) or update the profile of one."""
    _require_admin(actor)
    profile = user.reviewer_profile
    was_active = profile is not None and profile.active
    if profile is None:
        profile = ReviewerProfile(user=user)
        db.session.add(profile)
    profile.title = (title or "").strip()[:100]
    profile.affiliation = (affiliation or "").strip()[:200]
    profile.expertise = (expertise or "").strip()[:500]
    if bio:
        profile.bio = bio.strip()
    profile.active = True
    action = "user.update_reviewer" if was_active else "user.grant_reviewer"
    audit.record(actor, action, user, f"{user.email} {profile.title} {profile.affiliation}".strip())
    return profile


def revoke_reviewer(actor, user: User) -> None:
    _require_admin(actor)
    if not user.is_reviewer:
        return
    # The profile is kept so past commentary stays attributed.
    user.reviewer_profile.active = False
    audit.record(actor, "user.revoke_reviewer", user, user.email)


def set_disabled(actor, user: User, disabled: bool, reason: str = "") -> None:
    _require_admin(actor)
    if disabled and actor is not None and actor.id == user.id:
        raise ValidationError(_("不能停用自己的账号。"))
    if disabled == (user.disabled_at is not None):
        return
    user.disabled_at = utcnow() if disabled else None
    if disabled:
        # End every session now, so re-enabling the account later does not revive them.
        user.session_token = new_token()
    audit.record(actor, "user.disable" if disabled else "user.enable", user, f"{user.email} {reason}".strip())


def update_own_reviewer_profile(user: User, *, title: str, affiliation: str, expertise: str, bio: str) -> None:
    """A reviewer edits their own public profile."""
    from portal.reviews.services import own_profile_for_edit

    profile = own_profile_for_edit(user)
    profile.title = title.strip()[:100]
    profile.affiliation = affiliation.strip()[:200]
    profile.expertise = expertise.strip()[:500]
    profile.bio = bio.strip()
