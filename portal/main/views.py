from flask import Blueprint, current_app, redirect, render_template, request
from flask_login import current_user

from portal.forms import ActionForm
from portal.main import services
from portal.urls import safe_next_url

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("main/index.html", home=services.home_page_data(current_user),
                           action_form=ActionForm())


@bp.route("/about")
def about():
    return render_template("main/about.html")


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    target = safe_next_url(request.form.get("next")) or "/"
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
