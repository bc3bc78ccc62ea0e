"""The home page (portal.main.services): what is alive on the platform for everyone — featured and
latest published cases, the next session (with 报名 while registration is open) and the latest
archived one, recent expert comments, themes with counts, headline figures counted from the
data — and, for a logged-in user, a personal panel with their to-dos: a unit editor's drafts,
returned cases and unanswered questions; a reviewer's assignments due (the unit hidden when the
review is blind); an admin's cases waiting, unit applications and reports to moderate.

The world (built through the services): 单位编辑 edits for the verified unit 阳光社工 (two
published cases, one featured; a draft; a returned case; two submitted cases); 点评专家甲 is
assigned the blind review of one submitted case; 点评专家乙 commented on the featured case and,
as an assigned reviewer, on a submitted one; 居民 asked a question under a published case and
举报人 reported it; 申请人 applied for a unit still pending; two sessions are upcoming and two
were archived.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

SHARED_APP = True

NAMES = {"editor": "单位编辑", "org_admin": "单位管理员", "reviewer": "点评专家甲", "expert2": "点评专家乙",
         "hidden": "匿名专家丙", "admin": "平台管理员", "resident": "居民", "reporter": "举报人",
         "applicant": "申请人"}
UNIT = "贵阳市阳光社工服务中心"
PENDING_UNIT = "待认证的社区基金会"


def _future(days: int) -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) + timedelta(days=days)


def build_world(app, factory) -> dict:
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.cases.services import set_featured
    from portal.discussion import services as discussion
    from portal.extensions import db
    from portal.reviews import assignments
    from portal.reviews import services as reviews
    from portal.sessions import services as sessions

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "admin",
                                         reviewer=role in ("reviewer", "expert2", "hidden"))
    unit = factory.org(emails["org_admin"], name=UNIT)
    factory.member(unit, emails["editor"], "editor")
    factory.org(emails["applicant"], name=PENDING_UNIT, status="pending", province="云南省")
    ids = {
        "featured": factory.case(unit, "精选：议事会推动加装电梯", themes=("党建引领",)),
        "latest": factory.case(unit, "最新：社区食堂助老", themes=("五社联动",), province="四川省"),
        "draft": factory.case(unit, "草稿：尚未完成的案例", status="draft"),
        "returned": factory.case(unit, "退回：成效数据待补充", status="returned"),
        "submitted": factory.case(unit, "待审：社工站建设", status="submitted"),
        "blind": factory.case(unit, "待审：匿名评审的案例", status="submitted"),
    }
    with app.test_request_context():
        user = {role: get_user_by_email(email) for role, email in emails.items()}
        case = {key: db.session.get(Case, case_id) for key, case_id in ids.items()}
        set_featured(user["admin"], case["featured"], True)
        assignments.assign_reviewer(user["admin"], case["blind"], user["reviewer"].id,
                                    date.today() + timedelta(days=7), hide_unit=True)
        assignments.assign_reviewer(user["admin"], case["blind"], user["hidden"].id, hide_reviewer=True)
        assignments.assign_reviewer(user["admin"], case["submitted"], user["expert2"].id)
        reviews.post_comment(user["expert2"], case["featured"], reviews.CommentData(
            body="议事规则清晰，值得推广。", declaration="none"))
        reviews.post_comment(user["expert2"], case["submitted"], reviews.CommentData(
            body="尚未发布案例上的点评。", declaration="none"))
        question = discussion.post_comment(user["resident"], case["latest"], "请问食堂的经费从哪里来？")
        discussion.report_comment(user["reporter"], question, "与案例无关")

        admin = user["admin"]
        for title, days in (("下一场：居民议事", 5), ("再下一场：社工站", 15)):
            start = _future(days)
            sessions.create_session(admin, sessions.SessionData(title=title, starts_at=start,
                                                                ends_at=start + timedelta(hours=2), venue="腾讯会议"))
        for title, days, people in (("更早的一期：牵手计划", 60, 80), ("往期：五社联动专场", 30, 120)):
            start = _future(-days)
            held = sessions.create_session(admin, sessions.SessionData(title=title, starts_at=start,
                                                                       ends_at=start + timedelta(hours=2)))
            sessions.close_session(admin, held, sessions.RecordData(participants=people))
        db.session.commit()
    return {"emails": emails, "ids": ids}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(page: str, anchor: str) -> str:
    """The HTML of the element with id ``anchor`` up to the next <section (or the end)."""
    start = page.index(f'id="{anchor}"')
    end = page.find("<section", start)
    return page[start:end if end != -1 else None]


def figures(page: str) -> dict[str, int]:
    return {name: int(value) for name, value in
            re.findall(r'data-figure="(\w+)"><dt>[^<]*</dt><dd>(\d+)</dd>', page)}


def session_id(app, title: str) -> int:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.sessions.models import SharingSession

    with app.app_context():
        return db.session.scalar(select(SharingSession.id).where(SharingSession.title == title))


def test_visitor_sees_featured_and_latest_published_cases_never_a_draft(client, world):
    page = home(client)
    featured = section(page, "featured-cases")
    latest = section(page, "latest-cases")
    assert "精选：议事会推动加装电梯" in featured and f'href="/cases/{world["ids"]["featured"]}"' in featured
    assert "最新：社区食堂助老" in latest
    for key in ("draft", "returned", "submitted", "blind"):
        assert f'href="/cases/{world["ids"][key]}"' not in page
    for title in ("草稿：尚未完成的案例", "退回：成效数据待补充", "待审：社工站建设", "待审：匿名评审的案例"):
        assert title not in page


def test_featured_shows_the_newest_three_and_an_older_featured_case_counts_among_the_latest(app, client, world, factory):
    """One query fills both lists: the newest featured cases first, then the newest of the rest,
    in which a featured case beyond the first three is an ordinary case."""
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.main.services import FEATURED_LIMIT, LATEST_LIMIT

    with app.app_context():
        org_id = db.session.get(Case, world["ids"]["featured"]).org_id
    titles = [f"排序案例{n:02d}" for n in range(10)]  # 00 oldest ... 09 newest, the even ones featured
    ids = [factory.case(org_id, title) for title in titles]
    with app.app_context():
        for n, case_id in enumerate(ids):
            case = db.session.get(Case, case_id)
            case.featured, case.published_at = n % 2 == 0, datetime(2027, 1, 1) + timedelta(days=n)
        db.session.commit()
    page = home(client)

    def shown(anchor):
        return re.findall(r"排序案例\d\d", section(page, anchor))
    assert shown("featured-cases") == ["排序案例08", "排序案例06", "排序案例04"][:FEATURED_LIMIT]
    # The older featured ones (02, 00) are ordinary cases here, newest first.
    assert shown("latest-cases") == ["排序案例09", "排序案例07", "排序案例05", "排序案例03", "排序案例02", "排序案例01"][:LATEST_LIMIT]


def test_next_session_has_its_register_button_while_registration_is_open(app, client, auth, world):
    next_id = session_id(app, "下一场：居民议事")
    block = section(home(client), "next-session")
    assert "下一场：居民议事" in block and "再下一场" not in block
    assert "登录后报名" in block  # a visitor is sent to log in first
    auth.login(world["emails"]["resident"])
    block = section(home(client), "next-session")
    assert f'action="/sessions/{next_id}/register"' in block and "报名" in block
    # The button posts to the session page's own registration route.
    response = client.post(f"/sessions/{next_id}/register")
    assert response.status_code == 302
    block = section(home(client), "next-session")
    assert "已报名" in block and f'action="/sessions/{next_id}/register"' not in block


def test_no_register_button_when_registration_is_closed(app, client, auth, world):
    from portal.extensions import db
    from portal.sessions.models import SharingSession

    next_id = session_id(app, "下一场：居民议事")
    with app.app_context():
        db.session.get(SharingSession, next_id).registration_open = False
        db.session.commit()
    auth.login(world["emails"]["resident"])
    block = section(home(client), "next-session")
    assert "下一场：居民议事" in block
    assert "/register" not in block and "暂未开放报名" in block


def test_the_latest_archived_session_is_shown(client, world):
    block = section(home(client), "last-session")
    assert "往期：五社联动专场" in block and "120" in block
    assert "更早的一期" not in block


def test_recent_expert_comments_are_signed_and_only_on_published_cases(app, client, world):
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.errors import PermissionDenied
    from portal.extensions import db
    from portal.reviews import services as reviews

    block = section(home(client), "expert-comments")
    assert "议事规则清晰，值得推广。" in block and "点评专家乙" in block
    assert "精选：议事会推动加装电梯" in block
    assert "尚未发布案例上的点评" not in block
    # Public expert comments cannot be blind: a reviewer hidden from the unit may not post one,
    # so the home page never has a hidden reviewer to show.
    with app.test_request_context():
        hidden = get_user_by_email(world["emails"]["hidden"])
        with pytest.raises(PermissionDenied):
            reviews.post_comment(hidden, db.session.get(Case, world["ids"]["blind"]),
                                 reviews.CommentData(body="署名点评", declaration="none"))
    assert "匿名专家丙" not in home(client)


def test_themes_are_listed_with_their_published_case_counts(client, world):
    block = section(home(client), "themes")
    counts = dict(re.findall(r'>([^<>]+?) <span class="count">(\d+)</span>', block))
    # The draft, returned and submitted cases are 党建引领 too, but only published ones count.
    assert counts["党建引领"] == "1" and counts["五社联动"] == "1"
    assert counts.get("乡村振兴") == "0"


def test_headline_figures_are_counted_from_the_data(app, client, world, factory):
    assert figures(home(client)) == {"cases": 2, "units": 1, "provinces": 2, "sessions": 2, "participants": 200}
    new_unit = factory.org(world["emails"]["applicant"], name="新认证单位", province="甘肃省")
    factory.case(new_unit, "新案例", province="甘肃省")
    assert figures(home(client)) == {"cases": 3, "units": 2, "provinces": 3, "sessions": 2, "participants": 200}


def test_headline_figures_are_kept_until_a_unit_or_session_changes(app, client, world, monkeypatch):
    """They count the whole catalogue, so each worker keeps them (portal.cases.facets) until a
    case, theme, unit or session changes, and a minute at most (sessions become "held" by the
    clock alone)."""
    import time
    from types import SimpleNamespace

    from sqlalchemy import select, text

    from portal.cases import facets
    from portal.extensions import db
    from portal.orgs.models import Organization, OrgStatus

    first = figures(home(client))
    with app.app_context():  # behind the ORM's back: announces nothing
        db.session.execute(text("UPDATE sharing_sessions SET participants = participants + 1000 "
                                "WHERE participants IS NOT NULL"))
        db.session.commit()
    assert figures(home(client)) == first
    later = time.monotonic() + 61
    monkeypatch.setattr(facets, "time", SimpleNamespace(monotonic=lambda: later))
    assert figures(home(client))["participants"] == first["participants"] + 2000
    monkeypatch.undo()

    with app.app_context():  # through the ORM: seen at once
        unit = db.session.scalar(select(Organization).where(Organization.status == OrgStatus.VERIFIED))
        unit.status = OrgStatus.PENDING
        db.session.commit()
    assert figures(home(client))["units"] == first["units"] - 1


def test_editor_panel_lists_drafts_returned_cases_and_questions(client, auth, world):
    auth.login(world["emails"]["editor"])
    page = home(client)
    panel = section(page, "my-panel")
    assert "已发布 2 篇" in panel and "草稿 1 篇" in panel and "退回待修改 1 篇" in panel
    assert "待回复的提问 1 条" in panel and "请问食堂的经费从哪里来？" in panel
    assert f'href="/cases/{world["ids"]["draft"]}/edit"' in panel
    assert f'href="/cases/{world["ids"]["returned"]}/edit"' in panel
    assert 'href="/cases/new"' in panel and "新建案例" in panel
    # A unit editor is no longer invited to apply for a unit.
    assert "申请注册单位" not in page and 'href="/orgs/apply"' not in page
    assert "审核队列" not in panel and "待点评（" not in panel


def test_a_reply_from_the_unit_answers_the_question(app, client, auth, world):
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.discussion import services as discussion
    from portal.discussion.models import Comment
    from portal.extensions import db

    with app.test_request_context():
        editor = get_user_by_email(world["emails"]["editor"])
        question = db.session.scalar(db.select(Comment).where(Comment.body.like("请问%")))
        discussion.post_comment(editor, db.session.get(Case, world["ids"]["latest"]), "来自街道和基金会。",
                                parent_id=question.id)
        db.session.commit()
    auth.login(world["emails"]["editor"])
    panel = section(home(client), "my-panel")
    assert "待回复的提问 0 条" in panel and "请问食堂的经费从哪里来？" not in panel


def test_reviewer_panel_lists_assignments_due_with_the_unit_hidden_when_blind(client, auth, world):
    auth.login(world["emails"]["reviewer"])
    page = home(client)
    panel = section(page, "my-panel")
    assert "待点评（1）" in panel and "待审：匿名评审的案例" in panel
    assert (date.today() + timedelta(days=7)).isoformat() in panel
    assert UNIT not in panel and "单位名称已隐去" in panel
    assert 'href="/review/queue"' in panel
    assert "新建案例" not in panel and "审核队列" not in panel


def test_admin_panel_counts_cases_waiting_unit_applications_and_reports(client, auth, world):
    auth.login(world["emails"]["admin"])
    panel = section(home(client), "my-panel")
    assert "2 篇案例待审核" in panel and 'href="/cases/queue"' in panel
    assert "1 个待审核" in panel and 'href="/admin/orgs"' in panel
    assert "1 条待处理" in panel and 'href="/admin/moderation"' in panel


def test_only_a_logged_in_user_has_a_personal_panel(client, auth, world):
    page = home(client)
    assert 'id="my-panel"' not in page and "我的待办" not in page
    assert 'href="/orgs/apply"' in page
    # Someone logged in without a unit, review or admin role: a panel with nothing to do,
    # and still the invitation to apply for a unit.
    auth.login(world["emails"]["resident"])
    page = home(client)
    assert "暂无待办事项" in section(page, "my-panel")
    assert 'href="/orgs/apply"' in page


def test_the_page_reads_a_fixed_number_of_queries_however_many_cases(app, client, auth, world, factory):
    from sqlalchemy import event

    from portal.extensions import db

    def page_and_queries() -> tuple[str, int]:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = home(client)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return page, len(seen)

    auth.login(world["emails"]["admin"])
    _page, before = page_and_queries()
    unit = _unit_id(app)
    for n in range(4):
        factory.case(unit, f"又一个案例{n}", themes=("乡村振兴",))
    page, after = page_and_queries()
    assert "又一个案例3" in section(page, "latest-cases")
    assert after == before


def _unit_id(app) -> int:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.orgs.models import Organization

    with app.app_context():
        return db.session.scalar(select(Organization.id).where(Organization.name == UNIT))
