"""Personal API tokens and writing through the API (portal.api.tokens, portal.api.write).

The token table: read and write tokens × own unit and another unit × draft and published
cases, for reading, creating, changing, uploading, checking and submitting; refusals for
unknown, expired, revoked and read-only tokens and for owners who left the unit, with JSON in
Chinese and nothing changed; the same validation and workflow rules as the forms; tokens shown
once and kept only as a hash.

The world: 单位管理员 and 单位编辑 of 阳光社工 (which has a draft and a published case); 晨曦社工's
admin (with a draft of its own); a reader in no unit.
"""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from tests.test_case_permissions import make_png

SHARED_APP = True

COMPLETE = {"summary": "一个基层实践案例。", "background": "背景。", "approach": "做法。", "outcomes": "成效。",
            "lessons": "启示。", "province": "贵州省", "city": "贵阳市", "community_type": "城市社区",
            "themes": ["党建引领"]}


def build_world(app, factory) -> dict:
    emails = {}
    for role in ("unit_admin", "editor", "other_admin", "reader"):
        _id, emails[role] = factory.user(f"{role}@example.org", role)
    unit = factory.org(emails["unit_admin"], name="阳光社工")
    factory.member(unit, emails["editor"], "editor")
    other = factory.org(emails["other_admin"], name="晨曦社工")
    ids = {"draft": factory.case(unit, "本单位的草稿", status="draft"),
           "published": factory.case(unit, "本单位已发布"),
           "other_draft": factory.case(other, "其他单位的草稿", status="draft"),
           "other_published": factory.case(other, "其他单位已发布")}
    return {"emails": emails, "unit": unit, "other": other, "ids": ids}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def make_token(app, email: str, org_id: int, scope: str = "write", days: int = 30) -> str:
    from portal.api import tokens
    from portal.auth.services import get_user_by_email
    from portal.extensions import db

    with app.app_context():
        _row, token = tokens.create_token(get_user_by_email(email), org_id, "测试令牌", scope, days)
        db.session.commit()
        db.session.remove()
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def case_count(app) -> int:
    from portal.cases.models import Case
    from portal.extensions import db

    with app.app_context():
        n = db.session.scalar(db.select(db.func.count()).select_from(Case))
        db.session.remove()
    return n


@pytest.mark.parametrize(("scope", "case", "status"), [
    ("read", "draft", 200), ("read", "published", 200), ("read", "other_draft", 404), ("read", "other_published", 200),
    ("write", "draft", 200), ("write", "other_draft", 404),
    (None, "draft", 404), (None, "published", 200),
])
def test_reading_with_a_token_adds_the_units_own_cases_in_every_state(app, client, world, scope, case, status):
    headers = bearer(make_token(app, world["emails"]["unit_admin"], world["unit"], scope)) if scope else {}
    response = client.get(f"/api/v1/cases/{world['ids'][case]}", headers=headers)
    assert response.status_code == status and response.is_json


@pytest.mark.parametrize(("scope", "case", "status"), [
    ("write", "draft", 200), ("write", "published", 200), ("write", "other_draft", 404),
    ("write", "other_published", 404), ("read", "draft", 403),
])
def test_changing_a_case_follows_the_unit_scope_and_the_workflow(app, client, world, scope, case, status):
    token = make_token(app, world["emails"]["editor"], world["unit"], scope)
    response = client.patch(f"/api/v1/cases/{world['ids'][case]}", json={"summary": "通过接口修改"},
                            headers=bearer(token))
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error" if status != 200 else "summary"]
    changed = client.get(f"/api/v1/cases/{world['ids'][case]}", headers=bearer(token))
    if status == 200:
        assert changed.get_json()["summary"] == "通过接口修改"
    elif changed.status_code == 200:
        assert changed.get_json()["summary"] != "通过接口修改"  # nothing changed


def test_a_unit_creates_checks_and_submits_a_draft(app, client, world):
    headers = bearer(make_token(app, world["emails"]["editor"], world["unit"]))
    created = client.post("/api/v1/cases", json={"title": "接口新建的案例", "background": "背景。",
                                                "themes": ["党建引领"], "started_on": "2024-03-01"}, headers=headers)
    assert created.status_code == 201
    case = created.get_json()
    assert case["status"] == "draft" and case["unit"]["id"] == world["unit"] and case["started_on"] == "2024-03-01"
    assert created.headers["Location"] == f"http://localhost/api/v1/cases/{case['id']}"

    report = client.post(f"/api/v1/cases/{case['id']}/privacy-check", headers=headers).get_json()
    assert "做法" in report["missing"]
    refused = client.post(f"/api/v1/cases/{case['id']}/submit", headers=headers)
    assert refused.status_code == 400 and "还缺少以下内容" in refused.get_json()["error"]["message"]

    # A mobile number in the text: the privacy check finds it and submitting waits for it.
    client.patch(f"/api/v1/cases/{case['id']}", json={**COMPLETE, "approach": "联系电话 13912345678。"},
                 headers=headers)
    report = client.post(f"/api/v1/cases/{case['id']}/privacy-check", headers=headers).get_json()
    assert report["missing"] == [] and [f["field"] for f in report["findings"]] == ["approach"]
    assert "13912345678" not in report["findings"][0]["masked"]
    assert client.post(f"/api/v1/cases/{case['id']}/submit", headers=headers).status_code == 400

    client.patch(f"/api/v1/cases/{case['id']}", json={"approach": "做法。"}, headers=headers)
    submitted = client.post(f"/api/v1/cases/{case['id']}/submit", headers=headers)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    # Once a curator starts the review, the unit can no longer change it (as on the site).
    from portal.cases.models import Case
    from portal.cases.services import transition
    from portal.extensions import db

    with app.app_context():
        transition(None, db.session.get(Case, case["id"]), "start_review")
        db.session.commit()
        db.session.remove()
    refused = client.patch(f"/api/v1/cases/{case['id']}", json={"summary": "再改"}, headers=headers)
    assert refused.status_code == 403 and "正在审核" in refused.get_json()["error"]["message"]


def test_attachments_are_checked_like_the_forms(app, client, world):
    headers = bearer(make_token(app, world["emails"]["editor"], world["unit"]))
    path = f"/api/v1/cases/{world['ids']['draft']}/attachments"
    ok = client.post(path, data={"file": (__import__("io").BytesIO(make_png()), "现场.png")}, headers=headers,
                     content_type="multipart/form-data")
    assert ok.status_code == 201 and ok.get_json()["kind"] == "png" and ok.get_json()["name"] == "现场.png"
    bad = client.post(path, data={"file": (__import__("io").BytesIO(b"<html><script>x</script>"), "a.html")},
                      headers=headers, content_type="multipart/form-data")
    assert bad.status_code == 400 and bad.is_json
    missing = client.post(path, data={}, headers=headers, content_type="multipart/form-data")
    assert missing.status_code == 400 and missing.get_json()["error"]["fields"] == {"file": ["请在 file 字段上传一个文件。"]}


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"title": ""}, "title", "请填写标题"),
    ({"title": "x", "province": "火星"}, "province", "未知的省级行政区"),
    ({"title": "x", "beneficiaries": "很多"}, "beneficiaries", "须为整数"),
    ({"title": "x", "started_on": "2024-13-01"}, "started_on", "须为日期"),
    ({"title": "x", "colour": "red"}, "colour", "未知的字段"),
    ({"title": "x" * 121}, "title", "不能超过 120 个字符"),
])
def test_invalid_bodies_are_400_naming_the_field_and_save_nothing(app, client, world, body, field, words):
    headers = bearer(make_token(app, world["emails"]["editor"], world["unit"]))
    before = case_count(app)
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert words in error["message"] and field in error["fields"]
    assert case_count(app) == before


def test_malformed_and_oversized_bodies(app, client, world):
    headers = bearer(make_token(app, world["emails"]["editor"], world["unit"]))
    bad = client.post("/api/v1/cases", data="{not json", content_type="application/json", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"] == {"json": ["请求体不是有效的 JSON。"]}
    app.config["MAX_CONTENT_LENGTH"] = 1000
    big = client.post("/api/v1/cases", json={"title": "x", "background": "长" * 2000}, headers=headers)
    assert big.status_code == 413 and big.get_json()["error"]["code"] == 413


def test_refused_tokens_are_401_or_403_and_change_nothing(app, client, world):
    from portal.api.models import ApiToken
    from portal.extensions import db
    from portal.models_base import utcnow
    from portal.orgs.models import Membership

    before = case_count(app)
    body = {"title": "不应保存"}
    cases = [({}, 401, "写入需要 API 令牌"), (bearer("pcx_unknown"), 401, "API 令牌无效"),
             ({"Authorization": "Basic abc"}, 401, "Bearer"),
             (bearer(make_token(app, world["emails"]["unit_admin"], world["unit"], "read")), 403, "只读权限")]
    expired = make_token(app, world["emails"]["editor"], world["unit"])
    revoked = make_token(app, world["emails"]["editor"], world["unit"])
    gone = make_token(app, world["emails"]["editor"], world["unit"])
    with app.app_context():
        for token, change in ((expired, "expires_at"), (revoked, "revoked_at")):
            row = db.session.scalar(db.select(ApiToken).where(
                ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest()))
            setattr(row, change, utcnow() - timedelta(seconds=1))
        db.session.execute(db.delete(Membership).where(Membership.org_id == world["unit"],
                                                       Membership.role == "editor"))
        db.session.commit()
        db.session.remove()
    cases += [(bearer(expired), 401, "已过期"), (bearer(revoked), 401, "已被撤销"), (bearer(gone), 403, "已不是该单位的成员")]
    for headers, status, words in cases:
        response = client.post("/api/v1/cases", json=body, headers=headers)
        assert response.status_code == status, (headers, response.get_json())
        assert words in response.get_json()["error"]["message"]
    assert case_count(app) == before


def test_the_token_page_shows_a_new_token_once_and_keeps_only_its_hash(app, client, auth, world):
    from portal.api.models import ApiToken
    from portal.extensions import db
    from tests.conftest import csrf_token

    auth.login(world["emails"]["unit_admin"])
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "创建令牌" in page and "阳光社工" in page
    response = client.post("/account/tokens", data={"name": "案例管理系统", "org_id": world["unit"], "scope": "write",
                                                   "days": 90, "csrf_token": csrf_token(client, "/account/tokens")})
    assert response.status_code == 201 and response.headers["Cache-Control"] == "private, no-store"
    token = re.search(r'id="new-token">(pcx_[\w-]+)<', response.get_data(as_text=True)).group(1)
    with app.app_context():
        row = db.session.scalar(db.select(ApiToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in repr(vars(row))
        db.session.remove()
    again = client.get("/account/tokens").get_data(as_text=True)
    assert token not in again and token[:12] in again and "从未使用" in again

    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200
    assert "从未使用" not in client.get("/account/tokens").get_data(as_text=True)  # last use shown

    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert "已撤销" in client.get("/account/tokens").get_data(as_text=True)
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(("form", "words"), [
    ({"name": "", "scope": "write", "days": 90}, "请为令牌起个名字"),
    ({"name": "x", "scope": "admin", "days": 90}, "权限只能是"),
    ({"name": "x", "scope": "read", "days": 7}, "有效期只能是"),
    ({"name": "x", "scope": "read", "days": 90, "org_id": "other"}, "只能为自己所在的已认证单位创建令牌"),
])
def test_token_form_refusals(app, client, auth, world, form, words):
    from tests.conftest import csrf_token

    auth.login(world["emails"]["unit_admin"])
    data = {"org_id": world["unit"], **form}
    if data["org_id"] == "other":
        data["org_id"] = world["other"]
    response = client.post("/account/tokens", data={**data, "csrf_token": csrf_token(client, "/account/tokens")})
    assert response.status_code == 422 and words in response.get_data(as_text=True)


def test_people_in_no_unit_cannot_make_tokens(client, auth, world):
    auth.login(world["emails"]["reader"])
    assert "只有已认证单位的成员可以创建 API 令牌。" in client.get("/account/tokens").get_data(as_text=True)
