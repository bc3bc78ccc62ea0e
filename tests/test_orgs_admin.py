"""Member units and platform administration, told as the stories users live through:
apply for a unit, get it verified or rejected, invite colleagues, manage roles, and the
platform admin's user management and audit log."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import AuthActions, csrf_token, mail_messages

VALID_CODES = ("91350100M000100Y43", "91110000600037341L")


def org_form(**overrides) -> dict:
    form = {"name": "贵阳市阳光社工服务中心", "org_type": "社工机构", "province": "贵州省", "city": "贵阳市",
            "contact_name": "王芳", "contact_phone": "0851-12345678", "contact_email": "wang@example.org",
            "introduction": "扎根社区十年，专注五社联动。"}
    form.update(overrides)
    return form


def login(auth, email):
    response = auth.login(email)
    assert response.status_code == 302, "login should succeed"
    return response


def page_of(response) -> str:
    return response.get_data(as_text=True)


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def in_db(app, fn):
    """Run ``fn(session)`` in a fresh app context, as a separate observer of what was saved."""
    from portal.extensions import db

    with app.app_context():
        return fn(db.session)


def org_by_name(app, name):
    from portal.orgs.models import Organization

    return in_db(app, lambda s: s.scalar(s.query(Organization).filter_by(name=name).statement))


def org_status(app, org_id) -> str:
    from portal.orgs.models import Organization

    return in_db(app, lambda s: str(s.get(Organization, org_id).status))


def membership(app, org_id, user_id):
    """(id, role) of the user's membership in the unit, or None."""
    from portal.orgs.models import Membership

    def find(s):
        m = s.scalar(s.query(Membership).filter_by(org_id=org_id, user_id=user_id).statement)
        return (m.id, str(m.role)) if m else None

    return in_db(app, find)


def org_count(app) -> int:
    from portal.orgs.models import Organization

    return in_db(app, lambda s: s.query(Organization).count())


# Applying for a unit ---------------------------------------------------------------------

def test_invalid_credit_code_is_refused_in_chinese_and_the_form_keeps_what_was_typed(client, auth, factory, app):
    factory.user("wang@example.org", "王芳")
    login(auth, "wang@example.org")
    response = client.post("/orgs/apply", data=org_form(credit_code="91350100M000100Y44"))
    page = page_of(response)
    assert response.status_code == 422
    assert "统一社会信用代码无效：应为 18 位，且校验位正确（GB 32100-2015）。" in page
    for typed in ('value="贵阳市阳光社工服务中心"', 'value="91350100M000100Y44"', 'value="王芳"',
                  'value="0851-12345678"', "扎根社区十年，专注五社联动。"):
        assert typed in page
    assert re.search(r'<option selected value="贵州省">|<option value="贵州省" selected>', page)
    assert org_count(app) == 0


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_code_is_accepted_and_the_application_waits_for_review(client, auth, factory, app, code):
    factory.user("wang@example.org", "王芳")
    login(auth, "wang@example.org")
    response = client.post("/orgs/apply", data=org_form(credit_code=code.lower()))
    assert response.status_code == 302
    org = org_by_name(app, "贵阳市阳光社工服务中心")
    assert path_of(response) == f"/orgs/{org.id}"
    assert org.credit_code == code, "stored in capitals whatever was typed"
    page = page_of(client.get(f"/orgs/{org.id}"))
    assert "申请已提交，平台管理员审核后会通知您。" in page
    assert "待审核" in page and code in page
    mine = page_of(client.get("/orgs/mine"))
    assert "贵阳市阳光社工服务中心" in mine and "管理员" in mine
    # Until verified the unit is not public.
    assert "贵阳市阳光社工服务中心" not in page_of(client.get("/orgs/"))


def test_a_second_unit_with_the_same_name_is_refused(client, auth, factory, app):
    _, email = factory.user()
    factory.org(email, name="贵阳市阳光社工服务中心")
    factory.user("li@example.org", "李雷")
    login(auth, "li@example.org")
    response = client.post("/orgs/apply", data=org_form())
    assert response.status_code == 422
    assert "已有同名单位，请确认是否已注册。" in page_of(response)
    assert org_count(app) == 1


def test_a_province_outside_the_34_is_refused(client, auth, factory, app):
    factory.user("wang@example.org")
    login(auth, "wang@example.org")
    select = re.search(r'<select[^>]*name="province".*?</select>', page_of(client.get("/orgs/apply")), re.S).group(0)
    offered = [v for v in re.findall(r'value="([^"]*)"', select) if v]
    assert len(offered) == 34 and "北京市" in offered and "澳门特别行政区" in offered
    response = client.post("/orgs/apply", data=org_form(province="火星"))
    page = page_of(response)
    assert response.status_code == 422
    assert "省级行政区：不是有效的选择。" in page
    assert "Not a valid choice" not in page
    assert org_count(app) == 0


# Review by a platform admin --------------------------------------------------------------

@pytest.fixture
def application(app, factory):
    """王芳 has applied for 贵阳市阳光社工服务中心; 平台管理员 will review it."""
    factory.user("boss@example.org", "平台管理员", admin=True)
    factory.user("wang@example.org", "王芳")
    org_id = factory.org("wang@example.org", name="贵阳市阳光社工服务中心", status="pending")
    return org_id


def test_admin_verifies_an_application_the_applicant_is_told_and_the_unit_is_public(app, client, auth, application):
    login(auth, "boss@example.org")
    queue = page_of(client.get("/admin/orgs"))
    assert "贵阳市阳光社工服务中心" in queue and "王芳" in queue
    response = client.post(f"/admin/orgs/{application}", data={"decision": "verify"})
    assert response.status_code == 302
    assert "已通过“贵阳市阳光社工服务中心”的认证。" in page_of(client.get(response.headers["Location"]))

    [message] = mail_messages(app)
    assert message["To"] == "wang@example.org"
    assert message["Subject"] == "单位认证结果：贵阳市阳光社工服务中心"
    assert "已通过认证" in message.get_content()

    visitor = app.test_client()
    assert visitor.get(f"/orgs/{application}").status_code == 200
    assert "贵阳市阳光社工服务中心" in page_of(visitor.get("/orgs/"))
    assert "贵阳市阳光社工服务中心" not in page_of(client.get("/admin/orgs?status=pending"))


def test_rejecting_without_a_reason_is_refused(app, client, auth, application):
    login(auth, "boss@example.org")
    response = client.post(f"/admin/orgs/{application}", data={"decision": "reject", "reason": "  "})
    assert response.status_code == 422
    assert "驳回时必须填写原因" in page_of(response)
    assert org_status(app, application) == "pending"
    assert mail_messages(app) == []


def test_a_rejection_reason_reaches_the_applicant(app, client, auth, application):
    login(auth, "boss@example.org")
    response = client.post(f"/admin/orgs/{application}",
                           data={"decision": "reject", "reason": "请补充民政部门登记证书编号"})
    assert response.status_code == 302
    assert org_status(app, application) == "rejected"
    [message] = mail_messages(app)
    assert message["To"] == "wang@example.org" and "请补充民政部门登记证书编号" in message.get_content()

    applicant = app.test_client()
    AuthActions(applicant).login("wang@example.org")
    mine = page_of(applicant.get("/orgs/mine"))
    assert "未通过" in mine
    assert "驳回原因：请补充民政部门登记证书编号" in mine
    # Outsiders still cannot see a rejected application.
    assert app.test_client().get(f"/orgs/{application}").status_code == 404


def test_editing_a_rejected_unit_puts_it_back_in_the_queue(app, client, auth, factory):
    factory.user("boss@example.org", "平台管理员", admin=True)
    factory.user("wang@example.org", "王芳")
    org_id = factory.org("wang@example.org", name="贵阳市阳光社工服务中心", status="pending")
    with app.app_context():
        from portal.auth.services import get_user_by_email
        from portal.extensions import db
        from portal.orgs.models import Organization
        from portal.orgs.services import review_org

        review_org(get_user_by_email("boss@example.org"), db.session.get(Organization, org_id), False, "缺少统一社会信用代码")
        db.session.commit()

    login(auth, "wang@example.org")
    edit_page = page_of(client.get(f"/orgs/{org_id}/edit"))
    assert "上次申请未通过：缺少统一社会信用代码" in edit_page
    response = client.post(f"/orgs/{org_id}/edit", data=org_form(credit_code=VALID_CODES[0]))
    assert response.status_code == 302
    assert org_status(app, org_id) == "pending"
    assert "待审核" in page_of(client.get("/orgs/mine"))

    admin = app.test_client()
    AuthActions(admin).login("boss@example.org")
    assert "贵阳市阳光社工服务中心" in page_of(admin.get("/admin/orgs?status=pending"))


# Members and invitations -----------------------------------------------------------------

@pytest.fixture
def unit(app, factory):
    """A verified unit run by 王芳 (its only admin), with 李雷 as editor."""
    ids = {}
    ids["wang"], _ = factory.user("wang@example.org", "王芳")
    ids["li"], _ = factory.user("li@example.org", "李雷")
    ids["org"] = factory.org("wang@example.org", name="贵阳市阳光社工服务中心", status="verified")
    factory.member(ids["org"], "li@example.org", "editor")
    return ids


def _invite(client, org_id, email, role="editor"):
    return client.post(f"/orgs/{org_id}/members/invite", data={"email": email, "role": role})


def _invitation_link(app) -> str:
    body = mail_messages(app)[-1].get_content()
    match = re.search(r"http://localhost(/orgs/invitations/[\w-]+)", body)
    assert match, body
    return match.group(1)


def test_org_admin_invites_a_colleague_by_email(app, client, auth, unit):
    login(auth, "wang@example.org")
    response = _invite(client, unit["org"], "Zhang@Example.org")
    assert response.status_code == 302
    members_page = page_of(client.get(response.headers["Location"]))
    assert "已向 zhang@example.org 发送邀请。" in members_page
    assert "待接受的邀请" in members_page and "zhang@example.org" in members_page

    [message] = mail_messages(app)
    assert message["To"] == "zhang@example.org"
    assert message["Subject"] == "邀请您加入“贵阳市阳光社工服务中心”"
    assert "王芳 邀请您以“编辑”身份加入" in message.get_content()
    from portal.orgs.models import Invitation

    token = in_db(app, lambda s: s.scalar(s.query(Invitation.token).statement))
    assert _invitation_link(app) == f"/orgs/invitations/{token}"


def test_the_invited_person_registers_with_that_email_and_joins(app, client, auth, unit):
    login(auth, "wang@example.org")
    _invite(client, unit["org"], "zhang@example.org")
    auth.logout()
    link = _invitation_link(app)

    newcomer = app.test_client()
    assert newcomer.get(link).status_code == 302, "must sign in first"
    newcomer.post("/auth/register", data={"email": "zhang@example.org", "display_name": "张伟",
                                          "password": "a-long-password", "confirm": "a-long-password"})
    assert "贵阳市阳光社工服务中心" in page_of(newcomer.get("/orgs/mine")), "pending invitation is listed"
    invitation_page = page_of(newcomer.get(link))
    assert "加入“贵阳市阳光社工服务中心”" in invitation_page and "接受邀请" in invitation_page
    response = newcomer.post(link)
    assert response.status_code == 302 and path_of(response) == f"/orgs/{unit['org']}"
    assert "您已加入“贵阳市阳光社工服务中心”。" in page_of(newcomer.get(response.headers["Location"]))
    mine = page_of(newcomer.get("/orgs/mine"))
    assert "贵阳市阳光社工服务中心" in mine and "编辑" in mine and "待接受的邀请" not in mine

    login(auth, "wang@example.org")
    members = page_of(client.get(f"/orgs/{unit['org']}/members"))
    assert "张伟" in members and "待接受的邀请" not in members
    assert newcomer.get(link).status_code == 404, "an accepted invitation cannot be used again"


def test_inviting_someone_who_is_already_a_member_is_refused(app, client, auth, unit):
    login(auth, "wang@example.org")
    response = _invite(client, unit["org"], "LI@example.org")
    assert response.status_code == 422
    assert "该用户已是本单位成员。" in page_of(response)
    assert mail_messages(app) == []


def test_someone_with_another_email_cannot_accept_the_invitation(app, client, auth, unit, factory):
    login(auth, "wang@example.org")
    _invite(client, unit["org"], "zhang@example.org")
    link = _invitation_link(app)
    auth.logout()
    uid, _ = factory.user("intruder@example.org", "陌生人")

    login(auth, "intruder@example.org")
    assert "该邀请发给了 zhang@example.org" in page_of(client.get(link))
    response = client.post(link)
    assert response.status_code == 403
    assert "该邀请发给了另一个邮箱（zhang@example.org）" in page_of(response)
    assert membership(app, unit["org"], uid) is None


def test_org_admin_changes_a_members_role(app, client, auth, unit):
    login(auth, "wang@example.org")
    li_membership, role = membership(app, unit["org"], unit["li"])
    assert role == "editor"
    response = client.post(f"/orgs/{unit['org']}/members/{li_membership}/role", data={"role": "admin"})
    assert "成员角色已更新。" in page_of(client.get(response.headers["Location"]))
    assert membership(app, unit["org"], unit["li"]) == (li_membership, "admin")

    li = app.test_client()
    AuthActions(li).login("li@example.org")
    assert li.get(f"/orgs/{unit['org']}/members").status_code == 200, "the new admin can manage members"


def test_the_last_admin_cannot_remove_themself(app, client, auth, unit):
    login(auth, "wang@example.org")
    own, _ = membership(app, unit["org"], unit["wang"])
    response = client.post(f"/orgs/{unit['org']}/members/{own}/remove", follow_redirects=True)
    assert "不能移除单位的最后一位管理员：请先指定另一位管理员。" in page_of(response)
    assert membership(app, unit["org"], unit["wang"]) == (own, "admin")


def test_the_last_admin_cannot_demote_themself(app, client, auth, unit):
    login(auth, "wang@example.org")
    own, _ = membership(app, unit["org"], unit["wang"])
    response = client.post(f"/orgs/{unit['org']}/members/{own}/role", data={"role": "editor"}, follow_redirects=True)
    assert "单位至少需要一位管理员：请先指定另一位管理员。" in page_of(response)
    assert membership(app, unit["org"], unit["wang"]) == (own, "admin")


def test_an_admin_can_step_down_once_there_is_another_admin(app, client, auth, unit):
    login(auth, "wang@example.org")
    li_membership, _ = membership(app, unit["org"], unit["li"])
    own, _ = membership(app, unit["org"], unit["wang"])
    client.post(f"/orgs/{unit['org']}/members/{li_membership}/role", data={"role": "admin"})
    client.post(f"/orgs/{unit['org']}/members/{own}/role", data={"role": "editor"})
    assert membership(app, unit["org"], unit["wang"]) == (own, "editor")


def test_an_editor_can_leave_the_unit(app, client, auth, unit):
    login(auth, "li@example.org")
    own, _ = membership(app, unit["org"], unit["li"])
    response = client.post(f"/orgs/{unit['org']}/members/{own}/remove")
    assert response.status_code == 302 and path_of(response) == "/orgs/mine"
    mine = page_of(client.get("/orgs/mine"))
    assert "您已退出该单位。" in mine
    assert "贵阳市阳光社工服务中心" not in mine
    assert membership(app, unit["org"], unit["li"]) is None


# Platform administration -----------------------------------------------------------------

@pytest.fixture
def people(app, factory):
    """平台管理员 and two ordinary users, 王芳 and 李雷."""
    ids = {}
    ids["boss"], _ = factory.user("boss@example.org", "平台管理员", admin=True)
    ids["wang"], _ = factory.user("wang@example.org", "王芳")
    ids["li"], _ = factory.user("li@example.org", "李雷")
    return ids


def _user_page(client, uid) -> str:
    return page_of(client.get(f"/admin/users/{uid}"))


def test_admin_searches_users_by_email(client, auth, people):
    login(auth, "boss@example.org")
    page = page_of(client.get("/admin/users?q=WANG@"))
    assert "共 1 位用户" in page
    assert "wang@example.org" in page and "li@example.org" not in page
    everyone = page_of(client.get("/admin/users"))
    assert "共 3 位用户" in everyone and "li@example.org" in everyone


def test_admin_grants_and_revokes_the_reviewer_role_keeping_the_profile(app, client, auth, people):
    from portal.auth.models import User

    login(auth, "boss@example.org")
    response = client.post(f"/admin/users/{people['wang']}/reviewer",
                           data={"title": "副教授", "affiliation": "贵州大学", "expertise": "五社联动、社区协商议事"})
    assert response.status_code == 302
    page = page_of(client.get(response.headers["Location"]))
    assert "专家资料已保存，该用户现为点评专家。" in page and "撤销点评专家身份" in page
    assert "王芳" in page_of(client.get("/admin/users?role=reviewer"))

    client.post(f"/admin/users/{people['wang']}/reviewer/revoke")
    page = _user_page(client, people["wang"])
    assert "已撤销点评专家身份。" in page
    assert ">撤销点评专家身份</button>" not in page and "设为点评专家" in page
    assert 'value="副教授"' in page and 'value="贵州大学"' in page, "the profile is kept"
    assert "王芳" not in page_of(client.get("/admin/users?role=reviewer"))

    def reviewer_state(s):
        user = s.get(User, people["wang"])
        return user.is_reviewer, user.reviewer_profile is not None and user.reviewer_profile.title

    assert in_db(app, reviewer_state) == (False, "副教授")


def test_admin_grants_platform_admin(app, client, auth, people):
    login(auth, "boss@example.org")
    li = app.test_client()
    AuthActions(li).login("li@example.org")
    assert li.get("/admin/").status_code == 403
    client.post(f"/admin/users/{people['li']}/admin", data={"grant": "1"})
    assert "已授予平台管理员权限。" in _user_page(client, people["li"])
    assert li.get("/admin/").status_code == 200


def test_an_admin_cannot_revoke_their_own_admin_rights(client, auth, people):
    login(auth, "boss@example.org")
    client.post(f"/admin/users/{people['boss']}/admin", data={"grant": "0"})
    page = _user_page(client, people["boss"])
    assert "不能撤销自己的管理员权限，请让另一位管理员操作。" in page
    assert client.get("/admin/").status_code == 200


def test_disabling_a_user_blocks_login_and_ends_their_session(app, client, auth, people):
    wang = app.test_client()
    AuthActions(wang).login("wang@example.org", remember=True)
    assert wang.get("/auth/account").status_code == 200

    login(auth, "boss@example.org")
    client.post(f"/admin/users/{people['wang']}/disable", data={"disable": "1", "reason": "冒用单位名义"})
    page = _user_page(client, people["wang"])
    assert "账号已停用。" in page and "已停用" in page and "恢复账号" in page

    response = wang.get("/auth/account")
    assert response.status_code == 302 and path_of(response) == "/auth/login", "the open session is over"
    again = AuthActions(app.test_client()).login("wang@example.org")
    assert again.status_code == 422
    assert "邮箱或密码不正确，或账号已停用。" in page_of(again)


def test_re_enabling_an_account_does_not_revive_sessions_from_before_it_was_disabled(app, client, auth, people):
    wang = app.test_client()
    AuthActions(wang).login("wang@example.org", remember=True)
    login(auth, "boss@example.org")
    client.post(f"/admin/users/{people['wang']}/disable", data={"disable": "1"})
    client.post(f"/admin/users/{people['wang']}/disable", data={"disable": "0"})
    assert "账号已恢复。" in _user_page(client, people["wang"])

    response = wang.get("/auth/account")
    assert response.status_code == 302 and path_of(response) == "/auth/login"
    assert AuthActions(app.test_client()).login("wang@example.org").status_code == 302, "a fresh login works"


def test_an_admin_cannot_disable_themself(client, auth, people):
    login(auth, "boss@example.org")
    client.post(f"/admin/users/{people['boss']}/disable", data={"disable": "1"})
    assert "不能停用自己的账号。" in _user_page(client, people["boss"])
    assert client.get("/admin/").status_code == 200


def test_every_admin_action_appears_in_the_audit_log(app, client, auth, people, factory):
    pending = factory.org("wang@example.org", name="贵阳市阳光社工服务中心", status="pending")
    other = factory.org("li@example.org", name="遵义市邻里互助会", status="pending")
    login(auth, "boss@example.org")
    assert "暂无记录。" in page_of(client.get("/admin/audit"))

    wang, li = people["wang"], people["li"]
    client.post(f"/admin/users/{li}/admin", data={"grant": "1"})
    client.post(f"/admin/users/{li}/admin", data={"grant": "0"})
    client.post(f"/admin/users/{wang}/reviewer", data={"title": "副教授", "affiliation": "贵州大学", "expertise": "五社联动"})
    client.post(f"/admin/users/{wang}/reviewer", data={"title": "教授", "affiliation": "贵州大学", "expertise": "五社联动"})
    client.post(f"/admin/users/{wang}/reviewer/revoke")
    client.post(f"/admin/users/{li}/disable", data={"disable": "1", "reason": "冒用单位名义"})
    client.post(f"/admin/users/{li}/disable", data={"disable": "0"})
    client.post(f"/admin/orgs/{pending}", data={"decision": "verify"})
    client.post(f"/admin/orgs/{other}", data={"decision": "reject", "reason": "材料不全"})

    log = page_of(client.get("/admin/audit"))
    for label in ("授予平台管理员", "撤销平台管理员", "授予点评专家", "更新专家资料", "撤销点评专家",
                  "停用账号", "恢复账号", "通过单位认证", "驳回单位申请"):
        assert label in log, label
    assert log.count('<td data-label="操作人">平台管理员</td>') == 9, "each entry names who did it"
    assert "li@example.org 冒用单位名义" in log and "遵义市邻里互助会 材料不全" in log

    users_only = page_of(client.get("/admin/audit?action=user"))
    assert "停用账号" in users_only and "通过单位认证" not in users_only
    assert "驳回单位申请" in page_of(client.get("/admin/"))


# CSRF protection (on, as in production) --------------------------------------------------

class TestWithCsrfProtection:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_an_application_posted_without_the_csrf_token_is_refused(self, app, client, auth, factory):
        factory.user("wang@example.org")
        login(auth, "wang@example.org")
        response = client.post("/orgs/apply", data=org_form())
        assert response.status_code == 400
        assert "表单已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。" in page_of(response)
        assert org_count(app) == 0

    def test_the_same_application_with_the_token_from_the_form_is_accepted(self, app, client, auth, factory):
        factory.user("wang@example.org")
        login(auth, "wang@example.org")
        token = csrf_token(client, "/orgs/apply")
        assert token
        response = client.post("/orgs/apply", data={**org_form(), "csrf_token": token})
        assert response.status_code == 302
        assert org_count(app) == 1
