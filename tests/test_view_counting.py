"""Case page views are counted off the request path: a view is remembered in memory and written
to the database in batches; crawlers, repeat views by the same visitor and the unit's own members
are not counted; the page view itself never writes to the database."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from portal.cases import viewcount
from portal.extensions import db
from tests.conftest import PASSWORD, REDIS_URL

# One app per backend for the module (tests/conftest.py resets its configuration, rate limits,
# caches and counted visitors between tests).
SHARED_APP = True

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


@pytest.fixture
def world(factory, snapshot):
    def build():
        factory.user("editor@example.org")
        org = factory.org("editor@example.org")
        factory.user("reader@example.org")
        return {"case": factory.case(org), "draft": factory.case(org, "草稿案例", status="draft")}

    return snapshot(build)


def views(app, case_id) -> int:
    from portal.cases.models import Case

    with app.app_context():
        try:
            return db.session.get(Case, case_id).view_count
        finally:
            db.session.remove()


def flush(app) -> int:
    with app.app_context():
        return viewcount.flush()


def visit(client, case_id, *, ip="198.51.100.7", agent=BROWSER):
    headers = {"User-Agent": agent} if agent is not None else {}
    response = client.get(f"/cases/{case_id}", headers=headers, environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 200
    return response


def test_a_view_is_written_at_the_next_flush_not_during_the_request(app, client, world):
    statements = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        visit(client, world["case"])
        visit(client, world["case"], ip="198.51.100.8")
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert statements, "the listener saw the page's queries"
    assert not [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert views(app, world["case"]) == 0

    assert flush(app) == 2
    assert views(app, world["case"]) == 2
    assert "浏览 2 次" in visit(client, world["case"], ip="198.51.100.9").get_data(as_text=True)
    assert flush(app) == 1 and flush(app) == 0  # written once only


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0", "python-requests/2.32.3", "Wget/1.21", "", "   ",
])
def test_crawlers_scripts_and_requests_without_a_user_agent_are_not_counted(app, client, world, agent):
    visit(client, world["case"], agent=agent)
    flush(app)
    assert views(app, world["case"]) == 0


def test_a_visitor_coming_back_soon_is_counted_once(app, client, world):
    for _ in range(3):
        visit(client, world["case"])
    visit(client, world["case"], agent=BROWSER.replace("126", "127"))  # another browser, same address
    visit(client, world["case"], ip="203.0.113.1")  # another address
    flush(app)
    assert views(app, world["case"]) == 3


def test_a_repeat_counts_again_after_the_repeat_window(app, client, world, monkeypatch):
    import time

    visit(client, world["case"])
    later = time.monotonic() + 31 * 60
    monkeypatch.setattr(viewcount.time, "monotonic", lambda: later)
    visit(client, world["case"])
    flush(app)
    assert views(app, world["case"]) == 2


def test_signed_in_readers_count_once_and_the_units_members_not_at_all(app, client, world):
    client.post("/auth/login", data={"email": "editor@example.org", "password": PASSWORD})
    visit(client, world["case"])
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": "reader@example.org", "password": PASSWORD})
    visit(client, world["case"])
    visit(client, world["case"], ip="203.0.113.9")  # the same reader on another network
    flush(app)
    assert views(app, world["case"]) == 1


def test_anonymous_case_pages_set_no_cookie(client, world):
    assert "Set-Cookie" not in visit(client, world["case"]).headers


def test_the_memory_of_visitors_is_bounded(app, client, world):
    app.config["VIEW_COUNT_REMEMBER"] = 3
    app.extensions.pop("case_view_counter", None)
    for n in range(10):
        visit(client, world["case"], ip=f"192.0.2.{n}")
    with app.app_context():
        assert len(viewcount.counter().store.seen) <= 3
    visit(client, world["case"], ip="192.0.2.0")  # forgotten, so counted again
    flush(app)
    assert views(app, world["case"]) == 11


def test_counts_survive_a_failed_write(app, client, world, monkeypatch):
    visit(client, world["case"])
    with app.app_context():
        counter = viewcount.counter()
        real_begin = db.engine.begin

        def broken():
            raise RuntimeError("database down")

        monkeypatch.setattr(type(db.engine), "begin", lambda self: broken())
        with pytest.raises(RuntimeError):
            counter.flush()
        monkeypatch.setattr(type(db.engine), "begin", lambda self: real_begin())
        assert counter.flush() == 1
    assert views(app, world["case"]) == 1


def test_the_command_writes_waiting_views(app, client, world, runner):
    visit(client, world["case"])
    result = runner.invoke(args=["cases", "flush-views"])
    assert result.exit_code == 0, result.output
    assert "1 views written" in result.output
    assert views(app, world["case"]) == 1


def test_drafts_are_not_counted(app, client, world):
    client.post("/auth/login", data={"email": "editor@example.org", "password": PASSWORD})
    client.get(f"/cases/{world['draft']}")
    assert flush(app) == 0


# With Redis (as in production, PORTAL_RATELIMIT_STORAGE=redis://...): every worker counts into
# one hash and remembers repeat visitors in one place. Runs when TEST_REDIS_URL is set.



@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
def test_workers_share_counts_and_repeat_visitors_through_redis(app, database, tmp_path):
    import secrets

    from tests.conftest import Factory, make_app

    factory = Factory(app)
    factory.user("editor@example.org")
    case_id = factory.case(factory.org("editor@example.org"))
    config = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"test-{secrets.token_hex(4)}",
              "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "VIEW_COUNT_FLUSH_SECONDS": 0}
    worker_a = make_app(database, tmp_path / "a", **config)
    worker_b = make_app(database, tmp_path / "b", **config)
    try:
        visit(worker_a.test_client(), case_id)
        visit(worker_b.test_client(), case_id)  # the same visitor on the other worker: a repeat
        visit(worker_b.test_client(), case_id, ip="203.0.113.5")
        assert flush(worker_a) == 2  # one worker writes what both counted
        assert flush(worker_b) == 0
        assert views(app, case_id) == 2
    finally:
        for worker in (worker_a, worker_b):
            with worker.app_context():
                db.engine.dispose()
