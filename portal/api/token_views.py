"""/account/tokens: a member's personal API tokens (create, see once, revoke)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.api import tokens
from portal.errors import ValidationError
from portal.extensions import db
from portal.forms import ActionForm
from portal.urls import query_int

bp = Blueprint("tokens", __name__)


def _page(status: int = 200, *, new_token: str | None = None, error: ValidationError | None = None, values=None):
    return render_template("api/tokens.html", tokens=tokens.tokens_of(current_user),
                           units=tokens.token_units(current_user), lifetimes=tokens.LIFETIMES,
                           new_token=new_token, error=error, values=values or {},
                           action_form=ActionForm()), status


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def index():
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(400)
        values = {"name": request.form.get("name", ""), "org_id": request.form.get("org_id", type=query_int),
                  "scope": request.form.get("scope", ""), "days": request.form.get("days", type=query_int)}
        try:
            _row, token = tokens.create_token(current_user, values["org_id"], values["name"], values["scope"],
                                              values["days"] or 0)
        except ValidationError as exc:
            db.session.rollback()
            return _page(422, error=exc, values=values)
        db.session.commit()
        # Shown in this answer only (never stored, never in a redirect or the session).
        response, status = _page(201, new_token=token)
        return response, status, {"Cache-Control": "private, no-store"}
    return _page()


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    form = ActionForm()
    if form.validate_on_submit():
        row = tokens.revoke_token(current_user, token_id)
        db.session.commit()
        flash(_("令牌“%(name)s”已撤销，使用它的程序将无法再访问。", name=row.name), "success")
    return redirect(url_for(".index"))
