"""Accounts: registration, login, remember me, password change and reset, rate limits."""
import re

import pytest

from tests.conftest import PASSWORD, mail_messages


def register(client, email="new@example.org", name="新用户", password="a-long-password", confirm=None):
    return client.post("/auth/register", data={
        "email": email, "display_name": name, "password": password,
        "confirm": confirm if confirm is not None else password,
    })


def test_register_logs_the_user_in(client):
    response = register(client)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "新用户" in page and "退出登录" in page


def test_register_rejects_short_password_and_keeps_input(client):
    response = register(client, password="short", confirm="short")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "密码长度须为 10 到 128 个字符" in page
    assert 'value="new@example.org"' in page and 'value="新用户"' in page


def test_register_rejects_duplicate_email_case_insensitively(client, factory):
    factory.user("taken@example.org")
    response = register(client, email="Taken@Example.org")
    assert response.status_code == 422
    assert "该邮箱已注册" in response.get_data(as_text=True)


def test_register_rejects_mismatched_confirmation(client):
    response = register(client, confirm="another-long-password")
    assert "两次输入的密码不一致" in response.get_data(as_text=True)


def test_login_with_wrong_password_shows_chinese_error(client, auth, factory):
    factory.user("a@example.org")
    response = auth.login("a@example.org", "wrong-password-123")
    assert response.status_code == 422
    assert "邮箱或密码不正确" in response.get_data(as_text=True)
    assert client.get("/auth/account").status_code == 302


def test_login_then_logout(client, auth, factory):
    factory.user("a@example.org", "张三")
    assert auth.login("a@example.org").status_code == 302
    assert client.get("/auth/account").status_code == 200
    auth.logout()
    assert client.get("/auth/account").status_code == 302


def test_login_redirects_only_to_local_next_url(client, factory):
    factory.user("a@example.org")
    data = {"email": "a@example.org", "password": PASSWORD}
    response = client.post("/auth/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/"
    client.post("/auth/logout")
    response = client.post("/auth/login?next=/orgs/mine", data=data)
    assert response.headers["Location"] == "/orgs/mine"


def test_remember_me_sets_a_persistent_httponly_cookie(client, auth, factory):
    factory.user("a@example.org")
    response = auth.login("a@example.org", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "Expires=" in remember[0]
    session = [c for c in cookies if c.startswith("session=")]
    assert "HttpOnly" in session[0] and "SameSite=Lax" in session[0]


def test_disabled_account_cannot_log_in(client, auth, factory, app):
    uid, email = factory.user()
    with app.app_context():
        from portal.admin.services import set_disabled
        from portal.auth.models import User
        from portal.extensions import db

        set_disabled(None, db.session.get(User, uid), True)
        db.session.commit()
    response = auth.login(email)
    assert response.status_code == 422


def test_changing_password_ends_other_sessions(app, factory):
    factory.user("a@example.org")
    laptop, phone = app.test_client(), app.test_client()
    for c in (laptop, phone):
        c.post("/auth/login", data={"email": "a@example.org", "password": PASSWORD, "remember": "y"})
        assert c.get("/auth/account").status_code == 200
    response = laptop.post("/auth/password", data={
        "current_password": PASSWORD, "password": "brand-new-password", "confirm": "brand-new-password"})
    assert response.status_code == 302
    assert laptop.get("/auth/account").status_code == 200, "the session that changed it stays logged in"
    assert phone.get("/auth/account").status_code == 302, "the other session is logged out"
    other = app.test_client()
    assert other.post("/auth/login", data={"email": "a@example.org", "password": "brand-new-password"}).status_code == 302


def test_change_password_requires_current_password(client, auth, factory):
    factory.user("a@example.org")
    auth.login("a@example.org")
    response = client.post("/auth/password", data={
        "current_password": "not-my-password", "password": "brand-new-password", "confirm": "brand-new-password"})
    assert response.status_code == 422
    assert "当前密码不正确" in response.get_data(as_text=True)


def _reset_link(app) -> str:
    body = mail_messages(app)[-1].get_content()
    return re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)


def test_password_reset_by_emailed_token_works_once(client, app, factory):
    factory.user("a@example.org")
    response = client.post("/auth/reset", data={"email": "a@example.org"})
    assert "如果该邮箱已注册" in client.get(response.headers["Location"]).get_data(as_text=True)
    message = mail_messages(app)[-1]
    assert message["To"] == "a@example.org" and "重置密码" in message["Subject"]
    link = _reset_link(app)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "a-fresh-password", "confirm": "a-fresh-password"})
    assert response.status_code == 302
    assert client.post("/auth/login", data={"email": "a@example.org", "password": "a-fresh-password"}).status_code == 302
    client.post("/auth/logout")
    reused = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert "重置链接无效或已被使用" in reused


def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(client, app):
    response = client.post("/auth/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert "如果该邮箱已注册" in response.get_data(as_text=True)
    assert mail_messages(app) == []


def test_forged_reset_token_is_refused(client):
    page = client.get("/auth/reset/not-a-token", follow_redirects=True).get_data(as_text=True)
    assert "重置链接无效" in page


class TestRateLimits:
    """Failed sign-ins are limited per account and per address separately (portal.auth.throttle):
    one person guessing behind a shared address (a street office's NAT) does not lock out the
    others there, and a guessed-at account waits whatever address the guesses come from."""

    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "3 per minute",
                "LOGIN_ACCOUNT_RATE_LIMIT": "4 per minute", "LOGIN_ADDRESS_CEILING": "8 per minute"}

    @staticmethod
    def attempt(client, email, password=PASSWORD, address="10.0.0.1"):
        return client.post("/auth/login", data={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": address})

    def test_an_address_past_its_failures_still_lets_a_correct_password_in(self, app, client, factory, caplog):
        for email in ("a@example.org", "b@example.org", "c@example.org"):
            factory.user(email)
        for email in ("a@example.org", "b@example.org", "c@example.org"):
            assert self.attempt(client, email, "wrong-password-1").status_code == 422
        response = self.attempt(client, "a@example.org", "wrong-password-1")
        assert response.status_code == 429
        assert "此网络地址的登录失败次数过多" in response.get_data(as_text=True)
        assert "login failure limit" in caplog.text
        # A colleague behind the same address, with the right password, signs in.
        response = self.attempt(client, "b@example.org")
        assert response.status_code == 302 and response.headers["Location"] == "/"

    def test_an_account_past_its_failures_waits_whatever_the_address(self, client, factory, caplog):
        factory.user("a@example.org")
        factory.user("b@example.org")
        for n in range(4):  # from four addresses: the per-address limit is never reached
            assert self.attempt(client, "a@example.org", "wrong-password-1", f"10.0.1.{n}").status_code == 422
        response = self.attempt(client, "a@example.org", address="10.0.2.1")
        assert response.status_code == 429
        assert "该账号近期密码错误次数过多，已暂时锁定" in response.get_data(as_text=True)
        assert "account" in caplog.text and "locked" in caplog.text
        # Another account from the same addresses is untouched.
        assert self.attempt(client, "b@example.org", address="10.0.1.0").status_code == 302

    def test_the_ceiling_stops_an_address_even_with_correct_passwords(self, client, auth, factory):
        factory.user("a@example.org")
        for _ in range(8):
            assert self.attempt(client, "a@example.org").status_code == 302
            auth.logout()
        response = self.attempt(client, "a@example.org")
        assert response.status_code == 429
        assert "操作过于频繁" in response.get_data(as_text=True)
        assert self.attempt(client, "a@example.org", address="10.9.9.9").status_code == 302

    def test_successful_logins_do_not_use_up_the_failure_limits(self, client, auth, factory):
        factory.user("a@example.org")
        for _ in range(5):
            assert self.attempt(client, "a@example.org").status_code == 302
            auth.logout()


def test_production_hashes_passwords_with_scrypt(app):
    from portal.auth.models import User

    app.config["PASSWORD_HASH_METHOD"] = "scrypt"  # the production default (see portal/config.py)
    with app.app_context():
        user = User(email="x@example.org", display_name="X")
        user.set_password("a-long-password")
        assert user.password_hash.startswith("scrypt:") and user.check_password("a-long-password")
        assert not user.check_password("a-long-passwor")
