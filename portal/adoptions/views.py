"""Adoption reports (借鉴反馈)."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.adoptions import (
    models,  # noqa: F401 - registers the tables
    services,
)
from portal.adoptions.forms import AdoptionForm
from portal.adoptions.models import AdoptionReport
from portal.cases import page as case_page
from portal.extensions import db
from portal.urls import query_int
from portal.web import FAILED, run_action, run_form_action

bp = Blueprint("adoptions", __name__)


@bp.record_once
def _add_to_case_page(state):
    case_page.register_panel(state.app, "adoptions", order=40, template="adoptions/_case_panel.html",
                             build=lambda case, user, listed: services.case_panel(user, case, listed=listed),
                             anchor="adoptions", toc=lambda c: _("借鉴反馈") if c["adoption_shown"] else None,
                             summary="adoptions/_case_summary.html", has=services.case_has_reports)


@bp.route("/cases/<int:case_id>/adoption", methods=["GET", "POST"])
@login_required
def report(case_id: int):
    case = services.get_published_case(case_id)
    units = services.require_eligible(current_user, case)
    chosen = request.args.get("org", type=query_int) or units[0].id
    existing = services.unit_report(case, chosen) if chosen in {o.id for o in units} else None
    form = AdoptionForm(obj=existing, units=units)
    if request.method == "GET":
        form.org_id.data = chosen
    if form.validate_on_submit():
        data = services.AdoptionData(org_id=form.org_id.data, kind=form.kind.data, place=form.place.data,
                                     changes=form.changes.data, results=form.results.data)
        result = run_form_action(form, lambda: services.save_report(current_user, case, data),
                                 _("借鉴反馈已保存，感谢分享本单位的实践。"))
        if result is not FAILED:
            return redirect(url_for("cases.show", case_id=case.id, _anchor="adoptions"))
    return render_template("adoptions/form.html", case=case, form=form, units=units, existing=existing,
                           reports={r.org_id: r for r in services.case_reports(case)}), 422 if form.errors else 200


@bp.route("/adoptions/<int:report_id>/delete", methods=["POST"])
@login_required
def delete(report_id: int):
    report = db.session.get(AdoptionReport, report_id)
    if report is None:
        abort(404)
    case_id = report.case_id
    run_action(lambda: services.delete_report(current_user, report), _("借鉴反馈已删除。"))
    return redirect(url_for("cases.show", case_id=case_id, _anchor="adoptions"))
