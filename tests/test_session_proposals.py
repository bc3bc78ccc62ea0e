"""Case proposals: a member unit proposes one of its own published cases for an upcoming session;
platform admins accept it into the running order or decline it with a reason.

    OK    200              DENY  403 "无权访问"       LOGIN  302 to /auth/login
    DONE  302, a success message, and the row's change is in the database
    KEPT  302, an error message, and nothing changed in the database
    REFUSED  422, the form again with the Chinese reason, nothing changed
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import mail_messages
from tests.tables import DENY, HIDE, LOGIN, OK, table_row
from tests.test_session_registration import make_session

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

DONE, KEPT, REFUSED = "DONE", "KEPT", "REFUSED"

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "reviewer", "admin")
NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "reviewer": "点评专家", "admin": "平台管理员"}
UNIT = "贵阳市阳光社工服务中心"
OTHER_UNIT = "遵义市红花岗区社工站"


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    """单位管理员 runs 阳光社工 (单位编辑 edits there); 他单位 is another verified unit. 阳光社工
    has two published cases and a draft; the other unit has a published case. The upcoming
    session already has an opening talk and a pending proposal (the second published case, by the
    editor); a held session took place last month."""
    from portal.auth.models import User
    from portal.extensions import db
    from portal.sessions.models import AgendaItem, CaseProposal

    emails, users = {}, {}
    for role, name in NAMES.items():
        users[role], emails[role] = factory.user(f"{role}@example.org", name, admin=role == "admin",
                                                 reviewer=role == "reviewer")
    _o, other_email = factory.user("other@example.org", "他单位管理员")
    unit = factory.org(emails["org_admin"], name=UNIT)
    factory.member(unit, emails["org_editor"], "editor")
    other_unit = factory.org(other_email, name=OTHER_UNIT)
    ids = {
        "unit": unit, "other_unit": other_unit,
        "published": factory.case(unit, "楼栋长制度激活邻里互助"),
        "second": factory.case(unit, "社区基金撬动居民自治"),
        "draft": factory.case(unit, "尚未发布的草稿案例", status="draft"),
        "theirs": factory.case(other_unit, "他单位的已发布案例"),
    }
    with app.app_context():
        upcoming = make_session("第三期：社区协商议事", capacity=50)
        db.session.add(AgendaItem(session=upcoming, position=1, kind="talk", title="开场致辞", presenter="会长"))
        held = make_session("上个月的分享会", days=-30, status="held")
        pending = CaseProposal(session=upcoming, case_id=ids["second"], org_id=unit,
                               proposed_by_id=users["org_editor"], presenter="张社工", note="居民参与度高")
        db.session.add(pending)
        db.session.commit()
        ids.update(upcoming=upcoming.id, held=held.id, pending=pending.id)
        assert db.session.get(User, users["admin"]).is_admin
    return {"emails": emails, "users": users, "ids": ids, "other_email": other_email}


def state(app) -> dict:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.sessions.models import AgendaItem, CaseProposal

    with app.app_context():
        out = {
            "proposals": {p.id: (p.session_id, p.case_id, p.org_id, p.status, p.presenter, p.decision_reason)
                          for p in db.session.scalars(select(CaseProposal))},
            "agenda": [(a.session_id, a.position, a.kind, a.title, a.case_id, a.org_id, a.presenter)
                       for a in db.session.scalars(select(AgendaItem).order_by(AgendaItem.session_id,
                                                                               AgendaItem.position))],
        }
        db.session.remove()
    return out


def row(method, path, *expected, data=None, effect=None):
    return table_row(ROLES, method, path, *expected, data=data, effect=effect, effect_required=False)


PROPOSE = "/sessions/{upcoming}/proposals/new"
TABLE = [
    #   method  route                    anon   pract  editor   o-admin  review admin
    row("GET",  PROPOSE,                 LOGIN, DENY,  OK,      OK,      DENY,  DENY),
    row("POST", PROPOSE,                 LOGIN, DENY,  DONE,    DONE,    DENY,  DENY,
        data={"case_id": "{published}", "presenter": "王芳（项目主管）", "note": "三年实践"}, effect="proposed"),
    row("POST", PROPOSE + "#draft",      LOGIN, DENY,  REFUSED, REFUSED, DENY,  DENY,
        data={"case_id": "{draft}", "presenter": "王芳"}),
    row("POST", PROPOSE + "#other-unit", LOGIN, DENY,  REFUSED, REFUSED, DENY,  DENY,
        data={"case_id": "{theirs}", "presenter": "王芳"}),
    row("POST", PROPOSE + "#twice",      LOGIN, DENY,  REFUSED, REFUSED, DENY,  DENY,
        data={"case_id": "{second}", "presenter": "王芳"}),
    row("POST", PROPOSE + "#no-presenter", LOGIN, DENY, REFUSED, REFUSED, DENY,  DENY,
        data={"case_id": "{published}", "presenter": "  "}),
    row("GET",  "/sessions/{held}/proposals/new", LOGIN, DENY, KEPT, KEPT,  DENY,  DENY),
    row("POST", "/sessions/{held}/proposals/new", LOGIN, DENY, KEPT, KEPT,  DENY,  DENY,
        data={"case_id": "{published}", "presenter": "王芳"}),
    row("GET",  "/sessions/999999/proposals/new", LOGIN, HIDE, HIDE, HIDE,  HIDE,  HIDE),
    # The entry point on a case page: the unit's members, for a published case.
    row("GET",  "/cases/{published}/sessions",    LOGIN, DENY, OK,   OK,    DENY,  DENY),
    row("GET",  "/cases/{draft}/sessions",        LOGIN, HIDE, DENY, DENY,  HIDE,  DENY),
    row("GET",  "/cases/{theirs}/sessions",       LOGIN, DENY, DENY, DENY,  DENY,  DENY),
    row("POST", "/sessions/proposals/{pending}/accept",  LOGIN, DENY, DENY, DENY, DENY, DONE, effect="accepted"),
    row("POST", "/sessions/proposals/{pending}/decline", LOGIN, DENY, DENY, DENY, DENY, DONE,
        data={"reason": "本期主题是协商议事，该案例更适合下一期。"}, effect="declined"),
    row("POST", "/sessions/proposals/{pending}/decline#no-reason", LOGIN, DENY, DENY, DENY, DENY, KEPT,
        data={"reason": "   "}),
    row("POST", "/sessions/proposals/999999/accept",  LOGIN, HIDE, HIDE, HIDE, HIDE, HIDE),
]


def _expected(before, effect, ids, role):
    import copy

    after = copy.deepcopy(before)
    if effect == "accepted":
        p = after["proposals"][ids["pending"]]
        after["proposals"][ids["pending"]] = p[:3] + ("accepted",) + p[4:]
        after["agenda"].append((ids["upcoming"], 2, "case", "社区基金撬动居民自治", ids["second"], ids["unit"], "张社工"))
        after["agenda"].sort()
    elif effect == "declined":
        p = after["proposals"][ids["pending"]]
        after["proposals"][ids["pending"]] = p[:3] + ("declined", p[4], "本期主题是协商议事，该案例更适合下一期。")
    return after


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected", "effect"), TABLE)
def test_proposal_permission_table(app, client, auth, world, role, method, path, data, expected, effect):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    ids = world["ids"]
    url = path.split("#")[0].format(**ids)
    form = {k: v.format(**ids) for k, v in data.items()}
    before = state(app)
    response = client.open(url, method=method, data=form)
    after = state(app)
    outcome = expected[role]
    page = response.get_data(as_text=True)

    if outcome == LOGIN:
        assert (response.status_code, urlsplit(response.headers["Location"]).path) == (302, "/auth/login")
    elif outcome in (DONE, KEPT):
        assert response.status_code == 302, page[:500]
        follow = client.get(urlsplit(response.headers["Location"]).path).get_data(as_text=True)
        assert ("flash-success" if outcome == DONE else "flash-error") in follow
    elif outcome == REFUSED:
        assert response.status_code == 422
        assert 'class="error"' in page
    else:
        assert response.status_code == outcome, page[:500]
        if outcome == DENY:
            assert "无权访问" in page
        elif outcome == HIDE:
            assert "未找到" in page

    if outcome != DONE:
        assert after == before, "a refused request changed the database"
    elif effect == "proposed":
        new = set(after["proposals"]) - set(before["proposals"])
        assert len(new) == 1
        assert after["proposals"][new.pop()] == (ids["upcoming"], ids["published"], ids["unit"], "pending",
                                                 "王芳（项目主管）", "")
        assert after["agenda"] == before["agenda"]
    else:
        assert after == _expected(before, effect, ids, role)


# Bad input: each refusal says why --------------------------------------------------------------

@pytest.mark.parametrize(("case_key", "message"), [
    ("draft", "只能推荐已发布的案例，草稿或未公开的案例不能推荐。"),
    ("theirs", "只能推荐本单位的案例，不能推荐其他单位的案例。"),
    ("second", "该案例已推荐到本场分享会，不能重复推荐。"),
])
def test_refused_proposals_explain_why(app, client, auth, world, case_key, message):
    auth.login(world["emails"]["org_editor"])
    ids = world["ids"]
    before = state(app)
    response = client.post(f"/sessions/{ids['upcoming']}/proposals/new",
                           data={"case_id": ids[case_key], "presenter": "王芳", "note": "请考虑"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="王芳"' in page  # what was typed is kept
    assert state(app) == before


def test_another_units_draft_is_refused_without_revealing_it_is_a_draft(app, client, auth, world, factory):
    draft = factory.case(world["ids"]["other_unit"], "他单位的草稿", status="draft")
    auth.login(world["emails"]["org_admin"])
    page = client.post(f"/sessions/{world['ids']['upcoming']}/proposals/new",
                       data={"case_id": draft, "presenter": "王芳"}).get_data(as_text=True)
    assert "只能推荐本单位的案例" in page and "草稿" not in page.split("form-summary")[1][:300]


def test_past_or_closed_session_refuses_proposals(app, client, auth, world):
    from portal.extensions import db
    from portal.sessions.models import SharingSession

    auth.login(world["emails"]["org_editor"])
    page = client.post(f"/sessions/{world['ids']['held']}/proposals/new",
                       data={"case_id": world["ids"]["published"], "presenter": "王芳"},
                       follow_redirects=True).get_data(as_text=True)
    assert "只能为尚未举行的分享会推荐案例" in page
    # A planned session that has already started is past too.
    with app.app_context():
        started = db.session.get(SharingSession, world["ids"]["upcoming"])
        started.starts_at = started.starts_at.replace(year=2020)
        db.session.commit()
    before = state(app)
    page = client.post(f"/sessions/{world['ids']['upcoming']}/proposals/new",
                       data={"case_id": world["ids"]["published"], "presenter": "王芳"},
                       follow_redirects=True).get_data(as_text=True)
    assert "只能为尚未举行的分享会推荐案例" in page
    assert state(app) == before


def test_form_offers_only_the_units_published_cases_not_yet_proposed(client, auth, world):
    auth.login(world["emails"]["org_editor"])
    page = client.get(f"/sessions/{world['ids']['upcoming']}/proposals/new").get_data(as_text=True)
    assert "楼栋长制度激活邻里互助" in page
    for title in ("尚未发布的草稿案例", "他单位的已发布案例"):
        assert title not in page
    # Already proposed: listed under "本单位已推荐", not offered again.
    assert page.count("社区基金撬动居民自治") == 1 and "本单位已推荐" in page


# Decisions: running order, notifications, audit log ---------------------------------------------

def _login_admin(auth, world):
    auth.login(world["emails"]["admin"])


def test_accepting_appends_the_case_and_tells_the_unit(app, client, auth, world):
    from sqlalchemy import select

    from portal.admin.models import AuditEntry
    from portal.extensions import db
    from portal.notifications.models import Notification

    ids = world["ids"]
    # The org admin proposes a second case, so two are pending.
    auth.login(world["emails"]["org_admin"])
    client.post(f"/sessions/{ids['upcoming']}/proposals/new", data={"case_id": ids["published"], "presenter": "王芳"})
    auth.logout()
    _login_admin(auth, world)
    page = client.get(f"/sessions/{ids['upcoming']}").get_data(as_text=True)
    assert "待处理的推荐（2）" in page and "张社工" in page and "居民参与度高" in page

    from portal.sessions.models import CaseProposal

    with app.app_context():
        second_proposal = db.session.scalar(select(CaseProposal.id).where(CaseProposal.case_id == ids["published"]))
    for proposal in (ids["pending"], second_proposal):
        assert client.post(f"/sessions/proposals/{proposal}/accept").status_code == 302
    agenda = [a for a in state(app)["agenda"] if a[0] == ids["upcoming"]]
    assert [(a[1], a[2], a[3], a[6]) for a in agenda] == [
        (1, "talk", "开场致辞", "会长"),
        (2, "case", "社区基金撬动居民自治", "张社工"),
        (3, "case", "楼栋长制度激活邻里互助", "王芳")]

    # Accepting twice is refused and adds nothing.
    before = state(app)
    page = client.post(f"/sessions/proposals/{ids['pending']}/accept", follow_redirects=True).get_data(as_text=True)
    assert "该推荐已经处理过了" in page and state(app) == before

    with app.app_context():
        notes = list(db.session.scalars(select(Notification).where(Notification.kind == "session_proposal",
                                                                   Notification.user_id != world["users"]["admin"])))
        told = {(n.user_id, "社区基金撬动居民自治" in n.text) for n in notes}
        assert {(world["users"]["org_admin"], True), (world["users"]["org_editor"], True)} <= told
        assert all(n.url == f"/sessions/{ids['upcoming']}#proposals" for n in notes)
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "session.proposal_accept")))
        assert len(entries) == 2 and entries[0].actor_id == world["users"]["admin"]
        assert "社区基金撬动居民自治" in entries[0].summary
    assert any(m["To"] == world["emails"]["org_editor"] and "处理结果" in m["Subject"] for m in mail_messages(app))


def test_declining_needs_a_reason_which_the_unit_sees(app, client, auth, world):
    from sqlalchemy import select

    from portal.admin.models import AuditEntry
    from portal.extensions import db
    from portal.notifications.models import Notification

    ids = world["ids"]
    _login_admin(auth, world)
    before = state(app)
    page = client.post(f"/sessions/proposals/{ids['pending']}/decline", data={"reason": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "请填写婉拒的原因" in page and state(app) == before

    client.post(f"/sessions/proposals/{ids['pending']}/decline", data={"reason": "与本期主题不符，欢迎推荐到下一期。"})
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "session.proposal_decline"))
        assert "与本期主题不符" in entry.summary
        note = db.session.scalar(select(Notification).where(Notification.user_id == world["users"]["org_editor"],
                                                            Notification.kind == "session_proposal"))
        assert "未被接受" in note.text and "与本期主题不符" in note.text
    # Declining a decided proposal is refused.
    page = client.post(f"/sessions/proposals/{ids['pending']}/decline", data={"reason": "再说一次"},
                       follow_redirects=True).get_data(as_text=True)
    assert "该推荐已经处理过了" in page
    auth.logout()

    auth.login(world["emails"]["org_admin"])
    page = client.get(f"/sessions/{ids['upcoming']}").get_data(as_text=True)
    assert "已婉拒" in page and "与本期主题不符，欢迎推荐到下一期。" in page
    assert "待处理的推荐" not in page  # the decision buttons are the admins'


def test_admins_are_told_of_a_new_proposal(app, client, auth, world):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.notifications.models import Notification

    auth.login(world["emails"]["org_editor"])
    client.post(f"/sessions/{world['ids']['upcoming']}/proposals/new",
                data={"case_id": world["ids"]["published"], "presenter": "王芳"})
    with app.app_context():
        notes = list(db.session.scalars(select(Notification).where(Notification.kind == "session_proposal")))
        assert [n.user_id for n in notes] == [world["users"]["admin"]]
        assert UNIT in notes[0].text and "楼栋长制度激活邻里互助" in notes[0].text


def test_accepting_is_refused_when_the_case_was_unpublished_meanwhile(app, client, auth, world):
    from portal.cases.models import Case
    from portal.extensions import db

    with app.app_context():
        db.session.get(Case, world["ids"]["second"]).status = "archived"
        db.session.commit()
    _login_admin(auth, world)
    before = state(app)
    page = client.post(f"/sessions/proposals/{world['ids']['pending']}/accept",
                       follow_redirects=True).get_data(as_text=True)
    assert "该案例目前没有公开发布，不能加入议程" in page and state(app) == before


def test_unit_members_see_their_proposals_on_the_session_page(client, auth, world):
    auth.login(world["emails"]["org_admin"])
    page = client.get(f"/sessions/{world['ids']['upcoming']}").get_data(as_text=True)
    assert "本单位的推荐" in page and "社区基金撬动居民自治" in page and "待处理" in page
    assert "推荐本单位案例" in page
    auth.logout()
    auth.login(world["emails"]["practitioner"])
    page = client.get(f"/sessions/{world['ids']['upcoming']}").get_data(as_text=True)
    assert "推荐本单位案例" not in page and "社区基金撬动居民自治" not in page


def test_case_page_leads_to_a_preselected_proposal(app, client, auth, world):
    ids = world["ids"]
    auth.login(world["emails"]["org_editor"])
    page = client.get(f"/cases/{ids['published']}").get_data(as_text=True)
    assert f'href="/cases/{ids["published"]}/sessions"' in page and "推荐到分享会" in page
    page = client.get(f"/cases/{ids['published']}/sessions").get_data(as_text=True)
    link = f"/sessions/{ids['upcoming']}/proposals/new?case={ids['published']}"
    assert link in page and "第三期：社区协商议事" in page
    assert "上个月的分享会" not in page  # past sessions are not offered
    form = client.get(link).get_data(as_text=True)
    assert f'<option selected value="{ids["published"]}">' in form
    # The already-proposed case shows its proposal's state instead of a link.
    page = client.get(f"/cases/{ids['second']}/sessions").get_data(as_text=True)
    assert "已推荐 · 待处理" in page and f"case={ids['second']}" not in page
    auth.logout()

    auth.login(world["emails"]["practitioner"])
    page = client.get(f"/cases/{ids['published']}").get_data(as_text=True)
    assert "推荐到分享会" not in page


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_decline_form_on_the_session_page_carries_the_token(self, app, client, auth, world):
        from tests.conftest import csrf_token

        auth.login(world["emails"]["admin"])
        url = f"/sessions/proposals/{world['ids']['pending']}/decline"
        before = state(app)
        assert client.post(url, data={"reason": "无令牌"}).status_code == 400
        assert state(app) == before
        token = csrf_token(client, f"/sessions/{world['ids']['upcoming']}")
        assert client.post(url, data={"reason": "本期已满", "csrf_token": token}).status_code == 302
        assert state(app)["proposals"][world["ids"]["pending"]][3] == "declined"
