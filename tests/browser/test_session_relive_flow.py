"""In a real browser, on a desktop screen and on a phone: a visitor opens an archived session and
relives it — the timetable shows each item's Beijing clock times, the recording link opens at the
item's offset, the next-case link jumps along the timetable, and there is nothing to register for.

The session is set up through the services (how it got there is tests/browser/test_session_flow.py's
business); only reading happens in the browser.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

RECORDING = "https://video.example.org/replay/relive"
FIRST_CASE = "“院落议事会”化解停车难"
SECOND_CASE = "楼道微更新：居民自己画的图纸"


@pytest.fixture
def archived_session(live_server):
    """An archived session at 14:00 Beijing time: a talk, two cases with durations and offsets,
    expert comments without an offset; a recording and a link material."""
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.sessions import services

    factory = live_server.factory()
    _, admin_email = factory.user("admin@example.org", "平台管理员", admin=True)
    _, unit_email = factory.user("unit@example.org", "王主任")
    org_id = factory.org(unit_email, name="云岩区同心社会工作服务中心")
    first = factory.case(org_id, FIRST_CASE)
    second = factory.case(org_id, SECOND_CASE)
    with live_server.app.app_context():
        admin = get_user_by_email(admin_email)
        start = datetime(2025, 10, 12, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC).replace(tzinfo=None)
        session = services.create_session(admin, services.SessionData(
            title="社区治理经验线上分享会", starts_at=start, ends_at=start + timedelta(hours=2), venue="腾讯会议"))
        for data in (
            services.AgendaData(kind="talk", title="开幕致辞", duration_minutes=10, recording_offset="1:00"),
            services.AgendaData(kind="case", case_id=first, presenter="王芳", duration_minutes=25,
                                recording_offset="11:00"),
            services.AgendaData(kind="case", case_id=second, presenter="李强", duration_minutes=25,
                                recording_offset="36:00"),
            services.AgendaData(kind="talk", title="专家点评", duration_minutes=30),
        ):
            services.add_agenda_item(admin, session, data)
        services.add_material_link(admin, session, "分享会议程", "https://files.example.org/agenda")
        services.close_session(admin, session, services.RecordData(participants=120, recording_url=RECORDING))
        db.session.commit()
        return f"{live_server.url}/sessions/{session.id}"


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_timetable_shows_clock_times_and_links_into_the_recording(page, archived_session, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(archived_session)
    agenda = page.locator("#agenda")
    expect(agenda.get_by_role("heading", name="议程")).to_be_visible()
    expect(agenda).to_contain_text("时间为北京时间")
    times = agenda.locator(".timetable-time")
    expect(times).to_have_text([re.compile(r"14:00\s*–.*14:10"), re.compile(r"14:10\s*–.*14:35"),
                                re.compile(r"14:35\s*–.*15:00"), re.compile(r"15:00\s*–.*15:30")])
    for n in range(4):
        expect(times.nth(n)).to_be_visible()

    first = agenda.locator(".agenda-item").filter(has=page.get_by_role("heading", name=FIRST_CASE))
    watch = first.get_by_role("link", name="观看回放（从 11:00 开始）")
    expect(watch).to_be_visible()
    expect(watch).to_have_attribute("href", f"{RECORDING}#t=660")
    expect(agenda.get_by_role("link", name=re.compile(r"观看回放（从"))).to_have_count(3)  # the comments have no offset
    expect(page.locator("#materials").get_by_role("link", name="观看录像")).to_have_attribute("href", RECORDING)
    expect(page.locator("#materials").get_by_role("link", name="分享会议程")).to_be_visible()

    # Time beside the item on a desktop, above it on a phone; nothing wider than the screen.
    time_box = times.nth(1).bounding_box()
    title_box = first.locator("h3").bounding_box()
    if width > 640:
        assert time_box["x"] + time_box["width"] <= title_box["x"]
        assert abs(time_box["y"] - title_box["y"]) < title_box["height"]
    else:
        assert time_box["y"] + time_box["height"] <= title_box["y"] + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Along the timetable to the next case; no registration on an archived session.
    next_case = first.get_by_role("link", name=f"下一个案例：{SECOND_CASE}")
    next_case.click()
    expect(page).to_have_url(re.compile(r"#agenda-\d+$"))
    expect(agenda.locator(".agenda-item:target h3")).to_contain_text(SECOND_CASE)
    expect(page.locator("#participation")).to_have_count(0)
    expect(page.get_by_text("已报名", exact=False)).to_have_count(0)
