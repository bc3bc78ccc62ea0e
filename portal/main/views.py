from flask import Blueprint, Response, current_app, redirect, render_template, request
from flask_login import current_user

from portal.forms import ActionForm, LazyForm
from portal.main import services
from portal.prepared import prepared_statements
from portal.urls import safe_next_url

bp = Blueprint("main", __name__)

#: What search engines leave alone: administration, log-in and account pages, personal
#: notifications and review queues, and the JSON API (its documentation page excepted).
ROBOTS_DISALLOW = ("/admin/", "/auth/", "/api/", "/notifications", "/review/", "/compilations/build")


@bp.route("/")
@prepared_statements
def index():
    return render_template("main/index.html", home=services.home_page_data(current_user),
                           action_form=LazyForm(ActionForm))


@bp.route("/robots.txt")
def robots():
    # The API's documentation page is for people; the first matching line decides (an Allow
    # before the Disallow it narrows, which both the first-match and the longest-match readers honour).
    lines = ["User-agent: *", "Allow: /api/v1/docs", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /"]
    if any(rule.rule == "/sitemap.xml" for rule in current_app.url_map.iter_rules()):
        lines += ["", f"Sitemap: {request.host_url}sitemap.xml"]
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = 24 * 3600
    return response


@bp.route("/about")
def about():
    return render_template("main/about.html")


@bp.route("/language/<code>", methods=["GET", "POST"])
def set_language(code: str):
    """The footer's language links (GET; POST from pages rendered before they were links)."""
    target = safe_next_url(request.values.get("next")) or "/"
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
