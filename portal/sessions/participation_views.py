"""Registration (报名), calendar files and case proposals for sharing sessions."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal import permissions
from portal.cases import page as case_page
from portal.errors import ValidationError
from portal.extensions import db
from portal.sessions import participation as services
from portal.sessions.models import RegistrationStatus
from portal.sessions.participation_forms import DeclineForm, ProposalForm
from portal.urls import query_int
from portal.web import FAILED, run_action, run_form_action

bp = Blueprint("participation", __name__)

ICS_TYPE = "text/calendar; charset=utf-8"


@bp.record_once
def _add_to_case_page(state):
    case_page.register_action(state.app, "offer-to-sessions", order=10, build=_offer_case_action)


def _offer_case_action(case, user) -> case_page.CaseAction | None:
    """"推荐到分享会" in the case page header."""
    if not permissions.can_offer_case_to_sessions(user, case):
        return None
    return case_page.CaseAction(_("推荐到分享会"), url_for("participation.offer_case", case_id=case.id))


def _session_url(sharing, anchor: str = "participation") -> str:
    return url_for("sessions.show", session_id=sharing.id, _anchor=anchor)


@bp.route("/sessions/<int:session_id>/register", methods=["POST"])
@login_required
def register(session_id: int):
    sharing = services.get_session(session_id)
    try:
        registration = services.register(current_user, sharing)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        waitlisted = registration.status == RegistrationStatus.WAITLISTED
        db.session.commit()
        if waitlisted:
            flash(_("名额已满，您已进入候补名单。有人取消报名时会按顺序递补，并通知您。"), "info")
        else:
            flash(_("报名成功。可以下载日历文件，把分享会加入您的日程。"), "success")
    return redirect(_session_url(sharing))


@bp.route("/sessions/<int:session_id>/register/cancel", methods=["POST"])
@login_required
def cancel(session_id: int):
    sharing = services.get_session(session_id)
    run_action(lambda: services.cancel(current_user, sharing), _("已取消报名。"))
    return redirect(_session_url(sharing))


def _ics(body: bytes, filename: str, attachment: bool = True) -> Response:
    response = Response(body, content_type=ICS_TYPE)
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store" if attachment else "public, max-age=900"
    return response


# url_for() builds the first rule registered, i.e. the lower decorator: /sessions/<id>.ics.
@bp.route("/sessions/<int:session_id>/calendar.ics")
@bp.route("/sessions/<int:session_id>.ics")
@login_required
def calendar(session_id: int):
    sharing = services.get_session(session_id)
    return _ics(services.session_calendar(current_user, sharing), f"session-{sharing.id}.ics")


@bp.route("/sessions/upcoming.ics")
def upcoming_calendar():
    return _ics(services.upcoming_calendar(), "upcoming-sessions.ics", attachment=False)


@bp.route("/sessions/<int:session_id>/proposals/new", methods=["GET", "POST"])
@login_required
def propose(session_id: int):
    sharing = services.get_session(session_id)
    try:
        services.require_may_propose(current_user, sharing)
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(_session_url(sharing, "proposals"))
    cases = services.proposable_cases(current_user, sharing)
    form = ProposalForm(cases=cases)
    if not form.is_submitted():  # /sessions/<id>/proposals/new?case=<case id> preselects a case
        form.case_id.data = request.args.get("case", type=query_int)
    if form.validate_on_submit():
        data = services.ProposalData(case_id=form.case_id.data, presenter=form.presenter.data, note=form.note.data)
        result = run_form_action(form, lambda: services.propose(current_user, sharing, data),
                                 _("已推荐。平台管理员处理后会通知本单位成员。"))
        if result is not FAILED:
            return redirect(_session_url(sharing, "proposals"))
    return render_template("sessions/proposal_form.html", sharing=sharing, form=form, cases=cases,
                           own=services.unit_proposals(current_user, sharing),
                           proposal_labels=services.PROPOSAL_LABELS,
                           back_url=_session_url(sharing, "proposals")), 422 if form.errors else 200


@bp.route("/cases/<int:case_id>/sessions")
@login_required
def offer_case(case_id: int):
    from portal.cases.services import get_visible_case

    case = get_visible_case(current_user, case_id)
    return render_template("sessions/proposal_sessions.html", case=case,
                           sessions=services.sessions_open_to(current_user, case),
                           proposal_labels=services.PROPOSAL_LABELS)


@bp.route("/sessions/proposals/<int:proposal_id>/accept", methods=["POST"])
@login_required
def accept(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    sharing = proposal.session
    run_action(lambda: services.accept_proposal(current_user, proposal),
               _("已接受推荐，案例已加入议程末尾。可以在议程中调整顺序。"))
    return redirect(_session_url(sharing, "proposals"))


@bp.route("/sessions/proposals/<int:proposal_id>/decline", methods=["POST"])
@login_required
def decline(proposal_id: int):
    proposal = services.get_proposal(proposal_id)
    sharing = proposal.session
    form = DeclineForm()
    if form.validate_on_submit():
        run_action(lambda: services.decline_proposal(current_user, proposal, form.reason.data),
                   _("已婉拒该推荐，并通知了推荐单位。"))
    else:
        # Permission first: someone who may not decide is told so, whatever they typed.
        services.require_decider(current_user, proposal)
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(_session_url(sharing, "proposals"))
