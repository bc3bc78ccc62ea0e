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


# Cases ---------------------------------------------------------------------------
# Imported lazily: cases.models imports orgs, which this module also uses.

def _case_statuses():
    from portal.cases.models import CaseStatus

    return CaseStatus


def is_case_unit_member(user, case) -> bool:
    return is_org_member(user, case.org)


def can_curate(user) -> bool:
    """Platform admins act as curators of the case library."""
    return is_platform_admin(user)


def can_view_case(user, case) -> bool:
    """Published cases are public; every other state is seen by the unit and curators only."""
    if case.status == _case_statuses().PUBLISHED:
        return True
    return can_curate(user) or is_case_unit_member(user, case)


def can_create_case(user, org) -> bool:
    return org.is_verified and is_org_member(user, org)


def can_edit_case(user, case) -> bool:
    S = _case_statuses()
    if can_curate(user):
        return case.status != S.ARCHIVED
    return is_case_unit_member(user, case) and case.status in (S.DRAFT, S.RETURNED, S.SUBMITTED, S.PUBLISHED)


def can_delete_case(user, case) -> bool:
    S = _case_statuses()
    return can_curate(user) or (is_org_admin(user, case.org) and case.status in (S.DRAFT, S.RETURNED))


def can_see_case_timeline(user, case) -> bool:
    return can_curate(user) or is_case_unit_member(user, case)


def can_see_case_contact(user) -> bool:
    return _authenticated(user)


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
        "can_curate",
        "can_view_case",
        "can_create_case",
        "can_edit_case",
        "can_delete_case",
        "can_see_case_timeline",
        "can_see_case_contact",
        "is_case_unit_member",
    )
}
