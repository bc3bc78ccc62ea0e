from flask import Blueprint, current_app, redirect, render_template, request
from sqlalchemy import func, select

from portal.extensions import db
from portal.orgs.models import Organization, OrgStatus
from portal.urls import safe_next_url

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    org_count = db.session.scalar(
        select(func.count()).select_from(Organization).where(Organization.status == OrgStatus.VERIFIED)
    )
    provinces = db.session.scalar(
        select(func.count(func.distinct(Organization.province))).where(Organization.status == OrgStatus.VERIFIED)
    )
    recent_orgs = db.session.scalars(
        select(Organization).where(Organization.status == OrgStatus.VERIFIED)
        .order_by(Organization.reviewed_at.desc(), Organization.id.desc()).limit(6)
    ).all()
    return render_template("main/index.html", org_count=org_count, provinces=provinces, recent_orgs=recent_orgs)


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
