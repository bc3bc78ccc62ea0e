"""Business rules for review assignments and internal reviews.

A curator (platform admin) assigns reviewers to a submitted or in-review case; each assigned
reviewer sees the unpublished case, finds it in the 待点评 queue and posts one internal review
(recommendation + Markdown text, reasons for "return" and "reject") that only curators and the
unit read. Two options per assignment: ``hide_unit`` (blind review: the reviewer never sees the
unit's name) and ``hide_reviewer`` (the unit sees "匿名专家" instead of the reviewer's name).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import permissions, timezones
from portal.admin import audit
from portal.auth.models import User
from portal.cases.models import Case, CaseStatus
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.forms import ActionForm
from portal.models_base import loader_options, utcnow
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.reviews.assignment_forms import RECOMMENDATION_LABELS, AssignReviewerForm, InternalReviewForm
from portal.reviews.models import AssignmentStatus, InternalReview, Recommendation, ReviewAssignment
from portal.urls import site_path

MAX_BODY = 20000
MAX_REASONS = 5000
REVIEWING = (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW)
STATUS_LABELS = {AssignmentStatus.PENDING: _l("待点评"), AssignmentStatus.REVIEWED: _l("已提交意见"),
                 AssignmentStatus.CANCELLED: _l("已取消")}


def today() -> date:
    """Today in the platform's time zone (due dates are calendar days there)."""
    return timezones.today()


def is_overdue(assignment: ReviewAssignment) -> bool:
    return (assignment.status == AssignmentStatus.PENDING and assignment.due_on is not None
            and assignment.due_on < today())


def reviewer_label(viewer, assignment: ReviewAssignment) -> str:
    """The reviewer's name as ``viewer`` may see it: "匿名专家" for the unit when hidden."""
    if assignment.hide_reviewer and not permissions.can_curate(viewer) \
            and getattr(viewer, "id", None) != assignment.reviewer_id:
        return _("匿名专家")
    return assignment.reviewer.display_name


def unit_label(viewer, assignment: ReviewAssignment) -> str:
    """The unit's name as ``viewer`` may see it (hidden from a blind reviewer)."""
    if assignment.hide_unit and getattr(viewer, "id", None) == assignment.reviewer_id \
            and not permissions.can_curate(viewer) and not permissions.is_case_unit_member(viewer, assignment.case):
        return _("（单位名称已隐去）")
    return assignment.case.org.name


# Loading ----------------------------------------------------------------------------------------

@loader_options
def _row_options() -> tuple:
    """What a review row shows, one query per kind: the case (without its section text) and its
    unit, the reviewer and the internal review."""
    from portal.cases.services import card_options

    return (selectinload(ReviewAssignment.case).options(*card_options(themes=False, strict=False)),
            selectinload(ReviewAssignment.reviewer), selectinload(ReviewAssignment.review))


def active_reviewers() -> list[User]:
    return list(db.session.scalars(
        select(User).where(permissions.active_expert_clause()).order_by(User.display_name, User.id)))


def assignments_for_case(case: Case) -> list[ReviewAssignment]:
    return list(db.session.scalars(select(ReviewAssignment).where(ReviewAssignment.case_id == case.id)
                                   .options(selectinload(ReviewAssignment.reviewer),
                                            selectinload(ReviewAssignment.review))
                                   .order_by(ReviewAssignment.created_at, ReviewAssignment.id)))


def assignable_reviewers(case: Case) -> list[User]:
    """Active reviewers who are not yet (actively) assigned and do not belong to the unit."""
    taken = {a.reviewer_id for a in assignments_for_case(case) if a.status != AssignmentStatus.CANCELLED}
    return [u for u in active_reviewers()
            if u.id not in taken and not permissions.is_case_unit_member(u, case)]


def get_assignment(case: Case, assignment_id: int) -> ReviewAssignment:
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or assignment.case_id != case.id:
        raise NotFound(_("未找到该点评指派。"))
    return assignment


def case_for_review(user, case_id: int) -> Case:
    """The case an internal review is posted on. A reviewer whose assignment was cancelled is
    told so (403); anyone else who may not see the case gets the usual 404."""
    case = db.session.get(Case, case_id)
    if case is not None and permissions.is_active_expert(user):
        own = db.session.scalar(select(ReviewAssignment).where(
            ReviewAssignment.case_id == case.id, ReviewAssignment.reviewer_id == user.id))
        if own is not None and own.status == AssignmentStatus.CANCELLED:
            raise PermissionDenied(_("您对该案例的点评指派已被取消，不能再提交内部评审意见。"))
    if case is None or not permissions.can_view_case(user, case):
        raise NotFound(_("未找到该案例。"))
    return case


# Assigning ----------------------------------------------------------------------------------------

def require_assigner(actor) -> None:
    if not permissions.can_curate(actor):
        raise PermissionDenied(_("只有平台管理员（审核人）可以指派或取消点评专家。"))


def assign_reviewer(actor, case: Case, reviewer_id: int | None, due_on: date | None = None, *,
                    hide_unit: bool = False, hide_reviewer: bool = False) -> ReviewAssignment:
    require_assigner(actor)
    if case.status not in REVIEWING:
        raise ValidationError(_("只有已提交或审核中的案例可以指派点评专家。"))
    reviewer = db.session.get(User, reviewer_id) if reviewer_id else None
    if reviewer is None:
        raise ValidationError(_("请选择一位点评专家。"), "reviewer_id")
    if not permissions.is_active_expert(reviewer):
        raise ValidationError(_("“%(n)s”不是在册的点评专家，不能指派。", n=reviewer.display_name), "reviewer_id")
    if permissions.is_case_unit_member(reviewer, case):
        raise ValidationError(_("“%(n)s”是发布单位的成员，不能点评本单位的案例。", n=reviewer.display_name),
                              "reviewer_id")
    if due_on is not None and due_on < today():
        raise ValidationError(_("截止日期不能早于今天。"), "due_on")
    assignment = db.session.scalar(select(ReviewAssignment).where(
        ReviewAssignment.case_id == case.id, ReviewAssignment.reviewer_id == reviewer.id))
    if assignment is not None and assignment.status != AssignmentStatus.CANCELLED:
        raise ValidationError(_("“%(n)s”已被指派点评该案例，不能重复指派。", n=reviewer.display_name), "reviewer_id")
    if assignment is None:
        assignment = ReviewAssignment(case_id=case.id, reviewer=reviewer)
        db.session.add(assignment)
    # A cancelled assignment is taken up again (one row per case and reviewer).
    assignment.status = AssignmentStatus.REVIEWED if assignment.review else AssignmentStatus.PENDING
    assignment.assigned_by = actor if isinstance(actor, User) else None
    assignment.due_on = due_on
    assignment.hide_unit = bool(hide_unit)
    assignment.hide_reviewer = bool(hide_reviewer)
    assignment.case = case
    db.session.flush()
    options = [label for flag, label in ((hide_unit, "隐藏单位"), (hide_reviewer, "隐藏专家")) if flag]
    audit.record(actor, "review.assign", case,
                 f"{reviewer.display_name} → {case.title}" + (f"（{'、'.join(options)}）" if options else ""))
    _tell_reviewer_assigned(actor, assignment)
    return assignment


def _case_line(assignment: ReviewAssignment) -> str:
    """How a message to the reviewer names the case: with the unit unless the review is blind."""
    case = assignment.case
    if assignment.hide_unit:
        return _("案例《%(t)s》", t=case.title)
    return _("%(o)s的案例《%(t)s》", o=case.org.name, t=case.title)


def _tell_reviewer_assigned(actor, assignment: ReviewAssignment) -> None:
    case = assignment.case
    text = _("您被指派点评%(c)s。", c=_case_line(assignment))
    lines = [text]
    if assignment.due_on:
        lines.append(_("请在 %(d)s 前提交内部评审意见。", d=assignment.due_on.isoformat()))
    lines.append(_("在“待点评”页面可以看到所有指派给您的案例。"))
    if assignment.hide_unit:
        lines.append(_("本次为匿名评审：案例的发布单位不向您显示。"))
    notify([assignment.reviewer], Kind.REVIEW_ASSIGNMENT, text, site_path("cases.show", case_id=case.id),
           actor=actor, email_subject=_("点评指派：%(t)s", t=case.title), email_body="\n".join(lines))


def cancel_assignment(actor, assignment: ReviewAssignment) -> None:
    require_assigner(actor)
    if not permissions.can_cancel_review_assignment(actor, assignment):
        raise ValidationError(_("该点评指派已经取消。"))
    assignment.status = AssignmentStatus.CANCELLED
    audit.record(actor, "review.cancel", assignment.case,
                 f"{assignment.reviewer.display_name} → {assignment.case.title}")
    notify([assignment.reviewer], Kind.REVIEW_ASSIGNMENT,
           _("对%(c)s的点评指派已取消。", c=_case_line(assignment)), site_path("assignments.queue"), actor=actor)


# Internal reviews -------------------------------------------------------------------------------------

def require_assigned(actor, case: Case) -> ReviewAssignment:
    assignment = permissions.review_assignment_of(actor, case)
    if assignment is None:
        raise PermissionDenied(_("只有被指派点评该案例的专家可以提交内部评审意见。"))
    return assignment


def save_internal_review(actor, case: Case, recommendation: str, body: str, reasons: str = "") -> InternalReview:
    """Post or edit the reviewer's internal review while the case is submitted or in review."""
    assignment = require_assigned(actor, case)
    if case.status not in REVIEWING:
        raise ValidationError(_("案例已不在审核中（当前状态：%(s)s），内部评审意见不能再提交或修改。",
                                s=_(_case_status_label(case.status))))
    if recommendation not in {r.value for r in Recommendation}:
        raise ValidationError(_("请选择评审建议：建议发布、建议退回修改或建议不予发布。"), "recommendation")
    body = (body or "").strip()
    reasons = (reasons or "").strip()
    if not body:
        raise ValidationError(_("请填写评审意见。"), "body")
    if len(body) > MAX_BODY:
        raise ValidationError(_("评审意见不能超过 %(n)d 个字符。", n=MAX_BODY), "body")
    if recommendation != Recommendation.PUBLISH and not reasons:
        raise ValidationError(_("建议退回修改或不予发布时，必须写明理由。"), "reasons")
    if len(reasons) > MAX_REASONS:
        raise ValidationError(_("理由不能超过 %(n)d 个字符。", n=MAX_REASONS), "reasons")
    review = assignment.review
    first = review is None
    if first:
        review = InternalReview(assignment=assignment, recommendation=recommendation, body=body, reasons=reasons)
        db.session.add(review)
    else:
        review.recommendation, review.body, review.reasons = recommendation, body, reasons
        review.updated_at = utcnow()
    assignment.status = AssignmentStatus.REVIEWED
    db.session.flush()
    if first:
        _tell_unit_reviewed(actor, assignment)
    return review


def _case_status_label(status: str) -> str:
    from portal.cases.services import STATUS_LABELS as CASE_STATUS_LABELS

    return CASE_STATUS_LABELS.get(status, status)


def _tell_unit_reviewed(actor, assignment: ReviewAssignment) -> None:
    """The unit learns that an internal review arrived, with "匿名专家" when the reviewer is hidden."""
    case = assignment.case
    name = _("匿名专家") if assignment.hide_reviewer else assignment.reviewer.display_name
    text = _("%(n)s对本单位案例《%(t)s》提交了内部评审意见。", n=name, t=case.title)
    members = [m.user for m in case.org.memberships]
    notify(members, Kind.CASE_WORKFLOW, text, site_path("cases.show", case_id=case.id) + "#internal-reviews",
           actor=actor)


# The case page and the queue ---------------------------------------------------------------------------

@dataclass
class ReviewRow:
    """One internal review (or pending assignment) as a given viewer may see it."""

    assignment: ReviewAssignment
    review: InternalReview | None
    reviewer_name: str
    unit_name: str
    overdue: bool


def _rows(viewer, assignments: list[ReviewAssignment]) -> list[ReviewRow]:
    return [ReviewRow(a, a.review, reviewer_label(viewer, a), unit_label(viewer, a), is_overdue(a))
            for a in assignments]


def case_panel(user, case) -> dict:
    """Template variables for the case page (review assignments and internal reviews)."""
    out: dict = {"recommendation_labels": RECOMMENDATION_LABELS, "assignment_status_labels": STATUS_LABELS}
    if not getattr(user, "is_authenticated", False):
        return out
    assignments = None
    if permissions.can_curate(user):
        assignments = assignments_for_case(case)
        out["curator_assignments"] = _rows(user, assignments)
        out["assignment_cancel_form"] = ActionForm(formdata=None)
        if permissions.can_assign_reviewers(user, case):
            out["assign_form"] = AssignReviewerForm(formdata=None, reviewers=assignable_reviewers(case))
    elif permissions.is_case_unit_member(user, case):
        assignments = [a for a in assignments_for_case(case)
                       if a.status != AssignmentStatus.CANCELLED and a.review is not None]
        out["unit_internal_reviews"] = _rows(user, assignments)
    mine = permissions.review_assignment_of(user, case)
    if mine is not None:
        out["my_assignment"] = _rows(user, [mine])[0]
        if permissions.can_write_internal_review(user, case):
            out["internal_review_form"] = InternalReviewForm(formdata=None, obj=mine.review)
    return out


def reviewer_queue(user) -> list[ReviewRow]:
    """The reviewer's pending and reviewed assignments, pending first, then by due date."""
    assignments = list(db.session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.reviewer_id == user.id,
                                       ReviewAssignment.status != AssignmentStatus.CANCELLED)
        .options(*_row_options())
        .order_by(ReviewAssignment.created_at.desc(), ReviewAssignment.id.desc())))
    rows = _rows(user, assignments)
    rows.sort(key=lambda r: (r.assignment.status != AssignmentStatus.PENDING,
                             r.assignment.due_on or date.max))
    return rows


def open_assignments() -> list[ReviewAssignment]:
    """For curators: every active assignment on a case that is still submitted or in review."""
    return list(db.session.scalars(
        select(ReviewAssignment).join(Case, ReviewAssignment.case_id == Case.id)
        .where(ReviewAssignment.status != AssignmentStatus.CANCELLED, Case.status.in_(REVIEWING))
        .options(*_row_options())
        .order_by(Case.submitted_at.asc().nullslast(), Case.id, ReviewAssignment.id)))


def queue_context(user) -> dict:
    if not permissions.can_see_review_queue(user):
        raise PermissionDenied(_("只有点评专家和平台管理员可以查看待点评队列。"))
    out: dict = {"mine": reviewer_queue(user) if permissions.is_active_expert(user) else None,
                 "overview": None, "status_labels": STATUS_LABELS,
                 "recommendation_labels": RECOMMENDATION_LABELS}
    if permissions.can_curate(user):
        out["overview"] = _rows(user, open_assignments())
    return out
