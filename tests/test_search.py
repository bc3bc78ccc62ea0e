"""Full-text search of published cases, from the reader's side: what a query finds (synonyms,
phrases, exclusion, OR, partial words, dictionary words and their parts, mixed scripts), how
results are ranked, filtered, counted, highlighted and paged, what never shows up (drafts,
archived and deleted cases), how edits reach the index, the search page and the JSON API,
type-ahead suggestions, similar cases, and input that must never cause a server error.

The cases are built through the real services (create -> submit -> publish) and indexed right
after each commit (SEARCH_SYNC="inline" in conftest). Filler text avoids the characters the
queries look for, so every expected id set is exact.
"""
from __future__ import annotations

import html
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from portal.extensions import db as _db


@pytest.fixture
def app_config(search_backend):
    return {"WTF_CSRF_ENABLED": False, "SEARCH_BACKEND": search_backend}  # each test on each backend

ORG_NAME = "明德互助中心"
FILLER = {
    "background": "项目开展前，居民反映问题较多。",
    "outcomes": "参与人数明显增加。",
    "lessons": "坚持长期陪伴。",
}


# Helpers ------------------------------------------------------------------------------------

def make_org(factory) -> int:
    _uid, email = factory.user()
    return factory.org(email, name=ORG_NAME, org_type="委员单位", province="贵州省")


@pytest.fixture
def org_id(factory):
    return make_org(factory)


def make_case(app, org_id, title, body="具体做法见附件。", **options) -> int:
    """A case built through the services and moved to ``status`` (default published), one commit."""
    with app.app_context():
        case_id = add_case(org_id, title, body, **options)
        _db.session.commit()
        return case_id


def add_case(org_id, title, body="具体做法见附件。", *, summary="一个基层实践案例。", status="published",
             themes=("党建引领",), tags=(), province="贵州省", city="贵阳市", community_type="农村社区",
             started_on=date(2022, 3, 1), published_at=None, **sections) -> int:
    """Inside an app context, without committing (several cases can share one commit)."""
    from portal.cases.services import CaseData, create_case, transition
    from portal.orgs.models import Organization

    org = _db.session.get(Organization, org_id)
    case = create_case(None, org, CaseData(
        title=title, summary=summary, approach=body, themes=list(themes), tags=list(tags), province=province,
        city=city, community_type=community_type, started_on=started_on, **{**FILLER, **sections}))
    if status != "draft":
        transition(None, case, "submit")
    if status == "returned":
        transition(None, case, "return", reason="请补充成效数据。")
    if status == "in_review":
        transition(None, case, "start_review")
    if status in ("published", "archived"):
        case.published_at = published_at
        transition(None, case, "publish")
    if status == "archived":
        transition(None, case, "archive")
    return case.id


def api(client, q="", **params) -> dict:
    response = client.get("/api/v1/search", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def found(client, q="", **params) -> set[int]:
    """Ids of every case the query finds (one page of 50 is plenty here)."""
    data = api(client, q, per_page=50, **params)
    assert data["total"] == len(data["hits"]), "fits on one page"
    return {hit["id"] for hit in data["hits"]}


def ranked(client, q="", **params) -> list[int]:
    return [hit["id"] for hit in api(client, q, per_page=50, **params)["hits"]]


def facet(data: dict, name: str) -> dict[str, int]:
    return {item["value"]: item["count"] for item in data["facets"][name]}


def page_of(response) -> str:
    return response.get_data(as_text=True)


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


# Synonyms -----------------------------------------------------------------------------------

def test_synonyms_find_cases_that_use_another_word(app, client, org_id):
    station = make_case(app, org_id, "乡镇社工站的三年", "依托社工站开展入户走访。")
    volunteer = make_case(app, org_id, "楼栋互助队", "招募志愿者开展探访。")
    make_case(app, org_id, "无关案例", "居民议题讨论。")

    assert found(client, "社工站") == {station}
    assert found(client, "社会工作站") == {station}
    assert found(client, "社会工作服务站") == {station}
    assert found(client, "义工") == {volunteer}
    assert found(client, "志愿者") == {volunteer}


def test_synonym_group_added_by_admin_applies_without_restart(app, client, org_id):
    case = make_case(app, org_id, "邻里守望计划", "组建楼道长队伍，定期走访。")
    assert found(client, "楼栋长") == set()

    (Path(app.instance_path) / "synonyms.txt").write_text("# 本地同义词\n楼道长 = 楼栋长 = 单元长\n", encoding="utf-8")

    assert found(client, "楼栋长") == {case}
    assert found(client, "单元长") == {case}


# Query syntax -------------------------------------------------------------------------------

def test_quoted_phrase_matches_only_adjacent_words(app, client, org_id):
    together = make_case(app, org_id, "案例甲", "推进社会养老服务体系建设。")
    apart = make_case(app, org_id, "案例乙", "动员社会力量，关心独居老人的养老问题。")

    assert found(client, "社会 养老") == {together, apart}
    assert found(client, '"社会养老"') == {together}


def test_quoted_phrase_containing_a_long_dictionary_word(app, client, org_id):
    case = make_case(app, org_id, "案例丙", "今年重点推动社会工作服务站建设，覆盖全部乡镇。")
    other = make_case(app, org_id, "案例丁", "社会工作服务站已挂牌，建设资金另行筹集。")

    assert found(client, '"社会工作服务站建设"') == {case}
    assert found(client, '"推动社会工作服务站"') == {case}
    assert found(client, "社会工作服务站 建设") == {case, other}


def test_exclusion_removes_cases_with_the_word(app, client, org_id):
    urban = make_case(app, org_id, "养老驿站在城市老旧小区", "城市老旧小区养老服务。")
    rural = make_case(app, org_id, "村级养老互助点", "农村互助养老服务。")

    assert found(client, "养老") == {urban, rural}
    assert found(client, "养老 -城市") == {rural}
    assert found(client, "-城市") == {rural}


def test_or_between_words(app, client, org_id):
    a = make_case(app, org_id, "案例一", "开展垃圾分类宣传。")
    b = make_case(app, org_id, "案例二", "组织广场舞比赛。")
    make_case(app, org_id, "案例三", "修缮健身器材。")

    assert found(client, "垃圾分类 广场舞") == set()
    assert found(client, "垃圾分类 OR 广场舞") == {a, b}


def test_partial_words_find_longer_words(app, client, org_id):
    elderly = make_case(app, org_id, "案例一", "完善社会养老服务。")
    station = make_case(app, org_id, "案例二", "建好社工站。")

    assert found(client, "养老") == {elderly}
    assert found(client, "社工") == {station}


def test_dictionary_words_stay_whole_but_their_parts_still_match(app, client, org_id):
    five = make_case(app, org_id, "案例一", "推动五社联动机制落地。")
    stations = [
        make_case(app, org_id, "案例二", "建好社工站。"),
        make_case(app, org_id, "案例三", "设立便民服务站。"),
        make_case(app, org_id, "案例四", "布设宣传站点。"),
        make_case(app, org_id, "案例五", "在车站附近开展宣传。"),
    ]
    from portal.search.analysis import segment

    assert [t for t, *_ in segment("推动五社联动机制落地", search=False)].count("五社联动") == 1

    assert found(client, "五社联动") == {five}
    assert found(client, "五社") == {five}
    assert found(client, "站") == set(stations)


def test_two_character_words_are_found_inside_longer_words(app, client, org_id):
    """养老 and 社工 are dictionary words, so they are found inside 居家养老服务 and 社工站 by
    search-mode segmentation alone (no substring scan); 苗绣 is not, so the word-list scan finds
    it inside 苗绣坊."""
    elderly = make_case(app, org_id, "案例一", "开展居家养老服务。")
    station = make_case(app, org_id, "案例二", "建好乡镇社工站。")
    craft = make_case(app, org_id, "案例三", "成立苗绣坊，带动妇女就业。")
    assert found(client, "养老") == {elderly}
    assert found(client, "社工") == {station}
    assert found(client, "苗绣") == {craft}


def test_mixed_chinese_english_and_digits(app, client, org_id):
    fullwidth = make_case(app, org_id, "案例一", "引进ＡＢＣ１２３型号的呼叫终端。")
    gps = make_case(app, org_id, "案例二", "为独居老人配备GPS定位手环。")
    year = make_case(app, org_id, "案例三", "2023年起每月走访一次。", started_on=date(2021, 5, 1))
    make_case(app, org_id, "案例四", "2019年起每月走访两次。", started_on=date(2021, 5, 1))

    assert found(client, "ABC123") == {fullwidth}
    assert found(client, "abc123") == {fullwidth}
    assert found(client, "ＡＢＣ１２３") == {fullwidth}
    assert found(client, "gps") == {gps}
    assert found(client, "GPS") == {gps}
    assert found(client, "Gps 定位") == {gps}
    assert found(client, "2023") == {year}


def test_title_match_ranks_above_body_only_match(app, client, org_id):
    body_only = make_case(app, org_id, "邻里互助项目", "项目后期引入了时间银行积分。")
    in_title = make_case(app, org_id, "时间银行让互助可持续", "积分兑换服务。")

    assert ranked(client, "时间银行") == [in_title, body_only]


def test_title_boost_with_several_cases_and_newest_sort(app, client, org_id):
    older_title = make_case(app, org_id, "微基金撬动居民参与", "设立基金。", published_at=datetime(2023, 1, 1))
    body_only = make_case(app, org_id, "居民自治项目", "后来设立了社区微基金。", published_at=datetime(2024, 6, 1))
    make_case(app, org_id, "环境整治", "清理楼道杂物。", published_at=datetime(2025, 1, 1))

    assert ranked(client, "微基金")[0] == older_title
    assert ranked(client, "微基金", sort="newest") == [body_only, older_title]


# Facets ----------------------------------------------------------------------------------------

@pytest.fixture
def facet_world(app, factory, org_id):
    """Five published cases across themes, provinces, years, community types and unit types."""
    _uid, email = factory.user()
    other_org = factory.org(email, name="河畔服务队", org_type="其他", province="四川省")
    ids = {
        "gz_2022": make_case(app, org_id, "案例一", "开展垃圾分类宣传。", themes=["党建引领", "乡村振兴"],
                             started_on=date(2022, 4, 1)),
        "gz_2023": make_case(app, org_id, "案例二", "开展垃圾分类积分。", themes=["乡村振兴"],
                             started_on=date(2023, 4, 1), community_type="城市社区"),
        "sc_2023": make_case(app, other_org, "案例三", "开展垃圾分类督导。", themes=["乡村振兴"], province="四川省",
                             city="成都市", started_on=date(2023, 9, 1)),
        "sc_2021": make_case(app, other_org, "案例四", "修缮健身器材。", themes=["数字化治理"], province="四川省",
                             city="成都市", started_on=date(2021, 9, 1)),
        "draft": make_case(app, org_id, "案例五", "开展垃圾分类评比。", status="draft", started_on=date(2023, 4, 1)),
    }
    return ids


def test_facet_filters_combine_with_the_query(client, facet_world):
    w = facet_world
    assert found(client, "垃圾分类") == {w["gz_2022"], w["gz_2023"], w["sc_2023"]}
    assert found(client, "垃圾分类", theme="党建引领") == {w["gz_2022"]}
    assert found(client, "垃圾分类", province="四川省") == {w["sc_2023"]}
    assert found(client, "垃圾分类", year="2023") == {w["gz_2023"], w["sc_2023"]}
    assert found(client, "垃圾分类", community_type="城市社区") == {w["gz_2023"]}
    assert found(client, "垃圾分类", org_type="其他") == {w["sc_2023"]}
    assert found(client, "垃圾分类", org_type="委员单位", year="2023") == {w["gz_2023"]}
    assert found(client, "", province="四川省") == {w["sc_2023"], w["sc_2021"]}
    assert found(client, "垃圾分类", theme="数字化治理") == set()
    assert found(client, "垃圾分类", theme="没有这个主题") == set()
    assert found(client, "", province="火星") == set()


def test_facet_counts_reflect_the_query_and_filters(client, facet_world):
    data = api(client, "垃圾分类")
    assert data["total"] == 3
    assert facet(data, "theme") == {"党建引领": 1, "乡村振兴": 3}
    assert facet(data, "province") == {"贵州省": 2, "四川省": 1}
    assert facet(data, "year") == {"2023": 2, "2022": 1}
    assert [item["value"] for item in data["facets"]["year"]] == ["2023", "2022"], "newest year first"
    assert facet(data, "community_type") == {"农村社区": 2, "城市社区": 1}
    assert facet(data, "org_type") == {"委员单位": 2, "其他": 1}
    assert data["facets"]["theme"][0] == {"value": "乡村振兴", "count": 3}, "largest count first"

    everything = api(client, "")
    assert everything["total"] == 4, "the draft is not counted"
    assert facet(everything, "theme") == {"党建引领": 1, "乡村振兴": 3, "数字化治理": 1}
    assert facet(everything, "year") == {"2023": 2, "2022": 1, "2021": 1}

    filtered = api(client, "垃圾分类", province="贵州省")
    assert facet(filtered, "year") == {"2023": 1, "2022": 1}
    assert facet(filtered, "province") == {"贵州省": 2}

    assert api(client, "没有匹配的词语组合")["facets"]["theme"] == []


# What never appears, and how changes reach the index ------------------------------------------------

def test_only_published_cases_are_searchable(app, client, org_id):
    published = make_case(app, org_id, "发布的案例", "社区厨房共享午餐。")
    for status in ("draft", "submitted", "in_review", "returned", "archived"):
        make_case(app, org_id, f"{status} 案例", "社区厨房共享午餐。", status=status)

    assert found(client, "社区厨房") == {published}
    assert found(client, "") == {published}
    assert api(client, "")["total"] == 1


def test_archiving_or_deleting_a_published_case_removes_it(app, client, factory, org_id):
    from portal.auth.models import User
    from portal.cases.models import Case
    from portal.cases.services import delete_case, transition
    from portal.errors import ValidationError

    admin_id, _email = factory.user(admin=True)
    archived = make_case(app, org_id, "将被归档", "社区厨房共享午餐。")
    deleted = make_case(app, org_id, "将被删除", "社区厨房共享午餐。")
    kept = make_case(app, org_id, "保留", "社区厨房共享午餐。")
    assert found(client, "社区厨房") == {archived, deleted, kept}

    with app.app_context():
        transition(None, _db.session.get(Case, archived), "archive")
        _db.session.commit()
    assert found(client, "社区厨房") == {deleted, kept}

    # A published case cannot be deleted (only archived): the refusal leaves it searchable.
    with app.app_context():
        with pytest.raises(ValidationError):
            delete_case(_db.session.get(User, admin_id), _db.session.get(Case, deleted))
        _db.session.rollback()
    assert found(client, "社区厨房") == {deleted, kept}
    with app.app_context():
        transition(None, _db.session.get(Case, deleted), "archive")
        _db.session.commit()
    assert found(client, "社区厨房") == {kept}

    with app.app_context():
        transition(None, _db.session.get(Case, archived), "restore")
        _db.session.commit()
    assert found(client, "社区厨房") == {archived, kept}


def test_editing_a_published_case_updates_the_index(app, client, org_id):
    from portal.cases.models import Case
    from portal.cases.services import CaseData, update_case

    case_id = make_case(app, org_id, "楼道微改造", "居民自筹资金粉刷楼道。")
    assert found(client, "粉刷") == {case_id}

    with app.app_context():
        case = _db.session.get(Case, case_id)
        update_case(None, case, CaseData(
            title="楼道微更新", summary=case.summary, approach="居民共同设计并安装扶手。", themes=["社区协商议事"],
            province="四川省", city="成都市", community_type="城市社区", started_on=case.started_on, **FILLER))
        _db.session.commit()

    assert found(client, "粉刷") == set()
    assert found(client, "扶手") == {case_id}
    assert found(client, "微改造") == set()
    assert found(client, "微更新") == {case_id}
    hit = api(client, "扶手")["hits"][0]
    assert (hit["title"], hit["province"], hit["themes"]) == ("楼道微更新", "四川省", ["社区协商议事"])
    assert found(client, "扶手", theme="党建引领") == set()
    assert found(client, "扶手", theme="社区协商议事") == {case_id}


def test_a_case_edited_many_times_is_found_once(app, client, org_id):
    """Each save replaces the case's document; with the searcher refreshed after every save
    (and Whoosh merging segments along the way) the case must never appear twice or in an old form."""
    from portal.cases.models import Case

    case_id = make_case(app, org_id, "社区厨房", "社区厨房共享午餐。")
    other = make_case(app, org_id, "社区厨房二号", "社区厨房共享午餐。")
    for n in range(12):
        with app.app_context():
            _db.session.get(Case, case_id).approach = f"社区厨房第{n}次修改。"
            _db.session.commit()
        data = api(client, "社区厨房", per_page=50)
        assert sorted(h["id"] for h in data["hits"]) == sorted([case_id, other]), n
        assert data["total"] == 2
        assert found(client, f"第{n}次修改") == {case_id}
        if n:
            assert found(client, f"第{n - 1}次修改") == set()


def test_renaming_a_theme_updates_facet_values(app, client, org_id):
    from sqlalchemy import select

    from portal.cases.models import Theme
    from portal.cases.services import rename_theme

    a = make_case(app, org_id, "案例一", "修缮健身器材。", themes=["养老服务"])
    b = make_case(app, org_id, "案例二", "修缮健身器材。", themes=["养老服务", "党建引领"])
    c = make_case(app, org_id, "案例三", "修缮健身器材。", themes=["党建引领"])

    with app.app_context():
        theme = _db.session.scalar(select(Theme).where(Theme.name == "养老服务"))
        rename_theme(None, theme, "为老服务")
        _db.session.commit()

    assert found(client, "", theme="为老服务") == {a, b}
    assert found(client, "", theme="养老服务") == set()
    data = api(client, "健身器材")
    assert facet(data, "theme") == {"为老服务": 2, "党建引领": 2}
    assert {h["id"]: h["themes"] for h in data["hits"]} == {a: ["为老服务"], b: ["党建引领", "为老服务"],
                                                          c: ["党建引领"]}


def test_renaming_an_organization_updates_hits(app, client, org_id):
    from portal.orgs.models import Organization

    a = make_case(app, org_id, "案例一", "修缮健身器材。")
    b = make_case(app, org_id, "案例二", "修缮健身器材。")
    assert {h["organization"] for h in api(client, "健身器材")["hits"]} == {ORG_NAME}

    with app.app_context():
        _db.session.get(Organization, org_id).name = "明德邻里互助协会"
        _db.session.commit()

    hits = api(client, "健身器材")["hits"]
    assert {h["id"]: h["organization"] for h in hits} == {a: "明德邻里互助协会", b: "明德邻里互助协会"}
    assert found(client, "互助协会") == {a, b}


# Highlights -------------------------------------------------------------------------------------

def test_highlight_comes_from_the_best_passage_deep_in_the_body(app, client, org_id):
    filler = "居民反映问题较多，项目团队逐户走访记录需求。" * 12  # 264 characters without the word
    body = filler + "关键在于建立社区微基金，由居民共同管理。" + filler
    case_id = make_case(app, org_id, "居民自治项目", body)
    assert body.index("微基金") > 200

    hit = api(client, "微基金")["hits"][0]
    assert hit["id"] == case_id
    assert any("<mark>微基金</mark>" in h for h in hit["highlights"]), hit["highlights"]
    assert hit["highlights"][0].startswith("…") and "由居民共同管理" in hit["highlights"][0]

    page = page_of(client.get("/search", query_string={"q": "微基金"}))
    assert "<mark>微基金</mark>" in page
    assert "建立社区<mark>微基金</mark>" in page


def test_a_snippet_from_a_table_keeps_its_cells_and_rows_apart(app, client, org_id):
    body = ("服务前后对比如下：\n\n| 指标 | 项目前 | 项目后 |\n|---|:--:|---|\n| 个案 | 不足 5 个 | 41 个 |\n"
            "| 自主设计的社区项目 | 0 | 4 个 |\n\n居民议事成为常态。")
    make_case(app, org_id, "议事协商项目", body)
    [hit] = api(client, "自主设计")["hits"]
    snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", " ".join(hit["highlights"])))
    assert "个案 · 不足 5 个 · 41 个； 自主设计的社区项目 · 0 · 4 个；" in snippet, snippet
    assert "|" not in snippet and "---" not in snippet


def test_a_snippet_never_ends_or_starts_inside_a_number():
    from portal.search.highlights import best_passages

    text = "项目" * 30 + "编号20231101的站点 755 个，服务 12345 户。" + "其他" * 40
    for width in range(8, 60):  # windows starting and ending at every place around the numbers
        [snippet] = best_passages(text, ["站点"], width=width)
        plain = re.sub(r"<[^>]+>", "", str(snippet)).strip("…")
        numbers = re.findall(r"\d+", plain)
        assert all(n in ("20231101", "755", "12345") for n in numbers), (width, plain)


def test_highlights_escape_case_text(app, client, org_id):
    make_case(app, org_id, "标题<b>加粗</b>", "正文里写着<script>alert(1)</script>微基金。")
    page = page_of(client.get("/search", query_string={"q": "微基金"}))
    assert "<script>alert(1)</script>" not in page
    assert "<mark>微基金</mark>" in page


# The search page ------------------------------------------------------------------------------------

def result_titles(page: str) -> list[str]:
    return [text_of(t) for t in re.findall(r'<li class="result card">\s*<h2><a href="/cases/\d+">(.*?)</a></h2>',
                                           page, re.S)]


@pytest.fixture
def library(app, factory, snapshot):
    """25 published cases about 健身器材 (one commit), numbered in publication order; cases 1-5 are
    in 四川省 by another unit; odd numbers have the theme 数字化治理, even ones 党建引领. Built once
    per backend and restored for each test (conftest.snapshot)."""
    def build():
        org_id = make_org(factory)
        _uid, email = factory.user()
        other = factory.org(email, name="河畔服务队", org_type="其他", province="四川省")
        with app.app_context():
            ids = []
            for n in range(1, 26):
                sichuan = n <= 5
                ids.append(add_case(
                    other if sichuan else org_id, f"健身角第{n:02d}号", "修缮健身器材。",
                    themes=["数字化治理"] if n % 2 else ["党建引领"],
                    province="四川省" if sichuan else "贵州省", city="成都市" if sichuan else "贵阳市",
                    published_at=datetime(2024, 1, n)))
            _db.session.commit()
        return ids

    return snapshot(build, "library")


def test_search_page_shows_count_facets_and_pages(client, library):
    page = page_of(client.get("/search", query_string={"q": "健身器材"}))
    assert "“健身器材”共找到 25 个案例" in text_of(page)
    assert len(result_titles(page)) == 10
    assert "第 1 / 3 页" in text_of(page)
    assert re.search(r'<a rel="next" href="/search\?[^"]*page=2[^"]*">下一页</a>', page)
    assert 'rel="prev"' not in page
    # Facets with counts, linking to the filtered search.
    facets = re.search(r'<aside class="filter-panel facets".*?</aside>', page, re.S).group(0)
    assert re.search(r'<a href="[^"]*province=%E5%9B%9B%E5%B7%9D%E7%9C%81[^"]*">四川省</a>\s*'
                     r'<span class="muted">\(5\)</span>', facets), facets
    assert re.search(r'>贵州省</a>\s*<span class="muted">\(20\)</span>', facets)
    assert re.search(r'>数字化治理</a>\s*<span class="muted">\(13\)</span>', facets)
    assert re.search(r'>党建引领</a>\s*<span class="muted">\(12\)</span>', facets)

    last = page_of(client.get("/search", query_string={"q": "健身器材", "page": 3}))
    assert len(result_titles(last)) == 5
    assert "第 3 / 3 页" in text_of(last)
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_search_page_sort_by_newest(client, library):
    page = page_of(client.get("/search", query_string={"q": "健身器材", "sort": "newest"}))
    assert result_titles(page) == [f"健身角第{n:02d}号" for n in range(25, 15, -1)]
    assert "<strong>最新</strong>" in page
    second = page_of(client.get("/search", query_string={"q": "健身器材", "sort": "newest", "page": 2}))
    assert result_titles(second) == [f"健身角第{n:02d}号" for n in range(15, 5, -1)]
    # The next-page link keeps the sort order.
    link = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', page).group(1))
    assert "sort=newest" in link and "page=2" in link

    # Without a query, the library is listed newest first.
    everything = page_of(client.get("/search"))
    assert "共 25 个已发布案例" in text_of(everything)
    assert result_titles(everything)[0] == "健身角第25号"


def test_search_page_filter_chips_with_remove_links(client, library):
    page = page_of(client.get("/search", query_string={"q": "健身器材", "province": "四川省", "theme": "数字化治理"}))
    assert "“健身器材”共找到 3 个案例" in text_of(page)  # 1, 3, 5
    chips = re.search(r'<ul class="chips".*?</ul>', page, re.S).group(0)
    remove = {text_of(label): html.unescape(href)
              for href, label in re.findall(r'<a class="chip chip-remove" href="([^"]+)"[^>]*>(.*?)</a>', chips, re.S)}
    assert set(remove) == {"省份：四川省 ×", "主题：数字化治理 ×"}
    without_province = client.get(remove["省份：四川省 ×"])
    assert "province=" not in remove["省份：四川省 ×"] and "theme=" in remove["省份：四川省 ×"]
    assert "“健身器材”共找到 13 个案例" in text_of(page_of(without_province))
    assert "清除全部筛选" in chips
    # The active facet value is shown but not as a link.
    assert re.search(r"<strong>四川省</strong> \(3\)", page)
    # The search form keeps the filters.
    assert '<input type="hidden" name="province" value="四川省">' in page


def test_empty_state_suggests_popular_themes(client, library):
    page = page_of(client.get("/search", query_string={"q": "火星基地"}))
    text = text_of(page)
    assert "“火星基地”共找到 0 个案例" in text
    assert "没有找到符合条件的案例" in text
    popular = re.search(r"热门主题：(.*?)</p>", page, re.S).group(1)
    assert re.search(r'<a class="chip" href="/search\?theme=[^"]+">数字化治理 \(13\)</a>', popular)
    assert "党建引领 (12)" in popular

    filtered = page_of(client.get("/search", query_string={"q": "健身器材", "province": "西藏自治区"}))
    assert "去掉筛选条件再试" in filtered


# Bad input -----------------------------------------------------------------------------------------

BAD_QUERIES = [
    '"社区', '社区"', '"', '""', '-', '--', '-"', 'OR', 'OR OR', '健身器材 OR', 'OR 健身器材', '- OR "',
    "健身\x00器材", "\x1b[31m健身器材", "*站", "?站", "站*", "社?站", "（）【】", "的", "&lt;script&gt;",
    "<script>alert(1)</script>", "' OR 1=1 --", "%", "\\", "健身 " * 1000, "a" * 5000, "\ud7ff", "😀",
]


def test_odd_queries_never_fail(client, library):
    for q in BAD_QUERIES:
        response = client.get("/search", query_string={"q": q})
        assert response.status_code == 200, repr(q)
        assert re.search(r"共找到 \d+ 个案例|共 \d+ 个已发布案例", text_of(page_of(response))), repr(q)
        assert api(client, q)["total"] >= 0


def test_a_query_with_nothing_to_search_lists_every_case_and_says_so(client, library):
    for q, note in (("！！！", "只有标点或符号"), ("OR", "OR 要写在两个词语之间"), ("OR OR", "OR 要写在两个词语之间")):
        text = text_of(page_of(client.get("/search", query_string={"q": q})))
        assert note in text, q
        assert "共 25 个已发布案例" in text and "共找到" not in text, q  # not "“！！！”共找到 25 个案例"
        assert "汇编为 PDF" not in text, q
    assert "OR 要写在两个词语之间" not in text_of(page_of(client.get("/search", query_string={"q": "健身器材 OR"})))


def test_control_characters_are_not_echoed_back(client, library):
    page = page_of(client.get("/search", query_string={"q": "健身\x00器材"}))
    assert "已忽略查询中的控制字符。" in page
    assert "\x00" not in page and "\ufffd" not in page
    assert not re.search(r'href="[^"]*%00', page), "links (facets, sort, PDF) carry the query without it"
    assert 'value="健身 器材"' in page and "<title>搜索：健身 器材" in page
    assert "“健身 器材”共找到 25 个案例" in text_of(page)
    only = text_of(page_of(client.get("/search", query_string={"q": "\x00"})))
    assert "已忽略查询中的控制字符。" in only and "共 25 个已发布案例" in only and "“”" not in only


def test_the_filter_panel_is_shown_only_when_it_has_something_to_offer(client, library):
    found_page = page_of(client.get("/search", query_string={"q": "健身器材"}))
    assert 'class="with-sidebar"' in found_page and 'class="filter-toggle"' in found_page
    empty = page_of(client.get("/search", query_string={"q": "潜水艇"}))
    assert "没有找到符合条件的案例" in empty
    assert 'class="filter-toggle"' not in empty and "filter-panel" not in empty  # no empty box, no 筛选 button


def test_lone_operators_and_unbalanced_quotes_behave_sensibly(client, library):
    assert api(client, '"健身器材')["total"] == 25
    assert api(client, '健身器材"')["total"] == 25
    assert api(client, "健身器材 OR")["total"] == 25
    assert api(client, "OR 健身器材")["total"] == 25
    assert api(client, "健身器材 -")["total"] == 25
    assert api(client, "健身器材 -四川省")["total"] == 20


def test_long_query_is_cut_with_a_note(client, library):
    q = "健身器材 " + "啊" * 5000
    page = page_of(client.get("/search", query_string={"q": q}))
    assert "查询过长，只使用了前 200 个字符。" in page
    assert "查询过长" in " ".join(api(client, q)["notes"])


def test_control_characters_are_ignored(client, library):
    assert api(client, "健身\x00器材")["total"] == 25
    assert api(client, "\x1b健身器材\x07")["total"] == 25


def test_wildcards_are_ignored_with_a_note(client, app, org_id):
    a = make_case(app, org_id, "案例一", "建好社工站。")
    b = make_case(app, org_id, "案例二", "在车站附近开展宣传。")
    for q in ("*站", "?站", "站*", "站？"):
        data = api(client, q, per_page=50)
        assert {h["id"] for h in data["hits"]} == {a, b}, q
        assert "不支持通配符（* 和 ?），已忽略。" in data["notes"]
    assert "不支持通配符" in page_of(client.get("/search", query_string={"q": "*站"}))


def test_page_numbers(client, library):
    response = client.get("/search", query_string={"q": "健身器材", "page": 99999})
    assert response.status_code == 200
    text = text_of(page_of(response))
    assert "最多显示前 100 页结果" not in text, "3 pages: the cap of 100 is not what emptied the page"
    assert "这一页没有结果：共 3 页。 回到第一页 · 最后一页" in text
    assert 'href="/search?q=%E5%81%A5%E8%BA%AB%E5%99%A8%E6%9D%90&amp;page=3">最后一页' in page_of(response)
    assert api(client, "健身器材", page=99999)["hits"] == []

    for bad in ("abc", "-1", "0", "1.5", "²", "①", "1e3"):
        response = client.get("/search", query_string={"q": "健身器材", "page": bad})
        assert response.status_code == 400, bad
        page = page_of(response)
        assert re.search(r'<p class="notice notice-error" role="alert">[^<]*须为正整数</p>', page), bad
        assert "共找到 25 个案例" in text_of(page), "the first page is still shown"

        response = client.get("/api/v1/search", query_string={"q": "健身器材", "page": bad})
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["code"] == 400


def test_pages_past_the_cap_show_its_last_page_with_a_note(client, library, monkeypatch):
    from portal.search import service

    monkeypatch.setattr(service, "MAX_PAGE", 2)  # 3 pages of 10: more than the cap
    text = text_of(page_of(client.get("/search", query_string={"q": "健身器材", "page": 7})))
    assert "最多显示前 2 页结果。" in text and "第 2 / 3 页" in text
    again = text_of(page_of(client.get("/search", query_string={"q": "健身器材", "page": 2})))
    assert "最多显示前" not in again, "the note is not kept with the result"


def test_the_pdf_link_compiles_what_the_page_lists_filters_included(app, client, library):
    from portal.compilations.services import select_cases

    page = page_of(client.get("/search", query_string={"q": "健身器材", "province": "四川省"}))
    href = html.unescape(re.search(r'class="compile-link" href="([^"]+)"', page).group(1))
    assert href.startswith("/compilations/build?") and "filter_province=" in href
    with app.app_context():
        narrowed = select_cases("search", "健身器材", {"province": "四川省"})
        whole = select_cases("search", "健身器材")
    assert len(narrowed.case_ids) == 5 and len(whole.case_ids) == 25
    assert "省份：四川省" in narrowed.subtitle and narrowed.name != whole.name  # kept apart in the cache
    refused = client.get("/compilations/build", query_string={"theme": "1", "filter_year": "2022"})
    assert refused.status_code == 400 and "筛选条件只能用于搜索结果的汇编" in page_of(refused)


def test_pages_and_sort_keep_the_page_size(client, library):
    page = page_of(client.get("/search", query_string={"q": "健身器材", "per_page": 3}))
    nxt = html.unescape(re.search(r'<a rel="next" href="([^"]+)"', page).group(1))
    assert "per_page=3" in nxt and "page=2" in nxt
    newest = html.unescape(re.search(r'<a href="([^"]+)">最新</a>', page).group(1))
    assert "per_page=3" in newest
    assert "per_page" not in html.unescape(re.search(r'<a rel="next" href="([^"]+)"',
                                                     page_of(client.get("/search", query_string={"q": "健身器材"}))).group(1))


def test_the_search_page_in_english(client, library):
    client.set_cookie("lang", "en")  # the footer's language switch
    page = page_of(client.get("/search", query_string={"q": "健身器材", "page": "abc"}))
    assert "Parameter page must be a positive integer" in page and "须为正整数" not in page
    page = page_of(client.get("/search", query_string={"q": "健身器材", "province": "四川省"}))
    assert "<title>Search: 健身器材" in page and "：四川省" not in page
    one = text_of(page_of(client.get("/search", query_string={"q": "！！！", "province": "四川省", "page": 3})))
    assert "there is 1 page." in one


def test_api_rejects_bad_parameters_as_json(client, library):
    for params, word in (({"per_page": 1000}, "每页数量"), ({"per_page": 0}, "每页数量"),
                         ({"per_page": "x"}, "per_page"), ({"sort": "random"}, "排序")):
        response = client.get("/api/v1/search", query_string={"q": "健身器材", **params})
        assert response.status_code == 400, params
        assert response.is_json
        error = response.get_json()["error"]
        assert error["code"] == 400 and word in error["message"], error
    assert client.get("/search", query_string={"per_page": 1000}).status_code == 400
    assert api(client, "健身器材", per_page=50)["per_page"] == 50


# The API contract ----------------------------------------------------------------------------------

def test_api_contract(client, app, org_id):
    case_id = make_case(app, org_id, "社区厨房", "社区厨房共享午餐。", themes=["养老服务", "党建引领"],
                        published_at=datetime(2024, 5, 6, 7, 8, 9), started_on=date(2023, 1, 1))
    data = api(client, "社区厨房", theme="养老服务", province="贵州省", year="2023", page=1, per_page=5)
    assert set(data) >= {"total", "page", "hits", "facets"}
    assert (data["total"], data["page"], data["per_page"]) == (1, 1, 5)
    [hit] = data["hits"]
    assert set(hit) == {"id", "title", "url", "summary", "highlights", "themes", "province", "organization",
                        "published_at"}
    assert hit["id"] == case_id
    assert hit["title"] == "社区厨房"
    assert hit["url"] == f"http://localhost/cases/{case_id}"
    assert hit["summary"] == "一个基层实践案例。"
    assert any("<mark>社区厨房</mark>" in h for h in hit["highlights"])
    assert hit["themes"] == ["党建引领", "养老服务"]  # in vocabulary order
    assert (hit["province"], hit["organization"]) == ("贵州省", ORG_NAME)
    assert hit["published_at"].startswith("2024-05-06T07:08:09")
    assert set(data["facets"]) >= {"theme", "province", "year", "community_type", "org_type"}
    for name in ("theme", "province", "year"):
        assert all(set(item) == {"value", "count"} for item in data["facets"][name])
    assert data["facets"]["year"] == [{"value": "2023", "count": 1}]
    assert client.get(hit["url"].replace("http://localhost", "")).status_code == 200


# Type-ahead suggestions -------------------------------------------------------------------------

def test_suggestions_from_titles_themes_and_organizations(app, client, factory, org_id):
    _uid, email = factory.user()
    unit = factory.org(email, name="阳光社工服务中心", org_type="社工机构")
    pending = factory.user()[1]
    factory.org(pending, name="社工筹备小组", status="pending")
    make_case(app, unit, "社工陪伴留守儿童", "陪伴留守儿童。")
    make_case(app, unit, "社工草稿案例", "陪伴留守儿童。", status="draft")

    response = client.get("/search/suggest", query_string={"q": "社工"})
    assert response.status_code == 200
    suggestions = response.get_json()["suggestions"]
    by_type = {}
    for s in suggestions:
        by_type.setdefault(s["type"], []).append(s["label"])
    assert by_type["case"] == ["社工陪伴留守儿童"]
    assert set(by_type["theme"]) == {"社工站建设", "司法社工"}
    assert by_type["organization"] == ["阳光社工服务中心"]
    for s in suggestions:  # where each one leads: tests/test_search_suggest.py
        assert client.get(s["url"]).status_code == 200

    assert client.get("/search/suggest", query_string={"q": ""}).get_json() == {"suggestions": []}
    assert client.get("/search/suggest", query_string={"q": "火星"}).get_json() == {"suggestions": []}


# Similar cases -------------------------------------------------------------------------------------

def similar_ids(client, case_id) -> list[int]:
    page = page_of(client.get(f"/cases/{case_id}"))
    section = re.search(r'<section class="similar".*?</section>', page, re.S)
    if section is None:
        return []
    assert "相似案例" in section.group(0)
    return [int(i) for i in re.findall(r'href="/cases/(\d+)"', section.group(0))]


def test_similar_cases_share_distinctive_terms(app, client, org_id):
    text = "推行时间银行，志愿者的服务时长存入积分账户，积分可兑换助餐、理发等助老服务。"
    target = make_case(app, org_id, "时间银行积分兑换助老", text * 2)
    similar = [make_case(app, org_id, f"时间银行实践{n}", f"第{n}期：" + text) for n in range(1, 8)]
    draft = make_case(app, org_id, "时间银行草稿", text * 3, status="draft")
    unrelated = make_case(app, org_id, "垃圾分类督导", "厨余垃圾与可回收物分拣，桶边督导员每日值守。",
                          themes=["数字化治理"])

    listed = similar_ids(client, target)
    assert len(listed) == 5
    assert set(listed) <= set(similar)
    assert target not in listed and draft not in listed and unrelated not in listed

    other = similar_ids(client, similar[0])
    assert len(other) == 5 and set(other) <= {target, *similar[1:]}
    assert unrelated not in similar_ids(client, similar[1])


def test_similar_cases_absent_when_nothing_is_related(app, client, org_id):
    lonely = make_case(app, org_id, "孤立案例", "垃圾分类督导员每日值守。", themes=["数字化治理"])
    make_case(app, org_id, "时间银行草稿", "垃圾分类督导员每日值守。", status="draft")
    page = page_of(client.get(f"/cases/{lonely}"))
    assert "相似案例" not in page
