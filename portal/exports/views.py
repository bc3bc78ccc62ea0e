"""Export downloads: /cases/export.<csv|xlsx> (with the list's filters), a unit's cases and a
session's registrations. Personal data: never cached (private, no-store)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, request
from flask_login import current_user, login_required

from portal.cases.services import CaseFilters
from portal.exports import services, tables
from portal.models_base import utcnow
from portal.orgs.services import get_visible_org
from portal.timezones import utc_to_shanghai

bp = Blueprint("exports", __name__)

FORMATS = {
    "csv": ("text/csv; charset=utf-8", tables.to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", tables.to_xlsx),
}


def _download(table: tables.Table, name: str, fmt: str) -> Response:
    mimetype, write = FORMATS[fmt]
    stamp = utc_to_shanghai(utcnow()).strftime("%Y%m%d-%H%M")
    filename = f"{name}-{stamp}.{fmt}"
    response = Response(write(table), content_type=mimetype)
    # RFC 6266: an ASCII fallback for old clients, the Chinese name for the others.
    response.headers["Content-Disposition"] = (f"attachment; filename=\"export-{stamp}.{fmt}\"; "
                                               f"filename*=UTF-8''{quote(filename)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        abort(404)
    return fmt


@bp.route("/cases/export.<fmt>")
@login_required
def case_list(fmt: str):
    fmt = _format(fmt)
    return _download(services.case_list(current_user, CaseFilters.from_args(request.args)), "案例列表", fmt)


@bp.route("/orgs/<int:org_id>/cases/export.<fmt>")
@login_required
def unit_cases(org_id: int, fmt: str):
    fmt = _format(fmt)
    org = get_visible_org(current_user, org_id)
    return _download(services.unit_cases(current_user, org), f"{org.name}-案例", fmt)


@bp.route("/sessions/<int:session_id>/registrations/export.<fmt>")
@login_required
def registrations(session_id: int, fmt: str):
    from portal.sessions.participation import get_session

    fmt = _format(fmt)
    sharing = get_session(session_id)
    return _download(services.registrations(current_user, sharing), f"报名名单-{sharing.id}", fmt)
