"""HTTP caching: public pages for anonymous visitors may be kept by browsers and proxies for a
short time and revalidated with their ETag (304); anything that depends on the visitor is
``private, no-store``; after a change the tag changes, so a stale copy never shows a draft, a
hidden comment or a deleted case. CSRF protection is on here, as in production: a page that
renders a token for the visitor must not be shared."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from tests.conftest import PASSWORD


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def world(app, factory, snapshot):
    def build():
        from portal.auth.services import get_user_by_email
        from portal.cases.models import Case
        from portal.discussion import services as discussion
        from portal.models_base import utcnow
        from portal.sessions import services as sessions

        _, admin = factory.user("admin@example.org", "平台管理员", admin=True)
        _, editor = factory.user("editor@example.org", "单位编辑")
        _, reader = factory.user("reader@example.org", "读者")
        org = factory.org(editor, name="花果园社工服务中心")
        case = factory.case(org, "加装电梯议事会")
        other = factory.case(org, "社区食堂助老")
        draft = factory.case(org, "尚未发布的草稿", status="draft")
        with app.app_context():
            comment = discussion.post_comment(get_user_by_email(reader), db.session.get(Case, case),
                                              "这个议事规则很值得借鉴")
            start = utcnow() + timedelta(days=7)
            session = sessions.create_session(get_user_by_email(admin), sessions.SessionData(
                title="老旧小区治理分享会", starts_at=start, ends_at=start + timedelta(hours=2), venue="腾讯会议"))
            db.session.commit()
            ids = {"comment": comment.id, "session": session.id}
        return {"admin": admin, "reader": reader, "org": org, "case": case, "other": other, "draft": draft, **ids}

    return snapshot(build)


def public_paths(world) -> list[str]:
    return ["/", "/cases", f"/cases/{world['case']}", "/sessions", f"/sessions/{world['session']}",
            "/search?q=电梯", f"/orgs/{world['org']}", "/about"]


def login(client, email):
    from tests.conftest import csrf_token

    client.post("/auth/login", data={"email": email, "password": PASSWORD,
                                     "csrf_token": csrf_token(client, "/auth/login")})


def change(app, fn):
    """Change something through the services, as an admin or the unit would, and commit."""
    with app.app_context():
        fn()
        db.session.commit()
        db.session.remove()


def test_anonymous_public_pages_are_cacheable_and_revalidate_with_304(client, world):
    for path in public_paths(world):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public"), path
        assert "Cookie" in response.headers.get("Vary", ""), path
        assert "Set-Cookie" not in response.headers, path
        assert 'name="csrf_token"' not in response.get_data(as_text=True), path
        etag = response.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.data == b"", path
        head = client.head(path, headers={"If-None-Match": etag})
        assert head.status_code == 304, path
        assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_the_public_cache_time_is_configurable(app, client, world):
    app.config["HTTP_CACHE_MAX_AGE"] = 300
    assert "max-age=300" in client.get("/cases").headers["Cache-Control"]


def test_the_calendar_feed_keeps_its_cache_time_and_revalidates(client, world):
    response = client.get("/sessions/upcoming.ics")
    assert response.headers["Cache-Control"] == "public, max-age=900"
    assert client.get("/sessions/upcoming.ics",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_signed_in_pages_are_private_and_never_revalidated_against_the_public_copy(client, world):
    tags = {path: client.get(path).headers["ETag"] for path in public_paths(world)}
    login(client, world["reader"])
    for path in public_paths(world):
        response = client.get(path, headers={"If-None-Match": tags[path]})
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert "ETag" not in response.headers, path
    assert client.get("/notifications").headers["Cache-Control"] == "private, no-store"


def test_pages_with_a_form_a_message_or_a_cookie_are_private(client, world):
    login_page = client.get("/auth/login")  # a CSRF token bound to this visitor's session
    assert login_page.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in login_page.headers
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "已为您保存")]
    home = client.get("/")  # a public page, but showing this visitor's message
    assert "已为您保存" in home.get_data(as_text=True)
    assert home.headers["Cache-Control"] == "private, no-store" and "ETag" not in home.headers
    chosen = client.get("/language/en?next=/about")
    assert "lang=en" in chosen.headers["Set-Cookie"]
    assert chosen.headers["Cache-Control"] == "private, no-store"


def test_a_visitor_who_once_saw_a_form_still_gets_the_shared_page_without_a_token(client, world):
    client.get("/auth/login")  # the session now holds a CSRF secret
    client.get("/about")  # (Flask-Login marks such a session "not fresh" once: a private answer)
    page = client.get(f"/cases/{world['case']}")
    assert "public" in page.headers["Cache-Control"] and "Set-Cookie" not in page.headers
    assert 'name="csrf_token"' not in page.get_data(as_text=True)


@pytest.mark.parametrize("headers", [
    {"If-None-Match": 'garbage"'}, {"If-None-Match": "W/"}, {"If-None-Match": '"unterminated'},
    {"If-None-Match": ",,,"}, {"If-None-Match": "\x00\xff"}, {"If-Modified-Since": "yesterday"},
    {"If-Modified-Since": "Mon, 99 Foo 2020 25:61:00 GMT"}, {"If-Modified-Since": "9" * 40},
    {"If-None-Match": "nonsense", "If-Modified-Since": "Wed, 01 Jan 3000 00:00:00 GMT"},
])
def test_malformed_conditional_headers_get_the_full_page(client, world, headers):
    response = client.get(f"/cases/{world['case']}", headers=headers)
    assert response.status_code == 200
    assert "加装电梯议事会" in response.get_data(as_text=True)


def _tag(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response.headers["ETag"], response.get_data(as_text=True)


def test_unpublishing_a_case_changes_every_page_that_listed_it(app, client, world):
    from portal.cases import services
    from portal.cases.models import Case

    paths = ["/", "/cases", f"/cases/{world['case']}", f"/orgs/{world['org']}"]
    before = {path: _tag(client, path) for path in paths}
    assert all("加装电梯议事会" in html for _, html in before.values())
    change(app, lambda: services.transition(None, db.session.get(Case, world["case"]), "archive"))
    assert client.get(f"/cases/{world['case']}", headers={"If-None-Match": before[paths[2]][0]}).status_code == 404
    for path in (p for p in paths if p != paths[2]):
        response = client.get(path, headers={"If-None-Match": before[path][0]})
        assert response.status_code == 200, path
        assert "加装电梯议事会" not in response.get_data(as_text=True), path


def test_a_hidden_comment_is_gone_from_the_revalidated_page(app, client, world):
    from portal.auth.services import get_user_by_email
    from portal.discussion import services
    from portal.discussion.models import Comment

    path = f"/cases/{world['case']}"
    etag, html = _tag(client, path)
    assert "这个议事规则很值得借鉴" in html
    change(app, lambda: services.moderate(get_user_by_email(world["admin"]), db.session.get(Comment, world["comment"]),
                                          "hide", "与案例无关"))
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "这个议事规则很值得借鉴" not in response.get_data(as_text=True)


def test_a_deleted_comment_is_gone_and_a_deleted_case_was_never_public(app, client, world):
    from portal.auth.services import get_user_by_email
    from portal.cases import services as cases
    from portal.cases.models import Case
    from portal.discussion import services
    from portal.discussion.models import Comment

    path = f"/cases/{world['case']}"
    etag, html = _tag(client, path)
    change(app, lambda: services.delete_comment(get_user_by_email(world["reader"]),
                                                db.session.get(Comment, world["comment"])))
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200 and "这个议事规则很值得借鉴" not in response.get_data(as_text=True)
    # Published cases are archived, not deleted; a case that can be deleted was never public.
    login(client, world["admin"])
    assert client.get(f"/cases/{world['draft']}").headers["Cache-Control"] == "private, no-store"
    change(app, lambda: cases.delete_case(get_user_by_email(world["admin"]), db.session.get(Case, world["draft"])))
    assert client.get(f"/cases/{world['draft']}").status_code == 404


def test_a_unit_losing_its_verification_is_not_served_from_its_old_tag(app, client, world):
    from portal.orgs.models import Organization, OrgStatus

    path = f"/orgs/{world['org']}"
    etag, html = _tag(client, path)
    assert "花果园社工服务中心" in html

    def reject():
        db.session.get(Organization, world["org"]).status = OrgStatus.REJECTED

    change(app, reject)
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 404


def test_a_draft_never_gets_a_public_answer(app, client, world):
    assert client.get(f"/cases/{world['draft']}").status_code == 404
    login(client, world["admin"])
    response = client.get(f"/cases/{world['draft']}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"


def test_the_footer_language_links_and_the_logout_button(client, world):
    page = client.get("/about").get_data(as_text=True)
    assert 'href="/language/en?next=/about"' in page
    response = client.get("/language/en?next=/about")
    assert response.status_code == 302 and response.headers["Location"] == "/about"
    english = client.get("/about")
    assert 'lang="en"' in english.get_data(as_text=True)
    assert "public" in english.headers["Cache-Control"] and "Cookie" in english.headers["Vary"]
    # only same-site targets
    assert client.get("/language/zh_CN?next=https://evil.example/").headers["Location"] == "/"
    assert client.get("/language/xx?next=/cases").headers["Location"] == "/cases"

    login(client, world["reader"])
    page = client.get("/about").get_data(as_text=True)
    assert page.count('name="csrf_token"') == 1  # the log-out button only
    from tests.conftest import csrf_token

    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/about")})
    farewell = client.get("/about")  # shows this visitor's "signed out" message
    assert farewell.headers["Cache-Control"] == "private, no-store"
    assert "public" in client.get("/about").headers["Cache-Control"]  # then a shared page again


def test_behind_a_server_the_app_leaves_the_date_header_to_it(app, world):
    """wsgi.py wraps the app in ServerDate: the server writes Date (gunicorn always does), so the
    one Werkzeug's make_conditional adds must go, or answers carry two (tests/test_search_gunicorn
    checks it under gunicorn). Everything else, the 304 included, is untouched."""
    from werkzeug.test import Client

    from portal.httpcache import ServerDate

    plain, wrapped = Client(app.wsgi_app), Client(ServerDate(app.wsgi_app))
    assert "Date" in plain.get("/about").headers
    page = wrapped.get("/about")
    assert page.status_code == 200 and "Date" not in page.headers and page.headers["ETag"]
    again = wrapped.get("/about", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and "Date" not in again.headers
