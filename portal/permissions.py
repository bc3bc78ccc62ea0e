"""Who may do what. Services call these before acting; templates call them to show buttons.

Each predicate takes the acting user (possibly anonymous) and the object.
"""
from __future__ import annotations

from portal.orgs.models import Organization, OrgRole, OrgStatus


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_platform_admin(user) -> bool:
    return _authenticated(user) and user.is_admin


def is_active_expert(user) -> bool:
    """The one rule for "an expert" (点评专家), whether ``user`` is the one acting or someone shown
    on a page: the reviewer role is held (not revoked) and the account is not disabled. Only
    active experts comment and are assigned to cases, appear in the expert directory, have a
    public page (/experts/<id>) and get their name linked to it. ``active_expert_clause()`` is
    the same rule in SQL. (``User.is_reviewer`` alone says only that the role is held, which the
    admin pages show.)"""
    return _authenticated(user) and user.is_active and user.is_reviewer


def active_expert_clause():
    """``is_active_expert`` as a condition on ``User`` for queries that list experts."""
    from portal.auth.models import ReviewerProfile, User

    return User.disabled_at.is_(None) & User.reviewer_profile.has(ReviewerProfile.active.is_(True))


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
    """Published cases are public; every other state is seen by the unit and curators only,
    and by reviewers assigned to the case (until their assignment is cancelled)."""
    if case.status == _case_statuses().PUBLISHED:
        return True
    return can_curate(user) or is_case_unit_member(user, case) or is_assigned_reviewer(user, case)


def can_create_case(user, org) -> bool:
    return org.is_verified and is_org_member(user, org)


def can_edit_case(user, case) -> bool:
    S = _case_statuses()
    if can_curate(user):
        return case.status != S.ARCHIVED
    return is_case_unit_member(user, case) and case.status in (S.DRAFT, S.RETURNED, S.SUBMITTED, S.PUBLISHED)


def is_case_deleter(user, case) -> bool:
    """Who deletes cases of the case's unit at all: the unit's admin and curators (editors never).
    Whether this case may be deleted is decided by can_delete_case."""
    return can_curate(user) or is_org_admin(user, case.org)


def can_take_case_step(user, case, action: str) -> bool:
    """Who takes a workflow step (portal.cases.services.WORKFLOW), whatever the case's state:
    curators, or members of the case's unit."""
    from portal.cases.services import WORKFLOW

    who = WORKFLOW[action][2]
    return can_curate(user) if who == "curator" else is_case_unit_member(user, case)


def can_transition_case(user, case, action: str) -> bool:
    """The workflow button for ``action`` ("submit", "publish" ...): the case is in one of the
    step's source states and ``user`` takes the step."""
    from portal.cases.services import WORKFLOW

    return action in WORKFLOW and case.status in WORKFLOW[action][0] and can_take_case_step(user, case, action)


def can_delete_case(user, case) -> bool:
    """A deleter (see is_case_deleter), and only a case that may be deleted at all: a draft or
    returned case that was never published and holds nothing written by others (the rule and its
    messages are portal.cases.services.deletion_refusal). Everything else is archived, not deleted."""
    if not is_case_deleter(user, case):
        return False
    from portal.cases.services import may_be_deleted

    return may_be_deleted(case)


def can_see_case_timeline(user, case) -> bool:
    return can_curate(user) or is_case_unit_member(user, case)


def can_see_case_contact(user) -> bool:
    return _authenticated(user)


# Expert commentary and review assignments (portal.reviews) ------------------------------

def can_edit_expert_comment(user, comment) -> bool:
    """Experts edit their own comment while they hold the reviewer role."""
    return is_active_expert(user) and comment.author_id == user.id


def can_delete_expert_comment(user, comment) -> bool:
    return is_platform_admin(user)


def can_see_expert_comment_revisions(user, comment) -> bool:
    return is_platform_admin(user) or (_authenticated(user) and comment.author_id == user.id)


def can_respond_to_expert_comment(user, comment) -> bool:
    """A member (admin or editor) of the publishing unit answers once, on a published case."""
    return (comment.response is None and comment.case.status == _case_statuses().PUBLISHED
            and is_case_unit_member(user, comment.case))


def can_edit_reviewer_profile(user, profile) -> bool:
    """The expert edits their own public profile; platform admins edit anyone's."""
    return is_platform_admin(user) or (is_active_expert(user) and profile.user_id == user.id)


def can_manage_rubric(user) -> bool:
    return is_platform_admin(user)


# Review assignments and internal reviews (portal.reviews.assignments).

def _reviewing_statuses():
    S = _case_statuses()
    return (S.SUBMITTED, S.IN_REVIEW)


def review_assignment_of(user, case):
    """The user's active (not cancelled) review assignment on ``case``, or None."""
    if not is_active_expert(user) or case is None or case.id is None:
        return None
    from sqlalchemy import select

    from portal.extensions import db
    from portal.reviews.models import AssignmentStatus, ReviewAssignment

    return db.session.scalar(select(ReviewAssignment).where(
        ReviewAssignment.case_id == case.id, ReviewAssignment.reviewer_id == user.id,
        ReviewAssignment.status != AssignmentStatus.CANCELLED))


def is_assigned_reviewer(user, case) -> bool:
    """An active reviewer whose assignment on the case has not been cancelled."""
    return review_assignment_of(user, case) is not None


def can_assign_reviewers(user, case) -> bool:
    """Curators assign reviewers to a submitted or in-review case."""
    return can_curate(user) and case.status in _reviewing_statuses()


def can_cancel_review_assignment(user, assignment) -> bool:
    """Curators cancel an assignment that is not cancelled yet."""
    from portal.reviews.models import AssignmentStatus

    return can_curate(user) and assignment.status != AssignmentStatus.CANCELLED


def can_write_internal_review(user, case) -> bool:
    """The assigned reviewer, while the case is submitted or in review."""
    return case.status in _reviewing_statuses() and is_assigned_reviewer(user, case)


def can_see_internal_reviews(user, case) -> bool:
    """Curators and the unit see every internal review; a reviewer sees only their own."""
    return can_curate(user) or is_case_unit_member(user, case)


def can_see_review_queue(user) -> bool:
    return is_active_expert(user) or can_curate(user)


def is_unit_hidden_from(user, case) -> bool:
    """Blind review: the unit's name is hidden from this reviewer while the case is unpublished
    (curators and the unit's own members always see it)."""
    if case.status == _case_statuses().PUBLISHED or can_curate(user) or is_case_unit_member(user, case):
        return False
    assignment = review_assignment_of(user, case)
    return bool(assignment and assignment.hide_unit)



# Discussion, moderation and adoption reports (portal.discussion, portal.adoptions) -----------
# Time-dependent limits (edit window) come from the app config, read lazily.

def _comment_statuses():
    from portal.discussion.models import CommentStatus

    return CommentStatus


def can_comment(user, case) -> bool:
    """Any logged-in user may discuss a published case."""
    return _authenticated(user) and case.status == _case_statuses().PUBLISHED


def is_comment_author(user, comment) -> bool:
    return _authenticated(user) and comment.author_id == user.id


def can_moderate(user) -> bool:
    """Platform admins run the moderation queue."""
    return is_platform_admin(user)


#: What a moderator may do to a comment (portal.discussion.services.moderate).
MODERATION_ACTIONS = ("hide", "restore", "delete")


def can_moderate_comment(user, comment, action: str) -> bool:
    """Whether a moderator may ``action`` ("hide", "restore" or "delete") ``comment``: the queue
    offers these buttons and the service accepts these actions. Not on a deleted comment; not
    "hide" on a comment a moderator already hid (unless new reports came in); not "restore" on
    a visible comment without open reports (there is nothing to restore)."""
    S = _comment_statuses()
    if not can_moderate(user) or action not in MODERATION_ACTIONS or comment.status == S.DELETED:
        return False
    pending = any(report.is_open for report in comment.reports)
    if action == "hide":
        return not (comment.status == S.HIDDEN and comment.moderation_note and not pending)
    if action == "restore":
        return not (comment.status == S.VISIBLE and not pending)
    return True


def can_see_comment_body(user, comment) -> bool:
    """Visible comments are public; held ones are seen by their author and moderators; hidden
    ones by moderators (and the author, who is told why); deleted ones by nobody in the thread."""
    S = _comment_statuses()
    if comment.status == S.VISIBLE:
        return True
    if comment.status in (S.HELD, S.HIDDEN):
        return can_moderate(user) or is_comment_author(user, comment)
    return False


def can_edit_comment(user, comment) -> bool:
    """The author, within the edit window, while the comment is visible or held."""
    from datetime import timedelta

    from flask import current_app

    from portal.models_base import utcnow

    S = _comment_statuses()
    if not is_comment_author(user, comment) or comment.status not in (S.VISIBLE, S.HELD):
        return False
    window = timedelta(minutes=current_app.config.get("COMMENT_EDIT_MINUTES", 30))
    return utcnow() - comment.created_at <= window


def can_delete_comment(user, comment) -> bool:
    """Authors delete their own comments (moderators delete through the queue, with a reason)."""
    return is_comment_author(user, comment) and comment.status != _comment_statuses().DELETED


def can_reply_comment(user, comment) -> bool:
    return can_comment(user, comment.case) and comment.status == _comment_statuses().VISIBLE


def can_judge_answers(user, case) -> bool:
    """Who marks replies under ``case`` as 有帮助的回答: the case's unit (its admins and editors)
    and platform admins."""
    return is_case_unit_member(user, case) or is_platform_admin(user)


def can_mark_helpful(user, comment) -> bool:
    """The 有帮助的回答 button on a reply (marking it or taking the mark back): a visible reply
    (not a top-level comment: that is the question) on a published case, for can_judge_answers.
    A thread may have several helpful answers."""
    return (comment.parent_id is not None and comment.status == _comment_statuses().VISIBLE
            and comment.case.status == _case_statuses().PUBLISHED and can_judge_answers(user, comment.case))


def can_report_comment(user, comment) -> bool:
    """Anyone logged in, except the author, may report a visible comment."""
    return (_authenticated(user) and not is_comment_author(user, comment)
            and comment.status == _comment_statuses().VISIBLE)


def adoption_units(user, case) -> list:
    """The verified units of ``user`` that may report adopting ``case`` (not the publishing unit)."""
    if not _authenticated(user) or case.status != _case_statuses().PUBLISHED:
        return []
    return [m.org for m in user.memberships if m.org.is_verified and m.org_id != case.org_id]


def can_report_adoption(user, case) -> bool:
    """A member of a verified unit other than the case's own records that its unit used the case."""
    return bool(adoption_units(user, case))



# Notifications and follows (portal.notifications) ----------------------------------------

def can_see_notification(user, notification) -> bool:
    """A notification is its recipient's alone: nobody else (not even an admin) opens it."""
    return _authenticated(user) and notification.user_id == user.id


def can_follow(user) -> bool:
    return _authenticated(user)


# Calls for cases (portal.calls) ----------------------------------------------------------

def can_manage_calls(user) -> bool:
    """Platform admins draft and announce calls, assign reviewers, decide and publish results."""
    return is_platform_admin(user)


# Sessions (portal.sessions) -------------------------------------------------------------

def can_manage_sessions(user) -> bool:
    """Platform admins create and edit events, series and sessions, their people, running
    order and materials, and close sessions."""
    return is_platform_admin(user)


def is_platform_member(user) -> bool:
    """A "member" (for members-only session materials): a logged-in user who belongs to any
    verified unit, or a platform admin, or an active expert (is_active_expert)."""
    if not _authenticated(user):
        return False
    return user.is_admin or is_active_expert(user) or any(m.org.status == OrgStatus.VERIFIED for m in user.memberships)


def can_view_session_material(user, material) -> bool:
    """Public materials are for everyone; members-only ones for members (see is_platform_member)."""
    return not material.members_only or is_platform_member(user)


# Registration, calendar files and case proposals (portal.sessions.participation).

def is_session_registrant(user, session) -> bool:
    """Registered for the session or on its waiting list (not cancelled)."""
    if not _authenticated(user) or session.id is None:
        return False
    from sqlalchemy import select

    from portal.extensions import db
    from portal.sessions.models import Registration, RegistrationStatus

    return db.session.scalar(select(Registration.id).where(
        Registration.session_id == session.id, Registration.user_id == user.id,
        Registration.status.in_((RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)))) is not None


def can_see_session_registrations(user, session) -> bool:
    """The registrants and the waiting list (names and units) are for the organizers."""
    return can_manage_sessions(user)


def can_download_session_calendar(user, session) -> bool:
    """A session's own ICS file: its registrants (waiting list included) and the organizers."""
    return can_manage_sessions(user) or is_session_registrant(user, session)


def session_proposal_units(user) -> list:
    """The verified units of which ``user`` is a member (admin or editor): they may propose
    their own published cases for an upcoming session."""
    if not _authenticated(user):
        return []
    return [m.org for m in user.memberships if m.org.status == OrgStatus.VERIFIED]


def can_propose_case(user, session) -> bool:
    """Members of a verified unit, for a planned session that has not started."""
    from portal.models_base import utcnow

    return (bool(session_proposal_units(user)) and session.status == "planned"
            and session.starts_at > utcnow())


def can_offer_case_to_sessions(user, case) -> bool:
    """The "推荐到分享会" entry on a case page: members of its (verified) unit, once it is published."""
    return (case.status == _case_statuses().PUBLISHED and case.org.status == OrgStatus.VERIFIED
            and is_case_unit_member(user, case))


def can_decide_case_proposal(user, proposal) -> bool:
    """The organizers accept or decline a pending proposal."""
    return can_manage_sessions(user) and proposal.status == "pending"


#: Exposed to every template as ``can.<name>(current_user, obj)``: every predicate above.
# Exports (portal.exports) ---------------------------------------------------------------------

def can_export_case_list(user) -> bool:
    """The library's list as a spreadsheet, with the page's filters: platform admins."""
    return is_platform_admin(user)


def can_export_unit_cases(user, org: Organization) -> bool:
    """A unit's own cases in every state (drafts included): its admins and platform admins."""
    return is_org_admin(user, org) or is_platform_admin(user)


TEMPLATE_PREDICATES = {
    name: value
    for name, value in dict(globals()).items()
    if callable(value) and name.startswith(("is_", "can_")) and getattr(value, "__module__", "") == __name__
}
