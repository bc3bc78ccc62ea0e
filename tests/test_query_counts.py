"""One query per kind of thing, not per row (issue 13): each page type runs the same number of SQL
statements whether it shows a few rows or three times as many.

The world has pairs: a small and a large unit (2 and 6 published cases), a case with one expert
comment, discussion comment, adoption report and session, and one with three of each; a session
with 2 presented cases and one with 6; events with 1 and 3 phases; experts with 1 and 3 comments;
users with 2 and 6 notifications; a queue with 2 submitted and 6 in-review cases. Each test asks
for the small and the large page (once to warm caches, then counted) and compares.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

SMALL, LARGE = 2, 6


def build_world(app, factory) -> dict:
    from sqlalchemy import select

    from portal.adoptions import services as adoptions
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case, Theme
    from portal.discussion import services as discussion
    from portal.extensions import db
    from portal.models_base import utcnow
    from portal.notifications.models import Kind
    from portal.notifications.services import notify
    from portal.reviews import services as reviews
    from portal.reviews.models import ExpertComment
    from portal.sessions import services as sessions

    ids: dict = {}
    _id, admin_email = factory.user("admin@example.org", "管理员", admin=True)
    _id, small_email = factory.user("small@example.org", "小单位管理员")
    _id, large_email = factory.user("large@example.org", "大单位管理员")
    ids["small_org"] = factory.org(small_email, name="小单位社工中心", province="云南省")
    ids["large_org"] = factory.org(large_email, name="大单位社工中心", province="四川省")
    _id, both_email = factory.user("both@example.org", "两个单位的管理员")
    for org_id in (ids["small_org"], ids["large_org"]):
        factory.member(org_id, both_email, role="admin")
    themes = ("党建引领", "社区营造")
    with app.app_context():
        names = list(db.session.scalars(select(Theme.name).order_by(Theme.position)))
        themes = tuple(names[:2])
        ids["theme_small"], ids["theme_large"] = (
            db.session.scalar(select(Theme.id).where(Theme.name == n)) for n in themes)
    ids["small_cases"] = [factory.case(ids["small_org"], f"电梯议事小案例{n}", themes=(themes[0],), province="云南省",
                                       tags=[f"小标签{n}"]) for n in range(SMALL)]
    ids["large_cases"] = [factory.case(ids["large_org"], f"食堂助老大案例{n}", themes=themes, province="四川省",
                                       tags=[f"大标签{n}", "共同标签"]) for n in range(LARGE)]
    ids["submitted"] = [factory.case(ids["small_org"], f"待审小案例{n}", status="submitted") for n in range(SMALL)]
    ids["in_review"] = [factory.case(ids["large_org"], f"审核中大案例{n}", status="in_review")
                        for n in range(LARGE)]
    # Units that report adopting cases, experts who comment, members who discuss.
    adopters = []
    for n in range(3):
        _id, email = factory.user(f"adopter{n}@example.org", f"借鉴者{n}")
        adopters.append((factory.org(email, name=f"借鉴单位{n}", province="四川省"), email))
    experts = [factory.user(f"expert{n}@example.org", f"专家{n}", reviewer=True) for n in range(3)]
    people = [factory.user(f"member{n}@example.org", f"居民{n}")[1] for n in range(3)]
    ids["case_small"], ids["case_large"] = ids["small_cases"][0], ids["large_cases"][0]
    with app.app_context():
        admin = get_user_by_email(admin_email)
        for _expert_id, _email in experts:
            profile = get_user_by_email(_email).reviewer_profile
            profile.themes = list(db.session.scalars(select(Theme).where(Theme.name.in_(themes))))
        # Expert 0 reviews one case of each kind; the large case has three experts' comments.
        for case_id, how_many in ((ids["case_small"], 1), (ids["case_large"], 3)):
            case = db.session.get(Case, case_id)
            for n in range(how_many):
                expert = get_user_by_email(experts[n][1])
                reviews.post_comment(expert, case, reviews.CommentData(
                    body=f"专家点评第{n}条：做法扎实，值得推广。", declaration=reviews.NO_CONFLICT))
                question = discussion.post_comment(get_user_by_email(people[n]), case, f"居民讨论第{n}条：很有启发。")
                unit = small_email if case_id == ids["case_small"] else large_email
                discussion.post_comment(get_user_by_email(unit), case, f"单位回复第{n}条。", parent_id=question.id)
                org_id, email = adopters[n]
                adoptions.save_report(get_user_by_email(email), case, adoptions.AdoptionData(
                    org_id=org_id, kind="adopted", place=f"成都市第{n}社区"))
        # Expert 0 has commented on 2 cases, expert 1 on 1: add comments so 1 and 3 differ.
        expert_small, expert_large = experts[1][0], experts[0][0]
        for case_id in ids["large_cases"][1:3]:
            reviews.post_comment(get_user_by_email(experts[0][1]), db.session.get(Case, case_id),
                                 reviews.CommentData(body="补充点评。", declaration=reviews.NO_CONFLICT))
        ids["expert_small"], ids["expert_large"] = expert_small, expert_large

        # Sessions: the small one presents 2 cases, the large one 6 (with speakers and materials).
        now = utcnow().replace(microsecond=0)

        def session(title, start, theme, **fields):
            return sessions.create_session(admin, sessions.SessionData(
                title=title, starts_at=start, ends_at=start + timedelta(hours=3), venue="腾讯会议",
                theme_ids=[theme], **fields))

        def fill(target, case_ids):
            for n, case_id in enumerate(case_ids):
                sessions.add_agenda_item(admin, target, sessions.AgendaData(kind="case", case_id=case_id,
                                                                            duration_minutes=20))
                sessions.add_speaker(admin, target, sessions.SpeakerData(
                    role="commentator", name=f"嘉宾{n}", user_id=experts[n % 3][0]))
                sessions.add_material_link(admin, target, f"资料{n}", f"https://files.example.org/{n}")
            sessions.set_attending_orgs(admin, target, [ids["small_org"], ids["large_org"]][:len(case_ids)])

        small_event = sessions.create_event(admin, sessions.EventData(title="一个阶段的活动", theme_ids=[ids["theme_small"]]))
        large_event = sessions.create_event(admin, sessions.EventData(title="三个阶段的活动", theme_ids=[ids["theme_large"]]))
        past = now - timedelta(days=30)
        small_session = session("小场次", past, ids["theme_small"], event_id=small_event.id)
        fill(small_session, ids["small_cases"])
        large_sessions = [session(f"大场次{n}", past - timedelta(days=n), ids["theme_large"], event_id=large_event.id)
                          for n in range(3)]
        fill(large_sessions[0], ids["large_cases"])
        fill(large_sessions[1], ids["large_cases"][:2])
        fill(large_sessions[2], ids["large_cases"][:1])
        for target in [small_session, *large_sessions]:
            sessions.close_session(admin, target, sessions.RecordData(participants=100))
        # Upcoming sessions in the /sessions list: 1 with the small theme, 3 with the large one.
        session("即将举行小", now + timedelta(days=5), ids["theme_small"])
        for n in range(3):
            session(f"即将举行大{n}", now + timedelta(days=6 + n), ids["theme_large"])
        ids["session_small"], ids["session_large"] = small_session.id, large_sessions[0].id
        # The expert comments were given in the sessions presenting the cases (excerpts on the page).
        for comment in db.session.scalars(select(ExpertComment)):
            if comment.case_id in (ids["case_small"], ids["case_large"]):
                comment.session_id = (small_session if comment.case_id == ids["case_small"] else large_sessions[0]).id
        ids["event_small"], ids["event_large"] = small_event.id, large_event.id
        # Series with 1 and 3 numbered sessions, each presenting a case.
        for key, how_many in (("series_small", 1), ("series_large", 3)):
            series = sessions.create_series(admin, sessions.SeriesData(title=f"系列{key}"))
            for n in range(how_many):
                numbered = session(f"{key}第{n + 1}期", past - timedelta(days=40 + n), ids["theme_large"],
                                   series_id=series.id)
                fill(numbered, ids["large_cases"][n:n + 1])
                sessions.close_session(admin, numbered, sessions.RecordData(participants=50))
            ids[key] = series.id

        # Review assignments: expert 1 has 2 (small unit's cases), expert 2 has 6 (large unit's).
        from portal.reviews.assignments import assign_reviewer

        for expert, case_ids in ((experts[1][0], ids["submitted"]), (experts[2][0], ids["in_review"])):
            for case_id in case_ids:
                assign_reviewer(admin, db.session.get(Case, case_id), expert)
        # Notifications: 2 for one user, 6 for another.
        for email, how_many in ((small_email, SMALL), (large_email, LARGE)):
            user = get_user_by_email(email)
            for n in range(how_many):
                notify([user], Kind.CASE_WORKFLOW, f"通知第{n}条", f"/cases/{ids['case_small']}")
        db.session.commit()
    return {"ids": ids, "admin": admin_email, "small": small_email, "large": large_email, "both": both_email}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


@contextmanager
def counting(app):
    """The SQL statements run inside the block, as a list of strings."""
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements(app, client, url: str) -> list[str]:
    """The statements of a GET of ``url``, asked a second time (caches warm, as in production)."""
    assert client.get(url).status_code == 200, url
    with counting(app) as seen:
        response = client.get(url)
    assert response.status_code == 200, url
    return seen


def assert_flat(app, client, small_url: str, large_url: str, *, rows: tuple[str, str] | None = None,
                label: str = "") -> None:
    """The large page runs no more statements than the small one (and shows its rows)."""
    small = statements(app, client, small_url)
    large = statements(app, client, large_url)
    if rows:
        assert rows[0] in client.get(small_url).get_data(as_text=True)
        assert rows[1] in client.get(large_url).get_data(as_text=True)
    COUNTS[small_url + label] = (len(small), len(large))
    if os.environ.get("QUERY_COUNTS_ONLY"):  # measuring (bench): record, do not judge
        return
    assert len(large) <= len(small), "\n".join(["small:", *small, "", "large:", *large])


#: page -> (statements small, statements large): printed with -s
COUNTS: dict[str, tuple[int, int]] = {}


def login(client, email):
    from tests.conftest import PASSWORD

    client.post("/auth/login", data={"email": email, "password": PASSWORD})


# Public pages ------------------------------------------------------------------------------------

def test_case_list_and_filters(app, client, world):
    ids = world["ids"]
    assert_flat(app, client, f"/cases?org={ids['small_org']}", f"/cases?org={ids['large_org']}",
                rows=("电梯议事小案例1", "食堂助老大案例5"))
    assert_flat(app, client, "/cases?province=云南省", "/cases?province=四川省")
    assert_flat(app, client, f"/cases?theme={ids['theme_large']}", f"/cases?theme={ids['theme_small']}")


def test_case_page_with_comments_discussion_sessions_and_adoptions(app, client, world):
    ids = world["ids"]
    assert_flat(app, client, f"/cases/{ids['case_small']}", f"/cases/{ids['case_large']}",
                rows=("专家点评第0条", "专家点评第2条"))
    login(client, world["both"])  # a member of both units sees more on each case page
    assert_flat(app, client, f"/cases/{ids['case_small']}", f"/cases/{ids['case_large']}", label=" (unit member)")
    for who, label in (("expert0@example.org", " (expert)"), (world["admin"], " (curator)")):
        client.post("/auth/logout")
        login(client, who)
        assert_flat(app, client, f"/cases/{ids['case_small']}", f"/cases/{ids['case_large']}", label=label)


def test_a_case_with_nothing_below_it_asks_its_panels_in_one_query(app, client, world, factory):
    """Most cases have no expert comments, sessions, awards, adoption reports or discussion: one
    query asks which of those lists a case has (cases.page ``has``), and the empty ones cost no
    query of their own; a case that has them still loads each list."""
    panel_tables = ("expert_comments", "agenda_items", "call_entries", "adoption_reports", "comments")

    def touching(url):
        return [s for s in statements(app, client, url) if any(f" {t} " in f" {s} ".replace(".", " ") for t in panel_tables)]

    bare = factory.case(world["ids"]["small_org"], "下面什么都没有的案例")
    asked = touching(f"/cases/{bare}")
    assert len(asked) == 1 and asked[0].count("EXISTS") == len(panel_tables), asked
    assert len(touching(f"/cases/{world['ids']['case_large']}")) > len(panel_tables)


def test_the_case_page_builds_its_own_statements_once(app, client, world):
    """The case page's lists (expert comments, sessions and their running orders, awards,
    adoption reports, discussion, which of them a case has) are statements built once and reused
    with the case's id as a parameter: SQLAlchemy keeps a statement's cache key on the object, and
    computing it again walked the whole statement on every view (models_base.statement)."""
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    executed: list = []

    def record(conn, clause, multiparams, params, execution_options):
        executed.append(clause)

    url = f"/cases/{world['ids']['case_large']}"
    event.listen(engine, "before_execute", record)
    try:
        views = []
        for _ in range(2):
            executed.clear()
            assert client.get(url).status_code == 200
            views.append(list(executed))
    finally:
        event.remove(engine, "before_execute", record)
    first, second = views
    panels = [s for s in second if any(t in str(s) for t in
                                       ("expert_comments", "agenda_items", "call_entries", "adoption_reports",
                                        "FROM comments"))]
    assert len(panels) >= 6, [str(s)[:80] for s in second]
    assert all(any(s is f for f in first) for s in panels), [str(s)[:80] for s in panels]


def test_a_visitor_reads_no_comment_revisions_and_no_text_of_neighbouring_cases(app, client, world):
    """The case page loads an expert comment's revisions only for a signed-in reader (only an
    admin or the comment's author sees them), and for the links to the cases presented before
    and after it only their titles and who may open them, not the cases' text."""
    seen = statements(app, client, f"/cases/{world['ids']['case_large']}")
    assert not [s for s in seen if "expert_comment_revisions" in s]
    neighbours = [s for s in seen if "FROM agenda_items" in s and "cases" in s]
    assert neighbours and not [s for s in neighbours if "cases.background" in s or "cases.summary" in s], neighbours
    login(client, "expert0@example.org")
    assert [s for s in statements(app, client, f"/cases/{world['ids']['case_large']}")
            if "FROM expert_comment_revisions" in s]


def test_a_past_session_counts_its_registrations_for_the_organizers_only(app, client, world):
    """A held session's page shows its registration figures to its organizers only, so a
    visitor's view does not count them."""
    url = f"/sessions/{world['ids']['session_large']}"
    assert not [s for s in statements(app, client, url) if "session_registrations" in s]
    login(client, world["admin"])
    assert [s for s in statements(app, client, url) if "session_registrations" in s]
    assert "报名 0 人" in client.get(url).get_data(as_text=True)


def test_home(app, client, world):
    from sqlalchemy import update

    from portal.cases.models import Case
    from portal.extensions import db

    def feature(case_ids):
        with app.app_context():
            db.session.execute(update(Case).where(Case.id.in_(case_ids)).values(featured=True))
            db.session.commit()

    feature(world["ids"]["large_cases"][:1])
    small = statements(app, client, "/")
    feature(world["ids"]["large_cases"][:3])  # three times as many featured cases
    large = statements(app, client, "/")
    COUNTS["/"] = (len(small), len(large))
    if os.environ.get("QUERY_COUNTS_ONLY"):
        return
    assert len(large) <= len(small), "\n".join(["small:", *small, "", "large:", *large])


def test_sessions_list_session_and_event_pages(app, client, world):
    ids = world["ids"]
    assert_flat(app, client, f"/sessions?theme={ids['theme_small']}", f"/sessions?theme={ids['theme_large']}",
                rows=("即将举行小", "即将举行大2"))
    assert_flat(app, client, f"/sessions/{ids['session_small']}", f"/sessions/{ids['session_large']}",
                rows=("电梯议事小案例1", "食堂助老大案例5"))
    assert_flat(app, client, f"/events/{ids['event_small']}", f"/events/{ids['event_large']}",
                rows=("小场次", "大场次2"))
    assert_flat(app, client, f"/series/{ids['series_small']}", f"/series/{ids['series_large']}",
                rows=("series_small第1期", "series_large第3期"))


def test_orgs_list_and_org_page(app, client, world):
    ids = world["ids"]
    assert_flat(app, client, "/orgs/?province=云南省", "/orgs/?province=四川省", rows=("小单位社工中心", "借鉴单位2"))
    assert_flat(app, client, f"/orgs/{ids['small_org']}", f"/orgs/{ids['large_org']}",
                rows=("电梯议事小案例1", "食堂助老大案例5"))


def test_experts_list_and_expert_page(app, client, world):
    from portal.extensions import db
    from portal.reviews.services import get_expert

    ids = world["ids"]
    with app.app_context():  # one expert has no theme: the theme filter shows 2, the full list 3
        get_expert(ids["expert_small"]).themes = []
        db.session.commit()
    assert_flat(app, client, f"/experts?theme={ids['theme_small']}", "/experts")
    assert_flat(app, client, f"/experts/{ids['expert_small']}", f"/experts/{ids['expert_large']}",
                rows=("专家点评第1条", "补充点评"))


def test_search_results(app, client, world):
    ids = world["ids"]
    assert_flat(app, client, "/search?q=电梯议事", "/search?q=食堂助老",
                rows=(f'/cases/{ids["small_cases"][1]}"', f'/cases/{ids["large_cases"][5]}"'))


# What list queries load ---------------------------------------------------------------------------

def test_case_list_loads_no_section_text_and_counts_ids_only(app, client, world):
    from portal.cases.models import LONG_COLUMNS

    seen = statements(app, client, "/cases")
    case_rows = [s for s in seen if s.startswith("SELECT cases.id")]
    assert case_rows, seen
    for column in LONG_COLUMNS:
        assert not any(f"cases.{column}" in s for s in seen), column
    count = next(s for s in seen if "count(" in s)
    assert "SELECT cases.id" in count and "cases.title" not in count, count


def year_options(client) -> list[str]:
    import re

    page = client.get("/cases").get_data(as_text=True)
    select = page[page.index('id="f-year"'):]
    return re.findall(r'<option value="(\d+)"', select[:select.index("</select>")])


def test_year_filter_follows_published_cases(app, client, world, tmp_path):
    """The years offered are cached, but never stale: a case edited, archived, or restored
    through another worker process (a second app on the same database here) shows at once."""
    from datetime import date

    from portal import create_app
    from portal.auth.services import get_user_by_email
    from portal.cases import services
    from portal.cases.models import Case
    from portal.extensions import db

    before = year_options(client)
    assert "2016" not in before
    case_id = world["ids"]["case_small"]
    with app.app_context():
        admin = get_user_by_email(world["admin"])
        case = db.session.get(Case, case_id)
        data = services.CaseData(**{n: getattr(case, n) for n in services.CONTENT_FIELDS},
                                 themes=[t.name for t in case.themes], tags=[t.name for t in case.tags])
        data.started_on = date(2016, 5, 1)
        services.update_case(admin, case, data)
        db.session.commit()
    assert "2016" in year_options(client)

    with app.app_context():
        services.transition(get_user_by_email(world["admin"]), db.session.get(Case, case_id), "archive")
        db.session.commit()
    assert "2016" not in year_options(client)

    other_worker = create_app({"TESTING": True, "INSTANCE_DIR": str(tmp_path / "other"), "SEARCH_SYNC": "off",
                               "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                               "SECRET_KEY": "test-secret-key"})
    with other_worker.app_context():
        services.transition(get_user_by_email(world["admin"]), db.session.get(Case, case_id), "restore")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert "2016" in year_options(client)


def test_theme_filter_and_counts_follow_theme_and_case_changes(app, client, world):
    """Theme names and counts are cached too: a renamed theme and a case given a theme show at once."""
    import re

    from portal.auth.services import get_user_by_email
    from portal.cases import services
    from portal.cases.models import Case, Theme
    from portal.extensions import db

    ids = world["ids"]

    def home_count(name):
        found = re.search(re.escape(name) + r' <span class="count">(\d+)</span>', client.get("/").get_data(as_text=True))
        return int(found.group(1)) if found else None

    with app.app_context():
        old_name = db.session.get(Theme, ids["theme_large"]).name
    assert old_name in client.get("/cases").get_data(as_text=True)
    assert home_count(old_name) == 6
    with app.app_context():
        admin = get_user_by_email(world["admin"])
        services.rename_theme(admin, db.session.get(Theme, ids["theme_large"]), "改名后的主题")
        case = db.session.get(Case, ids["case_small"])
        data = services.CaseData(**{n: getattr(case, n) for n in services.CONTENT_FIELDS},
                                 themes=[t.name for t in case.themes] + ["改名后的主题"],
                                 tags=[t.name for t in case.tags])
        services.update_case(admin, case, data)
        db.session.commit()
    page = client.get("/cases").get_data(as_text=True)
    assert "改名后的主题" in page and f">{old_name}<" not in page
    assert home_count("改名后的主题") == 7


# Signed-in pages --------------------------------------------------------------------------------

def test_notifications_list(app, client, world):
    login(client, world["small"])
    small = statements(app, client, "/notifications")
    client.post("/auth/logout")
    login(client, world["large"])
    large = statements(app, client, "/notifications")
    COUNTS["/notifications"] = (len(small), len(large))
    if os.environ.get("QUERY_COUNTS_ONLY"):
        return
    assert len(large) <= len(small), "\n".join(["small:", *small, "", "large:", *large])


def test_admin_queue(app, client, world):
    login(client, world["admin"])
    assert_flat(app, client, "/cases/queue?status=submitted", "/cases/queue?status=in_review",
                rows=("待审小案例1", "审核中大案例5"))


def test_review_queue(app, client, world):
    login(client, "expert1@example.org")
    small = statements(app, client, "/review/queue")
    client.post("/auth/logout")
    login(client, "expert2@example.org")
    large = statements(app, client, "/review/queue")
    assert "审核中大案例5" in client.get("/review/queue").get_data(as_text=True)
    COUNTS["/review/queue"] = (len(small), len(large))
    if os.environ.get("QUERY_COUNTS_ONLY"):
        return
    assert len(large) <= len(small), "\n".join(["small:", *small, "", "large:", *large])


def test_admin_lists(app, client, world):
    ids = world["ids"]
    login(client, world["admin"])
    assert_flat(app, client, "/admin/users?role=reviewer", "/admin/users", rows=("专家2", "借鉴者2"))
    assert_flat(app, client, f"/admin/sessions/{ids['session_small']}", f"/admin/sessions/{ids['session_large']}",
                rows=("电梯议事小案例1", "食堂助老大案例5"))


def test_my_cases(app, client, world):
    login(client, world["small"])
    small = statements(app, client, "/cases/mine")
    client.post("/auth/logout")
    login(client, world["large"])
    large = statements(app, client, "/cases/mine")
    COUNTS["/cases/mine"] = (len(small), len(large))
    if os.environ.get("QUERY_COUNTS_ONLY"):
        return
    assert len(large) <= len(small), "\n".join(["small:", *small, "", "large:", *large])


def test_zz_print_counts():
    """Run with -s to see the statement counts per page (small, large)."""
    for page, (small, large) in sorted(COUNTS.items()):
        print(f"{page:<40} {small:>4} {large:>4}")



