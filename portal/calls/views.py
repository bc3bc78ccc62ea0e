"""Calls for cases (案例征集与评选): public pages, the units' entries, the reviewers' scoring and
the admins' review desk. Views are thin: the rules live in portal.calls.services."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.calls import (
    models,  # noqa: F401 - registers the tables
    services,
)
from portal.calls.forms import (
    AssignForm,
    CallForm,
    ConflictForm,
    DecisionForm,
    EntryForm,
    PublishForm,
    ReplaceForm,
    SessionPickForm,
    score_form,
)
from portal.cases.models import SECTIONS, Theme
from portal.extensions import db
from portal.forms import ActionForm
from portal.timezones import utc_to_shanghai
from portal.web import FAILED, form_page, run_action, run_form_action

bp = Blueprint("calls", __name__)


@bp.record_once
def _add_to_case_page(state):
    from portal.cases import page as case_page

    def build(case, user, listed):
        awards = services.case_awards([case.id]).get(case.id) if case.is_published and listed else None
        return {"case_awards": awards} if awards else None

    case_page.register_panel(state.app, "calls", order=5, template="calls/_case_panel.html", build=build,
                             summary="calls/_case_summary.html", has=services.case_has_entries)


@bp.route("/calls")
def index():
    calls = services.visible_calls(current_user)
    return render_template("calls/index.html", calls=calls, counts=services.entry_counts(c.id for c in calls),
                           state=services.state, labels=services.STATE_LABELS,
                           can_manage=services.may_manage(current_user))


def _form_choices():
    from portal.sessions.models import SessionStatus, SharingSession

    themes = db.session.scalars(select(Theme).order_by(Theme.position, Theme.id))
    sessions = db.session.scalars(select(SharingSession).where(SharingSession.status == SessionStatus.PLANNED)
                                  .order_by(SharingSession.starts_at))
    return {"themes": list(themes), "sessions": list(sessions)}


@bp.route("/calls/new", methods=["GET", "POST"])
@login_required
def new():
    services.require_manager(current_user)
    form = CallForm(**_form_choices())
    return form_page(form, lambda: services.save_call(current_user, None, form.data_for_service()),
                     _("征集草稿已保存。检查无误后点击“发布征集”。"),
                     lambda call: url_for("calls.show", call_id=call.id), "calls/form.html", call=None)


@bp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
@login_required
def edit(call_id: int):
    services.require_manager(current_user)
    call = services.get_call(current_user, call_id)
    choices = _form_choices()
    choices["sessions"] = list(dict.fromkeys([*call.sessions, *choices["sessions"]]))
    form = CallForm(**choices, data=None if request.method == "POST" else {
        "title": call.title, "description": call.description, "opens_at": utc_to_shanghai(call.opens_at),
        "closes_at": utc_to_shanghai(call.closes_at), "review_due_on": call.review_due_on,
        "themes": [t.id for t in call.themes], "org_types": services.org_types(call),
        "provinces": services.provinces(call), "required_sections": services.required_sections(call),
        "min_attachments": call.min_attachments, "max_entries_per_unit": call.max_entries_per_unit,
        "reviewers_per_entry": call.reviewers_per_entry, "blind": call.blind, "disagreement": call.disagreement,
        "dimensions": services.dimensions_text(call), "levels": services.levels_text(call),
        "sessions": [s.id for s in call.sessions]})
    return form_page(form, lambda: services.save_call(current_user, call, form.data_for_service()),
                     _("征集已保存。"), lambda c: url_for("calls.show", call_id=c.id), "calls/form.html", call=call)


@bp.route("/calls/<int:call_id>/announce", methods=["POST"])
@login_required
def announce(call_id: int):
    call = services.get_call(current_user, call_id)
    services.require_manager(current_user)
    if ActionForm().validate_on_submit():
        run_action(lambda: services.announce(current_user, call), _("征集已发布，关注相关主题的用户会收到通知。"))
    return redirect(url_for("calls.show", call_id=call.id))


@bp.route("/calls/<int:call_id>")
def show(call_id: int):
    call = services.get_call(current_user, call_id)
    mine = services.unit_entries(current_user, call)
    units = services.eligible_units(current_user, call)
    current = services.state(call)
    replace_choices = {}
    if current == services.State.OPEN and mine:
        cases = services.enterable_cases(current_user, call)
        replace_choices = {e.id: [c for c in cases if c.org_id == e.org_id] for e in mine}
    return render_template(
        "calls/show.html", call=call, state=current, labels=services.STATE_LABELS,
        count=len(services.active_entries(call)), mine=mine, units=units, entry_status=services.entry_status,
        who=services.who_may_enter(call), required_sections=services.required_sections(call),
        can_manage=services.may_manage(current_user), replace_choices=replace_choices, section_labels=SECTIONS,
        reviewing=bool(getattr(current_user, "is_authenticated", False)
                       and services.my_assignments(current_user, call)),
        form=ActionForm() if current_user.is_authenticated else None)


@bp.route("/calls/<int:call_id>/enter", methods=["GET", "POST"])
@login_required
def enter(call_id: int):
    call = services.get_call(current_user, call_id)
    services.require_eligible(current_user, call)
    cases = services.enterable_cases(current_user, call)
    problems = {c.id: services.entry_problems(call, c) for c in cases}
    form = EntryForm(cases=[c for c in cases if not problems[c.id]])
    return form_page(form, lambda: services.enter(current_user, call, form.case_id.data, form.presenter.data),
                     _("参评案例已提交。截止前可以撤回或替换。"),
                     lambda entry: url_for("calls.show", call_id=call.id, _anchor="mine"), "calls/enter.html",
                     call=call, not_ready=[c for c in cases if problems[c.id]], problems=problems, refusal=services.time_refusal(call))


@bp.route("/calls/<int:call_id>/entries/<int:entry_id>/withdraw", methods=["POST"])
@login_required
def withdraw(call_id: int, entry_id: int):
    call = services.get_call(current_user, call_id)
    entry = services.get_entry(call, entry_id)
    if ActionForm().validate_on_submit():
        run_action(lambda: services.withdraw(current_user, entry), _("参评案例已撤回。"))
    return redirect(url_for("calls.show", call_id=call.id, _anchor="mine"))


@bp.route("/calls/<int:call_id>/entries/<int:entry_id>/replace", methods=["POST"])
@login_required
def replace(call_id: int, entry_id: int):
    call = services.get_call(current_user, call_id)
    entry = services.get_entry(call, entry_id)
    form = ReplaceForm()
    if form.validate_on_submit():
        run_action(lambda: services.replace(current_user, entry, form.case_id.data), _("参评案例已替换。"))
    else:
        flash(_("请选择要换成的案例。"), "error")
    return redirect(url_for("calls.show", call_id=call.id, _anchor="mine"))


# The admins' desk ----------------------------------------------------------------------------------

@bp.route("/calls/<int:call_id>/manage")
@login_required
def manage(call_id: int):
    call = services.get_call(current_user, call_id)
    services.require_manager(current_user)
    rows = services.aggregate(call) if services.state(call) in (services.State.REVIEWING,
                                                                services.State.CLOSED) else []
    return render_template(
        "calls/manage.html", call=call, state=services.state(call), labels=services.STATE_LABELS, rows=rows,
        entries=services.active_entries(call), progress=services.progress(call),
        options=services.reviewer_options(call),
        missing=services.missing_scores(call) if rows else [], form=ActionForm(), publish_form=PublishForm(),
        session_form=SessionPickForm())


def _back(call_id: int, anchor: str = "entries"):
    return redirect(url_for("calls.manage", call_id=call_id, _anchor=anchor))


@bp.route("/calls/<int:call_id>/assign", methods=["POST"])
@login_required
def assign_all(call_id: int):
    call = services.get_call(current_user, call_id)
    services.require_manager(current_user)
    if ActionForm().validate_on_submit():
        outcome = {}

        def run():
            outcome["added"], outcome["short"] = services.assign_automatically(current_user, call)

        if run_action(run, _("已自动分配评审任务。")) and outcome["short"]:
            flash(_("以下案例可选的专家不足，请手动补充：%(t)s", t="、".join(outcome["short"][:5])), "error")
    return _back(call.id)


@bp.route("/calls/<int:call_id>/entries/<int:entry_id>/assign", methods=["POST"])
@login_required
def assign_one(call_id: int, entry_id: int):
    call = services.get_call(current_user, call_id)
    services.require_manager(current_user)
    entry = services.get_entry(call, entry_id)
    form = AssignForm()
    if form.validate_on_submit():
        run_action(lambda: services.assign(current_user, entry, form.reviewer_id.data), _("已安排专家。"))
    return _back(call.id)


@bp.route("/calls/assignments/<int:assignment_id>/remove", methods=["POST"])
@login_required
def unassign(assignment_id: int):
    services.require_manager(current_user)
    assignment = services.get_assignment(assignment_id)
    call_id = assignment.entry.call_id
    if ActionForm().validate_on_submit():
        run_action(lambda: services.unassign(current_user, assignment), _("已取消该评审任务。"))
    return _back(call_id)


@bp.route("/calls/<int:call_id>/remind", methods=["POST"])
@login_required
def remind(call_id: int):
    call = services.get_call(current_user, call_id)
    services.require_manager(current_user)
    if ActionForm().validate_on_submit():
        run_action(lambda: services.remind_reviewers(current_user, call), _("已提醒尚未完成评分的专家。"))
    return _back(call.id, "progress")


@bp.route("/calls/<int:call_id>/entries/<int:entry_id>/decide", methods=["POST"])
@login_required
def decide(call_id: int, entry_id: int):
    call = services.get_call(current_user, call_id)
    services.require_manager(current_user)
    entry = services.get_entry(call, entry_id)
    form = DecisionForm()
    if form.validate_on_submit():
        run_action(lambda: services.decide(current_user, entry, shortlisted=bool(form.shortlisted.data),
                                           level_id=form.level_id.data or None, reason=form.reason.data),
                   _("决定已保存，并记入操作日志。"))
    return _back(call.id, f"entry-{entry.id}")


@bp.route("/calls/<int:call_id>/to-session", methods=["POST"])
@login_required
def to_session(call_id: int):
    call = services.get_call(current_user, call_id)
    services.require_manager(current_user)
    form = SessionPickForm()
    if form.validate_on_submit():
        run_action(lambda: services.shortlist_to_session(current_user, call, form.session_id.data),
                   _("入围案例已列入分享会议程，参评单位已收到通知。"))
    return _back(call.id, "shortlist")


@bp.route("/calls/<int:call_id>/results/publish", methods=["POST"])
@login_required
def publish(call_id: int):
    call = services.get_call(current_user, call_id)
    services.require_manager(current_user)
    form = PublishForm()
    if form.validate_on_submit() and run_action(
            lambda: services.publish_results(current_user, call, form.override.data or ""), _("评选结果已公布。")):
        return redirect(url_for("calls.results", call_id=call.id))
    return _back(call.id, "publish")


@bp.route("/calls/<int:call_id>/results")
def results(call_id: int):
    call = services.get_call(current_user, call_id)
    services.require_results(current_user, call)
    from portal.reviews import services as reviews

    awarded = services.results(call)
    comments = {e.case_id: reviews.case_comments(e.case) for group in awarded for e in group.entries}
    return render_template("calls/results.html", call=call, awarded=awarded, comments=comments)


@bp.route("/calls/<int:call_id>/certificates/<int:entry_id>.pdf")
@login_required
def certificate(call_id: int, entry_id: int):
    from flask import Response

    call = services.get_call(current_user, call_id)
    entry = services.get_entry(call, entry_id)
    services.require_certificate(current_user, entry)
    response = Response(services.certificate_pdf(entry), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"attachment; filename=certificate-{call.id}-{entry.id}.pdf"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Reviewers ------------------------------------------------------------------------------------------

@bp.route("/calls/<int:call_id>/review")
@login_required
def review(call_id: int):
    call = services.get_call(current_user, call_id)
    assignments = services.require_assignments(current_user, call)
    return render_template("calls/review.html", call=call, assignments=assignments,
                           state=services.state(call), labels=services.STATE_LABELS)


@bp.route("/calls/assignments/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def score(assignment_id: int):
    assignment = services.get_assignment(assignment_id)
    services.require_own_assignment(current_user, assignment)
    entry = assignment.entry
    call = entry.call
    form = score_form(call, assignment)  # a POST's own values win over the saved ones
    if form.validate_on_submit():
        result = run_form_action(form, lambda: services.score(current_user, assignment, form.scores(),
                                                              form.note.data), _("评分已保存。"))
        if result is not FAILED:
            return redirect(url_for("calls.review", call_id=call.id))
    return render_template("calls/score.html", call=call, entry=entry, case=entry.case, assignment=assignment,
                           form=form, conflict_form=ConflictForm(), state=services.state(call), sections=SECTIONS,
                           open_for_scoring=services.state(call) == services.State.REVIEWING), \
        422 if form.errors else 200


@bp.route("/calls/assignments/<int:assignment_id>/conflict", methods=["POST"])
@login_required
def conflict(assignment_id: int):
    assignment = services.get_assignment(assignment_id)
    call_id = assignment.entry.call_id
    form = ConflictForm()
    if form.validate_on_submit() and run_action(
            lambda: services.declare_conflict(current_user, assignment, form.note.data),
            _("已申报利益冲突并退出该案例的评审，管理员会另行安排。")):
        return redirect(url_for("calls.show", call_id=call_id))
    return redirect(url_for("calls.score", assignment_id=assignment_id))
