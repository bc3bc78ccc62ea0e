"""Review assignments, internal reviews and the 待点评 queue."""
from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.cases import page as case_page
from portal.cases import services as case_services
from portal.reviews import assignments as services
from portal.reviews.assignment_forms import AssignReviewerForm, InternalReviewForm
from portal.web import FAILED, run_action, run_form_action

bp = Blueprint("assignments", __name__)


@bp.record_once
def _add_to_case_page(state):
    case_page.register_panel(state.app, "review-assignments", order=20, template="reviews/_assignments_panel.html",
                             build=lambda case, user: services.case_panel(user, case))


@bp.route("/review/queue")
@login_required
def queue():
    return render_template("reviews/queue.html", **services.queue_context(current_user))


def _case_page(case, **failed_forms):
    """The case page again, with the refused form showing what was typed and why it was refused."""
    return case_page.render_case_page(case, forms={"review-assignments": failed_forms}), 422


@bp.route("/cases/<int:case_id>/assignments", methods=["POST"])
@login_required
def assign(case_id: int):
    case = case_services.get_visible_case(current_user, case_id)
    services.require_assigner(current_user)
    form = AssignReviewerForm(reviewers=services.assignable_reviewers(case))
    if form.validate_on_submit():
        result = run_form_action(form, lambda: services.assign_reviewer(
            current_user, case, form.reviewer_id.data, form.due_on.data,
            hide_unit=form.hide_unit.data, hide_reviewer=form.hide_reviewer.data), _("已指派点评专家，并已通知对方。"))
        if result is not FAILED:
            return redirect(url_for("cases.show", case_id=case.id) + "#review-assignments")
    return _case_page(case, assign_form=form)


@bp.route("/cases/<int:case_id>/assignments/<int:assignment_id>/cancel", methods=["POST"])
@login_required
def cancel(case_id: int, assignment_id: int):
    case = case_services.get_visible_case(current_user, case_id)
    services.require_assigner(current_user)
    assignment = services.get_assignment(case, assignment_id)
    run_action(lambda: services.cancel_assignment(current_user, assignment), _("已取消该点评指派。"))
    return redirect(url_for("cases.show", case_id=case.id) + "#review-assignments")


@bp.route("/cases/<int:case_id>/internal-review", methods=["POST"])
@login_required
def internal_review(case_id: int):
    case = services.case_for_review(current_user, case_id)
    services.require_assigned(current_user, case)
    form = InternalReviewForm()
    if form.validate_on_submit():
        result = run_form_action(form, lambda: services.save_internal_review(
            current_user, case, form.recommendation.data or "", form.body.data or "", form.reasons.data or ""),
            _("内部评审意见已保存。审核人和发布单位可以看到。"))
        if result is not FAILED:
            return redirect(url_for("cases.show", case_id=case.id) + "#internal-review")
    return _case_page(case, internal_review_form=form)
