"""Exports (portal.exports): the case list with its filters (platform admins), a unit's own
cases in every state (its admins and platform admins) and a session's registrations, as CSV
and XLSX, read back with the csv module and openpyxl as a spreadsheet would read them.

The world: unit 阳光社工 (admin 单位管理员, editor 单位编辑) has two published cases, one
with a title that starts like a formula, and a draft; unit 晨曦 has one published case; a
session has one seat, taken, and one person on its waiting list.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from tests.test_session_registration import add_registration, make_session

SHARED_APP = True

FORMULA_TITLE = "=HYPERLINK(\"http://evil.example\",\"点我\")"
CASE_COLUMNS = ["编号", "标题", "发布单位", "省级行政区", "城市", "区县", "社区", "社区类型", "主题", "标签",
                "开始日期", "结束日期", "受益居民（人）", "经费来源", "合作方", "摘要", "发布时间", "浏览次数", "链接"]


def build_world(app, factory) -> dict:
    from portal.extensions import db

    emails = {}
    for role in ("admin", "unit_admin", "editor", "other_admin", "reader", "first", "second"):
        _id, emails[role] = factory.user(f"{role}@example.org", role, admin=role == "admin")
    unit = factory.org(emails["unit_admin"], name="阳光社工")
    factory.member(unit, emails["editor"], "editor")
    other = factory.org(emails["other_admin"], name="晨曦社工", province="四川省")
    ids = {
        "party": factory.case(unit, "党建引领：楼栋议事会", themes=("党建引领",), beneficiaries=1200),
        "formula": factory.case(unit, FORMULA_TITLE, themes=("五社联动",)),
        "draft": factory.case(unit, "草稿：尚未完成", status="draft"),
        "other": factory.case(other, "晨曦：社区食堂", themes=("党建引领",), province="四川省"),
    }
    with app.app_context():
        from portal.auth.services import get_user_by_email

        sharing = make_session("一个座位的分享会", capacity=1)
        add_registration(sharing, get_user_by_email(emails["first"]).id, minutes_ago=30)
        add_registration(sharing, get_user_by_email(emails["second"]).id, "waitlisted", minutes_ago=10)
        db.session.commit()
        session_id = sharing.id
    return {"emails": emails, "unit": unit, "other": other, "ids": ids, "session": session_id}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def read_xlsx(response) -> list[list]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_case_list_exports_the_filtered_list_in_both_formats(client, auth, world):
    auth.login(world["emails"]["admin"])
    page = client.get("/cases?province=贵州省").get_data(as_text=True)
    assert 'href="/cases/export.xlsx?province=%E8%B4%B5%E5%B7%9E%E7%9C%81"' in page

    rows = read_csv(client.get("/cases/export.csv?province=贵州省"))
    assert rows[0] == CASE_COLUMNS
    ids = world["ids"]
    # The list's order (newest first) and filter: the other unit's case (四川省) and the draft are left out.
    assert [int(r[0]) for r in rows[1:]] == [ids["formula"], ids["party"]]
    party = dict(zip(rows[0], rows[2]))
    assert party["标题"] == "党建引领：楼栋议事会" and party["发布单位"] == "阳光社工"
    assert party["主题"] == "党建引领" and party["受益居民（人）"] == "1200"
    assert party["链接"] == f"http://localhost/cases/{ids['party']}"
    assert datetime.strptime(party["发布时间"], "%Y-%m-%d %H:%M")

    sheet = read_xlsx(client.get("/cases/export.xlsx?province=贵州省"))
    assert sheet[0] == CASE_COLUMNS
    assert [r[0] for r in sheet[1:]] == [ids["formula"], ids["party"]]  # numbers stay numbers
    row = dict(zip(sheet[0], sheet[2]))
    assert row["受益居民（人）"] == 1200 and isinstance(row["发布时间"], datetime)
    # Every visible column round-trips: the CSV and the sheet hold the same values.
    as_text = [["" if v is None else v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else str(v)
                for v in r] for r in sheet[1:]]
    assert as_text == [[c.lstrip("'") for c in r] for r in rows[1:]]


def test_a_title_that_looks_like_a_formula_stays_text(client, auth, world):
    auth.login(world["emails"]["admin"])
    rows = read_csv(client.get("/cases/export.csv"))
    titles = [r[1] for r in rows[1:]]
    assert "'" + FORMULA_TITLE in titles and FORMULA_TITLE not in titles
    workbook = load_workbook(io.BytesIO(client.get("/cases/export.xlsx").data))
    cells = [row[1] for row in workbook.active.iter_rows(min_row=2)]
    formula = next(c for c in cells if c.value == FORMULA_TITLE)
    assert formula.data_type == "s"


def test_a_unit_admin_exports_every_case_of_the_unit_with_its_state(client, auth, world):
    auth.login(world["emails"]["unit_admin"])
    page = client.get(f"/orgs/{world['unit']}").get_data(as_text=True)
    assert f'href="/orgs/{world["unit"]}/cases/export.xlsx"' in page
    response = client.get(f"/orgs/{world['unit']}/cases/export.xlsx")
    assert "attachment" in response.headers["Content-Disposition"]
    assert unquote(response.headers["Content-Disposition"].split("filename*=UTF-8''")[1]).startswith("阳光社工-案例-")
    assert response.headers["Cache-Control"] == "private, no-store"
    sheet = read_xlsx(response)
    assert sheet[0][:4] == ["编号", "标题", "发布单位", "状态"]
    states = {row[1]: row[3] for row in sheet[1:]}
    assert states == {"党建引领：楼栋议事会": "已发布", FORMULA_TITLE: "已发布", "草稿：尚未完成": "草稿"}


@pytest.mark.parametrize(("who", "path", "status"), [
    ("reader", "/cases/export.csv", 403),
    ("unit_admin", "/cases/export.csv", 403),
    ("editor", "/orgs/{unit}/cases/export.csv", 403),
    ("other_admin", "/orgs/{unit}/cases/export.csv", 403),
    ("unit_admin", "/orgs/{other}/cases/export.csv", 403),
    ("admin", "/orgs/{unit}/cases/export.csv", 200),
    ("unit_admin", "/sessions/{session}/registrations/export.csv", 403),
    ("reader", "/sessions/{session}/registrations/export.xlsx", 403),
    ("admin", "/sessions/{session}/registrations/export.xlsx", 200),
    ("admin", "/cases/export.pdf", 404),
    ("admin", "/orgs/99999/cases/export.csv", 404),
])
def test_who_may_export_what(client, auth, world, who, path, status):
    auth.login(world["emails"][who])
    response = client.get(path.format(**world))
    assert response.status_code == status
    if status == 403:
        assert "只有" in response.get_data(as_text=True)  # a clear Chinese reason, not a file
        assert "attachment" not in response.headers.get("Content-Disposition", "")


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for path in ("/cases/export.csv", f"/orgs/{world['unit']}/cases/export.csv",
                 f"/sessions/{world['session']}/registrations/export.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_registrations_export_lists_the_registered_then_the_waiting_list(client, auth, world):
    auth.login(world["emails"]["admin"])
    assert f"/sessions/{world['session']}/registrations/export.xlsx" in client.get(
        f"/sessions/{world['session']}").get_data(as_text=True)
    rows = read_csv(client.get(f"/sessions/{world['session']}/registrations/export.csv"))
    assert rows[0] == ["状态", "序号", "姓名", "邮箱", "所在单位", "报名时间"]
    assert [r[:4] for r in rows[1:]] == [["已报名", "1", "first", "first@example.org"],
                                         ["候补", "1", "second", "second@example.org"]]
