"""What search engines read (issue 12 §7): robots.txt, and a meta description on every public
page, taken from the page's own content, plain text, at most 120 characters."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.robotparser import RobotFileParser

# A fresh app per test: these tests change the app itself (rules, extensions, its index or
# view-count state), which the shared app of the other modules would carry over.
SHARED_APP = False

DEFAULT = "社区治理案例共享平台：汇集成员单位参与社区治理的案例、专家点评与线上分享会档案。"


class _Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.descriptions: list[str] = []
        self.lang = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name") == "description":
            self.descriptions.append(attrs.get("content"))
        if tag == "html":
            self.lang = attrs.get("lang")


def head(client, url: str) -> _Head:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Head()
    parser.feed(response.get_data(as_text=True))
    return parser


def description(client, url: str) -> str:
    found = head(client, url).descriptions
    assert len(found) == 1, (url, found)
    return found[0]


def test_robots_txt_keeps_crawlers_out_of_private_sections_only(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    robots = RobotFileParser()
    robots.parse(response.get_data(as_text=True).splitlines())
    for url in ("/", "/cases", "/cases/1", "/search?q=养老", "/sessions/1", "/events/1", "/orgs/", "/orgs/1",
                "/experts", "/experts/2", "/about", "/static/css/site.css"):
        assert robots.can_fetch("*", url), url
    for url in ("/admin/", "/admin/users", "/auth/login", "/auth/register", "/auth/account", "/api/v1/search?q=x",
                "/notifications", "/review/queue"):
        assert not robots.can_fetch("*", url), url
    assert robots.can_fetch("*", "/api/v1/docs")  # the API's documentation page is for people
    assert "Sitemap: http://localhost/sitemap.xml" in response.get_data(as_text=True)


def test_robots_txt_names_the_sitemap_once_there_is_one(app):
    app.add_url_rule("/sitemap.xml", "sitemap", lambda: ("<urlset/>", 200, {"Content-Type": "application/xml"}))
    text = app.test_client().get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text.splitlines()


def test_pages_without_content_of_their_own_carry_the_site_description(client):
    for url in ("/", "/auth/login"):
        assert description(client, url) == DEFAULT
    assert head(client, "/").lang == "zh-CN"


def test_list_pages_describe_what_they_list(client):
    seen = {url: description(client, url) for url in ("/cases", "/sessions", "/orgs/", "/experts", "/search",
                                                      "/search?q=养老", "/about")}
    assert len(set(seen.values()) | {DEFAULT}) == len(seen) + 1, seen  # each its own
    assert "“养老”" in seen["/search?q=养老"]
    assert seen["/cases"].startswith("成员单位参与社区治理的案例")


def test_a_case_is_described_by_its_summary_or_else_its_text_in_plain_words(app, client, factory):
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.orgs.models import Organization

    _, email = factory.user("unit@example.org")
    org = factory.org(email, name="花溪区社工服务中心")
    with app.app_context():
        db.session.get(Organization, org).introduction = "## 简介\n\n**花溪区**的社工机构，服务 <em>12</em> 个社区 & 村。"
        db.session.commit()
    summed = factory.case(org, "有摘要的案例", summary='居民说："电梯要装" <b>不是</b>标签。')
    plain = factory.case(org, "无摘要的案例", background="**小区**建成二十余年。", body="居民议事会逐户协商。" * 30)
    with app.app_context():  # cases published before the summary was required
        db.session.get(Case, plain).summary = ""
        db.session.commit()

    assert description(client, f"/cases/{summed}") == '居民说："电梯要装" <b>不是</b>标签。'
    text = description(client, f"/cases/{plain}")
    assert text.startswith("小区建成二十余年。 居民议事会逐户协商。") and "**" not in text
    assert len(text) == 120 and text.endswith("…")
    assert description(client, f"/orgs/{org}") == \
        "花溪区社工服务中心 · 社工机构 · 贵州省贵阳市。简介 花溪区的社工机构，服务 12 个社区 & 村。"


def test_sessions_events_and_experts_are_described_by_their_content(app, client, factory):
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.sessions import services

    _, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    expert_id, _ = factory.user("zhou@example.org", "周教授", reviewer=True)
    with app.test_request_context():
        actor = get_user_by_email(admin)
        event = services.create_event(actor, services.EventData(title="首届案例分享活动", organizer="行业协会",
                                                                description="两个阶段，线上举行。"))
        start = datetime(2026, 10, 12, 6, 0, tzinfo=UTC)
        session = services.create_session(actor, services.SessionData(
            title="第一阶段", starts_at=start, ends_at=start + timedelta(hours=3), venue="腾讯会议",
            description="**五社联动**案例三则。", event_id=event.id))
        db.session.commit()
        event_id, session_id = event.id, session.id

    assert description(client, f"/sessions/{session_id}") == "2026-10-12 · 线上 · 腾讯会议。五社联动案例三则。"
    assert description(client, f"/events/{event_id}") == "行业协会 · 首届案例分享活动。两个阶段，线上举行。"
    assert description(client, f"/experts/{expert_id}") == "周教授 · 教授 · 某大学。专长：五社联动。"
