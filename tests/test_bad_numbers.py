"""Numbers too large for the database, and control characters in a redirect target, get a clear
answer (404 / 400 / the form's message), never a 500: on PostgreSQL a 20-digit id used to reach
the database as an INTEGER and fail there, on SQLite the driver overflowed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

BIG = "99999999999999999999"

PORTAL = Path(__file__).resolve().parent.parent / "portal"


@pytest.mark.parametrize("path", [
    f"/cases/{BIG}", f"/sessions/{BIG}", f"/events/{BIG}", f"/experts/{BIG}", f"/orgs/{BIG}", f"/series/{BIG}",
    f"/cases/{BIG}/attachments/1", "/cases/2147483648",
])
def test_an_id_too_large_for_the_database_is_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "未找到" in response.get_data(as_text=True) or "找不到" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    f"/cases?page={BIG}", f"/cases?year={BIG}", f"/cases?theme={BIG}", f"/cases?org={BIG}", f"/cases?page=-{BIG}",
    f"/orgs/?page={BIG}", f"/experts?theme={BIG}", f"/sessions?theme={BIG}",
])
def test_a_query_number_out_of_range_is_a_clear_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "请求中的数字超出范围。" in response.get_data(as_text=True)


def test_numbers_in_range_and_non_numbers_still_work_as_before(client):
    assert client.get("/cases?page=abc").status_code == 200  # not a number: the default page
    assert client.get("/cases?page=2147483647").status_code in (200, 404)
    assert client.get("/cases/2147483647").status_code == 404


def test_a_form_number_out_of_range_is_refused_next_to_its_field(client, auth, factory):
    admin = factory.user("admin@example.org", admin=True)[1]
    org_id = factory.org(admin)
    case_id = factory.case(org_id, status="published")
    auth.login(admin)
    from tests.conftest import csrf_token

    token = csrf_token(client, f"/cases/{case_id}")
    response = client.post(f"/cases/{case_id}/comments", data={"csrf_token": token, "body": "同意，很有启发。",
                                                               "parent_id": BIG})
    assert response.status_code in (302, 400, 422)
    page = response.get_data(as_text=True)
    if response.status_code == 302:  # refused and shown on the case page
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "数值超出范围" in page or "请求中的数字超出范围" in page
    from portal.discussion.models import Comment
    from portal.extensions import db

    with client.application.app_context():
        assert db.session.query(Comment).count() == 0, "nothing saved from the refused form"


@pytest.mark.parametrize("target", ["/cases%0d%0aSet-Cookie:%20x=1", "/%0aabc", "/cases%09", "/cases%7f"])
def test_control_characters_in_next_are_ignored_after_login(client, factory, target):
    _, email = factory.user("someone@example.org")
    from tests.conftest import PASSWORD, csrf_token

    token = csrf_token(client, "/auth/login")
    response = client.post(f"/auth/login?next={target}", data={"csrf_token": token, "email": email,
                                                                "password": PASSWORD})
    if response.status_code == 400:  # DEL and the like: refused at the edge, with a clear message
        assert "地址中含有不可见的控制字符" in response.get_data(as_text=True)
    else:  # CR, LF, tab: signed in, the target ignored
        assert response.status_code == 302
        assert response.headers["Location"] == "/"


def test_every_number_read_from_a_request_is_range_checked():
    """The rule lives in one place: query strings use portal.urls.query_int, forms use
    portal.forms.IntegerField; nothing reads `type=int` or WTForms' own IntegerField."""
    offenders = []
    for path in PORTAL.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\btype=int\b", text) and path.name != "urls.py":
            offenders.append(f"{path}: type=int")
        if path.name != "forms.py" or path.parent != PORTAL:
            if re.search(r"from wtforms import[^\n]*\bIntegerField\b", text) or "    IntegerField,\n" in text:
                offenders.append(f"{path}: wtforms.IntegerField")
    assert not offenders
