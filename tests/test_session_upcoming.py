"""When a session is upcoming is one rule (portal.sessions.services.upcoming): planned and not
over yet. A session in progress is still listed under 即将举行 on /sessions and is still in the
calendar feed; once it has ended it moves to the archive and leaves the feed. Registration closes
earlier, when the session starts.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@pytest.fixture
def sessions(app):
    from portal.extensions import db
    from portal.sessions.models import SessionStatus, SharingSession

    now = _now()
    rows = {
        "in_progress": ("正在进行的分享会", now - timedelta(minutes=30), now + timedelta(minutes=90)),
        "tomorrow": ("明天的分享会", now + timedelta(days=1), now + timedelta(days=1, hours=2)),
        "just_ended": ("刚刚结束的分享会", now - timedelta(hours=2), now - timedelta(minutes=5)),
    }
    with app.app_context():
        ids = {}
        for key, (title, starts, ends) in rows.items():
            sharing = SharingSession(title=title, starts_at=starts, ends_at=ends, status=SessionStatus.PLANNED,
                                     registration_open=True, venue="腾讯会议")
            db.session.add(sharing)
            db.session.flush()
            ids[key] = sharing.id
        db.session.commit()
    return ids


def listing(client) -> tuple[str, str]:
    """(the 即将举行 section, the 往期档案 section) of /sessions."""
    page = client.get("/sessions").get_data(as_text=True)
    upcoming, archive = page.split('id="archive"')
    return upcoming, archive


def feed_titles(client) -> list[str]:
    response = client.get("/sessions/upcoming.ics")
    assert response.status_code == 200
    return [str(e["SUMMARY"]) for e in Calendar.from_ical(response.data).walk("VEVENT")]


def test_a_session_in_progress_is_still_upcoming_in_the_list_and_the_feed(client, sessions):
    upcoming, archive = listing(client)
    assert "正在进行的分享会" in upcoming and "明天的分享会" in upcoming
    assert "正在进行的分享会" not in archive
    assert feed_titles(client) == ["正在进行的分享会", "明天的分享会"]


def test_an_ended_session_leaves_the_list_and_the_feed_together(client, sessions):
    upcoming, archive = listing(client)
    assert "刚刚结束的分享会" not in upcoming and "刚刚结束的分享会" in archive
    assert "刚刚结束的分享会" not in feed_titles(client)


def test_the_list_and_the_feed_use_the_same_rule(app, sessions):
    from portal.extensions import db
    from portal.sessions import services
    from portal.sessions.models import SharingSession

    with app.app_context():
        listed = set(db.session.scalars(db.select(SharingSession.id).where(services.upcoming())))
        assert listed == {sessions["in_progress"], sessions["tomorrow"]}
        # Two hours on, the session now in progress has ended: it moves from one list to the other.
        later = _now() + timedelta(hours=2)
        assert [s.id for s in services.upcoming_sessions(now=later)] == [sessions["tomorrow"]]
        archived = {s.id for _year, group in services.archive_by_year(now=later) for s in group}
        assert archived == {sessions["in_progress"], sessions["just_ended"]}


def test_registration_closes_when_the_session_starts(app, client, factory, auth, sessions):
    _uid, email = factory.user()
    auth.login(email)
    page = client.get(f"/sessions/{sessions['in_progress']}").get_data(as_text=True)
    assert "本场分享会已经开始，报名已截止。" in page
    page = client.get(f"/sessions/{sessions['tomorrow']}").get_data(as_text=True)
    assert "本场分享会已经开始" not in page
