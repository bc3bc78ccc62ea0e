"""Logging out ends the sign-in on the server (issue 14, finding 1): a copy of the cookies taken
before `POST /auth/logout` (session or remember-me) opens nothing afterwards. The account page
lists the signed-in browsers and ends any one of them, or all ("在所有设备上退出登录")."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, AuthActions, csrf_token

REMEMBER = "remember_token"


@pytest.fixture
def people(factory):
    _, alice = factory.user("alice@example.org", "张社工")
    _, bob = factory.user("bob@example.org", "李社工")
    return {"alice": alice, "bob": bob}


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found else None


def browser(app, cookies: dict):
    """Another browser holding a copy of some cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def signed_in(client) -> bool:
    return client.get("/notifications").status_code == 200


def test_a_session_cookie_saved_before_logout_opens_nothing_after_it(app, client, auth, people):
    auth.login(people["alice"])
    saved = {"session": cookie(client, "session")}
    assert signed_in(browser(app, saved)), "the copy works while the sign-in lasts"
    auth.logout()
    copy = browser(app, saved)
    response = copy.get("/notifications")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_remember_me_cookie_saved_before_logout_opens_nothing_after_it(app, client, auth, people):
    auth.login(people["alice"], remember=True)
    saved = {REMEMBER: cookie(client, REMEMBER)}
    assert saved[REMEMBER]
    assert signed_in(browser(app, saved)), "remember-me alone signs in while the sign-in lasts"
    auth.logout()
    assert not signed_in(browser(app, saved))


def test_log_out_everywhere_ends_every_browser_of_the_user_only(app, client, auth, people):
    phone = app.test_client()
    AuthActions(phone).login(people["alice"], remember=True)
    bobs = app.test_client()
    AuthActions(bobs).login(people["bob"])
    auth.login(people["alice"])
    page = client.get("/auth/account").get_data(as_text=True)
    assert page.count('action="/auth/sessions/') == 2 + 1  # two sign-ins, and "end all"
    assert "本设备" in page
    response = client.post("/auth/sessions/end-all", data={"csrf_token": csrf_token(client, "/auth/account")})
    assert response.status_code == 302
    assert "已在所有设备上退出登录" in client.get("/").get_data(as_text=True)
    assert not signed_in(client) and not signed_in(phone)
    assert signed_in(bobs), "another user's sign-in is untouched"
    assert not signed_in(browser(app, {REMEMBER: cookie(phone, REMEMBER)}))
    assert AuthActions(client).login(people["alice"]).status_code == 302, "signing in again works"


def test_ending_one_other_browser_from_the_account_page(app, client, auth, people):
    other = app.test_client()
    AuthActions(other).login(people["alice"])
    auth.login(people["alice"])
    page = client.get("/auth/account").get_data(as_text=True)
    ids = re.findall(r'action="/auth/sessions/(\d+)/end"', page)
    current = re.search(r'本设备.*?action="/auth/sessions/(\d+)/end"', page, re.S).group(1)
    (other_id,) = set(ids) - {current}
    response = client.post(f"/auth/sessions/{other_id}/end",
                           data={"csrf_token": csrf_token(client, "/auth/account")})
    assert response.status_code == 302
    assert signed_in(client) and not signed_in(other)


def test_a_user_cannot_end_another_users_sign_in(app, client, auth, people):
    bobs = app.test_client()
    AuthActions(bobs).login(people["bob"])
    page = bobs.get("/auth/account").get_data(as_text=True)
    (bob_session,) = re.findall(r'action="/auth/sessions/(\d+)/end"', page)
    auth.login(people["alice"])
    response = client.post(f"/auth/sessions/{bob_session}/end",
                           data={"csrf_token": csrf_token(client, "/auth/account")})
    assert response.status_code == 404
    assert signed_in(bobs)


def test_changing_the_password_ends_the_other_browsers_and_keeps_this_one(app, client, auth, people):
    other = app.test_client()
    AuthActions(other).login(people["alice"], remember=True)
    auth.login(people["alice"])
    response = client.post("/auth/password", data={
        "csrf_token": csrf_token(client, "/auth/password"), "current_password": PASSWORD,
        "password": "a-new-password-2026", "confirm": "a-new-password-2026"})
    assert response.status_code == 302
    assert signed_in(client) and not signed_in(other)
    page = client.get("/auth/account").get_data(as_text=True)
    assert len(re.findall(r'action="/auth/sessions/(\d+)/end"', page)) == 1


def test_a_cookie_in_the_old_format_signs_nobody_in(app, client, people):
    """Cookies from before sign-ins were recorded ("id:token") carry no secret."""
    from flask.sessions import SecureCookieSessionInterface

    from portal.auth.services import get_user_by_email

    with app.app_context():
        user = get_user_by_email(people["alice"])
        old = f"{user.id}:{user.session_token}"
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    client.set_cookie("session", serializer.dumps({"_user_id": old, "_fresh": True}))
    assert not signed_in(client)


def test_the_account_page_names_the_browser(app, client, people):
    ua = ("Mozilla/5.0 (Linux; Android 13; V2203A) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.44")
    token = csrf_token(client, "/auth/login")
    client.post("/auth/login", data={"csrf_token": token, "email": people["alice"], "password": PASSWORD},
                headers={"User-Agent": ua})
    assert "微信 · Android" in client.get("/auth/account").get_data(as_text=True)
