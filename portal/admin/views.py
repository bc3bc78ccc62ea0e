from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal import permissions
from portal.admin import audit, services
from portal.admin.forms import GrantReviewerForm, RejectOrgForm
from portal.auth.models import User
from portal.cases.models import case_themes
from portal.errors import PermissionDenied
from portal.extensions import db
from portal.forms import ActionForm
from portal.orgs import services as org_services
from portal.orgs.models import Organization, OrgStatus
from portal.urls import query_int
from portal.web import FAILED, run_action, run_form_action

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    if not permissions.can_administer(current_user):
        raise PermissionDenied(_("只有平台管理员可以访问管理后台。"))


@bp.route("/")
def index():
    counts = dict(db.session.execute(select(Organization.status, func.count()).group_by(Organization.status)).all())
    users = db.session.scalar(select(func.count()).select_from(User))
    entries = audit.recent_entries(per_page=10)
    return render_template("admin/index.html", counts=counts, users=users, entries=entries,
                           labels=audit.ACTION_LABELS, targets=audit.resolve_targets(entries.items))


@bp.route("/users")
def users():
    query = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    page = request.args.get("page", 1, type=query_int)
    result = services.search_users(current_user, query, role, page)
    return render_template("admin/users.html", users=result, query=query, role=role)


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>")
def user(user_id: int):
    target = _get_user(user_id)
    form = GrantReviewerForm(obj=target.reviewer_profile)
    return render_template("admin/user.html", target=target, reviewer_form=form, action_form=ActionForm())


@bp.route("/users/<int:user_id>/admin", methods=["POST"])
def toggle_admin(user_id: int):
    target = _get_user(user_id)
    grant = request.form.get("grant") == "1"
    run_action(lambda: services.set_admin(current_user, target, grant),
               _("已授予平台管理员权限。") if grant else _("已撤销平台管理员权限。"))
    return redirect(url_for(".user", user_id=user_id))


@bp.route("/users/<int:user_id>/reviewer", methods=["POST"])
def grant_reviewer(user_id: int):
    target = _get_user(user_id)
    form = GrantReviewerForm()
    if not form.validate_on_submit():
        return render_template("admin/user.html", target=target, reviewer_form=form, action_form=ActionForm()), 422
    run_action(lambda: services.grant_reviewer(current_user, target, title=form.title.data,
                                               affiliation=form.affiliation.data, expertise=form.expertise.data,
                                               bio=form.bio.data),
               _("专家资料已保存，该用户现为点评专家。"))
    return redirect(url_for(".user", user_id=user_id))


@bp.route("/users/<int:user_id>/reviewer/revoke", methods=["POST"])
def revoke_reviewer(user_id: int):
    target = _get_user(user_id)
    run_action(lambda: services.revoke_reviewer(current_user, target), _("已撤销点评专家身份。"))
    return redirect(url_for(".user", user_id=user_id))


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
def toggle_disabled(user_id: int):
    target = _get_user(user_id)
    disable = request.form.get("disable") == "1"
    run_action(lambda: services.set_disabled(current_user, target, disable, request.form.get("reason", "")[:200]),
               _("账号已停用。") if disable else _("账号已恢复。"))
    return redirect(url_for(".user", user_id=user_id))


@bp.route("/orgs")
def orgs():
    status = request.args.get("status", OrgStatus.PENDING)
    if status not in {s.value for s in OrgStatus}:
        status = OrgStatus.PENDING
    page = request.args.get("page", 1, type=query_int)
    result = org_services.list_orgs(status=status, query=request.args.get("q", "")[:100], page=page, applicants=True)
    counts = dict(db.session.execute(select(Organization.status, func.count()).group_by(Organization.status)).all())
    return render_template("admin/orgs.html", orgs=result, status=status, counts=counts)


@bp.route("/orgs/<int:org_id>", methods=["GET", "POST"])
def org(org_id: int):
    target = db.session.get(Organization, org_id) or abort(404)
    reject_form = RejectOrgForm()
    if request.method == "POST":
        approve = request.form.get("decision") == "verify"
        if approve or reject_form.validate_on_submit():
            run_action(lambda: org_services.review_org(current_user, target, approve, reject_form.reason.data or ""),
                       _("已通过“%(name)s”的认证。", name=target.name) if approve
                       else _("已驳回“%(name)s”的申请。", name=target.name))
            return redirect(url_for(".orgs", status=OrgStatus.PENDING))
        flash(_("驳回时必须填写原因。"), "error")
    return render_template("admin/org.html", org=target, reject_form=reject_form, action_form=ActionForm()), (
        422 if reject_form.errors else 200)


@bp.route("/audit")
def audit_log():
    page = request.args.get("page", 1, type=query_int)
    prefix = request.args.get("action", "")
    prefix = prefix if prefix in audit.FILTERS else ""
    entries = audit.recent_entries(prefix or None, page=page)
    return render_template("admin/audit.html", entries=entries, labels=audit.ACTION_LABELS, prefix=prefix,
                           filters=audit.FILTERS, targets=audit.resolve_targets(entries.items))


@bp.route("/themes", methods=["GET", "POST"])
def themes():
    from portal.cases import services as case_services
    from portal.cases.forms import ThemeForm

    form = ThemeForm()
    if form.validate_on_submit():
        if run_form_action(form, lambda: case_services.add_theme(current_user, form.name.data,
                                                                 form.description.data or ""),
                           _("主题已添加。")) is not FAILED:
            return redirect(url_for(".themes"))
    counts = dict(db.session.execute(select(case_themes.c.theme_id, func.count()).group_by(case_themes.c.theme_id)).all())
    return render_template("admin/themes.html", themes=case_services.all_themes(), form=form, counts=counts,
                           action_form=ActionForm()), 422 if form.errors else 200


@bp.route("/themes/<int:theme_id>", methods=["POST"])
def update_theme(theme_id: int):
    from portal.cases import services as case_services
    from portal.cases.models import Theme

    theme = db.session.get(Theme, theme_id) or abort(404)
    if "retired" in request.form:
        retired = request.form["retired"] == "1"
        run_action(lambda: case_services.set_theme_retired(current_user, theme, retired),
                   _("主题已停用：旧案例保留该主题，新案例不能再选择。") if retired else _("主题已恢复。"))
    else:
        run_action(lambda: case_services.rename_theme(current_user, theme, request.form.get("name", "")),
                   _("主题已重命名，所有案例随之更新。"))
    return redirect(url_for(".themes"))
