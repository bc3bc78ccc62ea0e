"""The session archive: who may open and change what (one table, every role against every
route, asserting the database effect), the session form's rules, the /sessions listing, the
event page's numbers, closing a session and its notifications, and the case page's links.

Outcomes in the table (as in tests/test_case_permissions.py):

    OK       200, the page is shown
    DONE     302 (not to the login page), a success message, and the row's change is in the database
    KEPT     302 (not to the login page), an error message, nothing changed
    REFUSED  422, the form again with the Chinese message, nothing changed
    LOGIN    302 to /auth/login
    DENY     403, the Chinese "无权访问" page
    HIDE     404, the Chinese "未找到" page

The world (built through the services): 单位管理员 runs the verified unit 阳光社工, where 单位编辑
is an editor; the practitioner and the reviewer belong to no unit; the platform admin manages
sessions. There is an event with an archived phase, a series with a planned session (a speaker,
a talk and a case in its running order), a held session, an empty planned session, and on the
archived phase a public PDF, a members-only PDF and the minutes.
"""
from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import mail_messages
from tests.tables import DENY, DONE, HIDE, KEPT, LOGIN, OK, REFUSED, check_outcome, table_row

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "reviewer", "admin")
NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "reviewer": "点评专家甲", "admin": "平台管理员"}
UNIT_NAME = "贵阳市阳光社工服务中心"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def shanghai(year, month, day, hour=14, minute=0) -> datetime:
    """A Beijing wall-clock time as the naive UTC the services store."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def future(days: int, hours: int = 2) -> tuple[datetime, datetime]:
    start = (datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) + timedelta(days=days))
    return start, start + timedelta(hours=hours)


def admin_user():
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.extensions import db

    return db.session.scalar(select(User).where(User.is_admin.is_(True)).order_by(User.id))


def make_session(actor, title, starts_at, ends_at=None, **fields):
    from portal.sessions import services

    data = services.SessionData(title=title, starts_at=starts_at, ends_at=ends_at or starts_at + timedelta(hours=3),
                                venue=fields.pop("venue", "腾讯会议"), **fields)
    return services.create_session(actor, data)


def register(session, user, status="registered"):
    """A registration row as the participation module would leave it."""
    from portal.extensions import db
    from portal.sessions.models import Registration

    registration = Registration(session=session, user=user, status=status)
    db.session.add(registration)
    db.session.flush()
    return registration


def build_world(app, factory) -> dict:
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case, Theme
    from portal.extensions import db
    from portal.sessions import services
    from portal.sessions.models import SessionStatus

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "admin",
                                         reviewer=role == "reviewer")
    unit = factory.org(emails["org_admin"], name=UNIT_NAME)
    factory.member(unit, emails["org_editor"], "editor")
    other_unit = factory.org(emails["admin"], name="遵义市红花岗区社工站")
    published = factory.case(unit, "老旧小区加装电梯议事会", themes=("党建引领",))
    published2 = factory.case(unit, "社区食堂助老服务", themes=("五社联动",))
    draft = factory.case(unit, "尚未提交的草稿", status="draft")

    ids = {"unit": unit, "other_unit": other_unit, "published": published, "published2": published2,
           "draft": draft}
    with app.app_context():
        admin = get_user_by_email(emails["admin"])
        reviewer = get_user_by_email(emails["reviewer"])
        theme = db.session.scalar(select(Theme).where(Theme.name == "党建引领"))
        event = services.create_event(admin, services.EventData(
            title="全国社会组织参与社区治理分享会", organizer="社区治理促进会", co_organizers="甲基金会\n乙研究院",
            description="两个阶段的线上分享会。", theme_ids=[theme.id]))
        series = services.create_series(admin, services.SeriesData(title="社区治理微课堂", description="每月一期。"))

        archived = make_session(admin, "第一阶段：社会组织进社区", shanghai(2025, 10, 12), event_id=event.id,
                                theme_ids=[theme.id])
        services.add_agenda_item(admin, archived, services.AgendaData(kind="talk", title="开幕致辞", presenter="李会长"))
        services.add_agenda_item(admin, archived, services.AgendaData(kind="case", case_id=published,
                                                                      presenter="王社工", recording_offset="12:30"))
        public_file = services.add_material_file(admin, archived, "slides", "讲稿.pdf", PDF, title="公开讲稿")
        members_file = services.add_material_file(admin, archived, "document", "内部资料.pdf", PDF,
                                                  title="内部资料", members_only=True)
        services.close_session(admin, archived, services.RecordData(
            minutes="## 纪要\n\n与会者讨论了**议事规则**。", participants=300, provinces_count=28, orgs_count=40,
            recording_url="https://video.example.org/watch?v=abc"))

        start, end = future(10)
        planned = make_session(admin, "微课堂：居民议事", start, end, series_id=series.id, capacity=50)
        speaker = services.add_speaker(admin, planned, services.SpeakerData(role="commentator", user_id=reviewer.id))
        talk = services.add_agenda_item(admin, planned, services.AgendaData(kind="talk", title="主持人开场"))
        case_item = services.add_agenda_item(admin, planned, services.AgendaData(kind="case", case_id=published2))
        link = services.add_material_link(admin, planned, "报名须知", "https://example.org/notice")

        held = make_session(admin, "已举行的单场", shanghai(2026, 3, 1))
        services.mark_held(admin, held)
        start, end = future(20)
        empty = make_session(admin, "空的场次", start, end)
        db.session.commit()
        ids.update(event=event.id, series=series.id, archived=archived.id, planned=planned.id, held=held.id,
                   empty=empty.id, speaker=speaker.id, talk=talk.id, case_item=case_item.id, link=link.id,
                   public_file=public_file.id, members_file=members_file.id, theme=theme.id,
                   reviewer_id=reviewer.id)
        assert db.session.get(Case, published).status == "published"
        assert archived.status == SessionStatus.ARCHIVED
    return {"emails": emails, "ids": ids}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))



# The permission table ------------------------------------------------------------------------------

SESSION_FORM = {"title": "新建的场次", "event_id": "0", "series_id": "0", "series_number": "",
                "starts_at": "2031-05-01T14:00", "ends_at": "2031-05-01T16:30", "format": "online",
                "venue": "腾讯会议", "host": "张主持", "capacity": "", "registration_open": "y", "description": ""}
RECORD_FORM = {"minutes": "改写后的纪要", "participants": "120", "provinces_count": "12", "orgs_count": "30",
               "recording_url": "https://video.example.org/2"}


def row(method, path, *expected, data=None, effect=None):
    return table_row(ROLES, method, path, *expected, data=data, effect=effect)


ADMIN_ONLY_GET = (LOGIN, DENY, DENY, DENY, DENY, OK)


def admin_post(path, data=None, effect=None, admin_outcome=DONE):
    return row("POST", path, LOGIN, DENY, DENY, DENY, DENY, admin_outcome, data=data, effect=effect)


TABLE = [
    #   method  route                                          anon   pract  editor o-admin review admin
    # Public pages.
    row("GET",  "/sessions",                                   OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/sessions?q=议事&theme={theme}",              OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/sessions/{planned}",                         OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/sessions/{archived}",                        OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/events/{event}",                             OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/series/{series}",                            OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/sessions/999999",                            HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    row("GET",  "/events/999999",                              HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    row("GET",  "/series/999999",                              HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    # Materials: public files for everyone; members-only for members (unit members, experts, admins).
    row("GET",  "/sessions/{archived}/materials/{public_file}", OK,   OK,    OK,    OK,    OK,    OK),
    row("GET",  "/sessions/{archived}/materials/{members_file}", LOGIN, DENY, OK,   OK,    OK,    OK),
    row("GET",  "/sessions/{planned}/materials/{public_file}", HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    # Administration: platform admins only.
    row("GET",  "/admin/sessions",                             *ADMIN_ONLY_GET),
    row("GET",  "/admin/events/new",                           *ADMIN_ONLY_GET),
    admin_post("/admin/events/new", data={"title": "新活动", "organizer": "促进会", "themes": ["{theme}"]},
               effect=("new", "events")),
    row("GET",  "/admin/events/{event}/edit",                  *ADMIN_ONLY_GET),
    admin_post("/admin/events/{event}/edit", data={"title": "改名的活动", "organizer": "促进会"},
               effect=("set", "events", "event", "title", "改名的活动")),
    row("GET",  "/admin/series/new",                           *ADMIN_ONLY_GET),
    admin_post("/admin/series/new", data={"title": "新系列"}, effect=("new", "series")),
    row("GET",  "/admin/series/{series}/edit",                 *ADMIN_ONLY_GET),
    admin_post("/admin/series/{series}/edit", data={"title": "改名的系列"},
               effect=("set", "series", "series", "title", "改名的系列")),
    row("GET",  "/admin/sessions/new",                         *ADMIN_ONLY_GET),
    admin_post("/admin/sessions/new", data=SESSION_FORM, effect=("new", "sessions")),
    admin_post("/admin/sessions/new#end-before-start",
               data={**SESSION_FORM, "ends_at": "2031-05-01T13:00"}, admin_outcome=REFUSED),
    row("GET",  "/admin/sessions/{planned}",                   *ADMIN_ONLY_GET),
    row("GET",  "/admin/sessions/999999",                      LOGIN, DENY,  DENY,  DENY,  DENY,  HIDE),
    row("GET",  "/admin/sessions/{planned}/edit",              *ADMIN_ONLY_GET),
    admin_post("/admin/sessions/{planned}/edit", data={**SESSION_FORM, "title": "改名的场次", "series_id": "{series}"},
               effect=("set", "sessions", "planned", "title", "改名的场次")),
    admin_post("/admin/sessions/{planned}/held", effect=("set", "sessions", "planned", "status", "held")),
    admin_post("/admin/sessions/{archived}/held", admin_outcome=KEPT),
    admin_post("/admin/sessions/{empty}/delete", effect=("deleted", "sessions", "empty")),
    # People.
    admin_post("/admin/sessions/{planned}/speakers", data={"role": "remarks", "name": "赵理事长", "user_id": "0"},
               effect=("speakers", "planned", ["点评专家甲", "赵理事长"])),
    row("GET",  "/admin/sessions/{planned}/speakers/{speaker}/edit", *ADMIN_ONLY_GET),
    admin_post("/admin/sessions/{planned}/speakers/{speaker}/edit",
               data={"role": "summary", "name": "专家甲（总结）", "user_id": "{reviewer_id}"},
               effect=("speakers", "planned", ["专家甲（总结）"])),
    admin_post("/admin/sessions/{planned}/speakers/{speaker}/delete", effect=("speakers", "planned", [])),
    admin_post("/admin/sessions/{planned}/orgs", data={"org_ids": ["{unit}", "{other_unit}"]},
               effect=("orgs", "planned", ["unit", "other_unit"])),
    # Running order.
    admin_post("/admin/sessions/{planned}/agenda", data={"kind": "talk", "title": "总结发言", "org_id": "0"},
               effect=("agenda", "planned", ["主持人开场", "社区食堂助老服务", "总结发言"])),
    admin_post("/admin/sessions/{planned}/agenda#draft-case", data={"kind": "case", "case_id": "{draft}",
                                                                     "org_id": "0"}, admin_outcome=REFUSED),
    row("GET",  "/admin/sessions/{planned}/agenda/{talk}/edit", *ADMIN_ONLY_GET),
    admin_post("/admin/sessions/{planned}/agenda/{talk}/edit", data={"kind": "talk", "title": "开场白", "org_id": "0"},
               effect=("agenda", "planned", ["开场白", "社区食堂助老服务"])),
    admin_post("/admin/sessions/{planned}/agenda/{case_item}/move", data={"direction": "up"},
               effect=("agenda", "planned", ["社区食堂助老服务", "主持人开场"])),
    admin_post("/admin/sessions/{planned}/agenda/{talk}/move#first-up", data={"direction": "up"}, admin_outcome=KEPT),
    admin_post("/admin/sessions/{planned}/agenda/{talk}/delete", effect=("agenda", "planned", ["社区食堂助老服务"])),
    # Materials.
    admin_post("/admin/sessions/{planned}/materials", data={"kind": "link", "title": "回放", "url": "https://example.org/r"},
               effect=("materials", "planned", 1)),
    admin_post("/admin/sessions/{planned}/materials/{link}/visibility", data={"members_only": "1"},
               effect=("members_only", "planned", "link", True)),
    admin_post("/admin/sessions/{planned}/materials/{link}/delete", effect=("materials", "planned", -1)),
    # Closing, and correcting the archive record.
    row("GET",  "/admin/sessions/{held}/close",                *ADMIN_ONLY_GET),
    admin_post("/admin/sessions/{held}/close", data=RECORD_FORM, effect=("set", "sessions", "held", "status", "archived")),
    admin_post("/admin/sessions/{archived}/close#twice", data=RECORD_FORM, admin_outcome=REFUSED),
    admin_post("/admin/sessions/{archived}/record", data=RECORD_FORM,
               effect=("set", "sessions", "archived", "minutes", "改写后的纪要")),
]


def state(app) -> dict:
    """Everything a session button could change, read fresh from the database."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import selectinload

    from portal.extensions import db
    from portal.notifications.models import Notification
    from portal.sessions.models import Event, Series, SharingSession

    with app.app_context():
        sessions = {}
        query = select(SharingSession).options(*(selectinload(getattr(SharingSession, name)) for name in
                                                 ("speakers", "agenda", "materials", "organizations")))
        for s in db.session.scalars(query):
            sessions[s.id] = {
                "title": s.title, "status": s.status, "capacity": s.capacity, "minutes": s.minutes,
                "closed_at": s.closed_at, "starts_at": s.starts_at, "ends_at": s.ends_at,
                "speakers": [sp.name for sp in s.speakers],
                "agenda": [(i.position, i.title) for i in s.agenda],
                "materials": {m.id: m.members_only for m in s.materials},
                "orgs": sorted(o.id for o in s.organizations),
            }
        out = {"sessions": sessions,
               "events": {e.id: e.title for e in db.session.scalars(select(Event))},
               "series": {s.id: s.title for s in db.session.scalars(select(Series))},
               "notifications": db.session.scalar(select(func.count()).select_from(Notification))}
        db.session.remove()
    return out


def check_effect(before, after, effect, ids):
    kind = effect[0]
    expected = copy.deepcopy(before)
    if kind == "new":
        table = effect[1]
        new = set(after[table]) - set(before[table])
        assert len(new) == 1, f"expected one new row in {table}"
        new_id = new.pop()
        expected[table][new_id] = after[table][new_id]
    elif kind == "set":
        _kind, table, key, name, value = effect
        if table == "sessions":
            expected[table][ids[key]][name] = value
            if name == "status" and value == "archived":
                assert after[table][ids[key]]["closed_at"] is not None
                expected[table][ids[key]]["closed_at"] = after[table][ids[key]]["closed_at"]
                expected[table][ids[key]]["minutes"] = after[table][ids[key]]["minutes"]
                expected["notifications"] = after["notifications"]
        else:
            expected[table][ids[key]] = value
    elif kind == "deleted":
        del expected[effect[1]][ids[effect[2]]]
    elif kind == "speakers":
        expected["sessions"][ids[effect[1]]]["speakers"] = effect[2]
    elif kind == "orgs":
        expected["sessions"][ids[effect[1]]]["orgs"] = sorted(ids[k] for k in effect[2])
    elif kind == "agenda":
        expected["sessions"][ids[effect[1]]]["agenda"] = [(n, t) for n, t in enumerate(effect[2], start=1)]
    elif kind == "materials":
        got = after["sessions"][ids[effect[1]]]["materials"]
        assert len(got) == len(before["sessions"][ids[effect[1]]]["materials"]) + effect[2]
        expected["sessions"][ids[effect[1]]]["materials"] = got
    elif kind == "members_only":
        expected["sessions"][ids[effect[1]]]["materials"][ids[effect[2]]] = effect[3]
    if kind == "set" and effect[1] == "sessions" and effect[3] == "title":
        # The edit form also carries the rest of the session's details.
        for name in ("starts_at", "ends_at", "capacity"):
            expected["sessions"][ids[effect[2]]][name] = after["sessions"][ids[effect[2]]][name]
    assert after == expected


def check_response(client, response, expected):
    check_outcome(client, response, expected)


def fill(value, ids):
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value.format(**ids) if isinstance(value, str) else value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected", "effect"), TABLE)
def test_session_permission_table(app, client, auth, world, role, method, path, data, expected, effect):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    ids = world["ids"]
    url = path.split("#")[0].format(**ids)
    form = {k: fill(v, ids) for k, v in data.items()}

    before = state(app)
    response = client.open(url, method=method, data=form)
    after = state(app)

    outcome = expected[role]
    check_response(client, response, outcome)
    if outcome == DONE:
        check_effect(before, after, effect, ids)
    else:
        assert after == before, "a refused request changed the database"


# The session form's rules ----------------------------------------------------------------------------

def test_end_before_start_is_refused_in_chinese_on_create_and_edit(app, client, auth, world):
    auth.login(world["emails"]["admin"])
    before = state(app)
    page = client.post("/admin/sessions/new", data={**SESSION_FORM, "ends_at": "2031-05-01T14:00"})
    assert page.status_code == 422
    assert "结束时间必须晚于开始时间。" in page.get_data(as_text=True)
    assert "新建的场次" in page.get_data(as_text=True)  # what was typed is kept
    planned = world["ids"]["planned"]
    page = client.post(f"/admin/sessions/{planned}/edit",
                       data={**SESSION_FORM, "starts_at": "2031-05-02T10:00", "ends_at": "2031-05-01T10:00"})
    assert page.status_code == 422 and "结束时间必须晚于开始时间。" in page.get_data(as_text=True)
    assert state(app) == before


def test_form_times_are_beijing_time(app, client, auth, world):
    from portal.extensions import db
    from portal.sessions.models import SharingSession

    auth.login(world["emails"]["admin"])
    response = client.post("/admin/sessions/new", data=SESSION_FORM)
    assert response.status_code == 302
    with app.app_context():
        session = db.session.query(SharingSession).filter_by(title="新建的场次").one()
        assert session.starts_at == datetime(2031, 5, 1, 6, 0)  # 14:00 in Beijing is 06:00 UTC
        assert session.ends_at == datetime(2031, 5, 1, 8, 30)
        session_id = session.id
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "2031-05-01 14:00" in page and "16:30" in page
    edit = client.get(f"/admin/sessions/{session_id}/edit").get_data(as_text=True)
    assert 'value="2031-05-01T14:00"' in edit


def test_capacity_cannot_drop_below_current_registrations(app, client, auth, world, factory):
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.sessions import services

    emails = [factory.user()[1] for _ in range(4)]
    planned = world["ids"]["planned"]
    with app.app_context():
        session = services.get_session(planned)
        for email in emails[:3]:
            register(session, get_user_by_email(email))
        register(session, get_user_by_email(emails[3]), status="waitlisted")
        db.session.commit()
    auth.login(world["emails"]["admin"])
    form = {**SESSION_FORM, "title": "微课堂：居民议事", "series_id": str(world["ids"]["series"])}
    before = state(app)
    page = client.post(f"/admin/sessions/{planned}/edit", data={**form, "capacity": "2"})
    assert page.status_code == 422
    assert "容量不能少于已报名人数（当前已有 3 人报名）。" in page.get_data(as_text=True)
    assert state(app) == before
    # Exactly the registered count is fine (the waiting list does not hold seats); so is no limit.
    assert client.post(f"/admin/sessions/{planned}/edit", data={**form, "capacity": "3"}).status_code == 302
    assert state(app)["sessions"][planned]["capacity"] == 3
    assert client.post(f"/admin/sessions/{planned}/edit", data={**form, "capacity": ""}).status_code == 302
    assert state(app)["sessions"][planned]["capacity"] is None
    page = client.post(f"/admin/sessions/{planned}/edit", data={**form, "capacity": "0"})
    assert page.status_code == 422 and "容量须至少为 1 人" in page.get_data(as_text=True)


def test_series_numbers_show_as_chinese_ordinals_and_must_be_unique(app, client, auth, world):
    series = world["ids"]["series"]
    auth.login(world["emails"]["admin"])
    form = {**SESSION_FORM, "series_id": str(series)}
    assert client.post("/admin/sessions/new", data={**form, "title": "第二次课"}).status_code == 302
    page = client.get(f"/series/{series}").get_data(as_text=True)
    assert "第一期" in page and "第二期" in page
    assert page.index("微课堂：居民议事") < page.index("第二次课")
    client.set_cookie("lang", "en")  # English pages number the series in digits
    english = client.get(f"/series/{series}").get_data(as_text=True)
    assert "No. 2" in english and "二" not in english.split("No. 2")[0][-3:]
    client.delete_cookie("lang")
    before = state(app)
    refused = client.post("/admin/sessions/new", data={**form, "title": "撞号", "series_number": "2"})
    assert refused.status_code == 422
    assert "该系列已有第二期" in refused.get_data(as_text=True)
    both = client.post("/admin/sessions/new", data={**form, "title": "两者皆是", "event_id": str(world["ids"]["event"])})
    assert both.status_code == 422 and "不能同时属于两者" in both.get_data(as_text=True)
    assert state(app) == before


def test_chinese_numbers():
    from portal.sessions.services import chinese_number

    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 25, 100, 105, 110)] == \
        ["一", "九", "十", "十一", "二十", "二十五", "一百", "一百零五", "一百一十"]


def test_session_page_shows_people_numbers_and_links(client, world):
    ids = world["ids"]
    page = client.get(f"/sessions/{ids['archived']}").get_data(as_text=True)
    assert "已归档" in page
    assert "2025-10-12 14:00" in page  # Beijing time
    assert f'href="/events/{ids["event"]}"' in page
    figures = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page)
    assert ("参会人数", "300") in figures and ("覆盖省份", "28") in figures
    assert ("参会单位", "40") in figures and ("分享案例", "1") in figures
    assert "<h2>纪要</h2>" in page and "<strong>议事规则</strong>" in page
    planned = client.get(f"/sessions/{ids['planned']}").get_data(as_text=True)
    assert "第一期" in planned and "即将举行" in planned
    # The commentator is linked to the expert directory.
    assert f'<a href="/experts/{ids["reviewer_id"]}">点评专家甲</a>' in planned
    assert "点评" in planned


def test_minutes_are_cleaned(app, client, auth, world):
    auth.login(world["emails"]["admin"])
    archived = world["ids"]["archived"]
    client.post(f"/admin/sessions/{archived}/record",
                data={**RECORD_FORM, "minutes": "纪要<script>alert(1)</script><a href=\"javascript:alert(2)\">x</a>"})
    page = client.get(f"/sessions/{archived}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "javascript:alert" not in page


# Listing -------------------------------------------------------------------------------------------

@pytest.fixture
def calendar(app, factory):
    """Sessions across years: two upcoming (soonest listed first), archived ones in 2024 and 2025,
    and a planned one whose date has passed (it belongs to the archive, not to "upcoming")."""
    from sqlalchemy import select

    from portal.cases.models import Theme
    from portal.extensions import db
    from portal.sessions import services

    _id, email = factory.user("boss@example.org", "管理员", admin=True)
    with app.app_context():
        admin = admin_user()
        theme = db.session.scalar(select(Theme).where(Theme.name == "五社联动"))
        later, _end = future(30)
        sooner, _end = future(3)
        make_session(admin, "三十天后的分享会", later, theme_ids=[theme.id])
        make_session(admin, "三天后的分享会", sooner)
        s2024 = make_session(admin, "二〇二四年的分享会", shanghai(2024, 6, 1), theme_ids=[theme.id])
        s2025a = make_session(admin, "二〇二五年春季分享会", shanghai(2025, 3, 1))
        s2025b = make_session(admin, "二〇二五年秋季分享会", shanghai(2025, 9, 1))
        services.add_agenda_item(admin, s2025a, services.AgendaData(kind="talk", title="垃圾分类的楼道实践"))
        make_session(admin, "日期已过仍是计划中", shanghai(2025, 12, 31, 23, 30))
        for s in (s2024, s2025b):
            services.close_session(admin, s, services.RecordData(minutes="纪要提到了邻里守望。"))
        db.session.commit()
        return {"theme": theme.id, "email": email}


def _order(page, titles):
    positions = [page.index(t) for t in titles]
    assert positions == sorted(positions), titles
    return positions


def test_listing_upcoming_first_then_archive_by_year(client, calendar):
    page = client.get("/sessions").get_data(as_text=True)
    upcoming, archive = page.split('id="archive"')
    assert "三天后的分享会" in upcoming and "三十天后的分享会" in upcoming
    assert "日期已过仍是计划中" not in upcoming
    _order(upcoming, ["三天后的分享会", "三十天后的分享会"])
    _order(archive, ["2025 年", "日期已过仍是计划中", "二〇二五年秋季分享会", "二〇二五年春季分享会",
                     "2024 年", "二〇二四年的分享会"])


def test_year_groups_use_beijing_time(client, calendar, app):
    from portal.sessions import services

    with app.app_context():
        groups = dict(services.archive_by_year())
    # 2025-12-31 23:30 in Beijing is still 2025 there (15:30 UTC), not 2026.
    assert "日期已过仍是计划中" in [s.title for s in groups[2025]]


def test_theme_filter_and_search(client, calendar):
    page = client.get(f"/sessions?theme={calendar['theme']}").get_data(as_text=True)
    assert "三十天后的分享会" in page and "二〇二四年的分享会" in page
    assert "三天后的分享会" not in page and "二〇二五年春季分享会" not in page
    # q matches titles, minutes and agenda titles.
    page = client.get("/sessions?q=垃圾分类").get_data(as_text=True)
    assert "二〇二五年春季分享会" in page and "二〇二四年的分享会" not in page
    page = client.get("/sessions?q=邻里守望").get_data(as_text=True)
    assert "二〇二四年的分享会" in page and "二〇二五年秋季分享会" in page and "三天后的分享会" not in page
    page = client.get("/sessions?q=100%25").get_data(as_text=True)  # LIKE wildcards are literal
    assert "没有符合条件的往期分享会" in page and "没有符合条件的即将举行的分享会" in page


# The event page ---------------------------------------------------------------------------------------

def test_event_page_sums_its_phases(app, client, world):
    from portal.sessions import services

    ids = world["ids"]
    with app.app_context():
        admin = admin_user()
        event = services.get_event(ids["event"])
        phase2 = make_session(admin, "第二阶段：经验交流", shanghai(2025, 11, 3), event_id=event.id)
        for case_id in (ids["published2"],):
            services.add_agenda_item(admin, phase2, services.AgendaData(kind="case", case_id=case_id))
        services.add_agenda_item(admin, phase2, services.AgendaData(kind="case", case_id=ids["published"]))
        services.close_session(admin, phase2, services.RecordData(participants=195, provinces_count=21,
                                                                  orgs_count=35))
        from portal.extensions import db

        db.session.commit()
    page = client.get(f"/events/{ids['event']}").get_data(as_text=True)
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert figures["参会人次"] == "495"  # 300 + 195
    assert figures["覆盖省份"] == "28"   # the larger phase, not 49
    assert figures["参会单位"] == "40"
    assert figures["分享案例"] == "3"    # 1 + 2 presentations
    _order(page, ["第一阶段：社会组织进社区", "第二阶段：经验交流"])
    assert "社区治理促进会" in page and "甲基金会" in page and "乙研究院" in page


# Closing a session -------------------------------------------------------------------------------------

def test_closing_notifies_registrants_once_and_respects_preferences(app, client, auth, world, factory):
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications.models import Notification, NotificationPreference
    from portal.sessions import services

    people = {k: factory.user(f"{pinyin}@example.org", k)[1]
              for k, pinyin in (("甲", "jia"), ("乙", "yi"), ("丙", "bing"), ("丁", "ding"), ("戊", "wu"))}
    held = world["ids"]["held"]
    with app.app_context():
        session = services.get_session(held)
        register(session, get_user_by_email(people["甲"]))
        register(session, get_user_by_email(people["乙"]))  # turned in-app off, e-mail on
        register(session, get_user_by_email(people["丙"]), status="waitlisted")
        register(session, get_user_by_email(people["丁"]), status="cancelled")
        register(session, get_user_by_email(people["戊"]))  # turned both off
        yi, wu = get_user_by_email(people["乙"]), get_user_by_email(people["戊"])
        db.session.add(NotificationPreference(user_id=yi.id, kind="session_archived", in_app=False, email=True))
        db.session.add(NotificationPreference(user_id=wu.id, kind="session_archived", in_app=False, email=False))
        db.session.commit()
    auth.login(world["emails"]["admin"])
    response = client.post(f"/admin/sessions/{held}/close", data=RECORD_FORM)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == f"/sessions/{held}"
    with app.app_context():
        notes = list(db.session.scalars(select(Notification).where(Notification.kind == "session_archived")))
        assert [get_user_by_email(people["甲"]).id] == [n.user_id for n in notes]
        assert notes[0].url == f"/sessions/{held}" and "已归档" in notes[0].text
        session = services.get_session(held)
        assert session.status == "archived" and session.closed_at is not None
        assert (session.participants, session.provinces_count, session.orgs_count) == (120, 12, 30)
        closed_at = session.closed_at
    recipients = sorted(m["To"] for m in mail_messages(app) if "已归档" in m["Subject"])
    assert recipients == sorted([people["甲"], people["乙"]])

    # Closing twice is refused: nothing changes, nobody is told again.
    again = client.post(f"/admin/sessions/{held}/close", data={**RECORD_FORM, "participants": "999"})
    assert again.status_code == 422 and "不能重复关闭" in again.get_data(as_text=True)
    with app.app_context():
        session = services.get_session(held)
        assert (session.participants, session.closed_at) == (120, closed_at)
        assert db.session.scalar(select(db.func.count()).select_from(Notification)
                                 .where(Notification.kind == "session_archived")) == 1
    assert len([m for m in mail_messages(app) if "已归档" in m["Subject"]]) == 2
    # The archive record can still be corrected (without notifying anyone again).
    assert client.post(f"/admin/sessions/{held}/record", data={**RECORD_FORM, "participants": "121"}).status_code == 302
    with app.app_context():
        assert services.get_session(held).participants == 121


def test_planned_session_closes_in_one_step_and_bad_numbers_are_refused(app, client, auth, world):
    planned = world["ids"]["planned"]
    auth.login(world["emails"]["admin"])
    before = state(app)
    for data, message in (({"participants": "-1"}, "参会人数不能为负数。"),
                          ({"provinces_count": "35"}, "覆盖省份数不能超过 34。"),
                          ({"recording_url": "javascript:alert(1)"}, "链接须以 http:// 或 https:// 开头")):
        page = client.post(f"/admin/sessions/{planned}/close", data={**RECORD_FORM, **data})
        assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert state(app) == before
    assert client.post(f"/admin/sessions/{planned}/close", data=RECORD_FORM).status_code == 302
    assert state(app)["sessions"][planned]["status"] == "archived"


def test_a_session_with_registrations_cannot_be_deleted(app, client, auth, world, factory):
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.sessions import services

    email = factory.user()[1]
    empty = world["ids"]["empty"]
    with app.app_context():
        register(services.get_session(empty), get_user_by_email(email))
        db.session.commit()
    auth.login(world["emails"]["admin"])
    before = state(app)
    response = client.post(f"/admin/sessions/{empty}/delete")
    assert response.status_code == 302
    assert "不能删除该场次" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert state(app) == before


# The case page and expert comments given in a session --------------------------------------------------

def test_case_page_links_to_the_sessions_where_it_was_presented(client, world):
    ids = world["ids"]
    with client.application.app_context():
        from portal.sessions import services

        item = next(i for i in services.get_session(ids["archived"]).agenda if i.case_id == ids["published"])
        item_id = item.id
    page = client.get(f"/cases/{ids['published']}").get_data(as_text=True)
    assert f'href="/sessions/{ids["archived"]}#agenda-{item_id}"' in page
    assert "全国社会组织参与社区治理分享会 · 第一阶段：社会组织进社区" in page
    other = client.get(f"/cases/{ids['published2']}").get_data(as_text=True)
    assert f'/sessions/{ids["planned"]}#agenda-{ids["case_item"]}' in other
    assert f"/sessions/{ids['archived']}#" not in other
    session_page = client.get(f"/sessions/{ids['archived']}").get_data(as_text=True)
    assert f'id="agenda-{item_id}"' in session_page


def test_expert_comment_given_in_a_session_shows_with_the_agenda_item(app, client, auth, world):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.reviews.models import ExpertComment

    ids = world["ids"]
    auth.login(world["emails"]["reviewer"])
    form = client.get(f"/cases/{ids['published']}").get_data(as_text=True)
    assert "在哪场分享会上给出" in form
    # A session that did not present the case is refused, nothing saved.
    refused = client.post(f"/cases/{ids['published']}/expert-comments",
                          data={"expert-body": "做法扎实。", "expert-declaration": "none",
                                "expert-session_id": str(ids["planned"])})
    assert refused.status_code == 422 and "只能选择分享过该案例的分享会" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ExpertComment)) is None
    posted = client.post(f"/cases/{ids['published']}/expert-comments",
                         data={"expert-body": "议事规则**值得推广**，建议补充成本数据。", "expert-declaration": "none",
                               "expert-session_id": str(ids["archived"])})
    assert posted.status_code == 302
    with app.app_context():
        comment = db.session.scalar(select(ExpertComment))
        assert comment.session_id == ids["archived"]
        comment_id = comment.id
    case_page = client.get(f"/cases/{ids['published']}").get_data(as_text=True)
    assert f'href="/sessions/{ids["archived"]}"' in case_page  # shown with the comment
    auth.logout()
    page = client.get(f"/sessions/{ids['archived']}").get_data(as_text=True)
    agenda = page[page.index('id="agenda"'):]
    assert "点评专家甲" in agenda and "议事规则值得推广，建议补充成本数据。" in agenda
    assert f'href="/cases/{ids["published"]}#expert-comment-{comment_id}"' in agenda
    # Comments without a session (or given in another session) are not shown with the item.
    assert client.get(f"/sessions/{ids['planned']}").get_data(as_text=True).count("本场专家点评") == 0


def test_nav_links_to_the_archive(client, world):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/sessions"' in page and "分享会" in page
    assert "建设中" not in client.get("/sessions").get_data(as_text=True)


def test_admin_actions_are_audited(app, client, auth, world):
    from sqlalchemy import select

    from portal.admin.models import AuditEntry
    from portal.extensions import db

    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"session.event_create", "session.series_create", "session.create", "session.agenda_add",
            "session.material_add", "session.close", "session.held", "session.speaker_add"} <= actions
    auth.login(world["emails"]["admin"])
    page = client.get("/admin/audit?action=session").get_data(as_text=True)
    assert "关闭并归档分享会" in page and "新建分享会场次" in page
