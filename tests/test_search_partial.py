"""Search that does not leave the reader with an empty page: after few strict (all-words) results,
the cases holding most of a plain query's words, ranked by how many they hold and naming the
words they lack; everyday synonyms; and bad input (stop words only, punctuation only, huge
queries, a hundred OR terms, control characters) answered with a note, never an error.
"""
from __future__ import annotations

import re

import pytest

from tests.test_search import api, make_case, make_org, page_of, result_titles, text_of


@pytest.fixture
def app_config(search_backend):
    return {"WTF_CSRF_ENABLED": False, "SEARCH_BACKEND": search_backend}  # each test on each backend

QUERY = "雨水花园 垃圾分类 积分超市 志愿者"


@pytest.fixture
def org_id(factory):
    return make_org(factory)


def partial_titles(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(
        r'<li class="result card partial">\s*<h3><a href="/cases/\d+">(.*?)</a></h3>', page, re.S)]


def partial_section(page: str) -> str:
    found = re.search(r'<section class="partial-results".*?</section>', page, re.S)
    return found.group(0) if found else ""


# Partial matches ---------------------------------------------------------------------------------

def test_few_results_are_followed_by_related_cases_on_the_page_and_in_the_api(app, client, org_id):
    """The words of the best results (屋顶, 认领, 蔬菜) find a case that never says 菜园: listed
    after the results under its own heading, not counted, and named as such by the API."""
    garden = make_case(app, org_id, "屋顶菜园", "居民认领屋顶菜园，种植蔬菜，收获分给独居老人。")
    make_case(app, org_id, "楼顶菜园", "屋顶菜园由居民认领，蔬菜分给独居老人。")
    boxes = make_case(app, org_id, "屋顶种菜", "居民认领屋顶花箱种植蔬菜，分给独居老人。")
    make_case(app, org_id, "防汛演练", "汛期前组织演练。")

    data = api(client, "菜园")
    assert data["total"] == 2 and garden in {h["id"] for h in data["hits"]}
    assert [h["id"] for h in data["related"]] == [boxes] and data["partial"] == []
    page = page_of(client.get("/search", query_string={"q": "菜园"}))
    section = re.search(r'<section class="related-results".*?</section>', page, re.S)
    assert section and "以下案例不包含查询词语，但内容与上面的结果相近" in section.group(0)  # one word: not "全部"
    assert "屋顶种菜" in text_of(section.group(0))
    assert "屋顶种菜" not in result_titles(page)
    assert api(client, "防汛")["related"] == []  # nothing like the one result

def test_enough_strict_results_are_shown_alone(app, client, org_id, monkeypatch):
    # The threshold is a page's worth (50) of strict results; 5 here keeps the test small.
    monkeypatch.setattr("portal.search.results.PARTIAL_BELOW", 5)
    strict = {make_case(app, org_id, f"小区改造第{n}期", "建成雨水花园，推行垃圾分类。") for n in range(5)}
    make_case(app, org_id, "只有雨水花园", "建成雨水花园。")

    data = api(client, "雨水花园 垃圾分类", per_page=50)
    assert {h["id"] for h in data["hits"]} == strict
    assert data["partial"] == []
    page = page_of(client.get("/search", query_string={"q": "雨水花园 垃圾分类"}))
    assert len(result_titles(page)) == 5
    assert "只有雨水花园" not in page
    assert "partial-results" not in page


def test_few_strict_results_are_followed_by_partial_ones_ranked_by_words_held(app, client, org_id):
    everything = make_case(app, org_id, "全都有的案例", "雨水花园、垃圾分类、积分超市和志愿者。")
    # Three words, one of them through a synonym (义工 = 志愿者), mentioned once.
    three = make_case(app, org_id, "三个词的案例", "建成雨水花园，推行垃圾分类，招募义工。")
    # Two words, but all over the case (a higher score than the three-word case).
    two = make_case(app, org_id, "雨水花园积分超市", "雨水花园旁开了积分超市。" * 5, summary="雨水花园与积分超市。")
    make_case(app, org_id, "一个词的案例", "推行垃圾分类。")  # one word of four: not shown
    make_case(app, org_id, "无关案例", "修缮健身器材。")

    data = api(client, QUERY)
    assert [h["id"] for h in data["hits"]] == [everything]
    assert data["total"] == 1, "the partial results are not counted"
    assert [(h["id"], h["missing"]) for h in data["partial"]] == [(three, ["积分超市"]),
                                                                   (two, ["垃圾分类", "志愿者"])]

    page = page_of(client.get("/search", query_string={"q": QUERY}))
    assert result_titles(page) == ["全都有的案例"]
    section = partial_section(page)
    assert "以下案例只包含部分查询词语" in text_of(section)
    assert partial_titles(page) == ["三个词的案例", "雨水花园积分超市"]
    assert page.index("全都有的案例") < page.index("partial-results"), "strict results come first"
    assert "未包含：<s>积分超市</s>" in section
    assert "未包含：<s>垃圾分类</s>、<s>志愿者</s>" in section
    assert "一个词的案例" not in page and "无关案例" not in page


def test_no_strict_result_shows_the_closest_ones_and_nothing_at_all_shows_themes(app, client, org_id):
    garden = make_case(app, org_id, "社区雨水花园", "建成雨水花园。", themes=("五社联动",))

    page = page_of(client.get("/search", query_string={"q": "雨水花园 火星基地"}))
    text = text_of(page)
    assert "没有同时包含全部词语的案例，以下是最接近的结果" in text
    assert partial_titles(page) == ["社区雨水花园"]
    assert "未包含：<s>火星基地</s>" in page
    assert "没有找到符合条件的案例" not in text and "热门主题" not in text
    assert [h["id"] for h in api(client, "雨水花园 火星基地")["partial"]] == [garden]

    # The English page says the same.
    client.set_cookie("lang", "en")
    english = text_of(page_of(client.get("/search", query_string={"q": "雨水花园 火星基地"})))
    assert "No case contains all of your search words; here are the closest matches" in english
    client.delete_cookie("lang")

    nothing = page_of(client.get("/search", query_string={"q": "火星基地 月球车"}))
    assert "没有找到符合条件的案例" in text_of(nothing)
    assert re.search(r'<a class="chip" href="/search\?theme=[^"]+">五社联动 \(1\)</a>', nothing)
    assert "partial-results" not in nothing
    assert api(client, "火星基地 月球车")["partial"] == []


def test_partial_results_only_for_plain_queries_and_within_the_filters(app, client, org_id):
    make_case(app, org_id, "社区雨水花园", "建成雨水花园。", province="贵州省")
    make_case(app, org_id, "川内雨水花园", "建成雨水花园。", province="四川省", city="成都市")

    for q in ('"雨水花园 火星基地"', "雨水花园 OR 花坛 火星基地", "雨水花园 火星基地 -垃圾分类"):
        assert api(client, q)["partial"] == [], q
        assert "没有找到符合条件的案例" in text_of(page_of(client.get("/search", query_string={"q": q}))), q

    data = api(client, "雨水花园 火星基地", province="四川省")
    assert [h["title"] for h in data["partial"]] == ["川内雨水花园"]


def test_api_partial_field_next_to_unchanged_hits(app, client, org_id):
    strict = make_case(app, org_id, "雨水花园与垃圾分类", "建成雨水花园，推行垃圾分类。")
    partial = make_case(app, org_id, "社区雨水花园", "建成雨水花园。")

    data = api(client, "雨水花园 垃圾分类")
    keys = {"id", "title", "url", "summary", "highlights", "themes", "province", "organization", "published_at"}
    [hit] = data["hits"]
    assert set(hit) == keys and hit["id"] == strict
    [item] = data["partial"]
    assert set(item) == keys | {"missing"}
    assert (item["id"], item["title"], item["missing"]) == (partial, "社区雨水花园", ["垃圾分类"])
    assert item["url"] == f"http://localhost/cases/{partial}"
    assert any("<mark>雨水花园</mark>" in h for h in item["highlights"])


# Everyday wording --------------------------------------------------------------------------------

def test_everyday_words_find_the_formal_ones(app, client, org_id):
    canteen = make_case(app, org_id, "社区食堂让独居老人吃上热饭", "为辖区老年人提供午餐和送餐服务。")
    committee = make_case(app, org_id, "院落自治", "由居民委员会牵头成立院落议事小组。")
    owners = make_case(app, org_id, "物业交接", "业主委员会与物业企业签订交接协议。")
    assistance = make_case(app, org_id, "政策宣讲", "向困难家庭讲解最低生活保障政策。")

    assert {h["id"] for h in api(client, "长者食堂")["hits"]} == {canteen}
    assert {h["id"] for h in api(client, "老年食堂")["hits"]} == {canteen}
    assert {h["id"] for h in api(client, "居委会")["hits"]} == {committee}
    assert {h["id"] for h in api(client, "业委会")["hits"]} == {owners}
    assert {h["id"] for h in api(client, "低保")["hits"]} == {assistance}


# Bad input ----------------------------------------------------------------------------------------

def test_bad_input_gets_a_note_not_an_error(app, client, org_id):
    garden = make_case(app, org_id, "社区雨水花园", "建成雨水花园。")
    hundred_or = " OR ".join(["雨水花园"] + [f"词语{n}" for n in range(99)])
    cases = [
        ("的 和 与", "常用虚词", 0),
        ("（）【】！", "没有可以搜索的文字", 1),
        ("雨水花园 " * 2000, "查询过长，只使用了前 200 个字符。", 1),
        (hundred_or, "查询词过多，只使用了前 12 个。", 1),
        ("雨水\x00花园\x07", "已忽略查询中的控制字符。", 1),
    ]
    for q, note, total in cases:
        response = client.get("/search", query_string={"q": q})
        assert response.status_code == 200, repr(q[:30])
        assert note in text_of(page_of(response)), repr(q[:30])
        data = api(client, q)
        assert any(note in n for n in data["notes"]), (q[:30], data["notes"])
        assert data["total"] == total, repr(q[:30])
    assert [h["id"] for h in api(client, "雨水\x00花园")["hits"]] == [garden]
    assert "热门主题" in text_of(page_of(client.get("/search", query_string={"q": "的 和 与"})))


def test_term_cap_counts_every_term_and_notes_only_when_it_cuts(app, client, org_id):
    make_case(app, org_id, "社区雨水花园", "建成雨水花园。")
    twelve = " ".join(f"词语{n}" for n in range(11)) + " 雨水花园"
    assert not any("查询词过多" in n for n in api(client, twelve)["notes"])
    assert any("查询词过多" in n for n in api(client, twelve + " 花坛")["notes"])
    # Alternatives joined by OR count as terms too.
    alternatives = " OR ".join(["雨水花园"] + [f"词{n}" for n in range(20)])
    assert any("查询词过多" in n for n in api(client, alternatives)["notes"])
    assert api(client, alternatives)["total"] == 1
