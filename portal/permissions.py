"""Who may do what. Services call these before acting; templates call them to show buttons.

Each predicate takes the acting user (possibly anonymous) and the object.
"""
from __future__ import annotations

from portal.orgs.models import Organization, OrgRole, OrgStatus


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_platform_admin(user) -> bool:
    return _authenticated(user) and user.is_admin


def is_reviewer(user) -> bool:
    return _authenticated(user) and user.is_reviewer


def org_role(user, org: Organization) -> str | None:
    if not _authenticated(user):
        return None
    membership = user.membership_in(org.id)
    return membership.role if membership else None


def is_org_member(user, org: Organization) -> bool:
    return org_role(user, org) is not None


def is_org_admin(user, org: Organization) -> bool:
    return org_role(user, org) == OrgRole.ADMIN


def can_view_org(user, org: Organization) -> bool:
    """Verified units are public; pending or rejected applications are seen by the
    applicant, the unit's members and platform admins only."""
    if org.status == OrgStatus.VERIFIED:
        return True
    if not _authenticated(user):
        return False
    return is_platform_admin(user) or org.applicant_id == user.id or is_org_member(user, org)


def can_manage_members(user, org: Organization) -> bool:
    return org.status == OrgStatus.VERIFIED and (is_org_admin(user, org) or is_platform_admin(user))


def can_edit_org(user, org: Organization) -> bool:
    return is_org_admin(user, org) or is_platform_admin(user) or (
        org.status != OrgStatus.VERIFIED and _authenticated(user) and org.applicant_id == user.id
    )


def can_review_orgs(user) -> bool:
    return is_platform_admin(user)


def can_administer(user) -> bool:
    return is_platform_admin(user)


#: Exposed to every template as ``can.<name>(current_user, obj)``.
TEMPLATE_PREDICATES = {
    name: globals()[name]
    for name in (
        "is_platform_admin",
        "is_reviewer",
        "is_org_member",
        "is_org_admin",
        "can_view_org",
        "can_manage_members",
        "can_edit_org",
        "can_review_orgs",
        "can_administer",
    )
}
