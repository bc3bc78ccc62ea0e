"""Error pages in Chinese, JSON errors under /api/, security headers, language switch."""
import pytest

# A fresh app per test: these tests change the app itself (rules, extensions, its index or
# view-count state), which the shared app of the other modules would carry over.
SHARED_APP = False


def test_404_page_is_chinese(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": 404, "message": "页面不存在，或您没有查看它的权限。"}}


def test_405_page(client):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "不支持该请求方式" in response.get_data(as_text=True)


def test_413_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/auth/login", data={"email": "x" * 500})
    assert response.status_code == 413
    assert "上传的文件过大" in response.get_data(as_text=True)


def test_500_page_hides_details(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "服务器出现意外错误" in page and "secret internals" not in page


def test_health_endpoint(client):
    assert client.get("/api/v1/health").get_json() == {"status": "ok"}


def test_security_headers(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_use_only_local_assets(client):
    page = client.get("/").get_data(as_text=True)
    assert "http://" not in page.replace("http://localhost", "") and "https://" not in page


def test_english_catalogue_can_be_chosen(client):
    response = client.post("/language/en", data={"next": "/about"})
    assert response.headers["Location"] == "/about"
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_post_without_token_is_refused_with_400(self, client):
        response = client.post("/auth/register", data={"email": "a@example.org", "display_name": "A",
                                                       "password": "long-password-1", "confirm": "long-password-1"})
        assert response.status_code == 400
        assert "安全令牌" in response.get_data(as_text=True)

    def test_every_form_carries_a_token(self, client):
        for path in ("/auth/login", "/auth/register", "/auth/reset"):
            assert 'name="csrf_token"' in client.get(path).get_data(as_text=True)

    def test_post_with_token_from_the_form_works(self, client):
        from tests.conftest import csrf_token

        token = csrf_token(client, "/auth/register")
        response = client.post("/auth/register", data={"email": "a@example.org", "display_name": "A",
                                                       "password": "long-password-1", "confirm": "long-password-1",
                                                       "csrf_token": token})
        assert response.status_code == 302


def test_form_fields_carry_aria_attributes_only_when_there_is_an_error(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "aria-invalid" not in page
    assert '="None"' not in page
    page = client.post("/auth/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert 'aria-invalid="true"' in page
