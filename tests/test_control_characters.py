"""Control characters (NUL and the like) are handled at the edge: forms save what was typed
without them and say so, addresses that carry them get a clear 400 (search drops them itself),
a JSON Lines import reports the line and imports the rest, and an error page renders even when
the database cannot answer. On PostgreSQL each of these used to be a bare English 500."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.test_case_workflow import case_form


@pytest.fixture
def unit(factory):
    _, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    _, editor = factory.user("editor@example.org", "李编辑")
    org_id = factory.org(admin, name="花溪区社工服务中心")
    factory.member(org_id, editor, "editor")
    case_id = factory.case(org_id, "楼栋长制度激活邻里互助", status="published")
    return {"admin": admin, "editor": editor, "org": org_id, "case": case_id}


def test_a_comment_with_nul_is_saved_without_it_and_the_page_says_so(app, client, auth, unit):
    auth.login(unit["editor"])
    token = csrf_token(client, f"/cases/{unit['case']}")
    response = client.post(f"/cases/{unit['case']}/comments",
                           data={"csrf_token": token, "body": "经费\x00来自社区微基金\x07。"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已删除输入中的不可见控制字符（如 NUL）。" in page
    assert "经费来自社区微基金。" in page
    from portal.discussion.models import Comment
    from portal.extensions import db

    with app.app_context():
        assert db.session.scalar(select(Comment.body)) == "经费来自社区微基金。"


def test_a_case_title_and_a_profile_name_with_nul_are_saved_without_it(app, client, auth, unit):
    auth.login(unit["editor"])
    token = csrf_token(client, "/cases/new")
    form = case_form(title="议事会\x00推动加装电梯", csrf_token=token, org_id=str(unit["org"]))
    response = client.post("/cases/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    token = csrf_token(client, "/auth/account")
    assert client.post("/auth/account", data={"csrf_token": token, "display_name": "李\x00编辑"}).status_code == 302
    from portal.auth.models import User
    from portal.cases.models import Case
    from portal.extensions import db

    with app.app_context():
        assert db.session.scalar(select(Case.title).where(Case.title.like("议事会%"))) == "议事会推动加装电梯"
        assert db.session.scalar(select(User.display_name).where(User.email == unit["editor"])) == "李编辑"


@pytest.mark.parametrize("path", ["/cases?province=%00", "/cases?sort=views%00", "/sessions?q=a%01b", "/orgs/?x=%7f"])
def test_an_address_with_control_characters_is_a_clear_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "地址中含有不可见的控制字符（如 NUL）" in response.get_data(as_text=True)


def test_search_drops_control_characters_itself(client, unit):
    assert client.get("/search/suggest?q=%00").status_code == 200
    page = client.get("/search?q=%E6%A5%BC%E6%A0%8B%00").get_data(as_text=True)
    assert "已忽略查询中的控制字符。" in page
    assert client.get("/api/v1/search?q=%00").status_code == 200


def test_a_jsonl_line_with_nul_is_reported_and_the_rest_imported(app, runner, unit):
    from portal.cases.models import Case
    from portal.extensions import db

    base = {k: v for k, v in case_form().items() if k not in ("tags", "beneficiaries")}
    base["beneficiaries"] = 100
    lines = [dict(base, external_id="ok-1", title="第一行正常"),
             dict(base, external_id="bad", title="第二行\u0000有 NUL"),
             dict(base, external_id="ok-2", title="第三行正常")]
    text = "\n".join(json.dumps(line, ensure_ascii=True) for line in lines) + "\n"
    result = runner.invoke(args=["cases", "import", "-", "--org", "花溪区社工服务中心"], input=io.StringIO(text).read())
    assert "第 2 行：含有不可见的控制字符（如 NUL）" in result.output
    assert "新建 2 个" in result.output
    with app.app_context():
        titles = set(db.session.scalars(select(Case.title).where(Case.external_id.is_not(None))))
    assert titles == {"第一行正常", "第三行正常"}


def test_an_error_page_renders_when_the_database_cannot_answer(app, client, auth, unit, monkeypatch):
    """Signed in (so the layout would load the user), every query failing with an unexpected
    error: a Chinese 500 page, not gunicorn's bare English one. (A database that cannot be
    reached is a 503: tests/test_ops_health.py.)"""
    from sqlalchemy.orm import Session

    auth.login(unit["editor"])

    def broken(*args, **kwargs):
        raise RuntimeError("the session is unusable")

    monkeypatch.setattr(Session, "execute", broken)
    monkeypatch.setattr(Session, "get", broken)
    response = client.get("/notifications")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "服务器出现意外错误" in page
