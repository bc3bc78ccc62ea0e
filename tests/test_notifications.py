"""Notifications and follows, told as what people notice: the unit hears about its case moving
through review, followers hear about new published cases once, each person's choices of in-app
and e-mail are respected, and nobody ever sees or touches someone else's notifications.

The world: 阳光社工 (a verified unit in 贵州省) with 单位管理员 and 单位编辑; a platform admin who
curates; a practitioner and a reviewer outside any unit; a pending unit that cannot be followed.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import csrf_token, mail_messages

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)

UNIT = "贵阳市阳光社工服务中心"
PENDING = "南明区待审社工站"


def page_of(response) -> str:
    return response.get_data(as_text=True)


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def login(auth, email):
    assert auth.login(email).status_code == 302


def theme_id(app, name):
    from sqlalchemy import select

    from portal.cases.models import Theme
    from portal.extensions import db

    with app.app_context():
        return db.session.scalar(select(Theme.id).where(Theme.name == name))


def notes(app, email, kind=None) -> list[dict]:
    """The user's notifications as saved, oldest first."""
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications.models import Notification

    with app.app_context():
        user = get_user_by_email(email)
        stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        out = [{"id": n.id, "kind": n.kind, "text": n.text, "url": n.url, "read": n.read_at is not None}
               for n in db.session.scalars(stmt) if kind is None or n.kind == kind]
        db.session.remove()
        return out


def follows(app, email=None) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications.models import Follow

    with app.app_context():
        stmt = select(Follow).order_by(Follow.id)
        if email:
            stmt = stmt.where(Follow.user_id == get_user_by_email(email).id)
        out = [(f.target_type, f.target_key) for f in db.session.scalars(stmt)]
        db.session.remove()
        return out


def mails_to(app, email, subject_part="") -> list:
    return [m for m in mail_messages(app) if m["To"] == email and subject_part in m["Subject"]]


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def act(app, case_id, action, actor_email=None, reason=""):
    """Move a case through the workflow as ``actor_email`` (None: the system), and commit."""
    from portal.auth.services import get_user_by_email
    from portal.cases import services
    from portal.cases.models import Case
    from portal.extensions import db

    with app.app_context():
        actor = get_user_by_email(actor_email) if actor_email else None
        services.transition(actor, db.session.get(Case, case_id), action, reason)
        db.session.commit()
        db.session.remove()


def add_follow(app, email, target_type, key):
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications import services

    with app.app_context():
        services.follow(get_user_by_email(email), target_type, str(key))
        db.session.commit()


def set_preference(app, email, kind, in_app, email_on):
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications import services

    with app.app_context():
        user = get_user_by_email(email)
        choices = services.preferences(user)
        choices[str(kind)] = (in_app, email_on)
        services.save_preferences(user, choices)
        db.session.commit()


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    emails = {}
    for role, name, flags in (("org_admin", "单位管理员", {}), ("org_editor", "单位编辑", {}),
                              ("curator", "平台管理员", {"admin": True}), ("practitioner", "实务工作者", {}),
                              ("reviewer", "点评专家", {"reviewer": True})):
        _id, emails[role] = factory.user(f"{role}@example.org", name, **flags)
    unit = factory.org(emails["org_admin"], name=UNIT)
    factory.member(unit, emails["org_editor"], "editor")
    pending = factory.org(emails["practitioner"], name=PENDING, status="pending")
    return {"emails": emails, "unit": unit, "pending": pending}


# The case workflow tells the unit ------------------------------------------------------------------

def test_the_unit_hears_about_its_case_moving_through_review_but_not_the_person_who_acted(
        app, client, auth, factory, world):
    from portal.notifications.models import Kind

    e = world["emails"]
    case = factory.case(world["unit"], title="楼道议事会", status="draft")

    login(auth, e["org_editor"])
    response = client.post(f"/cases/{case}/submit", data={"reason": ""})
    assert response.status_code == 302
    auth.logout()
    assert notes(app, e["org_editor"]) == [], "the editor who submitted is not told about their own step"
    [submitted] = notes(app, e["org_admin"], Kind.CASE_WORKFLOW)
    assert submitted["text"] == "案例《楼道议事会》已提交审核" and submitted["url"] == f"/cases/{case}"

    login(auth, e["curator"])
    client.post(f"/cases/{case}/transition", data={"action": "return", "reason": "请补充居民参与的人数"})
    for member in ("org_admin", "org_editor"):
        last = notes(app, e[member], Kind.CASE_WORKFLOW)[-1]
        assert last["text"] == "案例《楼道议事会》被退回修改（原因：请补充居民参与的人数）"
        assert last["url"] == f"/cases/{case}"
        [mail] = mails_to(app, e[member], "被退回修改")
        assert "需要修改的地方：\n请补充居民参与的人数" in body_of(mail)
        assert f"/cases/{case}" in body_of(mail)
    assert notes(app, e["curator"]) == [] and mails_to(app, e["curator"]) == []
    # People outside the unit hear nothing about a case they cannot see.
    assert notes(app, e["practitioner"]) == [] and notes(app, e["reviewer"]) == []

    act(app, case, "submit", e["org_admin"], reason="已补充人数")
    act(app, case, "publish", e["curator"])
    assert [n["text"] for n in notes(app, e["org_editor"])][-2:] == ["案例《楼道议事会》已提交审核",
                                                                      "案例《楼道议事会》已发布"]
    assert notes(app, e["org_admin"])[-1]["text"] == "案例《楼道议事会》已发布"


def test_a_refused_workflow_step_leaves_no_notification_and_sends_no_mail(app, client, auth, factory, world):
    e = world["emails"]
    case = factory.case(world["unit"], status="submitted")
    before_notes, before_mail = notes(app, e["org_admin"]), len(mail_messages(app))
    login(auth, e["curator"])
    response = client.post(f"/cases/{case}/transition", data={"action": "return", "reason": ""})
    assert "退回时必须写明需要修改的地方" in page_of(client.get(path_of(response)))
    assert notes(app, e["org_admin"]) == before_notes
    assert len(mail_messages(app)) == before_mail


# Followers hear about new published cases --------------------------------------------------------

@pytest.fixture
def followers(app, factory, world):
    """One follower per kind of target, one who follows all three, one who follows nothing that
    matches, and the unit's own editor following the theme."""
    other_unit = factory.org(factory.user("other@example.org")[1], name="遵义市邻里互助会", province="贵州省")
    who = {}
    for name in ("theme_fan", "province_fan", "org_fan", "all_fan", "elsewhere_fan"):
        who[name] = factory.user(f"{name}@example.org")[1]
    t_party, t_elder = theme_id(app, "党建引领"), theme_id(app, "养老服务")
    add_follow(app, who["theme_fan"], "theme", t_party)
    add_follow(app, who["province_fan"], "province", "贵州省")
    add_follow(app, who["org_fan"], "org", world["unit"])
    for target in (("theme", t_party), ("province", "贵州省"), ("org", world["unit"])):
        add_follow(app, who["all_fan"], *target)
    add_follow(app, who["elsewhere_fan"], "theme", t_elder)
    add_follow(app, who["elsewhere_fan"], "province", "云南省")
    add_follow(app, who["elsewhere_fan"], "org", other_unit)
    add_follow(app, world["emails"]["org_editor"], "theme", t_party)
    return who


def test_each_follower_of_a_matching_theme_province_or_unit_is_told_once_when_the_case_is_published(
        app, client, auth, factory, world, followers):
    from portal.notifications.models import Kind

    e = world["emails"]
    case = factory.case(world["unit"], title="红色物业进小区", status="draft", themes=("党建引领",),
                        province="贵州省")
    act(app, case, "submit", e["org_editor"])
    act(app, case, "start_review", e["curator"])
    for name in followers:
        assert notes(app, followers[name], Kind.FOLLOWED_CASE) == [], "nothing before publication"

    login(auth, e["curator"])
    client.post(f"/cases/{case}/transition", data={"action": "publish"})

    expected = {"theme_fan": "您关注的主题“党建引领”有新案例发布：《红色物业进小区》",
                "province_fan": "您关注的省份“贵州省”有新案例发布：《红色物业进小区》",
                "org_fan": f"您关注的单位“{UNIT}”有新案例发布：《红色物业进小区》",
                "all_fan": f"您关注的单位“{UNIT}”有新案例发布：《红色物业进小区》"}
    for name, text in expected.items():
        got = notes(app, followers[name], Kind.FOLLOWED_CASE)
        assert [(n["text"], n["url"]) for n in got] == [(text, f"/cases/{case}")], name
        assert mails_to(app, followers[name]) == [], "followed cases are mailed in digests, not one by one"
    assert notes(app, followers["elsewhere_fan"]) == []
    # The unit's own editor follows the theme, but hears about the publication once, as the unit.
    assert [n["kind"] for n in notes(app, e["org_editor"])][-1:] == [Kind.CASE_WORKFLOW]
    assert notes(app, e["org_editor"], Kind.FOLLOWED_CASE) == []

    send_digests(app)
    for name in expected:
        [mail] = mails_to(app, followers[name])
        assert mail["Subject"] == "每日案例摘要：您关注的主题、省份和单位新增 1 个案例"
        assert "《红色物业进小区》" in body_of(mail) and f"/cases/{case}" in body_of(mail)
    assert mails_to(app, followers["elsewhere_fan"]) == [] and mails_to(app, e["org_editor"], "案例摘要") == []

    # Archiving tells no follower; restoring it to the library tells them once more in the app
    # (a new line once the first was read), but it is not mailed a second time.
    act(app, case, "archive", e["curator"])
    assert len(notes(app, followers["theme_fan"])) == 1
    auth.logout()
    login(auth, followers["theme_fan"])
    client.post(f"/notifications/{notes(app, followers['theme_fan'])[0]['id']}/open")
    act(app, case, "restore", e["curator"])
    assert len(notes(app, followers["theme_fan"])) == 2
    send_digests(app, days=1)
    assert len(mails_to(app, followers["theme_fan"])) == 1


def send_digests(app, days=0):
    """Run the digest job as cron would, ``days`` after now."""
    from datetime import timedelta

    from portal.extensions import db
    from portal.models_base import utcnow
    from portal.notifications.digests import send_digests as run

    with app.app_context():
        run(now=utcnow() + timedelta(days=days))
        db.session.remove()


@pytest.mark.parametrize("status", ["draft", "submitted", "in_review", "returned"])
def test_unpublished_cases_tell_no_follower(app, factory, world, followers, status):
    factory.case(world["unit"], title="未公开的案例", status=status)
    for email in followers.values():
        assert notes(app, email) == [], status
        assert mails_to(app, email) == [], status


def test_a_published_case_that_matches_nothing_followed_tells_nobody(app, factory, world, followers):
    other = factory.org(factory.user()[1], name="昆明市社区服务中心", province="云南省")
    factory.case(other, title="云南的案例", themes=("志愿服务",), province="四川省")
    for email in followers.values():
        assert notes(app, email) == []


# Preferences --------------------------------------------------------------------------------------

def checkboxes(page: str) -> dict[str, bool]:
    """The preference checkboxes on the page: name -> ticked."""
    return {re.search(r'name="(\w+)"', tag).group(1): " checked" in tag
            for tag in re.findall(r'<input[^>]*type="checkbox"[^>]*>', page)}


def test_preferences_default_to_both_and_each_channel_can_be_turned_off(app, client, auth, factory, world):
    from portal.notifications.models import Kind

    party = theme_id(app, "党建引领")
    both = factory.user("both@example.org")[1]
    no_app = factory.user("no_app@example.org")[1]
    no_mail = factory.user("no_mail@example.org")[1]
    for email in (both, no_app, no_mail):
        add_follow(app, email, "theme", party)

    # 不要站内: untick the in-app box of the follow row through the page, keep everything else.
    login(auth, no_app)
    page = page_of(client.get("/notifications/preferences"))
    for label in ("本单位案例收到新的专家点评", "有人回复了我的评论", "我被指派点评案例", "本单位案例的审核状态变化",
                  "举报处理结果", "我关注的主题、省份或单位有新案例发布"):
        assert label in page
    boxes = checkboxes(page)
    from portal.notifications.services import KIND_LABELS

    # Followed cases are e-mailed as a digest: a choice (不发送 / 每日 / 每周) instead of a box.
    assert len(boxes) == 2 * len(KIND_LABELS) - 1 and all(boxes.values()), "every box is ticked by default"
    assert f"email_{Kind.FOLLOWED_CASE}" not in boxes
    assert re.search(r'<option selected value="daily">每日摘要</option>', page)
    form = {name: "y" for name in boxes if name != f"in_app_{Kind.FOLLOWED_CASE}"}
    response = client.post("/notifications/preferences",
                           data={**form, f"email_{Kind.FOLLOWED_CASE}": "daily", "save": "1"})
    assert path_of(response) == "/notifications/preferences"
    page = page_of(client.get("/notifications/preferences"))
    assert "通知设置已保存" in page
    assert checkboxes(page) == {**boxes, f"in_app_{Kind.FOLLOWED_CASE}": False}
    auth.logout()

    set_preference(app, no_mail, Kind.FOLLOWED_CASE, True, False)

    factory.case(world["unit"], title="党建引领新案例", themes=("党建引领",))
    send_digests(app)
    assert len(notes(app, both)) == 1 and len(mails_to(app, both, "案例摘要")) == 1
    assert notes(app, no_app) == [] and len(mails_to(app, no_app, "案例摘要")) == 1
    assert len(notes(app, no_mail)) == 1 and mails_to(app, no_mail) == []


def test_turning_off_one_kind_leaves_the_others_on(app, factory, world):
    from portal.notifications.models import Kind

    e = world["emails"]
    set_preference(app, e["org_admin"], Kind.CASE_WORKFLOW, False, False)
    factory.case(world["unit"], title="只告诉编辑", status="submitted")
    assert notes(app, e["org_admin"]) == [] and mails_to(app, e["org_admin"], "只告诉编辑") == []
    assert len(notes(app, e["org_editor"])) == 1 and len(mails_to(app, e["org_editor"], "只告诉编辑")) == 1


def test_unticking_every_box_turns_everything_off(app, client, auth, world):
    from portal.notifications.services import KIND_LABELS

    login(auth, world["emails"]["practitioner"])
    client.post("/notifications/preferences", data={"save": "1", "email_followed_case": "never"})
    from portal.auth.services import get_user_by_email
    from portal.notifications import services

    with app.app_context():
        prefs = services.preferences(get_user_by_email(world["emails"]["practitioner"]))
    assert prefs == {str(k): (False, False) for k in KIND_LABELS}


# The notification centre --------------------------------------------------------------------------

def seed(app, email, *texts, url="/cases"):
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications.models import Kind
    from portal.notifications.services import notify

    with app.app_context():
        user = get_user_by_email(email)
        for text in texts:
            notify([user], Kind.COMMENT_REPLY, text, url)
        db.session.commit()


def unread_badge(page: str) -> str | None:
    match = re.search(r'class="nav-notifications"[^>]*>.*?<span class="count-badge">(\d+)', page, re.S)
    return match.group(1) if match else None


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(app, client, auth, factory, world):
    e = world["emails"]
    case = factory.case(world["unit"], title="可以打开的案例")
    seed(app, e["practitioner"], "第一条", "第二条", url=f"/cases/{case}")
    seed(app, e["practitioner"], "第三条", url="https://evil.example/phish")
    login(auth, e["practitioner"])

    page = page_of(client.get("/notifications"))
    assert page.index("第三条") < page.index("第二条") < page.index("第一条"), "newest first"
    assert page.count("badge-unread") == 3 and "3 条未读" in page
    assert unread_badge(page) == "3"

    first = notes(app, e["practitioner"])[0]
    response = client.post(f"/notifications/{first['id']}/open")
    assert (response.status_code, path_of(response)) == (302, f"/cases/{case}")
    assert [n["read"] for n in notes(app, e["practitioner"])] == [True, False, False]
    page = page_of(client.get("/notifications"))
    assert page.count("badge-unread") == 2 and unread_badge(page) == "2"

    # A stored address that leaves the site is never followed.
    third = notes(app, e["practitioner"])[2]
    assert path_of(client.post(f"/notifications/{third['id']}/open")) == "/notifications"

    response = client.post("/notifications/read-all")
    assert "已全部标为已读" in page_of(client.get(path_of(response)))
    assert all(n["read"] for n in notes(app, e["practitioner"]))
    page = page_of(client.get("/cases"))
    assert unread_badge(page) is None and 'href="/notifications"' in page


def test_the_list_is_paginated(app, client, auth, world):
    e = world["emails"]
    seed(app, e["practitioner"], *[f"消息{n:02d}" for n in range(25)])
    login(auth, e["practitioner"])
    first = page_of(client.get("/notifications"))
    assert "消息24" in first and "消息05" in first and "消息04" not in first and "第 1 / 2 页" in first
    second = page_of(client.get("/notifications?page=2"))
    assert "消息04" in second and "消息00" in second and "消息05" not in second


def test_nobody_sees_or_touches_another_persons_notifications(app, client, auth, world):
    e = world["emails"]
    seed(app, e["org_admin"], "管理员的私信通知")
    seed(app, e["practitioner"], "实务工作者的通知")
    theirs = notes(app, e["org_admin"])[0]

    login(auth, e["practitioner"])
    assert "管理员的私信通知" not in page_of(client.get("/notifications"))
    response = client.post(f"/notifications/{theirs['id']}/open")
    assert response.status_code == 404 and "未找到" in page_of(response)
    client.post("/notifications/read-all")
    assert notes(app, e["org_admin"])[0]["read"] is False, "mark-all only touches one's own"
    assert notes(app, e["practitioner"])[0]["read"] is True
    assert client.get(f"/notifications/{theirs['id']}/open").status_code == 405, "no state change by GET"
    auth.logout()

    # Not even the platform admin opens someone else's notification.
    login(auth, e["curator"])
    assert client.post(f"/notifications/{theirs['id']}/open").status_code == 404
    assert client.post("/notifications/999999/open").status_code == 404
    assert notes(app, e["org_admin"])[0]["read"] is False


# Follow and unfollow ------------------------------------------------------------------------------

def test_following_and_unfollowing_from_the_pages_where_the_buttons_are(app, client, auth, factory, world):
    e = world["emails"]
    party = theme_id(app, "党建引领")
    case = factory.case(world["unit"], title="关注按钮所在的案例", themes=("党建引领",))
    login(auth, e["practitioner"])

    org_page = page_of(client.get(f"/orgs/{world['unit']}"))
    assert 'action="/follow"' in org_page and f'name="key" value="{world["unit"]}"' in org_page
    response = client.post("/follow", data={"target_type": "org", "key": str(world["unit"]),
                                            "next": f"/orgs/{world['unit']}"})
    assert path_of(response) == f"/orgs/{world['unit']}"
    org_page = page_of(client.get(path_of(response)))
    assert f"已关注“{UNIT}”" in org_page and 'action="/unfollow"' in org_page and "已关注 · 取消" in org_page

    listing = page_of(client.get(f"/cases?theme={party}&province=贵州省"))
    assert listing.count('action="/follow"') == 2
    client.post("/follow", data={"target_type": "theme", "key": str(party)})
    client.post("/follow", data={"target_type": "province", "key": "贵州省"})
    client.post("/follow", data={"target_type": "theme", "key": str(party)})  # twice: harmless
    assert sorted(follows(app, e["practitioner"])) == sorted([("org", str(world["unit"])), ("theme", str(party)),
                                                              ("province", "贵州省")])
    assert page_of(client.get(f"/cases?theme={party}&province=贵州省")).count('action="/unfollow"') == 2
    assert 'action="/unfollow"' in page_of(client.get(f"/cases/{case}")), "the theme chip shows it is followed"

    prefs = page_of(client.get("/notifications/preferences"))
    for label in ("党建引领", "贵州省", UNIT):
        assert label in prefs
    assert prefs.count("取消关注") >= 3
    response = client.post("/unfollow", data={"target_type": "theme", "key": str(party),
                                              "next": "/notifications/preferences"})
    assert "已取消关注" in page_of(client.get(path_of(response)))
    assert ("theme", str(party)) not in follows(app, e["practitioner"])
    client.post("/unfollow", data={"target_type": "theme", "key": str(party)})  # again: harmless
    assert len(follows(app, e["practitioner"])) == 2

    # Unfollowed: the next case in that theme (elsewhere, by another unit) no longer reaches them.
    other = factory.org(factory.user()[1], name="成都市社区基金会", province="四川省")
    factory.case(other, title="四川的党建案例", themes=("党建引领",), province="四川省")
    assert notes(app, e["practitioner"]) == []


@pytest.mark.parametrize(("target_type", "key", "message"), [
    ("theme", "999999", "未找到该主题，无法关注。"),
    ("theme", "abc", "未找到该主题，无法关注。"),
    ("theme", "{retired}", "主题“养老服务”已停用，不能再关注。"),
    ("province", "火星省", "未知的省级行政区，无法关注。"),
    ("province", "", "未知的省级行政区，无法关注。"),
    ("org", "{pending}", "只能关注已认证的成员单位。"),
    ("org", "999999", "只能关注已认证的成员单位。"),
    ("city", "贵阳市", "未知的关注类型。"),
])
def test_following_something_that_cannot_be_followed_is_refused_in_chinese(
        app, client, auth, world, target_type, key, message):
    from portal.cases.models import Theme
    from portal.extensions import db

    with app.app_context():
        theme = db.session.get(Theme, theme_id(app, "养老服务"))
        theme.retired = True
        db.session.commit()
    key = key.format(retired=theme_id(app, "养老服务"), pending=world["pending"])
    login(auth, world["emails"]["practitioner"])
    response = client.post("/follow", data={"target_type": target_type, "key": key, "next": "/cases"})
    assert path_of(response) == "/cases"
    page = page_of(client.get("/cases"))
    assert "flash-error" in page and message in page
    assert PENDING not in page, "a pending unit's name does not leak through the error"
    assert follows(app) == []


def test_anonymous_visitors_are_sent_to_log_in(app, client, world):
    for path in ("/notifications", "/notifications/preferences"):
        response = client.get(path)
        assert (response.status_code, path_of(response)) == (302, "/auth/login")
    for path, data in (("/follow", {"target_type": "province", "key": "贵州省"}),
                       ("/unfollow", {"target_type": "province", "key": "贵州省"}),
                       ("/notifications/read-all", {}), ("/notifications/1/open", {}),
                       ("/notifications/preferences", {"save": "1"})):
        response = client.post(path, data=data)
        assert (response.status_code, path_of(response)) == (302, "/auth/login"), path
    assert follows(app) == []
    # The follow button on a public page is a link to log in that comes back to the page.
    page = page_of(client.get(f"/orgs/{world['unit']}"))
    assert f'href="/auth/login?next=/orgs/{world["unit"]}"' in page and 'action="/follow"' not in page
    assert "nav-notifications" not in page


# CSRF is enforced on every POST (on, as in production) --------------------------------------------

class TestWithCsrfProtection:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_posts_without_the_token_are_refused_and_change_nothing(self, app, client, auth, world):
        e = world["emails"]
        seed(app, e["practitioner"], "一条通知")
        note = notes(app, e["practitioner"])[0]
        login(auth, e["practitioner"])
        for path, data in (("/follow", {"target_type": "province", "key": "贵州省"}),
                           ("/unfollow", {"target_type": "province", "key": "贵州省"}),
                           (f"/notifications/{note['id']}/open", {}), ("/notifications/read-all", {}),
                           ("/notifications/preferences", {"save": "1"})):
            response = client.post(path, data=data)
            assert response.status_code == 400, path
            assert "表单已过期或缺少安全令牌（CSRF）" in page_of(response)
        assert follows(app) == [] and notes(app, e["practitioner"])[0]["read"] is False
        from portal.auth.services import get_user_by_email
        from portal.notifications import services

        with app.app_context():
            assert set(services.preferences(get_user_by_email(e["practitioner"])).values()) == {(True, True)}

    def test_the_tokens_on_the_pages_work(self, app, client, auth, world):
        e = world["emails"]
        seed(app, e["practitioner"], "一条通知")
        login(auth, e["practitioner"])
        token = csrf_token(client, f"/orgs/{world['unit']}")
        assert token
        client.post("/follow", data={"target_type": "org", "key": str(world["unit"]), "csrf_token": token})
        assert follows(app) == [("org", str(world["unit"]))]
        token = csrf_token(client, "/notifications")
        note = notes(app, e["practitioner"])[0]
        assert client.post(f"/notifications/{note['id']}/open", data={"csrf_token": token}).status_code == 302
        assert notes(app, e["practitioner"])[0]["read"] is True
        token = csrf_token(client, "/notifications/preferences")
        assert client.post("/notifications/preferences", data={"csrf_token": token, "save": "1"}).status_code == 302


# Permission table: the notification routes for every role ----------------------------------------

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "reviewer", "curator")
OK, DONE, LOGIN, HIDE = 200, "DONE", "LOGIN", 404


def row(method, path, effect, *expected):
    assert len(expected) == len(ROLES), path
    return pytest.param(method, path, effect, dict(zip(ROLES, expected)), id=f"{method} {path}")


TABLE = [
    #   method  route                                effect of DONE   anon   pract  editor o-admin review curator
    row("GET",  "/notifications",                    None,            LOGIN, OK,    OK,    OK,    OK,    OK),
    row("GET",  "/notifications?page=2",             None,            LOGIN, OK,    OK,    OK,    OK,    OK),
    row("GET",  "/notifications/preferences",        None,            LOGIN, OK,    OK,    OK,    OK,    OK),
    row("POST", "/notifications/{mine}/open",        "first_read",    LOGIN, DONE,  DONE,  DONE,  DONE,  DONE),
    row("POST", "/notifications/{theirs}/open",      None,            LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    row("POST", "/notifications/read-all",           "all_read",      LOGIN, DONE,  DONE,  DONE,  DONE,  DONE),
    row("POST", "/notifications/preferences",        "prefs_off",     LOGIN, DONE,  DONE,  DONE,  DONE,  DONE),
    row("POST", "/follow",                           "followed",      LOGIN, DONE,  DONE,  DONE,  DONE,  DONE),
]


def _world_state(app) -> dict:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.notifications.models import Follow, Notification, NotificationPreference

    with app.app_context():
        state = {
            "notes": sorted((n.user_id, n.id, n.read_at is not None) for n in db.session.scalars(select(Notification))),
            "follows": sorted((f.user_id, f.target_type, f.target_key) for f in db.session.scalars(select(Follow))),
            "prefs": sorted((p.user_id, p.kind, p.in_app, p.email)
                            for p in db.session.scalars(select(NotificationPreference))),
        }
        db.session.remove()
    return state


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "effect", "expected"), TABLE)
def test_notification_permission_table(app, client, auth, factory, world, method, path, effect, expected, role):
    """anonymous -> login and nothing changes; everyone logged in -> their own items only, and
    a 404 (nothing changes) for anyone else's."""
    e = world["emails"]
    outsider = factory.user("outsider@example.org")[1]
    for other in ROLES[1:]:
        seed(app, e[other], f"给{other}的通知", f"给{other}的第二条通知", url="/cases")
    seed(app, outsider, "别人的通知")
    me = e[role] if role != "anonymous" else e["practitioner"]
    url = path.format(mine=notes(app, me)[0]["id"], theirs=notes(app, outsider)[0]["id"])
    if role != "anonymous":
        login(auth, me)

    before = _world_state(app)
    response = client.open(url, method=method,
                           data={"target_type": "province", "key": "贵州省"} if path == "/follow" else
                           {"save": "1", "email_followed_case": "never"} if method == "POST" else None)
    after = _world_state(app)
    outcome = expected[role]

    if outcome == LOGIN:
        assert (response.status_code, path_of(response)) == (302, "/auth/login")
    elif outcome == HIDE:
        assert response.status_code == 404 and "未找到" in page_of(response)
    elif outcome == OK:
        assert response.status_code == 200
        page = page_of(response)
        if path == "/notifications":
            assert [r for r in ROLES[1:] if f"给{r}的通知" in page] == [role]
            assert "别人的通知" not in page
    else:
        assert response.status_code == 302 and path_of(response) != "/auth/login"
    if outcome != DONE:
        assert after == before, "a refused or read-only request changed the database"
        return

    from portal.auth.services import get_user_by_email

    with app.app_context():
        my_id = get_user_by_email(me).id
    changed = {k for k in before if before[k] != after[k]}
    if effect in ("first_read", "all_read"):
        assert changed == {"notes"}
        flipped = [(u, i) for (u, i, r0), (_u, _i, r1) in zip(before["notes"], after["notes"]) if r0 != r1]
        mine = [i for u, i, _r in before["notes"] if u == my_id]
        assert flipped == ([(my_id, mine[0])] if effect == "first_read" else [(my_id, i) for i in mine])
    elif effect == "prefs_off":
        assert changed == {"prefs"} and {p[0] for p in after["prefs"]} == {my_id}
        assert all(not p[2] and not p[3] for p in after["prefs"])
    elif effect == "followed":
        assert changed == {"follows"} and after["follows"] == [(my_id, "province", "贵州省")]
