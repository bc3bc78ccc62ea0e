"""The year of a case is one rule everywhere (Case.year): the year the practice started, and only
for a case without a start date the year (Asia/Shanghai) it was published. The library (/cases)
and the search page show it, and filter on it, the same way.
"""
from __future__ import annotations

import html
import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db as _db


@pytest.fixture
def cases(app, factory):
    """Three published cases: one that started in 2023 (published much later), one without a
    start date published in 2022, and one without a start date published at 01:00 on
    1 January 2025 in Shanghai (still 2024 in UTC)."""
    from portal.cases.models import Case

    _uid, email = factory.user()
    org = factory.org(email, name="年份测试社工中心")
    ids = {
        "started": factory.case(org, "二〇二三年开始的互助会", started_on=date(2023, 5, 1)),
        "undated": factory.case(org, "未填开始日期的议事会"),
        "new_year": factory.case(org, "元旦发布的微基金"),
    }
    published = {"started": datetime(2026, 3, 2, 4, 0), "undated": datetime(2022, 6, 1, 8, 0),
                 "new_year": datetime(2024, 12, 31, 17, 0)}  # naive UTC, as stored
    with app.app_context():
        for key, when in published.items():
            _db.session.get(Case, ids[key]).published_at = when
        _db.session.commit()  # the changed cases are indexed again on commit (SEARCH_SYNC inline)
    return ids


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def library_years(client, query: str = "") -> dict[int, str]:
    """{case id: the meta line of its card} on /cases."""
    page = client.get("/cases" + query).get_data(as_text=True)
    cards = re.findall(r'<article class="case-card card">.*?href="/cases/(\d+)".*?<p class="muted">(.*?)</p>',
                       page, re.S)
    return {int(case_id): text(meta) for case_id, meta in cards}


def search_years(client, query: str = "") -> dict[int, str]:
    """{case id: the meta line of its hit} on /search."""
    page = client.get("/search" + query).get_data(as_text=True)
    hits = re.findall(r'<li class="result card">.*?href="/cases/(\d+)".*?<p class="muted">(.*?)</p>', page, re.S)
    return {int(case_id): text(meta) for case_id, meta in hits}


def shown_year(meta: str) -> str:
    """The year field of a meta line ("单位 · 省份 城市 · 2023 · 发布于 …")."""
    return next(part for part in meta.split(" · ") if re.fullmatch(r"\d{4}", part))


def test_a_case_shows_the_same_year_in_the_library_and_in_search(client, cases):
    expected = {cases["started"]: "2023", cases["undated"]: "2022", cases["new_year"]: "2025"}
    library, search = library_years(client), search_years(client)
    assert {i: shown_year(m) for i, m in library.items()} == expected
    assert {i: shown_year(m) for i, m in search.items()} == expected
    # Search still tells when the case was published, labelled as such.
    assert "发布于 2026-03-02" in search[cases["started"]]


def test_the_library_and_search_filter_by_the_same_year(client, cases):
    for year, wanted in (("2023", {cases["started"]}), ("2022", {cases["undated"]}),
                         ("2025", {cases["new_year"]}), ("2026", set()), ("2024", set())):
        assert set(library_years(client, f"?year={year}")) == wanted, f"/cases?year={year}"
        assert set(search_years(client, f"?year={year}")) == wanted, f"/search?year={year}"


def test_the_year_choices_of_the_library_match_the_search_facet(client, cases):
    page = client.get("/cases").get_data(as_text=True)
    choices = re.findall(r'<option value="(\d+)"', re.search(r'<select id="f-year".*?</select>', page, re.S)[0])
    assert choices == ["2025", "2023", "2022"]
    facet = client.get("/api/v1/search").get_json()["facets"]["year"]
    assert [item["value"] for item in facet] == choices


def test_the_sql_expression_agrees_with_the_property(app, cases):
    from portal.cases.models import Case

    with app.app_context():
        for case_id in cases.values():
            case = _db.session.get(Case, case_id)
            in_sql = _db.session.scalar(select(Case.year).where(Case.id == case_id))
            assert int(in_sql) == case.year
