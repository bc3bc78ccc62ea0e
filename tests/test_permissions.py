"""Who may open which page and press which button: one table, every role against every route.

Each row is a request; each column is what a person in that role gets back:

    OK     200, the page is shown
    DONE   302, the action ran and the browser is sent on (not to the login page)
    LOGIN  302 to /auth/login, "请先登录"
    DENY   403, the Chinese "无权访问" page
    HIDE   404, the Chinese "未找到" page (pending and rejected units do not leak)

The world every row runs in: 单位管理员 applied for three units (one verified, one pending, one
rejected) and is their admin; 单位编辑 is an editor in all three; a colleague is a second editor of
the verified unit; 他单位管理员 runs a different verified unit; the verified unit has invited the
practitioner by e-mail; the disabled user's account was switched off by a platform admin, so
logging in fails and they browse as a visitor.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.tables import DENY, HIDE, LOGIN, OK, assert_status_page, table_row

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

DONE = 302  # this table checks the redirect only: its actions are checked in their own modules

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "other_org_admin",
         "reviewer", "platform_admin", "disabled")

ORG_FORM = {"org_type": "社工机构", "province": "贵州省", "city": "贵阳市", "contact_name": "王芳"}
VERIFIED_NAME = "贵阳市阳光社工服务中心"


def row(method, path, *expected, data=None):
    param = table_row(ROLES, method, path, *expected, data=data)
    return pytest.param(*param.values[:4], id=param.id)


TABLE = [
    #   method  route                                         anon   pract  editor org-adm other  review p-admin disabled
    row("GET",  "/auth/account",                              LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    LOGIN),
    row("POST", "/auth/account",                              LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  LOGIN,
        data={"display_name": "新名字"}),
    row("GET",  "/auth/password",                             LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    LOGIN),
    row("POST", "/auth/password",                             LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  LOGIN,
        data={"current_password": "correct-horse-battery", "password": "a-brand-new-secret",
              "confirm": "a-brand-new-secret"}),
    row("GET",  "/orgs/mine",                                 LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    LOGIN),
    row("GET",  "/orgs/apply",                                LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    LOGIN),
    row("POST", "/orgs/apply",                                LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,  DONE,  LOGIN,
        data={**ORG_FORM, "name": "花溪区邻里互助会"}),
    # Units: verified ones are public; pending and rejected ones only for applicant, members, platform admins.
    row("GET",  "/orgs/{verified}",                           OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/orgs/{pending}",                            HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  OK,    HIDE),
    row("GET",  "/orgs/{rejected}",                           HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  OK,    HIDE),
    row("GET",  "/orgs/{verified}/edit",                      LOGIN, DENY,  DENY,  OK,    DENY,  DENY,  OK,    LOGIN),
    row("POST", "/orgs/{verified}/edit",                      LOGIN, DENY,  DENY,  DONE,  DENY,  DENY,  DONE,  LOGIN,
        data={**ORG_FORM, "name": VERIFIED_NAME, "introduction": "更新后的简介"}),
    row("GET",  "/orgs/{pending}/edit",                       LOGIN, HIDE,  DENY,  OK,    HIDE,  HIDE,  OK,    LOGIN),
    row("GET",  "/orgs/{rejected}/edit",                      LOGIN, HIDE,  DENY,  OK,    HIDE,  HIDE,  OK,    LOGIN),
    # Members are managed by the unit's admins (and platform admins), and only once it is verified.
    row("GET",  "/orgs/{verified}/members",                   LOGIN, DENY,  DENY,  OK,    DENY,  DENY,  OK,    LOGIN),
    row("GET",  "/orgs/{pending}/members",                    LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DENY,  LOGIN),
    row("POST", "/orgs/{verified}/members/invite",            LOGIN, DENY,  DENY,  DONE,  DENY,  DENY,  DONE,  LOGIN,
        data={"email": "newcomer@example.org", "role": "editor"}),
    row("POST", "/orgs/{verified}/members/{colleague_membership}/role",
                                                              LOGIN, DENY,  DENY,  DONE,  DENY,  DENY,  DONE,  LOGIN,
        data={"role": "admin"}),
    row("POST", "/orgs/{verified}/members/{colleague_membership}/remove",
                                                              LOGIN, DENY,  DENY,  DONE,  DENY,  DENY,  DONE,  LOGIN),
    row("POST", "/orgs/{verified}/invitations/{invitation_id}/revoke",
                                                              LOGIN, DENY,  DENY,  DONE,  DENY,  DENY,  DONE,  LOGIN),
    # The invitation was sent to the practitioner's address: anyone signed in can read it, only they can accept.
    row("GET",  "/orgs/invitations/{invitation_token}",       LOGIN, OK,    OK,    OK,    OK,    OK,    OK,    LOGIN),
    row("POST", "/orgs/invitations/{invitation_token}",       LOGIN, DONE,  DENY,  DENY,  DENY,  DENY,  DENY,  LOGIN),
    # The admin area is for platform admins only; reviewers and unit admins are not platform admins.
    row("GET",  "/admin/",                                    LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK,    LOGIN),
    row("GET",  "/admin/users",                               LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK,    LOGIN),
    row("GET",  "/admin/users/{target}",                      LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK,    LOGIN),
    row("POST", "/admin/users/{target}/admin",                LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,  LOGIN,
        data={"grant": "1"}),
    row("POST", "/admin/users/{target}/reviewer",             LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,  LOGIN,
        data={"title": "副教授", "affiliation": "贵州大学", "expertise": "社区协商议事"}),
    row("POST", "/admin/users/{reviewer}/reviewer/revoke",    LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,  LOGIN),
    row("POST", "/admin/users/{target}/disable",              LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,  LOGIN,
        data={"disable": "1", "reason": "测试"}),
    row("GET",  "/admin/orgs",                                LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK,    LOGIN),
    row("GET",  "/admin/orgs/{pending}",                      LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK,    LOGIN),
    row("POST", "/admin/orgs/{pending}",                      LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,  LOGIN,
        data={"decision": "verify"}),
    # (the "#reject" only tells the two POSTs apart in test ids; it is dropped from the URL)
    row("POST", "/admin/orgs/{pending}#reject",               LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,  LOGIN,
        data={"decision": "reject", "reason": "材料不全"}),
    row("GET",  "/admin/audit",                               LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK,    LOGIN),
]


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    """Everyone and everything the table talks about, built through the real services."""
    from portal.admin.services import set_disabled
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.orgs.models import Membership, Organization
    from portal.orgs.services import invite_member

    names = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
             "other_org_admin": "他单位管理员", "reviewer": "点评专家", "platform_admin": "平台管理员",
             "disabled": "停用用户", "colleague": "同事"}
    emails = {}
    ids = {}
    for role, name in names.items():
        ids[role], emails[role] = factory.user(f"{role}@example.org", name, admin=role == "platform_admin",
                                               reviewer=role == "reviewer")
    verified = factory.org(emails["org_admin"], name=VERIFIED_NAME, status="verified")
    pending = factory.org(emails["org_admin"], name="南明区社区社会组织联合会", status="pending")
    rejected = factory.org(emails["org_admin"], name="云岩区邻里中心", status="rejected")
    factory.org(emails["other_org_admin"], name="遵义市红花岗区社工站", status="verified")
    for org_id in (verified, pending, rejected):
        factory.member(org_id, emails["org_editor"], "editor")
    factory.member(verified, emails["colleague"], "editor")

    with app.test_request_context():
        org = db.session.get(Organization, verified)
        invitation = invite_member(get_user_by_email(emails["org_admin"]), org, emails["practitioner"], "editor")
        set_disabled(None, get_user_by_email(emails["disabled"]), True)
        db.session.commit()
        colleague_membership = db.session.scalar(
            db.select(Membership.id).where(Membership.org_id == verified, Membership.user_id == ids["colleague"]))
        placeholders = {"verified": verified, "pending": pending, "rejected": rejected,
                        "colleague_membership": colleague_membership, "invitation_id": invitation.id,
                        "invitation_token": invitation.token, "target": ids["colleague"],
                        "reviewer": ids["reviewer"]}
    return {"emails": emails, "placeholders": placeholders}


def _check(response, expected):
    page = response.get_data(as_text=True)
    location = urlsplit(response.headers.get("Location", "")).path
    if expected == LOGIN:
        assert (response.status_code, location) == (302, "/auth/login")
    elif expected == DONE:
        assert response.status_code == 302
        assert location and location != "/auth/login"
    else:
        assert_status_page(response, page, expected)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected"), TABLE)
def test_permission_table(client, auth, world, role, method, path, data, expected):
    if role != "anonymous":
        if role == "disabled":
            login = auth.login(world["emails"][role])
            assert login.status_code == 422
            assert "邮箱或密码不正确，或账号已停用" in login.get_data(as_text=True)
        else:
            auth.sign_in(world["emails"][role])
    url = path.split("#")[0].format(**world["placeholders"])
    response = client.open(url, method=method, data=data)
    _check(response, expected[role])
