"""Calendar files (ICS): one session for its registrants, and the public feed of upcoming
sessions. The output is parsed with the icalendar package, as a calendar application would."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.test_session_registration import add_registration, make_session

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2030-10-12 01:30 UTC is 09:30 in Beijing time.
START_UTC = datetime(2030, 10, 12, 1, 30)
END_UTC = datetime(2030, 10, 12, 4, 0)
TITLE = "社会组织参与社区治理，第一阶段; 全国分享会"


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    from portal.extensions import db
    from portal.sessions.models import Event

    registered, registered_email = factory.user("reg@example.org", "已报名者")
    waitlisted, waitlisted_email = factory.user("wait@example.org", "候补者")
    cancelled, cancelled_email = factory.user("gone@example.org", "已取消者")
    _other, other_email = factory.user("other@example.org", "路人")
    with app.app_context():
        event = Event(title="社会组织参与社区治理全国分享活动", organizer="中国社会工作联合会")
        db.session.add(event)
        main = make_session(TITLE, capacity=1, venue="腾讯会议 888-000-111", host="李主持",
                            description="议程：致辞、案例分享、专家点评、总结。", event=event)
        main.starts_at, main.ends_at = START_UTC, END_UTC
        add_registration(main, registered, minutes_ago=50)
        add_registration(main, waitlisted, "waitlisted", minutes_ago=40)
        add_registration(main, cancelled, "cancelled", minutes_ago=30)
        later = make_session("第二期：老旧小区加装电梯", days=40, format="offline", venue="贵阳市南明区花果园社区服务中心")
        soon = make_session("第一期：五社联动", days=3, venue="")
        held = make_session("已举行的一期", days=-30, status="held")
        archived = make_session("已归档的一期", days=-60, status="archived")
        ended = make_session("昨天结束但未关闭的一期", days=-1)
        db.session.commit()
        ids = {"main": main.id, "later": later.id, "soon": soon.id, "held": held.id, "archived": archived.id,
               "ended": ended.id}
    return {"ids": ids, "emails": {"registered": registered_email, "waitlisted": waitlisted_email,
                                   "cancelled": cancelled_email, "other": other_email}}


def _parse(response) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def _events(calendar):
    return calendar.walk("VEVENT")


def test_registrant_downloads_one_event_with_its_times_and_details(client, auth, world):
    sid = world["ids"]["main"]
    auth.login(world["emails"]["registered"])
    response = client.get(f"/sessions/{sid}.ics")
    assert response.headers["Content-Disposition"] == f'attachment; filename="session-{sid}.ics"'
    calendar = _parse(response)
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    [event] = _events(calendar)

    assert str(event["UID"]) == f"sharing-session-{sid}@localhost"
    assert str(event["SUMMARY"]) == TITLE  # commas and semicolons survive the escaping
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert (start.tzinfo.key, start.replace(tzinfo=None)) == ("Asia/Shanghai", datetime(2030, 10, 12, 9, 30))
    assert end.replace(tzinfo=None) == datetime(2030, 10, 12, 12, 0)
    assert start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == START_UTC
    # The calendar carries the zone's definition, so any client can read the TZID.
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    assert str(event["LOCATION"]) == "腾讯会议 888-000-111（线上）"
    assert str(event["URL"]) == f"http://localhost/sessions/{sid}"
    description = str(event["DESCRIPTION"])
    assert "议程：致辞、案例分享、专家点评、总结。" in description
    assert "社会组织参与社区治理全国分享活动" in description and "李主持" in description
    assert f"http://localhost/sessions/{sid}" in description
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "DTSTAMP" in event

    # Both addresses give the same event, and the UID stays the same on every download.
    again = _events(_parse(client.get(f"/sessions/{sid}/calendar.ics")))[0]
    assert str(again["UID"]) == str(event["UID"]) and again.decoded("DTSTART") == start


def test_waitlisted_registrant_gets_a_tentative_entry(client, auth, world):
    auth.login(world["emails"]["waitlisted"])
    [event] = _events(_parse(client.get(f"/sessions/{world['ids']['main']}.ics")))
    assert str(event["STATUS"]) == "TENTATIVE"
    assert "您目前在候补名单中" in str(event["DESCRIPTION"])


@pytest.mark.parametrize("who", ["cancelled", "other"])
def test_people_who_are_not_registered_get_403(client, auth, world, who):
    auth.login(world["emails"][who])
    response = client.get(f"/sessions/{world['ids']['main']}.ics")
    assert response.status_code == 403
    assert "报名本场分享会后才能下载日历文件" in response.get_data(as_text=True)
    assert b"BEGIN:VCALENDAR" not in response.data


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(f"/sessions/{world['ids']['main']}.ics")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_base_url_is_used_for_links_and_uids(app, client, auth, world):
    app.config["BASE_URL"] = "https://cases.example.org/"
    sid = world["ids"]["main"]
    auth.login(world["emails"]["registered"])
    [event] = _events(_parse(client.get(f"/sessions/{sid}.ics")))
    assert str(event["URL"]) == f"https://cases.example.org/sessions/{sid}"
    assert str(event["UID"]) == f"sharing-session-{sid}@cases.example.org"


def test_public_feed_lists_upcoming_planned_sessions_only(client, world):
    ids = world["ids"]
    response = client.get("/sessions/upcoming.ics")
    calendar = _parse(response)
    assert "inline" in response.headers["Content-Disposition"]
    assert str(calendar["X-WR-CALNAME"]) == "社区治理案例共享平台 · 近期分享会"
    events = _events(calendar)
    # Soonest first; held, archived and already-ended sessions are left out.
    assert [str(e["UID"]) for e in events] == [f"sharing-session-{ids[k]}@localhost"
                                               for k in ("soon", "later", "main")]
    by_uid = {str(e["UID"]): e for e in events}
    later = by_uid[f"sharing-session-{ids['later']}@localhost"]
    assert str(later["SUMMARY"]) == "第二期：老旧小区加装电梯"
    assert str(later["LOCATION"]) == "贵阳市南明区花果园社区服务中心（线下）"
    assert later.decoded("DTEND") - later.decoded("DTSTART") == timedelta(hours=2)
    assert str(by_uid[f"sharing-session-{ids['soon']}@localhost"]["LOCATION"]) == "线上"
    main = by_uid[f"sharing-session-{ids['main']}@localhost"]
    assert main.decoded("DTSTART") == datetime(2030, 10, 12, 9, 30, tzinfo=SHANGHAI)
    # The feed is public: nobody's registration status is in it.
    assert all(str(e["STATUS"]) == "CONFIRMED" for e in events)


def test_public_feed_stamps_events_with_their_stored_time_so_it_can_be_revalidated(app, client, world):
    from portal.extensions import db
    from portal.sessions.models import SharingSession

    with app.app_context():
        created = db.session.get(SharingSession, world["ids"]["soon"]).created_at
    [soon] = [e for e in _events(_parse(client.get("/sessions/upcoming.ics")))
              if str(e["UID"]) == f"sharing-session-{world['ids']['soon']}@localhost"]
    # Not the time of the request: a stamp that changed every second would change the ETag too.
    assert soon.decoded("DTSTAMP").replace(tzinfo=None) == created.replace(microsecond=0)


def test_feed_is_empty_but_valid_without_upcoming_sessions(app, client):
    calendar = _parse(client.get("/sessions/upcoming.ics"))
    assert _events(calendar) == [] and str(calendar["VERSION"]) == "2.0"
