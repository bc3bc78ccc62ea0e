"""Registration (报名) for sharing sessions: who may register, cancel and download the calendar
file; capacity, the waiting list and its promotions; refusals; and no over-booking when people
take the last seat at the same moment (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).

The permission table reads like tests/test_case_permissions.py:

    OK     200            DENY  403 "无权访问"        HIDE  404 "未找到"
    LOGIN  302 to /auth/login
    REG    302, a success message, and the person is registered for the row's session
    WAIT   302, the "名额已满 ... 候补名单" message, and the person is waitlisted
    DONE   302, a success message, and the row's change is in the database
    KEPT   302, an error message, and nothing changed in the database
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

OK, DENY, HIDE, LOGIN = 200, 403, 404, "LOGIN"
REG, WAIT, DONE, KEPT = "REG", "WAIT", "DONE", "KEPT"

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "reviewer", "admin")
NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "reviewer": "点评专家", "admin": "平台管理员"}


def _utc(days=0, hours=0):
    from portal.models_base import utcnow

    return (utcnow() + timedelta(days=days, hours=hours)).replace(microsecond=0)


def make_session(title="第一期：社区议事协商分享会", *, days=10, hours=2, capacity=None, status="planned",
                 registration_open=True, venue="腾讯会议 123-456-789", **fields):
    """A SharingSession row (times naive UTC, like the model stores them)."""
    from portal.extensions import db
    from portal.sessions.models import SharingSession

    sharing = SharingSession(title=title, starts_at=_utc(days), ends_at=_utc(days, hours), capacity=capacity,
                             status=status, registration_open=registration_open, venue=venue, **fields)
    db.session.add(sharing)
    db.session.flush()
    return sharing


def add_registration(sharing, user_id, status="registered", minutes_ago=60):
    from portal.extensions import db
    from portal.sessions.models import Registration

    when = _utc() - timedelta(minutes=minutes_ago)
    db.session.add(Registration(session_id=sharing.id, user_id=user_id, status=status, created_at=when,
                                updated_at=when))
    db.session.flush()


def registrations(app) -> dict:
    """{(session id, user id): status}, read fresh."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.sessions.models import Registration

    with app.app_context():
        out = {(r.session_id, r.user_id): r.status for r in db.session.scalars(select(Registration))}
        db.session.remove()
    return out


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    """Everyone in the table, a verified unit (单位管理员 runs it, 单位编辑 edits in it), and sessions:
    open (5 seats), full (1 seat, taken by someone else), closed (registration closed), held
    (already took place), started (planned, but it began an hour ago), and booked (every
    logged-in role is registered)."""
    from portal.extensions import db

    users, emails = {}, {}
    for role, name in NAMES.items():
        users[role], emails[role] = factory.user(f"{role}@example.org", name, admin=role == "admin",
                                                 reviewer=role == "reviewer")
    other, _ = factory.user("other@example.org", "另一位报名者")
    unit = factory.org(emails["org_admin"], name="贵阳市阳光社工服务中心")
    factory.member(unit, emails["org_editor"], "editor")
    with app.app_context():
        ids = {
            "open": make_session("开放报名的分享会", capacity=5).id,
            "full": make_session("名额已满的分享会", capacity=1).id,
            "closed": make_session("报名已关闭的分享会", registration_open=False).id,
            "held": make_session("已举行的分享会", days=-20, status="held").id,
            "started": make_session("进行中的分享会", days=0, hours=3).id,  # moved to an hour ago below
            "booked": make_session("大家都报了名的分享会", capacity=10).id,
        }
        from portal.sessions.models import SharingSession

        db.session.get(SharingSession, ids["started"]).starts_at = _utc(hours=-1)
        add_registration(db.session.get(SharingSession, ids["full"]), other)
        booked = db.session.get(SharingSession, ids["booked"])
        for i, uid in enumerate(users.values()):
            add_registration(booked, uid, minutes_ago=100 - i)
        db.session.commit()
    return {"users": users, "emails": emails, "ids": ids, "other": other}


def row(method, path, *expected, effect=None):
    assert len(expected) == len(ROLES), path
    return pytest.param(method, path, dict(zip(ROLES, expected)), effect, id=f"{method} {path}")


TABLE = [
    #   method  route                                  anon   pract  editor o-admin review admin
    row("POST", "/sessions/{open}/register",           LOGIN, REG,   REG,   REG,   REG,   REG,  effect="open"),
    row("POST", "/sessions/{full}/register",           LOGIN, WAIT,  WAIT,  WAIT,  WAIT,  WAIT, effect="full"),
    row("POST", "/sessions/{closed}/register",         LOGIN, KEPT,  KEPT,  KEPT,  KEPT,  KEPT),
    row("POST", "/sessions/{held}/register",           LOGIN, KEPT,  KEPT,  KEPT,  KEPT,  KEPT),
    row("POST", "/sessions/{started}/register",        LOGIN, KEPT,  KEPT,  KEPT,  KEPT,  KEPT),
    # Registering twice changes nothing.
    row("POST", "/sessions/{booked}/register",         LOGIN, KEPT,  KEPT,  KEPT,  KEPT,  KEPT),
    row("POST", "/sessions/999999/register",           LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    row("POST", "/sessions/{booked}/register/cancel",  LOGIN, DONE,  DONE,  DONE,  DONE,  DONE, effect="booked"),
    row("POST", "/sessions/{open}/register/cancel",    LOGIN, KEPT,  KEPT,  KEPT,  KEPT,  KEPT),
    # The calendar entry: registrants (and platform admins) only.
    row("GET",  "/sessions/{booked}.ics",              LOGIN, OK,    OK,    OK,    OK,    OK),
    row("GET",  "/sessions/{booked}/calendar.ics",     LOGIN, OK,    OK,    OK,    OK,    OK),
    row("GET",  "/sessions/{open}.ics",                LOGIN, DENY,  DENY,  DENY,  DENY,  OK),
    row("GET",  "/sessions/{open}/calendar.ics",       LOGIN, DENY,  DENY,  DENY,  DENY,  OK),
    row("GET",  "/sessions/999999.ics",                LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    row("GET",  "/sessions/upcoming.ics",              OK,    OK,    OK,    OK,    OK,    OK),
]


def _follow(client, response) -> str:
    return client.get(urlsplit(response.headers["Location"]).path).get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "expected", "effect"), TABLE)
def test_registration_permission_table(app, client, auth, world, role, method, path, expected, effect):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    url = path.format(**world["ids"])
    before = registrations(app)
    response = client.open(url, method=method)
    after = registrations(app)
    outcome = expected[role]
    page = response.get_data().decode("utf-8", "replace")

    if outcome == LOGIN:
        assert (response.status_code, urlsplit(response.headers["Location"]).path) == (302, "/auth/login")
    elif outcome in (REG, WAIT, DONE, KEPT):
        assert response.status_code == 302, page[:500]
        assert urlsplit(response.headers["Location"]).path.startswith("/sessions/")
        follow = _follow(client, response)
        if outcome == WAIT:
            assert "名额已满，您已进入候补名单" in follow
        else:
            assert ("flash-error" if outcome == KEPT else "flash-success") in follow
    else:
        assert response.status_code == outcome, page[:500]
        if outcome == DENY:
            assert "无权访问" in page and "报名本场分享会后才能下载日历文件" in page
        elif outcome == HIDE:
            assert "未找到" in page
        elif url.endswith(".ics"):
            assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
            assert response.data.startswith(b"BEGIN:VCALENDAR")

    if outcome in (REG, WAIT, DONE):
        key = (world["ids"][effect], world["users"][role])
        expected_after = dict(before)
        expected_after[key] = {REG: "registered", WAIT: "waitlisted", DONE: "cancelled"}[outcome]
        assert after == expected_after
    else:
        assert after == before, "a refused request changed the registrations"


# Refusals say why, in Chinese ------------------------------------------------------------------

@pytest.mark.parametrize(("which", "message"), [
    ("closed", "本场分享会暂未开放报名或报名已关闭。"),
    ("held", "本场分享会已经结束，不能再报名。"),
    ("started", "本场分享会已经开始，报名已截止。"),
    ("booked", "您已报名本场分享会，无需重复报名。"),
])
def test_refused_registration_explains_why(client, auth, world, which, message):
    auth.login(world["emails"]["practitioner"])
    page = client.post(f"/sessions/{world['ids'][which]}/register", follow_redirects=True).get_data(as_text=True)
    assert message in page


def test_archived_session_and_duplicate_waitlist_are_refused(app, client, auth, world):
    from portal.extensions import db
    from portal.sessions.models import SharingSession

    with app.app_context():
        db.session.get(SharingSession, world["ids"]["held"]).status = "archived"
        db.session.commit()
    auth.login(world["emails"]["practitioner"])
    page = client.post(f"/sessions/{world['ids']['held']}/register", follow_redirects=True).get_data(as_text=True)
    assert "本场分享会已经结束，不能再报名。" in page

    full = world["ids"]["full"]
    client.post(f"/sessions/{full}/register")
    before = registrations(app)
    page = client.post(f"/sessions/{full}/register", follow_redirects=True).get_data(as_text=True)
    assert "您已在本场分享会的候补名单中，无需重复报名" in page
    assert registrations(app) == before


def test_duplicate_registration_keeps_the_original_time(app, client, auth, world):
    from portal.extensions import db
    from portal.sessions.models import Registration

    auth.login(world["emails"]["practitioner"])
    key = (world["ids"]["booked"], world["users"]["practitioner"])
    with app.app_context():
        first = db.session.get(Registration, db.session.scalar(
            db.select(Registration.id).where(Registration.session_id == key[0], Registration.user_id == key[1])))
        created = first.created_at
    client.post(f"/sessions/{key[0]}/register")
    with app.app_context():
        again = db.session.scalar(db.select(Registration).where(Registration.session_id == key[0],
                                                                Registration.user_id == key[1]))
        assert (again.status, again.created_at) == ("registered", created)


# Capacity, waiting list and promotion ----------------------------------------------------------

def _users(factory, n, prefix="u"):
    return [factory.user(f"{prefix}{i}@example.org", f"报名者{i}") for i in range(n)]


def test_waiting_list_fills_in_order_and_cancelling_promotes_the_oldest(app, factory):
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.extensions import db
    from portal.notifications.models import Notification
    from portal.sessions import participation
    from portal.sessions.models import SharingSession

    people = _users(factory, 5)
    with app.app_context():
        sid = make_session("名额两位的分享会", capacity=2).id
        db.session.commit()
    statuses = []
    for uid, _email in people:
        with app.app_context():
            reg = participation.register(db.session.get(User, uid), db.session.get(SharingSession, sid))
            statuses.append(reg.status)
            db.session.commit()
    assert statuses == ["registered", "registered", "waitlisted", "waitlisted", "waitlisted"]

    def status_of():
        regs = registrations(app)
        return [regs[(sid, uid)] for uid, _ in people]

    # A waitlisted person leaving frees no seat and promotes nobody.
    with app.app_context():
        assert participation.cancel(db.session.get(User, people[3][0]), db.session.get(SharingSession, sid)) == []
        db.session.commit()
    assert status_of() == ["registered", "registered", "waitlisted", "cancelled", "waitlisted"]

    # A registered person leaving: the oldest waitlisted one (people[2]) gets the seat and is told.
    with app.app_context():
        promoted = participation.cancel(db.session.get(User, people[0][0]), db.session.get(SharingSession, sid))
        assert [r.user_id for r in promoted] == [people[2][0]]
        db.session.commit()
    assert status_of() == ["cancelled", "registered", "registered", "cancelled", "waitlisted"]
    with app.app_context():
        notes = list(db.session.scalars(select(Notification).where(Notification.kind == "session_registration")))
        assert [n.user_id for n in notes] == [people[2][0]]
        assert "候补名单转为正式报名" in notes[0].text and "名额两位的分享会" in notes[0].text
        assert notes[0].url == f"/sessions/{sid}"
    from tests.conftest import mail_messages

    mails = [m for m in mail_messages(app) if m["To"] == people[2][1]]
    assert len(mails) == 1 and "名额两位的分享会" in mails[0]["Subject"]

    # Registering again after cancelling puts you at the back of the queue.
    with app.app_context():
        reg = participation.register(db.session.get(User, people[0][0]), db.session.get(SharingSession, sid))
        assert reg.status == "waitlisted"
        db.session.commit()
        reg = participation.cancel(db.session.get(User, people[1][0]), db.session.get(SharingSession, sid))
        db.session.commit()
    assert status_of() == ["waitlisted", "cancelled", "registered", "cancelled", "registered"]


def test_seats_added_later_go_to_the_waiting_list_first(app, factory):
    """When the capacity is raised, the next registration first promotes the waiting list."""
    from portal.auth.models import User
    from portal.extensions import db
    from portal.sessions import participation
    from portal.sessions.models import SharingSession

    a, b, c = _users(factory, 3)
    with app.app_context():
        sharing = make_session(capacity=1)
        add_registration(sharing, a[0], minutes_ago=30)
        add_registration(sharing, b[0], "waitlisted", minutes_ago=20)
        sharing.capacity = 2
        db.session.commit()
        sid = sharing.id
    with app.app_context():
        reg = participation.register(db.session.get(User, c[0]), db.session.get(SharingSession, sid))
        db.session.commit()
        assert reg.status == "waitlisted"
    regs = registrations(app)
    assert [regs[(sid, u[0])] for u in (a, b, c)] == ["registered", "registered", "waitlisted"]


def test_no_capacity_means_no_waiting_list(app, client, auth, factory):
    from portal.extensions import db

    people = _users(factory, 4)
    with app.app_context():
        sid = make_session(capacity=None).id
        db.session.commit()
    for _uid, email in people:
        auth.login(email)
        client.post(f"/sessions/{sid}/register")
        auth.logout()
    assert set(registrations(app).values()) == {"registered"}


def test_session_page_shows_status_to_registrants_and_the_list_to_admins(app, client, auth, world):
    booked = world["ids"]["booked"]
    auth.login(world["emails"]["practitioner"])
    page = client.get(f"/sessions/{booked}").get_data(as_text=True)
    assert "您已报名本场分享会" in page and f"/sessions/{booked}.ics" in page
    assert "报名名单" not in page and "另一位报名者" not in page
    auth.logout()

    auth.login(world["emails"]["reviewer"])
    page = client.get(f"/sessions/{world['ids']['full']}").get_data(as_text=True)
    assert "加入候补名单" in page and "剩余 0 个" in page
    client.post(f"/sessions/{world['ids']['full']}/register")
    page = client.get(f"/sessions/{world['ids']['full']}").get_data(as_text=True)
    assert "您在候补名单第 1 位" in page
    auth.logout()

    auth.login(world["emails"]["admin"])
    page = client.get(f"/sessions/{world['ids']['full']}").get_data(as_text=True)
    assert "报名名单（1 人报名，1 人候补）" in page
    assert "另一位报名者" in page and "点评专家" in page
    page = client.get(f"/sessions/{booked}").get_data(as_text=True)
    assert "贵阳市阳光社工服务中心" in page  # the registrants' units
    auth.logout()

    page = client.get(f"/sessions/{world['ids']['open']}").get_data(as_text=True)
    assert "登录后报名" in page and "报名名单" not in page


# No over-booking under concurrent sign-ups -----------------------------------------------------

@pytest.fixture
def slow_count(monkeypatch):
    """Widen the gap between counting the seats and taking one, so that without the lock two
    concurrent sign-ups would both see a free seat."""
    from portal.sessions import participation

    original = participation.seats_left

    def slow(sharing):
        left = original(sharing)
        time.sleep(0.3)
        return left

    monkeypatch.setattr(participation, "seats_left", slow)


def _run_together(clients, url):
    barrier = threading.Barrier(len(clients))
    results, errors = [None] * len(clients), []

    def go(i, c):
        try:
            barrier.wait(timeout=10)
            results[i] = c.post(url).status_code
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


def _logged_in_clients(app, factory, n):
    from tests.conftest import AuthActions

    clients = []
    for i in range(n):
        _uid, email = factory.user(f"racer{i}@example.org", f"抢座者{i}")
        c = app.test_client()
        AuthActions(c).login(email)
        clients.append(c)
    return clients


def test_two_people_taking_the_last_seat_at_once(app, factory, slow_count):
    from portal.extensions import db

    with app.app_context():
        sid = make_session("只剩一个名额", capacity=1).id
        db.session.commit()
    clients = _logged_in_clients(app, factory, 2)
    assert _run_together(clients, f"/sessions/{sid}/register") == [302, 302]
    assert sorted(registrations(app).values()) == ["registered", "waitlisted"]


def test_many_concurrent_sign_ups_never_exceed_capacity(app, factory):
    from portal.extensions import db

    with app.app_context():
        sid = make_session("三个名额", capacity=3).id
        db.session.commit()
    clients = _logged_in_clients(app, factory, 6)
    assert _run_together(clients, f"/sessions/{sid}/register") == [302] * 6
    assert sorted(registrations(app).values()) == ["registered"] * 3 + ["waitlisted"] * 3


def test_concurrent_cancel_and_sign_up_keep_the_count(app, factory, slow_count):
    """One registrant cancels while a newcomer signs up: the waitlisted person gets the freed seat
    or the newcomer is waitlisted, never both registered beyond capacity."""
    from portal.auth.models import User
    from portal.extensions import db

    clients = _logged_in_clients(app, factory, 2)
    _waiting_id, _ = factory.user("waiting@example.org", "候补者")
    with app.app_context():
        sharing = make_session("一个名额", capacity=1)
        leaver = db.session.scalar(db.select(User).where(User.email == "racer0@example.org"))
        add_registration(sharing, leaver.id, minutes_ago=30)
        add_registration(sharing, _waiting_id, "waitlisted", minutes_ago=20)
        db.session.commit()
        sid = sharing.id
    barrier = threading.Barrier(2)
    codes = []

    def go(c, url):
        barrier.wait(timeout=10)
        codes.append(c.post(url).status_code)

    threads = [threading.Thread(target=go, args=(clients[0], f"/sessions/{sid}/register/cancel")),
               threading.Thread(target=go, args=(clients[1], f"/sessions/{sid}/register"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert codes == [302, 302]
    regs = registrations(app)
    assert list(regs.values()).count("registered") == 1
    assert regs[(sid, _waiting_id)] == "registered"  # the waiting list comes first


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_register_needs_the_token_from_the_session_page(self, app, client, auth, world):
        from tests.conftest import csrf_token

        auth.login(world["emails"]["practitioner"])
        sid = world["ids"]["open"]
        before = registrations(app)
        response = client.post(f"/sessions/{sid}/register")
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
        assert registrations(app) == before
        token = csrf_token(client, f"/sessions/{sid}")
        assert token
        assert client.post(f"/sessions/{sid}/register", data={"csrf_token": token}).status_code == 302
        assert registrations(app)[(sid, world["users"]["practitioner"])] == "registered"
