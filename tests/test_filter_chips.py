"""The active filters of the case library (/cases) and the search page (/search), shown above the
results as chips: each chip a link to the same list without that one filter (everything else kept,
back to page 1), a "清除全部筛选" link, and the number of active filters on the "筛选" button that
shows the filter panel on narrow screens."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import html as lxml_html

from portal.extensions import db as _db


@pytest.fixture
def library(app, factory):
    from portal.cases.models import Case
    from portal.cases.services import all_themes

    _uid, email = factory.user()
    org = factory.org(email, name="筛选测试社工中心")
    featured = factory.case(org, "精选的养老互助会", themes=("养老服务",), province="四川省")
    factory.case(org, "普通的养老议事会", themes=("养老服务",), province="四川省")
    factory.case(org, "贵州的议事会", themes=("党建引领",), province="贵州省")
    with app.app_context():
        _db.session.get(Case, featured).featured = True
        _db.session.commit()
        theme_id = next(t.id for t in all_themes() if t.name == "养老服务")
    return {"org": org, "theme": theme_id, "featured": featured}


def parse(response):
    assert response.status_code == 200
    return lxml_html.fromstring(response.get_data(as_text=True))


def chips_of(doc) -> dict[str, dict]:
    """{aria-label of each chip: its query string as a dict}."""
    lists = doc.xpath('//ul[@aria-label="已选筛选条件"]')
    if not lists:
        return {}
    return {a.get("aria-label"): query_of(a.get("href")) for a in lists[0].xpath('.//a[contains(@class, "chip-remove")]')}


def query_of(url: str) -> dict:
    parts = urlsplit(url)
    return {"path": parts.path, **{k: v[0] for k, v in parse_qs(parts.query).items()}}


def clear_link(doc) -> dict:
    (link,) = doc.xpath('//ul[@aria-label="已选筛选条件"]//a[normalize-space()="清除全部筛选"]')
    return query_of(link.get("href"))


def filter_button(doc) -> str:
    (summary,) = doc.xpath('//details[contains(@class, "filter-toggle")]/summary')
    return summary.text_content().strip()


def titles(doc) -> list[str]:
    return [a.text_content().strip() for a in doc.xpath('//article[contains(@class, "case-card")]//h3//a')]


def test_case_library_chips_remove_one_filter_each(client, library):
    theme = str(library["theme"])
    doc = parse(client.get("/cases", query_string={"theme": theme, "province": "四川省", "featured": "1",
                                                   "sort": "views", "page": "1"}))
    assert titles(doc) == ["精选的养老互助会"]
    assert filter_button(doc) == "筛选（3）"
    chips = chips_of(doc)
    assert chips == {
        "移除筛选：主题 养老服务": {"path": "/cases", "province": "四川省", "featured": "1", "sort": "views"},
        "移除筛选：省级行政区 四川省": {"path": "/cases", "theme": theme, "featured": "1", "sort": "views"},
        "移除筛选：只看精选": {"path": "/cases", "theme": theme, "province": "四川省", "sort": "views"},
    }
    # Clearing everything keeps the chosen order.
    assert clear_link(doc) == {"path": "/cases", "sort": "views"}

    # Following a chip drops just that filter.
    without_featured = parse(client.get("/cases", query_string=chips["移除筛选：只看精选"]))
    assert sorted(titles(without_featured)) == ["普通的养老议事会", "精选的养老互助会"]
    assert filter_button(without_featured) == "筛选（2）"
    assert set(chips_of(without_featured)) == {"移除筛选：主题 养老服务", "移除筛选：省级行政区 四川省"}


def test_case_library_chips_for_year_community_type_and_unit(client, library):
    doc = parse(client.get("/cases", query_string={"community_type": "城市社区", "org": library["org"],
                                                   "year": "2030"}))
    assert titles(doc) == []
    org = str(library["org"])
    assert chips_of(doc) == {
        "移除筛选：社区类型 城市社区": {"path": "/cases", "org": org, "year": "2030"},
        "移除筛选：年份 2030": {"path": "/cases", "community_type": "城市社区", "org": org},
        "移除筛选：单位 筛选测试社工中心": {"path": "/cases", "community_type": "城市社区", "year": "2030"},
    }
    assert clear_link(doc) == {"path": "/cases"}


def test_case_library_without_filters_has_no_chips(client, library):
    # A province the list does not know is ignored by the filter, so it gets no chip either.
    doc = parse(client.get("/cases", query_string={"province": "火星", "sort": "views"}))
    assert chips_of(doc) == {}
    assert not doc.xpath('//a[normalize-space()="清除全部筛选"]')
    assert filter_button(doc) == "筛选"
    assert len(titles(doc)) == 3


def test_search_chips_and_filter_button(client, library):
    doc = parse(client.get("/search", query_string={"q": "议事会", "province": "四川省", "theme": "养老服务",
                                                    "sort": "newest", "page": "1"}))
    assert filter_button(doc) == "筛选（2）"
    assert chips_of(doc) == {
        "移除筛选：省份 四川省": {"path": "/search", "q": "议事会", "theme": "养老服务", "sort": "newest"},
        "移除筛选：主题 养老服务": {"path": "/search", "q": "议事会", "province": "四川省", "sort": "newest"},
    }
    assert clear_link(doc) == {"path": "/search", "q": "议事会"}
    # The facets are still all there, inside the panel the button opens.
    (panel,) = doc.xpath('//details[contains(@class, "filter-toggle")]/aside[contains(@class, "facets")]')
    assert "四川省" in panel.text_content()

    plain = parse(client.get("/search", query_string={"q": "议事会"}))
    assert filter_button(plain) == "筛选"
    assert chips_of(plain) == {}
