"""The read API (/api/v1): cases with the filters of /cases, one case with what its page shows,
sessions with their running order, events, units, experts and themes; pages with links;
ETag / Last-Modified with 304; CORS; the OpenAPI document and its docs page. Visibility is the
pages': a draft is a 404 for whoever cannot open it on the site.

The world: unit 阳光社工 (贵州省; admin 单位管理员) publishes 党建引领 and 五社联动 (四川省) cases
and keeps a draft; 晨曦社工 adopted the 党建引领 case; 点评专家甲 commented on it with a score and
the unit answered; a session presented both published cases (the second one archived since) and
has a public and a members-only material; a unit under review exists.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

SHARED_APP = True


def build_world(app, factory) -> dict:
    from portal.adoptions import services as adoptions
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case, Theme
    from portal.cases.services import transition
    from portal.extensions import db
    from portal.reviews import services as reviews
    from portal.sessions import services as sessions

    emails = {}
    for role in ("admin", "unit_admin", "expert", "other_admin", "reader", "applicant"):
        _id, emails[role] = factory.user(f"{role}@example.org", {"expert": "点评专家甲"}.get(role, role),
                                         admin=role == "admin", reviewer=role == "expert")
    unit = factory.org(emails["unit_admin"], name="阳光社工")
    other = factory.org(emails["other_admin"], name="晨曦社工", province="四川省")
    pending = factory.org(emails["applicant"], name="审核中的单位", status="pending")
    ids = {
        "party": factory.case(unit, "党建引领：楼栋议事会", themes=("党建引领",), beneficiaries=1200,
                              body="每月一次**楼栋议事会**。"),
        "five": factory.case(unit, "五社联动：社区食堂助老", themes=("五社联动",), province="四川省"),
        "draft": factory.case(unit, "草稿：尚未完成", status="draft"),
    }
    with app.test_request_context():
        user = {role: get_user_by_email(email) for role, email in emails.items()}
        case = {key: db.session.get(Case, case_id) for key, case_id in ids.items()}
        dimension = reviews.active_dimensions()[0]
        comment = reviews.post_comment(user["expert"], case["party"], reviews.CommentData(
            body="议事规则清晰，**值得推广**。", declaration="none", scores={dimension.id: "4"}))
        reviews.respond(user["unit_admin"], comment, "谢谢点评，我们会继续完善。")
        adoptions.save_report(user["other_admin"], case["party"], adoptions.AdoptionData(
            org_id=other, kind="adopted", place="四川省成都市", changes="照搬议事规则。"))
        start = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(days=20)
        event = sessions.create_event(user["admin"], sessions.EventData(title="全国案例分享活动", organizer="某协会"))
        held = sessions.create_session(user["admin"], sessions.SessionData(
            title="第一阶段", starts_at=start, ends_at=start + timedelta(hours=3), event_id=event.id, host="主持人甲"))
        sessions.add_agenda_item(user["admin"], held, sessions.AgendaData(kind="talk", title="开幕致辞",
                                                                            duration_minutes=10))
        sessions.add_agenda_item(user["admin"], held, sessions.AgendaData(kind="case", case_id=ids["party"],
                                                                            presenter="社工甲", duration_minutes=20))
        sessions.add_agenda_item(user["admin"], held, sessions.AgendaData(kind="case", case_id=ids["five"],
                                                                            presenter="社工乙", duration_minutes=20))
        sessions.add_material_link(user["admin"], held, "公开的回放", "https://video.example.org/1")
        sessions.add_material_link(user["admin"], held, "成员可见的课件", "https://files.example.org/2",
                                   members_only=True)
        transition(user["admin"], case["five"], "archive")  # presented, then withdrawn from the library
        themes = {t.name: t.id for t in db.session.query(Theme)}
        db.session.commit()
        return {"emails": emails, "ids": ids, "unit": unit, "other": other, "pending": pending,
                "session": held.id, "event": event.id, "expert": user["expert"].id, "themes": themes,
                "dimension": dimension.name}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def get(client, path: str, status: int = 200, **kwargs) -> dict:
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json
    return response.get_json()


def test_the_case_list_has_the_filters_order_and_pages_of_the_library(client, world):
    ids = world["ids"]
    body = get(client, "/api/v1/cases")
    assert [c["id"] for c in body["items"]] == [ids["party"]]  # published only: not the draft, not the archived
    assert body["total"] == 1 and body["pages"] == 1
    item = body["items"][0]
    assert item["unit"] == {"id": world["unit"], "name": "阳光社工", "url": f"http://localhost/orgs/{world['unit']}"}
    assert item["themes"] == [{"id": world["themes"]["党建引领"], "name": "党建引领"}]
    assert item["api_url"] == f"http://localhost/api/v1/cases/{ids['party']}"
    assert item["published_at"].endswith("+08:00")

    assert get(client, f"/api/v1/cases?theme={world['themes']['五社联动']}")["items"] == []
    assert get(client, "/api/v1/cases?province=贵州省")["total"] == 1
    assert get(client, f"/api/v1/cases?org={world['other']}")["total"] == 0


def test_pages_link_to_each_other(client, world, factory, app):
    for n in range(3):
        factory.case(world["unit"], f"第{n}个补充案例")
    response = client.get("/api/v1/cases?per_page=2&page=2&province=贵州省")
    body = response.get_json()
    assert (body["total"], body["page"], body["pages"]) == (4, 2, 2)
    links = body["links"]
    assert links["prev"] == "http://localhost/api/v1/cases?per_page=2&province=%E8%B4%B5%E5%B7%9E%E7%9C%81&page=1"
    assert links["next"] is None and links["last"] == links["self"]
    assert f'<{links["first"]}>; rel="first"' in response.headers["Link"]
    assert 'rel="next"' not in response.headers["Link"]
    assert get(client, "/api/v1/cases?page=9")["items"] == []  # past the end: an empty page, not an error


@pytest.mark.parametrize(("query", "field", "words"), [
    ("page=0", "page", "须为正整数"), ("per_page=51", "per_page", "每页数量"), ("theme=abc", "theme", "须为正整数"),
    ("province=火星", "province", "省级行政区"), ("sort=random", "sort", "只能是"),
    ("year=99999999999999999999", "year", "须为不大于 2147483647 的正整数"),
])
def test_invalid_parameters_are_400_with_the_field_named_in_chinese(client, world, query, field, words):
    error = get(client, f"/api/v1/cases?{query}", 400)["error"]
    assert error["code"] == 400 and words in error["message"]
    assert list(error["fields"]) == [field] and words in error["fields"][field][0]


def test_a_case_has_what_its_page_shows(client, world):
    ids = world["ids"]
    case = get(client, f"/api/v1/cases/{ids['party']}")
    assert case["title"] == "党建引领：楼栋议事会" and case["beneficiaries"] == 1200
    approach = next(s for s in case["sections"] if s["key"] == "approach")
    assert approach["title"] == "做法" and approach["markdown"] == "每月一次**楼栋议事会**。"
    assert "<strong>楼栋议事会</strong>" in approach["html"]
    [comment] = case["expert_comments"]
    assert comment["expert"]["name"] == "点评专家甲"
    assert comment["expert"]["url"] == f"http://localhost/experts/{world['expert']}"
    assert comment["scores"] == [{"dimension": world["dimension"], "score": 4}]
    assert "<strong>值得推广</strong>" in comment["html"]
    assert comment["response"]["unit"]["name"] == "阳光社工" and "谢谢点评" in comment["response"]["html"]
    assert case["expert_averages"] == []  # one scorer: no average, as on the page
    assert [s["title"] for s in case["sessions"]] == ["第一阶段"]
    assert case["adoption_count"] == 1
    assert case["citation"].startswith("阳光社工. 党建引领：楼栋议事会[EB/OL]. (")


def test_visibility_is_the_pages(client, auth, world):
    ids = world["ids"]
    for case_id in (ids["draft"], ids["five"]):  # a draft, an archived case
        error = get(client, f"/api/v1/cases/{case_id}", 404)["error"]
        assert error == {"code": 404, "message": "未找到该案例。"}
    assert get(client, "/api/v1/cases/99999", 404)["error"]["code"] == 404
    auth.login(world["emails"]["unit_admin"])  # the unit sees its own draft, as on the site
    assert get(client, f"/api/v1/cases/{ids['draft']}")["status"] == "draft"
    auth.logout()
    auth.login(world["emails"]["reader"])
    get(client, f"/api/v1/cases/{ids['draft']}", 404)


def test_answers_revalidate_with_etag_and_last_modified(app, client, world):
    path = f"/api/v1/cases/{world['ids']['party']}"
    first = client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    listing = client.get("/api/v1/cases")
    assert client.get("/api/v1/cases", headers={"If-None-Match": listing.headers["ETag"]}).status_code == 304

    # A new expert comment changes the case: both validators let the new answer through.
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.reviews import services as reviews

    with app.test_request_context():
        from tests.conftest import Factory

        _id, email = Factory(app).user("expert2@example.org", "点评专家乙", reviewer=True)
        comment = reviews.post_comment(get_user_by_email(email), db.session.get(Case, world["ids"]["party"]),
                                       reviews.CommentData(body="第二条点评。", declaration="none"))
        # HTTP dates count whole seconds: the comment comes a second after the first answer's time.
        comment.created_at = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
        db.session.commit()
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": later}).status_code == 304


def test_reads_may_be_fetched_from_any_site(client, world):
    response = client.get("/api/v1/cases")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options("/api/v1/cases", headers={"Origin": "https://data.example.org",
                                                         "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_a_session_has_its_running_order_speakers_and_materials(client, auth, world):
    ids = world["ids"]
    session = get(client, f"/api/v1/sessions/{world['session']}")
    assert session["title"] == "第一阶段" and session["host"] == "主持人甲"
    assert session["event"]["title"] == "全国案例分享活动"
    agenda = session["agenda"]
    assert [(a["position"], a["kind"], a["title"]) for a in agenda] == [
        (1, "talk", "开幕致辞"), (2, "case", "党建引领：楼栋议事会"), (3, "case", "五社联动：社区食堂助老")]
    assert agenda[1]["case"] == {"id": ids["party"], "title": "党建引领：楼栋议事会",
                                 "url": f"http://localhost/cases/{ids['party']}"}
    assert agenda[2]["case"] is None  # archived since: its title stays, the link goes, as on the page
    starts = [datetime.fromisoformat(a["starts_at"]) for a in agenda]
    assert starts[1] - starts[0] == timedelta(minutes=10) and starts[2] - starts[1] == timedelta(minutes=20)
    assert [m["title"] for m in session["materials"]] == ["公开的回放"]
    auth.login(world["emails"]["unit_admin"])
    assert len(get(client, f"/api/v1/sessions/{world['session']}")["materials"]) == 2

    listing = get(client, "/api/v1/sessions?when=past")
    assert [s["id"] for s in listing["items"]] == [world["session"]]
    assert get(client, "/api/v1/sessions?when=upcoming")["items"] == []
    get(client, "/api/v1/sessions/99999", 404)


def test_an_event_lists_its_phases(client, world):
    event = get(client, f"/api/v1/events/{world['event']}")
    assert event["organizer"] == "某协会" and [s["title"] for s in event["sessions"]] == ["第一阶段"]
    assert [e["id"] for e in get(client, "/api/v1/events")["items"]] == [world["event"]]


def test_units_experts_and_themes(client, world):
    units = get(client, "/api/v1/units")
    assert sorted(u["name"] for u in units["items"]) == ["晨曦社工", "阳光社工"]  # not the one under review
    unit = get(client, f"/api/v1/units/{world['unit']}")
    assert unit["published_cases"] == 1
    assert unit["cases_api_url"] == f"http://localhost/api/v1/cases?org={world['unit']}"
    get(client, f"/api/v1/units/{world['pending']}", 404)
    assert get(client, "/api/v1/units?province=四川省")["total"] == 1

    experts = get(client, "/api/v1/experts")
    assert [(e["name"], e["comment_count"]) for e in experts["items"]] == [("点评专家甲", 1)]
    expert = get(client, f"/api/v1/experts/{world['expert']}")
    assert [c["case"]["id"] for c in expert["comments"]] == [world["ids"]["party"]]
    get(client, "/api/v1/experts/99999", 404)

    themes = {t["name"]: t for t in get(client, "/api/v1/themes")["items"]}
    assert themes["党建引领"]["published_cases"] == 1 and themes["五社联动"]["published_cases"] == 0


def test_the_openapi_document_and_its_docs_page(client, world):
    spec = get(client, "/api/v1/openapi.json")
    assert spec["openapi"] == "3.1.0" and spec["info"]["title"] == "社区治理案例共享平台 API"
    assert {"/api/v1/cases", "/api/v1/cases/{case_id}", "/api/v1/sessions/{session_id}", "/api/v1/events",
            "/api/v1/units", "/api/v1/experts/{user_id}", "/api/v1/themes", "/api/v1/search"} <= set(spec["paths"])
    case_list = spec["paths"]["/api/v1/cases"]["get"]
    assert {p["name"] for p in case_list["parameters"]} >= {"theme", "province", "page", "per_page", "sort"}
    assert {"200", "304", "400"} <= set(case_list["responses"])

    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="api-reference" data-spec-url="/api/v1/openapi.json"' in html and "/static/js/api-docs.js" in html
    assert "/static/vendor/redoc/redoc.standalone.js" in html and "cdn" not in html.lower()
    assert "style-src 'self' 'unsafe-inline'" in page.headers["Content-Security-Policy"]
    assert client.get("/static/vendor/redoc/redoc.standalone.js").status_code == 200
