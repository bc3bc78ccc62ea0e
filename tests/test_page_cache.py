"""The anonymous page cache in Redis (portal.pagecache): a public page is rendered once and then
served without touching the database, and any change to what pages show (unpublishing, hiding a
comment, a unit losing its verification) is seen by the very next request. Signed-in visitors
and anyone with a session never get a cached page. Runs when TEST_REDIS_URL is set."""
from __future__ import annotations

import secrets

import pytest
from sqlalchemy import event

from portal.extensions import db
from tests.conftest import PASSWORD, REDIS_URL

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")


@pytest.fixture
def app_config():
    # A key prefix of its own per test: the Redis database is shared with other tests and backends.
    return {"WTF_CSRF_ENABLED": False, "PAGE_CACHE_URL": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": f"test-pages-{secrets.token_hex(4)}"}


@pytest.fixture
def world(app, factory):
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.discussion import services as discussion

    factory.user("admin@example.org", admin=True)
    factory.user("editor@example.org")
    factory.user("reader@example.org")
    org = factory.org("editor@example.org", name="花果园社工服务中心")
    case = factory.case(org, "加装电梯议事会")
    with app.app_context():
        comment = discussion.post_comment(get_user_by_email("reader@example.org"), db.session.get(Case, case),
                                          "这个议事规则很值得借鉴")
        db.session.commit()
        comment_id = comment.id
        db.session.remove()
    return {"org": org, "case": case, "comment": comment_id}


class Statements:
    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self.seen

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._listen)

    def _listen(self, conn, cursor, statement, *args):
        self.seen.append(statement)


def change(app, fn):
    with app.app_context():
        fn()
        db.session.commit()
        db.session.remove()


def test_a_public_page_is_served_from_the_cache_without_the_database(app, client, world):
    path = f"/cases/{world['case']}"
    first = client.get(path)
    with Statements(app) as statements:
        second = client.get(path)
    assert statements == []
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert "public" in second.headers["Cache-Control"] and "Set-Cookie" not in second.headers
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_a_cached_answer_has_the_rendered_pages_headers_and_answers_head(app, client, world):
    path = f"/cases/{world['case']}"
    first = client.get(path)
    second = client.get(path)  # from the cache, answered before the app
    def headers(response):  # "Date" is the time of each answer (the two may fall in different seconds)
        return sorted((k, v) for k, v in response.headers.items() if k != "Date")

    assert headers(second) == headers(first) and "Date" in second.headers
    assert second.headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in second.headers
    head = client.head(path)
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["ETag"] == first.headers["ETag"]


def test_views_are_still_counted_from_the_cache(app, client, world):
    from portal.cases import viewcount
    from portal.cases.models import Case

    path = f"/cases/{world['case']}"
    client.get(path, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    client.get(path, environ_base={"REMOTE_ADDR": "198.51.100.2"})  # from the cache
    with app.app_context():
        viewcount.flush()
        assert db.session.get(Case, world["case"]).view_count == 2
        db.session.remove()


def test_each_language_has_its_own_copy(client, world):
    chinese = client.get("/cases").get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.get("/cases").get_data(as_text=True)
    assert 'lang="en"' in english and 'lang="zh-CN"' in chinese


def test_unpublishing_hiding_and_unverifying_show_at_once(app, client, world):
    from portal.auth.services import get_user_by_email
    from portal.cases import services as cases
    from portal.cases.models import Case
    from portal.discussion import services as discussion
    from portal.discussion.models import Comment
    from portal.orgs.models import Organization, OrgStatus

    case_path, org_path = f"/cases/{world['case']}", f"/orgs/{world['org']}"
    for path in (case_path, "/cases", org_path):
        client.get(path)
    assert "这个议事规则很值得借鉴" in client.get(case_path).get_data(as_text=True)  # cached

    change(app, lambda: discussion.moderate(get_user_by_email("admin@example.org"),
                                            db.session.get(Comment, world["comment"]), "hide", "与案例无关"))
    assert "这个议事规则很值得借鉴" not in client.get(case_path).get_data(as_text=True)

    change(app, lambda: cases.transition(None, db.session.get(Case, world["case"]), "archive"))
    assert client.get(case_path).status_code == 404
    assert "加装电梯议事会" not in client.get("/cases").get_data(as_text=True)

    def unverify():
        db.session.get(Organization, world["org"]).status = OrgStatus.REJECTED

    change(app, unverify)
    assert client.get(org_path).status_code == 404


def test_signed_in_visitors_and_sessions_never_get_or_fill_the_cache(app, client, world):
    path = f"/cases/{world['case']}"
    client.post("/auth/login", data={"email": "reader@example.org", "password": PASSWORD})
    mine = client.get(path)
    assert mine.headers["Cache-Control"] == "private, no-store"
    assert "读者" in mine.get_data(as_text=True) or "退出登录" in mine.get_data(as_text=True)
    client.post("/auth/logout")
    stranger = app.test_client()
    page = stranger.get(path).get_data(as_text=True)
    assert "退出登录" not in page and "登录" in page


def test_a_notification_does_not_empty_the_cache(app, client, world):
    from portal.auth.services import get_user_by_email
    from portal.notifications import services
    from portal.notifications.models import Kind

    path = f"/cases/{world['case']}"
    client.get(path)
    change(app, lambda: services.notify([get_user_by_email("reader@example.org")], Kind.CASE_WORKFLOW, "你好", ""))
    with Statements(app) as statements:
        client.get(path)
    assert statements == []


def test_without_redis_pages_are_rendered(app, client, world, monkeypatch):
    cache = app.extensions["page_cache"]
    import redis

    broken = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2, socket_connect_timeout=0.2)
    monkeypatch.setattr(cache, "client", broken)
    response = client.get(f"/cases/{world['case']}")
    assert response.status_code == 200 and "加装电梯议事会" in response.get_data(as_text=True)


def test_each_process_serves_its_own_copy_only_while_redis_holds_its_generation(app, client, world):
    """A worker's copy spares Redis the page, not the check: another host's change (the
    generation advanced in Redis) is seen at once, and the Redis entry itself is not needed."""
    from sqlalchemy import text

    cache = app.extensions["page_cache"]
    path = f"/cases/{world['case']}"
    first = client.get(path).get_data(as_text=True)
    entries = [k for k in cache.client.keys(cache.page_prefix + "*") if k.decode() != cache.generation_key]
    cache.client.delete(*entries)  # only this process's copy is left
    with Statements(app) as statements:
        assert client.get(path).get_data(as_text=True) == first
    assert statements == []

    with app.app_context():  # a change this process's ORM never saw, announced by another host
        db.session.execute(text("UPDATE cases SET title = '加装电梯协商议事会' WHERE id = :id"), {"id": world["case"]})
        db.session.commit()
        db.session.remove()
    assert "加装电梯协商议事会" not in client.get(path).get_data(as_text=True)  # still the same generation
    cache.bump()
    assert "加装电梯协商议事会" in client.get(path).get_data(as_text=True)


def test_local_copies_are_bounded_by_size_and_age(monkeypatch):
    from portal import pagecache

    monkeypatch.setattr(pagecache, "COPY_OVERHEAD", 0)
    now = pagecache.time.time()
    copies = pagecache.LocalCopies(limit=10)
    copies.put("a", {"generation": 1, "expires": now + 60}, b"12345")
    copies.put("b", {"generation": 1, "expires": now + 60}, b"12345")
    assert copies.get("a") is not None  # a is now the most recently used
    copies.put("c", {"generation": 1, "expires": now + 30}, b"123")
    assert copies.get("b") is None and copies.get("a") is not None and copies.get("c") is not None
    copies.put("huge", {"generation": 1, "expires": now + 60}, b"x" * 11)
    assert copies.get("huge") is None and copies.size == 8
    copies.put("old", {"generation": 1}, b"1")  # an entry from before copies had an expiry
    assert copies.get("old") is None
    # A copy lives no longer than the Redis entry it came from (copied late, it expires early).
    monkeypatch.setattr(pagecache.time, "time", lambda: now + 31)
    assert copies.get("c") is None and copies.get("a") is not None
    monkeypatch.setattr(pagecache.time, "time", lambda: now + 61)
    assert copies.get("a") is None and copies.size == 0


def test_a_redis_that_lost_or_went_back_in_its_data_invalidates_every_copy(app, client, world):
    """After a restart without persistence the generation is gone, and a restored snapshot holds
    an older one: no copy made before is served, even once the counter climbs again."""
    cache = app.extensions["page_cache"]
    path = f"/cases/{world['case']}"
    client.get(path)
    before = int(cache.client.get(cache.generation_key) or 0)
    cache.client.delete(*cache.client.keys(cache.page_prefix + "*"))  # this test's keys, the generation too
    with Statements(app) as statements:
        assert client.get(path).status_code == 200
    assert statements, "the copy was dropped and the page rendered again"
    cache.bump()
    assert int(cache.client.get(cache.generation_key)) > before  # never a number used before
    client.get(path)
    cache.client.set(cache.generation_key, 1)  # an older snapshot
    assert cache.local.observe(1) is False and not cache.local.entries
