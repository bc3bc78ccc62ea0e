"""What operators and load balancers see: /healthz, /readyz with each dependency, and a clear
Chinese 503 (JSON under /api/) when the database cannot be reached (issue 14, finding 10)."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

# A fresh app per test: these tests change the app itself (rules, extensions, its index or
# view-count state), which the shared app of the other modules would carry over.
SHARED_APP = False


def _database_down(monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    for name in ("execute", "get", "scalar", "scalars"):
        monkeypatch.setattr(Session, name, broken)


def test_healthz_answers_without_touching_the_database(client, monkeypatch):
    _database_down(monkeypatch)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client, factory):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "rate_limit_storage", "search", "disk", "mail"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "结构版本" in body["checks"]["database"]["detail"]
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_and_names_the_database_when_it_is_down(client, monkeypatch):
    _database_down(monkeypatch)
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] is False and "connection refused" in checks["database"]["detail"]
    assert checks["disk"]["ok"] is True


def test_readyz_reports_a_schema_behind_the_code(app, client):
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.execute(text("UPDATE alembic_version SET version_num = '0006_integrity_checks'"))
        db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "flask db upgrade" in response.get_json()["checks"]["database"]["detail"]
    finally:  # the PostgreSQL database is shared by the tests that follow
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            db.session.commit()


def test_readyz_reports_an_unreachable_rate_limit_store(app, client, monkeypatch):
    from portal.extensions import limiter

    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(type(limiter.storage), "check", lambda self: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "登录限制已失效" in response.get_json()["checks"]["rate_limit_storage"]["detail"]


def test_readyz_reports_an_index_that_lags_behind(app, client, factory):
    _, admin = factory.user("admin@example.org", admin=True)
    org = factory.org(admin)
    factory.case(org, "楼栋长制度激活邻里互助")
    first = client.get("/readyz")
    assert first.status_code == 200, first.get_json()
    with app.app_context():
        from portal.search.backend import get_backend

        with get_backend().batch() as batch:
            for doc_id in list(get_backend().indexed_stamps()):
                batch.delete(doc_id)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "flask search reindex" in response.get_json()["checks"]["search"]["detail"]


@pytest.mark.parametrize("path", ["/cases", "/notifications", "/"])
def test_pages_answer_a_chinese_503_when_the_database_is_down(client, auth, factory, monkeypatch, path):
    _, email = factory.user("someone@example.org")
    auth.login(email)
    _database_down(monkeypatch)
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "数据库暂时无法连接" in response.get_data(as_text=True)


def test_the_api_answers_json_503_when_the_database_is_down(client, monkeypatch):
    _database_down(monkeypatch)
    response = client.get("/api/v1/search?q=社区")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == 503
    assert "数据库暂时无法连接" in response.get_json()["error"]["message"]
