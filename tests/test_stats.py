"""The statistics (portal.stats): figures counted from what the public pages show, the same in
/api/v1/stats, the tables of /stats and the CSV downloads.

The world: 阳光社工 (社工机构) publishes two 贵州省 cases (党建引领 2021, 五社联动 2022) and 晨曦基金会
(社区社会组织) one 内蒙古自治区 case; a draft and an archived case count nowhere; 晨曦 adopted a
case and 点评专家甲 commented on two with scores; two sessions took place (one with figures)
and one is upcoming.
"""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

SHARED_APP = True


def build_world(app, factory) -> dict:
    from portal.adoptions import services as adoptions
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.discussion import services as discussion
    from portal.extensions import db
    from portal.reviews import services as reviews
    from portal.sessions import services as sessions

    emails = {}
    for role in ("admin", "unit", "other", "expert", "resident"):
        _id, emails[role] = factory.user(f"{role}@example.org", {"expert": "点评专家甲"}.get(role, role),
                                         admin=role == "admin", reviewer=role == "expert")
    unit = factory.org(emails["unit"], name="阳光社工")
    other = factory.org(emails["other"], name="晨曦基金会", province="内蒙古自治区", org_type="社区社会组织")
    ids = {
        "party": factory.case(unit, "党建引领案例", themes=("党建引领",), started_on=datetime(2021, 3, 1).date()),
        "five": factory.case(unit, "五社联动案例", themes=("五社联动", "党建引领"), started_on=datetime(2022, 5, 1).date()),
        "north": factory.case(other, "草原社区案例", themes=("五社联动",), province="内蒙古自治区",
                              community_type="农村社区", started_on=datetime(2022, 9, 1).date()),
        "draft": factory.case(unit, "草稿", status="draft"),
        "archived": factory.case(unit, "归档", status="archived", province="云南省"),
    }
    with app.test_request_context():
        user = {role: get_user_by_email(email) for role, email in emails.items()}
        case = {key: db.session.get(Case, i) for key, i in ids.items()}
        dimension = reviews.active_dimensions()[0]
        for key, score in (("party", "5"), ("five", "3")):
            reviews.post_comment(user["expert"], case[key], reviews.CommentData(
                body="点评。", declaration="none", scores={dimension.id: score}))
        adoptions.save_report(user["other"], case["party"], adoptions.AdoptionData(
            org_id=other, kind="adopted", place="呼和浩特"))
        discussion.post_comment(user["resident"], case["five"], "请问经费从哪里来？")
        discussion.post_comment(user["resident"], case["five"], "还想了解志愿者怎么招募。")
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        for title, days, record in (("第一阶段", -40, None), ("第二阶段", -20, (495, 28, 60)), ("下一场", 10, None)):
            s = sessions.create_session(user["admin"], sessions.SessionData(
                title=title, starts_at=now + timedelta(days=days), ends_at=now + timedelta(days=days, hours=2)))
            if record:
                sessions.close_session(user["admin"], s, sessions.RecordData(
                    participants=record[0], provinces_count=record[1], orgs_count=record[2]))
        expert_id = user["expert"].id
        db.session.commit()
    return {"ids": ids, "expert": expert_id}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def charts(client) -> dict:
    data = client.get("/api/v1/stats").get_json()
    return data, {c["key"]: {r["label"]: r["value"] for r in c["rows"]} for c in data["charts"]}


def test_figures_count_published_cases_only(client, world):
    data, by = charts(client)
    assert by["provinces"] == {"贵州省": 2, "内蒙古自治区": 1}  # not the draft, not the archived 云南省 case
    assert by["themes"] == {"党建引领": 2, "五社联动": 2}
    assert by["years"] == {"2021": 1, "2022": 2}
    assert by["community_types"] == {"城市社区": 2, "农村社区": 1}
    assert by["unit_types"] == {"社工机构": 2, "社区社会组织": 1}
    provinces = next(c for c in data["charts"] if c["key"] == "provinces")
    assert {r["label"]: r["map_name"] for r in provinces["rows"]} == {"贵州省": "贵州", "内蒙古自治区": "内蒙古"}
    assert provinces["total"] == 3
    assert provinces["rows"][0]["url"].startswith("http://localhost/cases?province=")
    assert data["overview"]["cases"] == 3 and data["overview"]["participants"] == 495


def test_sessions_adoptions_discussion_and_experts(client, world):
    data, _by = charts(client)
    assert [(s["title"], s["participants"], s["provinces"]) for s in data["sessions"]] == [
        ("第一阶段", None, None), ("第二阶段", 495, 28)]  # not the upcoming one
    ids = world["ids"]
    assert [(r["id"], r["value"]) for r in data["most_adopted"]] == [(ids["party"], 1)]
    assert [(r["id"], r["expert_comments"], r["comments"]) for r in data["most_discussed"]] == [
        (ids["five"], 1, 2), (ids["party"], 1, 0)]
    assert [(e["name"], e["value"], e["average_score"]) for e in data["experts"]] == [("点评专家甲", 2, 4.0)]


@pytest.mark.parametrize(("name", "expected"), [
    ("贵州省", "贵州"), ("内蒙古自治区", "内蒙古"), ("广西壮族自治区", "广西"), ("宁夏回族自治区", "宁夏"),
    ("新疆维吾尔自治区", "新疆"), ("西藏自治区", "西藏"), ("香港特别行政区", "香港"), ("北京市", "北京"), ("台湾省", "台湾"),
])
def test_full_province_names_map_to_the_names_on_the_map(name, expected):
    import json
    from pathlib import Path

    from portal.stats.services import map_name

    geo = json.loads((Path(__file__).parent.parent / "portal/static/vendor/echarts/china.json").read_text("utf-8"))
    assert map_name(name) == expected
    assert expected in {f["properties"]["name"] for f in geo["features"]}


def test_the_page_has_a_table_under_every_chart_and_loads_nothing_from_elsewhere(client, world):
    response = client.get("/stats")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for key in ("provinces", "themes", "years", "community_types", "unit_types", "sessions"):
        section = html[html.index(f'id="chart-{key}"'):]
        section = section[:section.index("</section>")]
        assert f'data-chart="{key}"' in section and "<table" in section, key
        assert f'href="/stats/{key}.csv"' in section, key
    guizhou = "http://localhost/cases?province=%E8%B4%B5%E5%B7%9E%E7%9C%81"
    assert f'<th scope="row"><a href="{guizhou}">贵州省</a></th><td class="num">2</td>' in html
    assert "/static/vendor/echarts/echarts.min.js" in html and "//cdn" not in html
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def test_each_table_downloads_as_csv(client, world):
    rows = list(csv.reader(io.StringIO(client.get("/stats/provinces.csv").data.decode("utf-8-sig"))))
    assert rows == [["省级行政区", "已发布案例"], ["贵州省", "2"], ["内蒙古自治区", "1"]]
    rows = list(csv.reader(io.StringIO(client.get("/stats/sessions.csv").data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["日期", "分享会", "参会人次"] and rows[2][1:4] == ["第二阶段", "495", "28"]
    assert client.get("/stats/nothing.csv").status_code == 404


def test_an_empty_platform_says_so(client):
    html = client.get("/stats").get_data(as_text=True)
    assert "暂无数据。" in html and "暂无已举行的分享会。" in html
    assert client.get("/api/v1/stats").get_json()["charts"][0]["rows"] == []
