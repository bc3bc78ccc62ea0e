"""Feeds and discovery (portal.feeds): Atom feeds of newly published cases (all, per theme,
province or unit) and of expert comments, read with feedparser as a feed reader would; the
sitemap; the feed links, Open Graph tags and the "how to cite" block on the pages.

The world: the verified unit 阳光社工 (贵州省) publishes three cases (one on 党建引领, one on
五社联动 in 四川省, one whose title holds markup characters), keeps a draft, a submitted and an
archived case; 点评专家甲 comments with scores on a published case and on the submitted one;
a unit still under review exists; one session is planned.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import feedparser
import pytest

SHARED_APP = True

UNIT = "贵阳市阳光社工服务中心"
PENDING_UNIT = "待认证的社区基金会"
TRICKY = "“<议事>” & 协商：R&D 小组"


def build_world(app, factory) -> dict:
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case, Theme
    from portal.extensions import db
    from portal.reviews import assignments
    from portal.reviews import services as reviews
    from portal.sessions import services as sessions

    _admin_id, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    expert_id, expert = factory.user("expert@example.org", "点评专家甲", reviewer=True)
    _id, editor = factory.user("editor@example.org", "单位编辑")
    _id, applicant = factory.user("applicant@example.org", "申请人")
    unit = factory.org(editor, name=UNIT)
    pending = factory.org(applicant, name=PENDING_UNIT, status="pending", province="云南省")
    ids = {
        "party": factory.case(unit, "党建引领：楼栋议事会", themes=("党建引领",),
                              body="每月一次**楼栋议事会**，居民自己定规矩。"),
        "five": factory.case(unit, "五社联动：社区食堂助老", themes=("五社联动",), province="四川省"),
        "tricky": factory.case(unit, TRICKY, themes=("党建引领",)),
        "draft": factory.case(unit, "草稿：尚未完成", status="draft"),
        "submitted": factory.case(unit, "待审：社工站建设", status="submitted"),
        "archived": factory.case(unit, "已归档：旧案例", status="archived"),
    }
    with app.test_request_context():
        user = get_user_by_email(expert)
        dimension = reviews.active_dimensions()[0]
        case = {key: db.session.get(Case, case_id) for key, case_id in ids.items()}
        reviews.post_comment(user, case["party"], reviews.CommentData(
            body="议事规则清晰，**值得推广**。", declaration="none", scores={dimension.id: "5"}))
        assignments.assign_reviewer(get_user_by_email(admin), case["submitted"], expert_id)
        reviews.post_comment(user, case["submitted"], reviews.CommentData(
            body="尚未发布案例上的点评。", declaration="none"))
        start = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(days=5)
        session = sessions.create_session(get_user_by_email(admin), sessions.SessionData(
            title="下一场：居民议事", starts_at=start, ends_at=start + timedelta(hours=2), venue="腾讯会议"))
        themes = {t.name: t.id for t in db.session.query(Theme)}
        db.session.commit()
        return {"ids": ids, "unit": unit, "pending": pending, "expert": expert_id, "session": session.id,
                "themes": themes, "dimension": dimension.name, "editor": editor}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def parse(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")  # well-formed, valid Atom
    assert feed.version == "atom10"
    return feed


def titles(feed) -> list[str]:
    return [entry.title for entry in feed.entries]


def test_the_case_feed_lists_published_cases_newest_first_with_their_content(client, world):
    feed = parse(client, "/feeds/cases.atom")
    assert feed.feed.title == "最新发布的案例 · 社区治理案例共享平台"
    assert feed.feed.language == "zh-CN"
    assert {link.rel: link.href for link in feed.feed.links} == {
        "self": "http://localhost/feeds/cases.atom", "alternate": "http://localhost/cases"}
    # Published only, the newest publication first; drafts, submitted and archived cases never.
    assert titles(feed) == [TRICKY, "五社联动：社区食堂助老", "党建引领：楼栋议事会"]

    entry = feed.entries[2]
    url = f"http://localhost/cases/{world['ids']['party']}"
    assert entry.id == url and entry.link == url
    assert entry.author == UNIT
    assert [tag.term for tag in entry.tags] == ["党建引领"]
    assert entry.summary == "一个基层实践案例。"
    content = entry.content[0].value
    assert "<strong>楼栋议事会</strong>" in content  # the stored, sanitised HTML of the sections
    assert "两年加装电梯十二部。" in content and "贵州省" in content
    assert entry.published_parsed and entry.updated_parsed


def test_markup_characters_in_a_title_arrive_as_text(client, world):
    feed = parse(client, "/feeds/cases.atom")
    assert feed.entries[0].title == TRICKY
    assert feed.entries[0].title_detail.type == "text/plain"


def test_feeds_per_theme_province_and_unit_follow_the_same_filter_as_the_list(client, world):
    theme = world["themes"]["党建引领"]
    feed = parse(client, f"/feeds/cases.atom?theme={theme}")
    assert feed.feed.title.startswith("主题“党建引领”的新案例")
    assert titles(feed) == [TRICKY, "党建引领：楼栋议事会"]
    assert f"http://localhost/cases?theme={theme}" in [link.href for link in feed.feed.links]

    assert titles(parse(client, "/feeds/cases.atom?province=四川省")) == ["五社联动：社区食堂助老"]
    assert titles(parse(client, "/feeds/cases.atom?province=云南省")) == []  # valid, just empty

    unit = parse(client, f"/feeds/cases.atom?org={world['unit']}")
    assert unit.feed.title.startswith(f"{UNIT}发布的案例")
    assert len(unit.entries) == 3


@pytest.mark.parametrize("query", ["theme=99999", "province=火星", "org=99999", "theme={theme}&province=四川省"])
def test_a_feed_of_something_that_does_not_exist_is_404(client, world, query):
    response = client.get("/feeds/cases.atom?" + query.format(theme=world["themes"]["党建引领"]))
    assert response.status_code == 404
    assert "<feed" not in response.get_data(as_text=True)


def test_a_unit_under_review_has_no_feed_and_out_of_range_numbers_are_400(client, world):
    response = client.get(f"/feeds/cases.atom?org={world['pending']}")
    assert response.status_code == 404 and PENDING_UNIT not in response.get_data(as_text=True)
    assert client.get("/feeds/cases.atom?org=99999999999999999999").status_code == 400


def test_the_expert_comment_feed_holds_comments_on_published_cases_with_their_scores(client, world):
    feed = parse(client, "/feeds/expert-comments.atom")
    assert feed.feed.title.startswith("最新专家点评")
    assert titles(feed) == ["点评专家甲点评《党建引领：楼栋议事会》"]
    entry = feed.entries[0]
    assert entry.author == "点评专家甲"
    assert entry.link.endswith(f"/cases/{world['ids']['party']}#expert-comment-{entry.link.rsplit('-', 1)[1]}")
    content = entry.content[0].value
    assert "<strong>值得推广</strong>" in content and f"{world['dimension']} 5 分" in content
    assert "尚未发布案例上的点评" not in str(feed)

    own = parse(client, f"/feeds/expert-comments.atom?expert={world['expert']}")
    assert own.feed.title.startswith("点评专家甲的专家点评") and len(own.entries) == 1
    assert client.get("/feeds/expert-comments.atom?expert=99999").status_code == 404


def test_feeds_are_public_and_revalidate(client, world, auth):
    response = client.get("/feeds/cases.atom")
    assert response.headers["Cache-Control"] == "public, max-age=600"
    assert response.headers["Last-Modified"] and response.headers["ETag"]
    assert client.get("/feeds/cases.atom", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get("/feeds/cases.atom", headers={
        "If-Modified-Since": response.headers["Last-Modified"]}).status_code == 304
    # A signed-in reader gets the same public feed (it shows nothing personal).
    auth.login(world["editor"])
    assert titles(feedparser.parse(client.get("/feeds/cases.atom").data)) == titles(
        feedparser.parse(response.data))


def test_links_in_feeds_use_the_public_address_when_configured(app, client, world):
    app.config["BASE_URL"] = "https://cases.example.org/"
    try:
        feed = parse(client, "/feeds/cases.atom")
    finally:
        app.config["BASE_URL"] = ""
    assert feed.entries[0].link.startswith("https://cases.example.org/cases/")
    assert feed.feed.id == "https://cases.example.org/feeds/cases.atom"


def locs(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return re.findall(r"<loc>([^<]+)</loc>", response.get_data(as_text=True))


def test_the_sitemap_lists_every_public_page_and_nothing_else(client, world):
    assert locs(client, "/sitemap.xml") == ["http://localhost/sitemap-pages.xml", "http://localhost/sitemap-cases-1.xml"]
    pages = locs(client, "/sitemap-pages.xml")
    for path in ("/", "/cases", "/sessions", "/orgs/", "/experts", f"/sessions/{world['session']}",
                 f"/orgs/{world['unit']}", f"/experts/{world['expert']}"):
        assert "http://localhost" + path in pages, path
    assert f"http://localhost/orgs/{world['pending']}" not in pages

    body = client.get("/sitemap-cases-1.xml").get_data(as_text=True)
    cases = re.findall(r"<loc>http://localhost/cases/(\d+)</loc>", body)
    ids = world["ids"]
    assert sorted(map(int, cases)) == sorted([ids["party"], ids["five"], ids["tricky"]])
    assert body.count("<lastmod>") == 3
    assert client.get("/sitemap-cases-2.xml").status_code == 404
    assert "Sitemap: http://localhost/sitemap.xml" in client.get("/robots.txt").get_data(as_text=True)


def test_many_cases_are_split_over_several_sitemap_files(client, world, monkeypatch):
    from portal.feeds import services

    monkeypatch.setattr(services, "SITEMAP_CHUNK", 2)
    index = locs(client, "/sitemap.xml")
    assert index[1:] == ["http://localhost/sitemap-cases-1.xml", "http://localhost/sitemap-cases-2.xml"]
    first, second = locs(client, "/sitemap-cases-1.xml"), locs(client, "/sitemap-cases-2.xml")
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)


def head_links(page: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" type="application/atom\+xml" title="([^"]+)" href="([^"]+)">', page))


def meta(page: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for prop, content in re.findall(r'<meta property="([^"]+)" content="([^"]*)">', page):
        out.setdefault(prop, []).append(content)
    return out


def test_pages_link_the_feeds_that_follow_them(client, world):
    theme = world["themes"]["党建引领"]
    page = client.get(f"/cases?theme={theme}").get_data(as_text=True)
    assert head_links(page)["按当前筛选订阅新案例"] == f"/feeds/cases.atom?theme={theme}"
    assert f'class="feed-link" href="/feeds/cases.atom?theme={theme}"' in page
    # Two filters of different kinds: the feed of all new cases.
    page = client.get(f"/cases?theme={theme}&province=贵州省").get_data(as_text=True)
    assert "按当前筛选订阅新案例" not in head_links(page) and 'class="feed-link" href="/feeds/cases.atom"' in page

    page = client.get(f"/orgs/{world['unit']}").get_data(as_text=True)
    assert head_links(page)[f"{UNIT}发布的案例"] == f"/feeds/cases.atom?org={world['unit']}"
    page = client.get(f"/experts/{world['expert']}").get_data(as_text=True)
    assert head_links(page)["点评专家甲的专家点评"] == f"/feeds/expert-comments.atom?expert={world['expert']}"
    home = head_links(client.get("/").get_data(as_text=True))
    assert home["最新发布的案例"] == "/feeds/cases.atom" and home["最新专家点评"] == "/feeds/expert-comments.atom"


def test_case_session_and_expert_pages_carry_open_graph_tags(client, world):
    case_id = world["ids"]["party"]
    tags = meta(client.get(f"/cases/{case_id}").get_data(as_text=True))
    assert tags["og:title"] == ["党建引领：楼栋议事会"] and tags["og:type"] == ["article"]
    assert tags["og:description"] == ["一个基层实践案例。"]
    assert tags["og:url"] == [f"http://localhost/cases/{case_id}"]
    assert tags["article:tag"] == ["党建引领"] and tags["article:published_time"][0].endswith("Z")
    assert tags["og:site_name"] == ["社区治理案例共享平台"] and tags["og:locale"] == ["zh_CN"]

    session = meta(client.get(f"/sessions/{world['session']}").get_data(as_text=True))
    assert session["og:title"] == ["下一场：居民议事"] and "腾讯会议" in session["og:description"][0]
    expert = meta(client.get(f"/experts/{world['expert']}").get_data(as_text=True))
    assert expert["og:type"] == ["profile"] and expert["og:title"] == ["点评专家甲 · 点评专家"]


def test_a_published_case_shows_how_to_cite_it(app, client, world, auth):
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.timezones import today, utc_to_shanghai

    case_id = world["ids"]["party"]
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    with app.app_context():
        published = utc_to_shanghai(db.session.get(Case, case_id).published_at).date()
    expected = (f"{UNIT}. 党建引领：楼栋议事会[EB/OL]. ({published.isoformat()})[{today().isoformat()}]. "
                f"http://localhost/cases/{case_id}.")
    assert f'<p class="citation-text" id="citation-text">{expected}</p>' in page
    assert 'href="#cite"' in page and 'data-copy="citation-text"' in page

    auth.login(world["editor"])  # the unit sees its draft, which is not citable
    assert 'id="cite"' not in client.get(f"/cases/{world['ids']['draft']}").get_data(as_text=True)


def test_citation_format(app, world):
    from portal.cases.models import Case
    from portal.cases.services import citation
    from portal.extensions import db

    with app.test_request_context():
        case = db.session.get(Case, world["ids"]["five"])
        case.published_at = datetime(2022, 10, 11, 18, 30)  # 2022-10-12 02:30 in Beijing
        text = citation(case, cited_on=date(2026, 12, 3))
        db.session.rollback()
    assert text == (f"{UNIT}. 五社联动：社区食堂助老[EB/OL]. (2022-10-12)[2026-12-03]. "
                    f"http://localhost/cases/{world['ids']['five']}.")
