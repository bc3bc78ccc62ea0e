from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.extensions import db
from portal.forms import ActionForm
from portal.orgs import services
from portal.orgs.forms import InviteForm, OrgForm, RoleForm
from portal.prepared import prepared_statements
from portal.regions import PROVINCES
from portal.urls import query_int
from portal.web import FAILED, run_form_action
from portal.web import run_action as _run

bp = Blueprint("orgs", __name__, url_prefix="/orgs")


def _org_data(form: OrgForm) -> services.OrgData:
    return services.OrgData(**{name: (form[name].data or "") for name in services.OrgData.__dataclass_fields__})


@bp.route("/")
def index():
    page = request.args.get("page", 1, type=query_int)
    province = request.args.get("province", "")
    query = request.args.get("q", "").strip()[:100]
    orgs = services.list_orgs(province=province if province in PROVINCES else "", query=query, page=page)
    return render_template("orgs/index.html", orgs=orgs, province=province, query=query, provinces=PROVINCES)


@bp.route("/mine")
@login_required
def mine():
    invitations = services.pending_invitations_for(current_user)
    applications = [m.org for m in current_user.memberships]
    return render_template("orgs/mine.html", memberships=current_user.memberships,
                           invitations=invitations, applications=applications, action_form=ActionForm())


@bp.route("/apply", methods=["GET", "POST"])
@login_required
def apply():
    form = OrgForm()
    if form.validate_on_submit():
        org = run_form_action(form, lambda: services.apply_for_org(current_user, _org_data(form)),
                              _("申请已提交，平台管理员审核后会通知您。"))
        if org is not FAILED:
            return redirect(url_for(".show", org_id=org.id))
    return render_template("orgs/form.html", form=form, org=None), 422 if form.errors else 200


@bp.route("/<int:org_id>")
@prepared_statements
def show(org_id: int):
    from portal.cases.services import org_published_cases

    org = services.get_visible_org(current_user, org_id)
    return render_template("orgs/show.html", org=org, cases=org_published_cases(org))


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int):
    org = services.get_visible_org(current_user, org_id)
    services.require_org_editor(current_user, org)
    form = OrgForm(obj=org)
    if form.validate_on_submit():
        if run_form_action(form, lambda: services.update_org(current_user, org, _org_data(form)),
                           _("单位资料已保存。")) is not FAILED:
            return redirect(url_for(".show", org_id=org.id))
    return render_template("orgs/form.html", form=form, org=org), 422 if form.errors else 200


@bp.route("/<int:org_id>/members")
@login_required
def members(org_id: int):
    org = services.get_visible_org(current_user, org_id, members=True)
    services.require_member_manager(current_user, org)
    return render_template("orgs/members.html", org=org, invite_form=InviteForm(), action_form=ActionForm(),
                           role_label=services.role_label)


@bp.route("/<int:org_id>/members/invite", methods=["POST"])
@login_required
def invite(org_id: int):
    org = services.get_visible_org(current_user, org_id)
    services.require_member_manager(current_user, org)
    form = InviteForm()
    if form.validate_on_submit():
        invitation = run_form_action(
            form, lambda: services.invite_member(current_user, org, form.email.data, form.role.data),
            _("已向 %(email)s 发送邀请。", email=services.normalize_email(form.email.data)))
        if invitation is not FAILED:
            return redirect(url_for(".members", org_id=org.id))
    return render_template("orgs/members.html", org=org, invite_form=form, action_form=ActionForm(),
                           role_label=services.role_label), 422


@bp.route("/<int:org_id>/members/<int:membership_id>/role", methods=["POST"])
@login_required
def change_role(org_id: int, membership_id: int):
    org = services.get_visible_org(current_user, org_id)
    membership = services.get_membership(org, membership_id)
    services.require_member_manager(current_user, org)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("无效的成员角色。"), "error")
        return redirect(url_for(".members", org_id=org.id))
    _run(lambda: services.change_member_role(current_user, membership, form.role.data), _("成员角色已更新。"))
    return redirect(url_for(".members", org_id=org.id))


@bp.route("/<int:org_id>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove(org_id: int, membership_id: int):
    org = services.get_visible_org(current_user, org_id)
    membership = services.get_membership(org, membership_id)
    leaving = membership.user_id == current_user.id
    ok = _run(lambda: services.remove_member(current_user, membership),
              _("您已退出该单位。") if leaving else _("已移除该成员。"))
    if ok and leaving:
        return redirect(url_for(".mine"))
    return redirect(url_for(".members", org_id=org.id))


@bp.route("/<int:org_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(org_id: int, invitation_id: int):
    org = services.get_visible_org(current_user, org_id)
    invitation = next((i for i in org.invitations if i.id == invitation_id and i.accepted_at is None), None)
    if invitation is None:
        flash(_("未找到该邀请。"), "error")
    else:
        _run(lambda: services.revoke_invitation(current_user, invitation), _("邀请已撤销。"))
    return redirect(url_for(".members", org_id=org.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def invitation(token: str):
    invitation = services.get_invitation(token)
    form = ActionForm()
    if form.validate_on_submit():
        services.accept_invitation(current_user, invitation)
        db.session.commit()
        flash(_("您已加入“%(org)s”。", org=invitation.org.name), "success")
        return redirect(url_for(".show", org_id=invitation.org_id))
    return render_template("orgs/invitation.html", invitation=invitation, form=form,
                           role_label=services.role_label)

