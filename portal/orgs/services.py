"""Member units: applications, verification, membership and invitations."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.admin import audit
from portal.auth.models import User
from portal.auth.services import _external_url, get_user_by_email, normalize_email
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.mail import send_mail
from portal.models_base import left_out, new_token, paginate, utcnow
from portal.orgs import creditcode
from portal.orgs.models import Invitation, Membership, Organization, OrgRole, OrgStatus, OrgType
from portal.regions import PROVINCES


@dataclass
class OrgData:
    """The fields a user fills in when applying for (or editing) an organization."""

    name: str
    org_type: str
    province: str
    city: str
    contact_name: str
    credit_code: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    introduction: str = ""


def _validate(data: OrgData, existing: Organization | None = None) -> OrgData:
    data.name = data.name.strip()
    data.city = data.city.strip()
    data.contact_name = data.contact_name.strip()
    if not data.name:
        raise ValidationError(_("请填写单位名称。"), "name")
    if len(data.name) > 100:
        raise ValidationError(_("单位名称不能超过 100 个字符。"), "name")
    if data.org_type not in {t.value for t in OrgType}:
        raise ValidationError(_("请选择有效的单位类型。"), "org_type")
    if data.province not in PROVINCES:
        raise ValidationError(_("请选择有效的省级行政区。"), "province")
    if not data.city:
        raise ValidationError(_("请填写所在城市。"), "city")
    if not data.contact_name:
        raise ValidationError(_("请填写联系人。"), "contact_name")
    code = creditcode.normalize(data.credit_code)
    if code and not creditcode.is_valid(code):
        raise ValidationError(_("统一社会信用代码无效：应为 18 位，且校验位正确（GB 32100-2015）。"), "credit_code")
    data.credit_code = code
    clash = db.session.scalar(select(Organization).where(func.lower(Organization.name) == data.name.lower()))
    if clash is not None and clash is not existing:
        raise ValidationError(_("已有同名单位，请确认是否已注册。"), "name")
    if code:
        clash = db.session.scalar(select(Organization).where(Organization.credit_code == code))
        if clash is not None and clash is not existing:
            raise ValidationError(_("该统一社会信用代码已被其他单位使用。"), "credit_code")
    return data


def _apply_fields(org: Organization, data: OrgData) -> None:
    org.name = data.name
    org.org_type = data.org_type
    org.province = data.province
    org.city = data.city
    org.credit_code = data.credit_code or None
    org.contact_name = data.contact_name
    org.contact_phone = data.contact_phone.strip()
    org.contact_email = normalize_email(data.contact_email)
    org.introduction = data.introduction.strip()


def apply_for_org(user: User, data: OrgData) -> Organization:
    """A logged-in user asks to register a unit; they become its admin once verified."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("请先登录。"))
    data = _validate(data)
    org = Organization(status=OrgStatus.PENDING, applicant=user)
    _apply_fields(org, data)
    org.memberships.append(Membership(user=user, role=OrgRole.ADMIN))
    db.session.add(org)
    db.session.flush()
    return org


def require_org_editor(actor: User, org: Organization) -> None:
    """403 unless ``actor`` may edit the unit's details (the edit page and the update)."""
    if not permissions.can_edit_org(actor, org):
        raise PermissionDenied(_("您无权编辑该单位的资料。"))


def update_org(actor: User, org: Organization, data: OrgData) -> None:
    require_org_editor(actor, org)
    data = _validate(data, existing=org)
    _apply_fields(org, data)
    if org.status == OrgStatus.REJECTED:
        # A corrected application goes back into the queue.
        org.status = OrgStatus.PENDING


def create_verified_org(name: str, province: str, org_type: str, admin: User, city: str = "") -> Organization:
    """CLI: a verified unit with ``admin`` as its administrator."""
    data = _validate(OrgData(name=name, org_type=org_type, province=province, city=city or province,
                             contact_name=admin.display_name, contact_email=admin.email))
    org = Organization(status=OrgStatus.VERIFIED, applicant=admin, reviewed_at=utcnow())
    _apply_fields(org, data)
    org.memberships.append(Membership(user=admin, role=OrgRole.ADMIN))
    db.session.add(org)
    db.session.flush()
    audit.record(None, "org.create", org, org.name)
    return org


def review_org(actor: User, org: Organization, approve: bool, reason: str = "") -> None:
    """Verify or reject an application; a rejection needs a reason the applicant will see."""
    if not permissions.can_review_orgs(actor):
        raise PermissionDenied(_("只有平台管理员可以审核单位。"))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError(_("驳回时必须填写原因，申请人会看到它。"), "reason")
    org.status = OrgStatus.VERIFIED if approve else OrgStatus.REJECTED
    org.review_reason = reason
    org.reviewed_by = actor
    org.reviewed_at = utcnow()
    audit.record(actor, "org.verify" if approve else "org.reject", org, f"{org.name} {reason}".strip())
    if org.applicant is not None:
        if approve:
            body = _("您申请注册的单位“%(name)s”已通过认证。现在可以邀请同事加入并发布案例。", name=org.name)
        else:
            body = _("您申请注册的单位“%(name)s”未通过认证。原因：%(reason)s\n修改资料后可重新提交。",
                     name=org.name, reason=reason)
        send_mail(org.applicant.email, _("单位认证结果：%(name)s", name=org.name), body)


def list_orgs(status: str = OrgStatus.VERIFIED, province: str = "", query: str = "", page: int = 1, per_page: int = 30,
              *, applicants: bool = False):
    stmt = select(Organization).where(Organization.status == status)
    if province:
        stmt = stmt.where(Organization.province == province)
    if query:
        stmt = stmt.where(Organization.name.contains(query.strip()))
    stmt = stmt.order_by(Organization.created_at.desc(), Organization.id.desc())
    # A row shows the unit's name, type and place (``applicants``: and who applied), never its introduction.
    options = (*left_out(Organization.introduction), *([selectinload(Organization.applicant)] if applicants else []))
    return paginate(stmt, page=page, per_page=per_page, options=options, count_by=Organization.id)


def get_visible_org(user, org_id: int, *, members: bool = False) -> Organization:
    """Load an organization the user may see; 404 otherwise so pending ones do not leak.
    ``members``: with its members' accounts (the members page), one query for all."""
    options = [selectinload(Organization.memberships).joinedload(Membership.user)] if members else None
    org = db.session.get(Organization, org_id, options=options)
    if org is None or not permissions.can_view_org(user, org):
        raise NotFound(_("未找到该单位。"))
    return org


# Members ------------------------------------------------------------------------

def require_member_manager(actor: User, org: Organization) -> None:
    """403 unless ``actor`` manages the unit's members (the members page and every member action)."""
    if not permissions.can_manage_members(actor, org):
        raise PermissionDenied(_("只有本单位管理员可以管理成员。"))


def _check_role(role: str) -> str:
    if role not in {r.value for r in OrgRole}:
        raise ValidationError(_("无效的成员角色。"), "role")
    return role


def invite_member(actor: User, org: Organization, email: str, role: str) -> Invitation:
    require_member_manager(actor, org)
    email = normalize_email(email)
    _check_role(role)
    existing_user = get_user_by_email(email)
    if existing_user is not None and existing_user.membership_in(org.id):
        raise ValidationError(_("该用户已是本单位成员。"), "email")
    pending = db.session.scalar(
        select(Invitation).where(Invitation.org_id == org.id, Invitation.email == email,
                                 Invitation.accepted_at.is_(None))
    )
    if pending is not None:
        pending.role = role
        pending.created_at = utcnow()
        invitation = pending
    else:
        invitation = Invitation(org=org, email=email, role=role, token=new_token(24), invited_by=actor)
        db.session.add(invitation)
    db.session.flush()
    link = _external_url("orgs.invitation", token=invitation.token)
    send_mail(
        email,
        _("邀请您加入“%(org)s”", org=org.name),
        _("%(who)s 邀请您以“%(role)s”身份加入社区治理案例共享平台上的“%(org)s”。\n"
          "请用本邮箱注册或登录后打开以下链接接受邀请：\n\n%(link)s",
          who=actor.display_name, role=role_label(role), org=org.name, link=link),
    )
    return invitation


def role_label(role: str) -> str:
    return {OrgRole.ADMIN: _("管理员"), OrgRole.EDITOR: _("编辑")}.get(role, role)


def get_invitation(token: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token == token))
    max_age = timedelta(days=current_app.config["INVITATION_MAX_AGE_DAYS"])
    if invitation is None or invitation.accepted_at is not None or invitation.created_at + max_age < utcnow():
        raise NotFound(_("邀请链接无效、已被使用或已过期。"))
    return invitation


def pending_invitations_for(user: User) -> list[Invitation]:
    max_age = timedelta(days=current_app.config["INVITATION_MAX_AGE_DAYS"])
    return list(db.session.scalars(
        select(Invitation).where(Invitation.email == user.email, Invitation.accepted_at.is_(None),
                                 Invitation.created_at > utcnow() - max_age)
    ))


def accept_invitation(user: User, invitation: Invitation) -> Membership:
    if normalize_email(user.email) != invitation.email:
        raise PermissionDenied(_("该邀请发给了另一个邮箱（%(email)s），请用该邮箱的账号登录。", email=invitation.email))
    invitation.accepted_at = utcnow()
    membership = user.membership_in(invitation.org_id)
    if membership is None:
        membership = Membership(org=invitation.org, user=user, role=invitation.role)
        db.session.add(membership)
    return membership


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    require_member_manager(actor, invitation.org)
    db.session.delete(invitation)


def _admin_count(org: Organization) -> int:
    return sum(1 for m in org.memberships if m.role == OrgRole.ADMIN)


def change_member_role(actor: User, membership: Membership, role: str) -> None:
    require_member_manager(actor, membership.org)
    _check_role(role)
    if membership.role == OrgRole.ADMIN and role != OrgRole.ADMIN and _admin_count(membership.org) == 1:
        raise ValidationError(_("单位至少需要一位管理员：请先指定另一位管理员。"), "role")
    membership.role = role


def remove_member(actor: User, membership: Membership) -> None:
    """Org admins remove members; any member may leave, except the last admin."""
    org = membership.org
    leaving_self = getattr(actor, "id", None) == membership.user_id
    if not leaving_self:
        require_member_manager(actor, org)
    if membership.role == OrgRole.ADMIN and _admin_count(org) == 1:
        raise ValidationError(_("不能移除单位的最后一位管理员：请先指定另一位管理员。"))
    org.memberships.remove(membership)
    db.session.delete(membership)


def get_membership(org: Organization, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.org_id != org.id:
        raise NotFound(_("未找到该成员。"))
    return membership
