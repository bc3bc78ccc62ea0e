"""Sessions you can relive (issue 12 §4): the running order as a timetable with Beijing clock
times, a link into the recording at each item, the previous and next case of a session, an
event's cases phase by phase, event figures that add up (a total only when every phase has the
figure), registration gone from past sessions except for organizers, and the demo event.

The world: a verified unit with four published cases (one archived after it was presented), an
event with two archived phases — the first without figures, with a recording, durations and
offsets, and a registration; the second with 495 participants from 28 provinces — an upcoming
session open for registration, and a planned session whose date has passed.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECORDING = "https://video.example.org/replay/phase-1"


def shanghai(year, month, day, hour=14, minute=0) -> datetime:
    """A Beijing wall-clock time as the naive UTC the services store."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def build_world(app, factory) -> dict:
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.cases.services import transition
    from portal.extensions import db
    from portal.models_base import utcnow
    from portal.sessions import services
    from portal.sessions.models import Registration

    emails = {}
    for role, name in (("admin", "平台管理员"), ("practitioner", "实务工作者"), ("unit", "单位管理员")):
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "admin")
    unit = factory.org(emails["unit"], name="贵阳市阳光社工服务中心")
    titles = {"a": "老旧小区加装电梯议事会", "b": "社区食堂助老服务", "c": "楼道微更新",
              "hidden": "后来归档的案例"}
    cases = {key: factory.case(unit, title) for key, title in titles.items()}
    with app.app_context():
        admin = get_user_by_email(emails["admin"])
        practitioner = get_user_by_email(emails["practitioner"])
        event = services.create_event(admin, services.EventData(title="两阶段的线上分享活动", organizer="社区治理促进会"))

        def session(title, start, hours=3, **fields):
            return services.create_session(admin, services.SessionData(
                title=title, starts_at=start, ends_at=start + timedelta(hours=hours), venue="腾讯会议", **fields))

        def item(target, kind, minutes=None, offset=None, **fields):
            return services.add_agenda_item(admin, target, services.AgendaData(
                kind=kind, duration_minutes=minutes, recording_offset=offset, **fields))

        phase1 = session("第一阶段：社会组织进社区", shanghai(2025, 10, 12), event_id=event.id)
        items = {
            "opening": item(phase1, "talk", 10, "0:30", title="开幕致辞"),
            "a": item(phase1, "case", 25, "10:30", case_id=cases["a"], presenter="王社工"),
            "hidden": item(phase1, "case", 20, "35:30", case_id=cases["hidden"]),
            "b": item(phase1, "case", 20, "55:30", case_id=cases["b"]),
            "comments": item(phase1, "talk", 30, title="专家点评"),
        }
        services.add_material_link(admin, phase1, "第一阶段议程", "https://files.example.org/phase-1-agenda")
        db.session.add(Registration(session=phase1, user=practitioner))
        db.session.flush()
        services.close_session(admin, phase1, services.RecordData(recording_url=RECORDING))

        phase2 = session("第二阶段：经验交流", shanghai(2025, 11, 3), event_id=event.id)
        items["c"] = item(phase2, "case", case_id=cases["c"])  # no duration: no clock time after it
        items["closing"] = item(phase2, "talk", 15, title="总结")
        services.close_session(admin, phase2, services.RecordData(participants=495, provinces_count=28))

        now = utcnow().replace(microsecond=0)
        upcoming = session("即将举行的分享会", now + timedelta(days=10), registration_open=True)
        lapsed = session("日期已过仍是计划中", now - timedelta(days=2), registration_open=True)
        transition(admin, db.session.get(Case, cases["hidden"]), "archive")
        db.session.commit()
        ids = {"event": event.id, "phase1": phase1.id, "phase2": phase2.id, "upcoming": upcoming.id,
               "lapsed": lapsed.id, **{f"case_{k}": v for k, v in cases.items()},
               **{f"item_{k}": v.id for k, v in items.items()}}
    return {"emails": emails, "ids": ids}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start:page.index("</section>", start)]


# Clock times ------------------------------------------------------------------------------------

def _transient_session(start, durations):
    from portal.sessions.models import AgendaItem, SharingSession

    session = SharingSession(title="场次", starts_at=start)
    session.agenda = [AgendaItem(position=n, kind="talk", title=f"第{n}项", duration_minutes=d)
                      for n, d in enumerate(durations, start=1)]
    return session


def test_clock_times_are_the_start_plus_the_durations_before_in_beijing_time(app):
    from portal.sessions import services

    with app.test_request_context():
        slots = services.timetable(None, _transient_session(shanghai(2025, 10, 12, 13, 50), [10, 25, None, 20]))
        times = [(s.item.title, s.start_label, s.end_label) for s in slots]
    # 13:50 + 10 = 14:00; the third item has no duration, so it has a start but no end, and the
    # fourth item's place in the day is unknown.
    assert times == [("第1项", "13:50", "14:00"), ("第2项", "14:00", "14:25"), ("第3项", "14:25", ""),
                     ("第4项", "", "")]
    assert slots[0].start_iso == "2025-10-12T13:50:00+08:00"


def test_a_session_without_a_start_time_has_no_clock_times(app):
    from portal.sessions import services

    with app.test_request_context():
        slots = services.timetable(None, _transient_session(None, [10, 20]))
    assert [(s.start_label, s.end_label) for s in slots] == [("", ""), ("", "")]


def test_the_timetable_shows_each_item_from_to_with_its_recording_link(client, world):
    ids = world["ids"]
    page = client.get(f"/sessions/{ids['phase1']}").get_data(as_text=True)
    agenda = section(page, "agenda")
    assert "时间为北京时间" in agenda
    rows = re.findall(r'<li class="agenda-item[^"]*" id="agenda-(\d+)">\s*<p class="timetable-time">(.*?)</p>',
                      agenda, re.S)
    times = {int(item_id): text_of(html).replace(" ", "") for item_id, html in rows}
    assert times == {ids["item_opening"]: "14:00–至14:10", ids["item_a"]: "14:10–至14:35",
                     ids["item_hidden"]: "14:35–至14:55", ids["item_b"]: "14:55–至15:15",
                     ids["item_comments"]: "15:15–至15:45"}
    assert '<time datetime="2025-10-12T14:10:00+08:00">14:10</time>' in agenda
    # The recording at each item's offset; the comments have no offset and no link.
    assert f'href="{RECORDING}#t=630"' in agenda and "观看回放（从 10:30 开始）" in agenda
    assert f'href="{RECORDING}#t=30"' in agenda and "观看回放（从 00:30 开始）" in agenda
    assert agenda.count("观看回放（从") == 4
    assert "autoplay" not in page
    # The session's materials and the whole recording follow the timetable.
    assert page.index('id="agenda"') < page.index('id="materials"')
    materials = section(page, "materials")
    assert "回放与资料" in materials and "第一阶段议程" in materials and f'href="{RECORDING}"' in materials


def test_items_after_one_without_duration_have_no_time_and_no_recording_means_no_links(client, world):
    ids = world["ids"]
    agenda = section(client.get(f"/sessions/{ids['phase2']}").get_data(as_text=True), "agenda")
    item_c = agenda[agenda.index(f'id="agenda-{ids["item_c"]}"'):agenda.index(f'id="agenda-{ids["item_closing"]}"')]
    closing = agenda[agenda.index(f'id="agenda-{ids["item_closing"]}"'):]
    assert "14:00" in text_of(item_c) and "–" not in text_of(item_c)  # a start, no end
    assert re.search(r"\d\d:\d\d", text_of(closing).split("总结")[0]) is None
    assert "观看回放" not in agenda  # no recording


# Links into the recording --------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "offset", "expected"), [
    # Unknown platforms and video files: a media fragment, any old fragment replaced.
    ("https://video.example.org/rec/1", 750, "https://video.example.org/rec/1#t=750"),
    ("https://cdn.example.org/replay.mp4#chapter-2", 750, "https://cdn.example.org/replay.mp4#t=750"),
    ("https://video.example.org/watch?v=abc", 0, "https://video.example.org/watch?v=abc#t=0"),
    ("http://video.example.org/rec/1", 5, "http://video.example.org/rec/1#t=5"),
    # Players that read t from the query string; an existing t is replaced, the fragment dropped.
    ("https://www.youtube.com/watch?v=abc", 750, "https://www.youtube.com/watch?v=abc&t=750"),
    ("https://www.youtube.com/watch?v=abc&t=5#comments", 750, "https://www.youtube.com/watch?v=abc&t=750"),
    ("https://youtu.be/abc", 90, "https://youtu.be/abc?t=90"),
    ("https://www.bilibili.com/video/BV1xx411c7mD?p=2", 90, "https://www.bilibili.com/video/BV1xx411c7mD?p=2&t=90"),
    # Look-alike hosts are not those players.
    ("https://youtube.com.example.org/v/1", 90, "https://youtube.com.example.org/v/1#t=90"),
    ("https://notyoutube.com/v/1", 90, "https://notyoutube.com/v/1#t=90"),
    # Nothing to link.
    ("https://video.example.org/rec/1", None, ""),
    ("", 750, ""),
    ("javascript:alert(1)", 750, ""),
    ("ftp://video.example.org/rec/1", 750, ""),
    ("//video.example.org/rec/1", 750, ""),
])
def test_recording_link_at_an_offset(url, offset, expected):
    from portal.sessions.services import recording_link

    assert recording_link(url, offset) == expected


def test_a_recording_link_that_is_not_http_never_reaches_the_page(app, client, world):
    from portal.extensions import db
    from portal.sessions.models import SharingSession

    ids = world["ids"]
    with app.app_context():
        db.session.get(SharingSession, ids["phase1"]).recording_url = "javascript:alert(1)"  # bypassing the form
        db.session.commit()
    page = client.get(f"/sessions/{ids['phase1']}").get_data(as_text=True)
    assert "javascript:" not in page and "观看回放" not in page and "观看录像" not in page


# Previous and next case ----------------------------------------------------------------------------

def test_neighbouring_cases_skip_talks_and_cases_the_reader_may_not_open(app, world):
    from portal.auth.services import get_user_by_email
    from portal.sessions import services

    ids = world["ids"]
    with app.test_request_context():
        items = services.ordered_agenda(services.get_session(ids["phase1"]))

        def neighbours(user):
            return {k: tuple(i.id if i else None for i in pair)
                    for k, pair in services.case_neighbours(user, items).items()}

        # The archived case is hidden from the public: a and b are neighbours.
        assert neighbours(None) == {ids["item_a"]: (None, ids["item_b"]), ids["item_b"]: (ids["item_a"], None)}
        # Its own unit still sees it in between.
        unit = get_user_by_email(world["emails"]["unit"])
        assert neighbours(unit) == {ids["item_a"]: (None, ids["item_hidden"]),
                                    ids["item_hidden"]: (ids["item_a"], ids["item_b"]),
                                    ids["item_b"]: (ids["item_hidden"], None)}


def test_session_page_and_case_page_link_previous_and_next_case(client, auth, world):
    ids = world["ids"]
    agenda = section(client.get(f"/sessions/{ids['phase1']}").get_data(as_text=True), "agenda")
    item_a = agenda[agenda.index(f'id="agenda-{ids["item_a"]}"'):agenda.index(f'id="agenda-{ids["item_hidden"]}"')]
    assert f'<a class="case-neighbour-next" href="#agenda-{ids["item_b"]}">下一个案例：社区食堂助老服务</a>' in item_a
    assert "上一个案例" not in item_a
    assert "后来归档的案例" not in text_of(agenda).split("后来归档的案例", 1)[1]  # never offered as a neighbour

    presented = section(client.get(f"/cases/{ids['case_b']}").get_data(as_text=True), "case-sessions")
    assert f'href="/cases/{ids["case_a"]}">上一个案例：老旧小区加装电梯议事会</a>' in presented
    assert "下一个案例：" not in presented
    # A case presented alone in its session has no neighbours.
    alone = section(client.get(f"/cases/{ids['case_c']}").get_data(as_text=True), "case-sessions")
    assert "上一个案例：" not in alone and "下一个案例：" not in alone
    # The unit that owns the archived case still opens it, so for them it is case b's neighbour.
    auth.login(world["emails"]["unit"])
    presented = section(client.get(f"/cases/{ids['case_b']}").get_data(as_text=True), "case-sessions")
    assert f'href="/cases/{ids["case_hidden"]}">上一个案例：后来归档的案例</a>' in presented


# The event page: cases by phase, figures that add up ------------------------------------------------

def test_event_page_lists_every_case_by_phase_in_running_order(client, world):
    ids = world["ids"]
    page = client.get(f"/events/{ids['event']}").get_data(as_text=True)
    phase1, phase2 = section(page, "phases-heading").split(f'id="phase-{ids["phase2"]}"')
    cases1 = re.findall(r'<ol class="event-cases">(.*?)</ol>', phase1, re.S)[0]
    assert [text_of(t).strip() for t in re.findall(r"<li>\s*(.*?)<span", cases1, re.S)] == [
        "老旧小区加装电梯议事会", "后来归档的案例", "社区食堂助老服务"]
    assert f'href="/cases/{ids["case_a"]}"' in cases1 and f'href="/cases/{ids["case_hidden"]}"' not in cases1
    assert f'/sessions/{ids["phase1"]}#agenda-{ids["item_b"]}' in cases1
    assert "楼道微更新" in phase2 and "楼道微更新" not in phase1


def _event(phases):
    from portal.sessions.models import AgendaItem, Event, SharingSession

    event = Event(title="活动")
    for n, (participants, provinces, orgs, cases) in enumerate(phases, start=1):
        session = SharingSession(title=f"阶段{n}", participants=participants, provinces_count=provinces,
                                 orgs_count=orgs)
        session.agenda = [AgendaItem(kind="case", case_id=100 * n + k, title="案例") for k in range(cases)]
        event.sessions.append(session)
    return event


def test_event_figures_total_only_when_every_phase_has_the_figure(app):
    from portal.sessions import services

    with app.test_request_context():
        both = services.event_figures(_event([(300, 28, 40, 1), (195, 21, 35, 2)]))
        assert {k: f.total for k, f in both.items()} == {"participants": 495, "provinces": 28, "orgs": 40, "cases": 3}

        partial = services.event_figures(_event([(None, None, None, 3), (495, 28, None, 2)]))
        participants = partial["participants"]
        assert participants.total is None
        assert [(p.label, p.value) for p in participants.known] == [("第二阶段", 495)]
        assert [p.label for p in participants.missing] == ["第一阶段"]
        assert partial["provinces"].total is None and partial["orgs"].total is None and not partial["orgs"].known
        assert partial["cases"].total == 5  # counted from the running order: always known
        assert services.event_numbers(_event([(None, 1, 1, 0), (5, 1, 1, 0)]))["participants"] is None

        assert {k: f.total for k, f in services.event_figures(_event([])).items()} == dict.fromkeys(
            ("participants", "provinces", "orgs", "cases"))


@pytest.mark.parametrize(("values", "how", "expected"), [
    ([300, 195], sum, 495), ([None, 495], sum, None), ([495, None], sum, None), ([], sum, None),
    ([28, 21], max, 28), ([None, 28], max, None), ([0, 0], sum, 0),
])
def test_combine_needs_every_phase(values, how, expected):
    from portal.sessions.services.stats import combine

    assert combine(values, how) == expected


def test_event_page_shows_phase_figures_and_no_total_when_a_phase_lacks_them(client, world):
    page = client.get(f"/events/{world['ids']['event']}").get_data(as_text=True)
    numbers = page[page.index('id="event-numbers-heading"'):page.index('id="phases-heading"')]
    figures = {dt: text_of(dd).strip() for dt, dd in re.findall(r"<dt>([^<]+)</dt>(?:<dd[^>]*>)(.*?)</dd>", numbers, re.S)}
    assert figures["参会人次"] == "第一阶段：未登记 第二阶段：495 人"
    assert figures["覆盖省份"] == "第一阶段：未登记 第二阶段：28 个省份"
    assert figures["参会单位"] == "未登记"
    assert figures["分享案例"] == "4"
    assert "活动数据（各阶段合计）" not in page and "不作合计" in numbers


# Registration on past sessions --------------------------------------------------------------------

@pytest.mark.parametrize("who", ["anonymous", "practitioner", "unit"])
@pytest.mark.parametrize("which", ["phase1", "lapsed"])
def test_past_sessions_show_no_registration_to_visitors_and_members(client, auth, world, who, which):
    if who != "anonymous":
        auth.login(world["emails"][who])
    page = client.get(f"/sessions/{world['ids'][which]}").get_data(as_text=True)
    assert 'id="participation"' not in page
    for text in ("已报名", "报名参加", "登录后报名", "加入候补名单", "报名记录", "订阅近期分享会日历"):
        assert text not in page, text
    # An upcoming session still offers registration (the check above can fail).
    upcoming = client.get(f"/sessions/{world['ids']['upcoming']}").get_data(as_text=True)
    assert 'id="participation"' in upcoming and "已报名 0 人" in upcoming


def test_organizers_still_see_the_registrations_of_a_past_session(client, auth, world):
    auth.login(world["emails"]["admin"])
    page = client.get(f"/sessions/{world['ids']['phase1']}").get_data(as_text=True)
    panel = section(page, "participation")
    assert "报名记录" in panel and "报名 1 人" in panel and "实务工作者" in panel
    for text in ("已报名 1 人", "报名参加", "本场分享会已经结束"):
        assert text not in panel, text


def test_session_panel_hides_registration_once_it_is_over(app, world):
    from portal.auth.services import get_user_by_email
    from portal.sessions import participation, services

    ids = world["ids"]
    with app.test_request_context():
        people = {"anonymous": None, **{k: get_user_by_email(e) for k, e in world["emails"].items()}}
        for key, over in (("phase1", True), ("lapsed", True), ("upcoming", False)):
            sharing = services.get_session(ids[key])
            assert participation.registration_over(sharing) is over
            shown = {who: participation.session_panel(user, sharing)["participation"].show_registration
                     for who, user in people.items()}
            assert shown == {"anonymous": not over, "practitioner": not over, "unit": not over, "admin": True}, key
        panel = participation.session_panel(people["practitioner"], services.get_session(ids["phase1"]))["participation"]
        assert not panel.can_register and not panel.can_download_calendar


# The demo event -------------------------------------------------------------------------------------

def test_demo_event_can_be_relived(runner, app, client):
    """Per-phase figures without a made-up total, clock times, recording links at offsets, materials."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.sessions.models import Event

    assert runner.invoke(args=["portal", "seed-demo"]).exit_code == 0
    with app.app_context():
        event = db.session.scalar(select(Event))
        event_id, phase_ids = event.id, [s.id for s in event.sessions]
        assert [s.participants for s in event.sessions] == [None, 495]  # the source gives phase 2's only
        assert [s.provinces_count for s in event.sessions] == [None, 28]
        assert sum(len(s.materials) for s in event.sessions) >= 2
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "第二阶段：495 人" in page and "第二阶段：28 个省份" in page and "第一阶段：未登记" in page
    assert not re.search(r"<dd>\s*495\s*</dd>", page)
    assert page.count('class="event-cases"') == 2
    for phase_id in phase_ids:
        session_page = client.get(f"/sessions/{phase_id}").get_data(as_text=True)
        agenda = section(session_page, "agenda")
        assert '<time datetime="' in agenda and "14:00" in agenda
        assert re.search(r'href="https://video\.example\.org/[^"#]+#t=\d+"', agenda)
        assert "观看回放（从 02:00 开始）" in agenda  # the recording starts two minutes early
        assert "链接" in section(session_page, "materials")
        assert "已报名" not in session_page


def test_demo_replays_fill_an_older_demo_database_once(runner, app):
    """A database seeded before replays existed gets them on the next seed-demo, exactly once;
    a phase an organizer already gave a recording is left alone."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.sessions.models import Event

    assert runner.invoke(args=["portal", "seed-demo"]).exit_code == 0
    with app.app_context():
        first, second = db.session.scalar(select(Event)).sessions
        for item in first.agenda + second.agenda:
            item.recording_offset = None
        first.materials.clear()
        second.materials.clear()
        first.recording_url = ""
        second.recording_url = "https://video.example.org/organizer-set"
        db.session.commit()
    again = runner.invoke(args=["portal", "seed-demo"])
    assert again.exit_code == 0 and "nothing changed" not in again.output
    assert "nothing changed" in runner.invoke(args=["portal", "seed-demo"]).output
    with app.app_context():
        first, second = db.session.scalar(select(Event)).sessions
        assert first.recording_url.startswith("https://video.example.org/") and first.materials
        assert [i.recording_offset for i in sorted(first.agenda, key=lambda i: i.position)][:2] == [120, 720]
        assert second.recording_url == "https://video.example.org/organizer-set" and not second.materials
        assert all(i.recording_offset is None for i in second.agenda)
