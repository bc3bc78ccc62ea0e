"""The search backend contract (portal/search/backend.py), run against every backend: Whoosh,
and an in-memory backend written from the contract alone (tests/search_memory.py). A new backend
(PostgreSQL full text, …) is added to BACKENDS and must pass the same tests, with no change to
any caller.

Documents are made by the application's own case_document() from case-like objects and written
through the backend; two tests go the whole way through the database, the outbox and the
operator commands. Everything is read through portal.search.service, as the app reads it.
"""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from portal.extensions import db as _db
from portal.search import service
from portal.search.backend import IndexBusy, get_backend
from portal.search.documents import case_document
from tests import search_memory

# A fresh app per test: these tests change the app itself (rules, extensions, its index or
# view-count state), which the shared app of the other modules would carry over.
SHARED_APP = False

BACKENDS = ["whoosh", "memory", "postgres"]  # postgres: on the PostgreSQL database only (see conftest)


@pytest.fixture(params=BACKENDS)
def search_backend(request):
    return request.param


@pytest.fixture
def app_config(search_backend):
    return {"WTF_CSRF_ENABLED": False, "SEARCH_BACKEND": search_backend}


def doc(case_id: int, title: str, body: str = "", *, summary: str = "", themes=("党建引领",), province="贵州省",
        year=2022, community_type="城市社区", org_type="社工机构", sessions=(), published=None) -> dict:
    """The search document of a case-like object (no database), as case_document() makes it."""
    from portal.cases.models import SECTIONS

    case = SimpleNamespace(
        id=case_id, title=title, summary=summary, **{**dict.fromkeys(SECTIONS, ""), "approach": body},
        themes=[SimpleNamespace(name=t) for t in themes], tags=[], org=SimpleNamespace(name="明德互助中心", org_type=org_type),
        province=province, city="", county="", community="", community_type=community_type, year=year,
        published_at=published or datetime(2024, 1, case_id % 28 + 1), session_titles=list(sessions))
    return case_document(case)


def put(app, *docs) -> None:
    with app.app_context():
        assert get_backend().index_documents(docs) == len(docs)


def search(app, q: str = "", **params):
    with app.app_context():
        return service.search(q, **params)


def found(app, q: str = "", **params) -> set[int]:
    result = search(app, q, per_page=50, **params)
    assert result.total == len(result.hits), "fits on one page"
    return {hit.id for hit in result.hits}


def test_the_configured_backend_answers(app):
    with app.app_context():
        backend = get_backend()
    assert backend.name == app.config["SEARCH_BACKEND"]
    if backend.name == "memory":
        assert isinstance(backend, search_memory.MemoryBackend)


# Writing ---------------------------------------------------------------------------------------

def test_indexed_documents_are_found_replaced_and_deleted(app):
    put(app, doc(1, "屋顶菜园", "居民在屋顶开辟菜园。"), doc(2, "楼道路灯", "更换楼道路灯。"))
    assert found(app, "菜园") == {1}
    hit = search(app, "菜园").hits[0]
    assert (hit.title, hit.province, hit.themes) == ("屋顶菜园", "贵州省", ["党建引领"])
    assert "<mark>菜园</mark>" in str(hit.title_html) and any("<mark>" in str(h) for h in hit.highlights)

    put(app, doc(1, "社区书屋", "改建为社区书屋。"))  # the same id: replaced, not added
    assert found(app, "菜园") == set()
    assert found(app, "书屋") == {1}
    assert search(app).total == 2

    with app.app_context():
        get_backend().delete_documents(["1", "404"])  # an id that is not there is no error
        assert set(get_backend().indexed_stamps()) == {"2"}
    assert found(app, "书屋") == set()
    assert found(app) == {2}


def test_a_failed_batch_changes_nothing(app):
    put(app, doc(1, "屋顶菜园"))
    with app.app_context(), pytest.raises(RuntimeError):
        with get_backend().batch() as batch:
            batch.put(doc(2, "楼道路灯"))
            batch.delete("1")
            raise RuntimeError("the database read failed half-way")
    assert found(app) == {1}


def test_a_writer_waits_for_another_then_gives_up_with_index_busy(app):
    with app.app_context():
        with get_backend().batch(timeout=1):
            with pytest.raises(IndexBusy):
                get_backend().index_documents([doc(1, "屋顶菜园")], timeout=0.2)
        get_backend().index_documents([doc(1, "屋顶菜园")], timeout=1)
    assert found(app, "菜园") == {1}


def test_rebuild_replaces_everything_while_searches_keep_the_old_content(app):
    put(app, doc(1, "屋顶菜园"), doc(2, "楼道路灯"))
    seen = {}

    def documents():
        yield doc(3, "社区书屋")
        # Half-way: searches still see the old index, writers must wait.
        seen["during"] = found(app)
        with pytest.raises(IndexBusy):
            get_backend().index_documents([doc(9, "不该写入")], timeout=0.2)
        yield doc(2, "楼道路灯换新")

    with app.app_context():
        assert get_backend().rebuild(documents(), workers=1) == 2
    assert seen["during"] == {1, 2}
    assert found(app) == {2, 3}
    assert found(app, "换新") == {2}


# Matching --------------------------------------------------------------------------------------

@pytest.fixture
def words(app):
    put(app,
        doc(1, "屋顶菜园", "居民在屋顶开辟菜园，设立积分。"),
        doc(2, "加装电梯", "老楼加装电梯，设立积分。"),
        doc(3, "防汛演练", "汛期前组织防汛演练。"),
        doc(4, "电梯维保", "电梯定期维保，防汛物资入户。"))


def test_words_are_combined_with_and(app, words):
    assert found(app, "积分") == {1, 2}
    assert found(app, "电梯 积分") == {2}
    assert found(app, "电梯 防汛") == {4}
    assert found(app, "电梯 菜园 防汛") == set()


def test_or_and_exclusion(app, words):
    assert found(app, "菜园 OR 防汛") == {1, 3, 4}
    assert found(app, "积分 菜园 OR 电梯") == {1, 2}
    assert found(app, "电梯 -防汛") == {2}
    assert found(app, "-电梯") == {1, 3}


def test_a_quoted_phrase_needs_its_words_side_by_side_within_one_text(app):
    put(app,
        doc(1, "开辟屋顶菜园", "居民动手。"),
        doc(2, "屋顶上的一块菜园", "居民动手。"),
        doc(3, "改造屋顶", "居民动手。", summary="菜园里种菜。"))  # 屋顶 ends the title, 菜园 starts the summary
    assert found(app, "屋顶 菜园") == {1, 2, 3}
    assert found(app, '"屋顶菜园"') == {1}
    assert found(app, '"屋顶 菜园"') == {1}


def test_synonyms_and_short_words_inside_longer_ones(app):
    put(app, doc(1, "乡镇社会工作站", "社会工作站入户走访。"), doc(2, "苗绣坊", "成立苗绣坊，带动就业。"),
        doc(3, "无关案例", "居民议题讨论。"))
    assert found(app, "社工站") == {1}  # synonyms.txt: 社工站 = 社会工作站
    assert found(app, '"社工站"') == set()  # a quoted word is taken as typed
    assert found(app, "苗绣") == {2}  # not a dictionary word: also found inside 苗绣坊


def test_an_expansion_of_a_word_and_a_lone_character_matches_only_whole(app):
    """养老 = 为老服务 (synonyms.txt) segments as 老 + 服务: apart they are in most cases (a 寨老
    here, 服务 there), so the expansion counts only where it stands whole, and only then is it
    marked; the word as typed still matches anywhere."""
    put(app,
        doc(1, "火塘议事会", "寨老召集村民议事，社工提供服务。"),
        doc(2, "为老服务驿站", "驿站为老服务，天天开门。"),
        doc(3, "养老互助点", "村里的养老互助点。"))
    assert found(app, "养老") == {2, 3}
    hit = {h.id: h for h in search(app, "养老").hits}[2]
    marked = str(hit.title_html) + "".join(str(h) for h in hit.highlights)
    assert "<mark>为老服务</mark>" in marked
    assert "<mark>服务</mark>" not in marked


def test_a_query_of_function_words_only_finds_nothing_and_says_why(app, words):
    result = search(app, "的 和")
    assert result.total == 0 and result.hits == []
    assert any("虚词" in note for note in result.notes)


def test_relevance_puts_title_matches_first_and_newest_sorts_by_date(app):
    put(app,
        doc(1, "社区书屋开放", "居民自发管理。", published=datetime(2024, 3, 1)),
        doc(2, "楼道整治", "楼道里设了一个书屋。", published=datetime(2024, 5, 1)),
        doc(3, "邻里节", "邻里节上书屋展出。", published=datetime(2024, 4, 1)))
    assert [h.id for h in search(app, "书屋").hits][0] == 1
    assert [h.id for h in search(app, "书屋", sort="newest").hits] == [2, 3, 1]
    assert [h.id for h in search(app).hits] == [2, 3, 1]  # no query: the newest first


def test_a_case_about_the_word_outranks_one_that_says_it_more_often_in_passing(app, monkeypatch):
    """BM25 alone puts the report that says 书屋 four times at its end first; the case named for
    it, which says it first thing, ranks first (results.rerank: title, opening, density)."""
    filler = "居民议事会讨论了停车、绿化和照明等事项。" * 20
    put(app,
        doc(1, "邻里节活动回顾", filler + "会后大家参观了书屋、书屋旁的书屋角和书屋长廊。"),
        doc(2, "书屋开放", "书屋每天向居民开放。" + filler * 3),
        doc(3, "楼道整治", "楼道照明更新。"))
    with app.app_context():
        if get_backend().name == "memory":  # the contract's fake ranks by plain tf-idf
            return
    assert [h.id for h in search(app, "书屋").hits] == [2, 1]
    assert [h.id for h in search(app, "书屋", per_page=1).hits] == [2], "a short page is the head of the long one"
    assert [h.id for h in search(app, "书屋", per_page=1, page=2).hits] == [1]
    monkeypatch.setattr("portal.search.results.RERANK_DEPTH", 0)
    with app.app_context():
        get_backend().forget_results()
    assert [h.id for h in search(app, "书屋").hits] == [1, 2], "by score alone the other way round"


# Facets and pages -------------------------------------------------------------------------------

@pytest.fixture
def library(app):
    put(app, *[doc(n, f"社区书屋第{n}期", "书屋向居民开放。",
                   themes=("党建引领", "文化服务") if n % 3 == 0 else ("文化服务",),
                   province="四川省" if n <= 3 else "贵州省", year=2020 + n % 3,
                   sessions=("2024年春季分享会",) if n == 1 else ()) for n in range(1, 8)],
        doc(8, "防汛演练", "汛期前组织演练。", themes=("应急管理",), year=2019))


def facet(result, name: str) -> dict[str, int]:
    return dict(result.facets[name])


def test_facet_counts_follow_the_query_and_the_filters(app, library):
    everything = search(app)
    assert facet(everything, "theme") == {"文化服务": 7, "党建引领": 2, "应急管理": 1}
    assert [value for value, _n in everything.facets["theme"]] == ["文化服务", "党建引领", "应急管理"]
    assert [value for value, _n in everything.facets["year"]] == ["2022", "2021", "2020", "2019"]  # newest first
    assert set(everything.facets) == set(service.FACETS)

    result = search(app, "书屋")
    assert result.total == 7
    assert facet(result, "province") == {"贵州省": 4, "四川省": 3}
    assert facet(result, "session") == {"2024年春季分享会": 1}

    filtered = search(app, "书屋", filters={"province": "四川省", "theme": "党建引领"})  # theme: one of several
    assert {h.id for h in filtered.hits} == {3} and filtered.total == 1
    assert facet(filtered, "theme") == {"党建引领": 1, "文化服务": 1}
    assert search(app, "书屋", filters={"year": "2019"}).total == 0
    with app.app_context():
        assert dict(service.facets({"province": "四川省"})["theme"]) == {"文化服务": 3, "党建引领": 1}


def test_pages_split_the_total(app, library):
    first = search(app, "书屋", per_page=3)
    assert (first.total, first.pages, len(first.hits)) == (7, 3, 3)
    pages = [first] + [search(app, "书屋", per_page=3, page=n) for n in (2, 3)]
    ids = [h.id for page in pages for h in page.hits]
    assert sorted(ids) == list(range(1, 8))
    assert len(pages[2].hits) == 1
    beyond = search(app, "书屋", per_page=3, page=4)
    assert beyond.total == 7 and beyond.hits == []


# Partial matches ------------------------------------------------------------------------------

def test_few_strict_results_are_followed_by_partial_matches_naming_the_missing_words(app):
    put(app,
        doc(1, "电梯与菜园", "加装电梯，开辟菜园，设立积分。"),
        doc(2, "电梯和菜园", "加装电梯，开辟菜园。"),
        doc(3, "只有电梯", "加装电梯。"),
        doc(4, "防汛演练", "组织演练。"))
    result = search(app, "电梯 菜园 积分")
    assert [h.id for h in result.hits] == [1]
    assert [(h.id, h.missing) for h in result.partial] == [(2, ["积分"])]  # 3 holds one word of three

    result = search(app, "电梯 防汛 书屋 路灯")  # no case holds half the words: those holding the most
    assert result.total == 0
    assert {h.id for h in result.partial} == {1, 2, 3, 4}
    assert {h.id: h.missing for h in result.partial}[4] == ["电梯", "书屋", "路灯"]

    assert search(app, "电梯 菜园 积分", filters={"province": "四川省"}).partial == []
    assert search(app, "电梯 OR 菜园 积分").partial == []  # only for plain words
    assert search(app, '"电梯" 菜园 积分').partial == []



def test_a_dictionary_compound_found_nowhere_is_followed_by_the_cases_holding_its_parts(app):
    """居家养老 is one word to the segmenter: a case saying 居家 here and 养老 there does not hold
    it, so strict matching finds nothing and a one-word query has no partial matches. The cases
    holding its parts follow as the closest results, each naming the word it lacks."""
    put(app,
        doc(1, "上门服务", "为居家的独居老人提供养老照护。"),
        doc(2, "居家安全", "居家安全检查。"),
        doc(3, "社区书屋", "书屋向居民开放。"))
    result = search(app, "居家养老")
    assert result.total == 0 and result.hits == []
    assert [(h.id, h.missing) for h in result.partial][:1] == [(1, ["居家养老"])]
    assert {h.id for h in result.partial} <= {1, 2}  # 2 holds one part of two: after 1, if at all
    assert search(app, "居家养老", filters={"province": "四川省"}).partial == []

    put(app, doc(4, "居家养老服务", "居家养老服务中心。"))
    result = search(app, "居家养老")
    assert [h.id for h in result.hits] == [4] and result.partial == []  # found whole: no fallback
    assert search(app, "五社联动").partial == []  # no parts that cover it: nothing to fall back to


def test_each_page_of_a_split_word_ranks_the_whole_word_as_the_full_ranking_does(app):
    """A case holding a split word whole (老人吃饭难) earns a bonus; a backend may skip checking
    the cases that cannot reach the page with it, but a short page is the head of the long one."""
    put(app, *[doc(i, f"案例{i}", "老人。" * (i % 4 + 1) + "吃饭。" * (i % 3 + 1) + "很难。") for i in range(1, 13)],
        *[doc(i, f"案例{i}", "老人吃饭难。" + "老人。" * (i % 2)) for i in range(13, 17)])
    full = [h.id for h in search(app, "老人吃饭难", per_page=50).hits]
    with app.app_context():
        if get_backend().name != "memory":  # the contract's fake matches the word as a phrase, with no bonus
            assert sorted(full) == list(range(1, 17)) and set(full[:4]) == {13, 14, 15, 16}, "the whole word first"
    for size in range(1, 9):
        assert [h.id for h in search(app, "老人吃饭难", per_page=size).hits] == full[:size]
        assert [h.id for h in search(app, "老人吃饭难", per_page=size, page=2).hits] == full[size:2 * size]


def test_few_results_are_followed_by_related_cases_found_through_their_words(app):
    """Pseudo-relevance feedback: the words of the best results (屋顶, 认领, 蔬菜) find cases
    that lack the query's word; they fill the last page after the strict results, never mix
    with them, and keep to the filters."""
    put(app,
        doc(1, "屋顶菜园", "居民认领屋顶菜园，种植蔬菜，收获分给独居老人。"),
        doc(2, "楼顶菜园", "屋顶菜园由居民认领，蔬菜分给独居老人。"),
        doc(3, "屋顶种菜", "居民认领屋顶花箱种植蔬菜，分给独居老人。", province="四川省"),
        doc(4, "防汛演练", "汛期前组织演练。"))
    result = search(app, "菜园")
    assert sorted(h.id for h in result.hits) == [1, 2] and result.partial == []
    with app.app_context():
        if get_backend().name == "memory":  # the contract's fake lists no related cases
            return
    assert [h.id for h in result.related] == [3]
    assert search(app, "菜园", filters={"province": "贵州省"}).related == []
    assert search(app, "菜园", sort="newest").related == []
    assert search(app, "菜园", per_page=2).related == []  # no room left on the page
    assert [h.id for h in search(app, "菜园", per_page=3).related] == [3]


# Similar cases ---------------------------------------------------------------------------------

def test_similar_cases_share_distinctive_words_and_never_include_the_case(app):
    put(app,
        doc(1, "屋顶菜园", "居民在屋顶开辟菜园，种植蔬菜，收获分享给独居老人。"),
        doc(2, "阳台菜园", "居民在阳台开辟菜园，种植蔬菜，分享给邻居。"),
        doc(3, "防汛演练", "汛期前组织防汛演练，转移群众。", themes=("应急管理",)),
        doc(4, "楼道路灯", "更换楼道路灯。", themes=("应急管理",)))
    with app.app_context():
        similar = service.similar(1, limit=2)
        assert similar and similar[0].id == 2
        assert 1 not in {h.id for h in similar} and len(similar) <= 2
        assert 2 not in {h.id for h in service.similar(2)}
        assert {h.id for h in service.similar(3)} == {4}  # the theme they share
        assert service.similar(404) == []


def test_similar_cases_are_kept_until_the_index_changes(app, monkeypatch):
    put(app, doc(1, "屋顶菜园", "居民在屋顶开辟菜园，种植蔬菜。"), doc(2, "阳台菜园", "居民在阳台开辟菜园。"))
    with app.app_context():
        backend = get_backend()
        calls = []
        original = backend.similar
        monkeypatch.setattr(backend, "similar", lambda case_id, limit=5: calls.append(case_id) or original(case_id, limit))
        token = backend.generation()
        assert token is not None and backend.generation() == token  # unchanged while nothing is written
        assert service.similar_ids(1) == [2]
        assert service.similar_ids(1) == [2]
        assert calls == [1]
    put(app, doc(3, "楼顶菜园", "居民在楼顶开辟菜园，种植蔬菜。"))
    with app.app_context():
        assert backend.generation() != token
        assert 3 in service.similar_ids(1)
        assert calls == [1, 1]
        with backend.batch() as batch:
            batch.delete("3")
        assert 3 not in service.similar_ids(1)
        assert calls == [1, 1, 1]


# The database side: outbox, check, reindex ------------------------------------------------------

@pytest.fixture
def org_id(factory):
    _uid, email = factory.user()
    return factory.org(email, name="明德互助中心")


def test_published_cases_reach_the_index_through_the_outbox(app, factory, org_id):
    from portal.cases.models import Case
    from portal.cases.services import transition

    case_id = factory.case(org_id, "屋顶菜园", body="居民在屋顶开辟菜园。")
    factory.case(org_id, "楼道路灯", body="更换楼道路灯。", status="submitted")
    assert found(app, "菜园") == {case_id}
    assert found(app) == {case_id}

    with app.app_context():
        transition(None, _db.session.get(Case, case_id), "archive")
        _db.session.commit()
    assert found(app, "菜园") == set()
    with app.app_context():
        assert service.check().consistent


def test_check_names_missing_stale_and_extra_documents_and_reindex_repairs_them(app, factory, org_id):
    ok = factory.case(org_id, "屋顶菜园", body="居民开辟菜园。")
    missing = factory.case(org_id, "楼道路灯", body="更换楼道路灯。")
    stale = factory.case(org_id, "社区书屋", body="改建社区书屋。")
    with app.app_context():
        report = service.check()
        assert (report.consistent, report.indexed, report.expected) == (True, 3, 3)

        backend = get_backend()
        backend.delete_documents([str(missing)])
        backend.index_documents([{**doc(stale, "社区书屋（改）"), "id": str(stale)}, doc(99999, "伪造的文档")])
        report = service.check()
        assert (report.missing, report.stale, report.extra) == ([str(missing)], [str(stale)], ["99999"])
        assert (report.consistent, report.indexed, report.expected) == (False, 3, 3)

        assert service.reindex(workers=1) == 3
        assert service.check().consistent
    assert found(app) == {ok, missing, stale}
