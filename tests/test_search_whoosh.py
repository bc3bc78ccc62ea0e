"""The Whoosh backend's own behaviour, beyond the contract every backend meets
(tests/test_search_contract.py): the index directory and its atomic swap on `search reindex`,
the word list read straight from a segment's term file, indexes written by earlier code.

The one test module, with the benchmark, allowed to import portal.search.whoosh
(tests/test_search_backend.py checks the others).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from portal.search import sync
from portal.search.backend import IndexBusy, get_backend
from portal.search.whoosh import analysis
from portal.search.whoosh import index as search_index
from portal.search.whoosh.matching import _lexicon
from tests.test_search import found, make_case, make_org
from tests.test_search_sync import outbox


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False, "SEARCH_BACKEND": "whoosh"}


@pytest.fixture
def org_id(factory):
    return make_org(factory)


def current_target(app) -> Path:
    link = Path(app.config["SEARCH_INDEX_DIR"]) / "current"
    assert link.is_symlink()
    return link.parent / os.readlink(link)


# search reindex ------------------------------------------------------------------------------------

def test_reindex_keeps_searches_working_and_applies_changes_made_meanwhile(app, client, runner, org_id,
                                                                           monkeypatch):
    cases = [make_case(app, org_id, f"社区厨房{n}", "社区厨房共享午餐。") for n in range(3)]
    assert found(client, "社区厨房") == set(cases)
    old = current_target(app)
    seen = {}
    real_swap = search_index.swap_current

    def swap_after_probing(base, target):
        # The new index is complete but not yet current: readers still use the old one,
        # writers must wait (their changes stay in the outbox).
        seen["during"] = found(client, "社区厨房")
        app.config["SEARCH_SYNC"] = "off"
        seen["added"] = make_case(app, org_id, "重建期间发布", "社区厨房共享午餐。")
        with pytest.raises(IndexBusy):
            sync.drain(app, lock_timeout=0.2)
        seen["during_after_publish"] = found(client, "社区厨房")
        real_swap(base, target)

    monkeypatch.setattr(search_index, "swap_current", swap_after_probing)
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "已重建索引：3 个已发布案例" in result.output
    assert "另外应用了重建期间的 1 个更新。" in result.output

    assert seen["during"] == set(cases)
    assert seen["during_after_publish"] == set(cases)
    assert found(client, "社区厨房") == {*cases, seen["added"]}
    assert outbox(app) == set()
    new = current_target(app)
    assert new != old and new.is_dir() and not old.exists()
    assert sorted(p.name for p in new.parent.iterdir() if not p.name.startswith(".")) == ["current", new.name]
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_reindex_with_one_process_replaces_the_directory(app, client, runner, org_id):
    cases = [make_case(app, org_id, f"社区厨房{n}", "社区厨房共享午餐。") for n in range(2)]
    old = current_target(app)
    result = runner.invoke(args=["search", "reindex", "--procs", "1"])
    assert result.exit_code == 0, result.output
    assert not old.exists() and current_target(app).is_dir()
    assert found(client, "社区厨房") == set(cases)


# The segment's word list ---------------------------------------------------------------------------

def test_word_list_read_from_the_segment_matches_whoosh(app, org_id):
    """The substring fallback reads each segment's word list straight from the term file; it
    must list exactly the words Whoosh itself lists, on a segment with several fields."""
    for n, text in enumerate(["推动五社联动机制落地。", "建好社工站，GPS 定位手环。", "在车站附近开展宣传。"]):
        make_case(app, org_id, f"案例{n}", text)
    with app.app_context():
        with search_index.open_index(search_index.current_dir()).searcher() as searcher:
            for reader, _base in searcher.reader().leaf_readers():
                expected = [t.decode("utf-8") for t in reader.lexicon("all")]
                assert expected and _lexicon(reader, "all", {}) == expected
                assert _lexicon(reader, "no_such_field", {}) == []


# Indexes written by earlier code ---------------------------------------------------------------------

def test_an_index_whose_schema_names_the_old_module_paths_still_works(app, client, org_id, monkeypatch):
    """Whoosh pickles the schema, naming our tokenizer and postings format by module path. An
    index written while they lived in portal.search.analysis must keep working after the move
    (until `search reindex` rewrites it)."""
    with app.app_context():
        base = search_index.base_dir()
        base.mkdir(parents=True, exist_ok=True)
        with monkeypatch.context() as patch:
            for cls in (analysis.FieldsTokenizer, analysis.TermPositions):
                patch.setattr(cls, "__module__", "portal.search.analysis")
            target = search_index.new_index_dir(base)
        toc = b"".join(path.read_bytes() for path in target.glob("*.toc"))
        assert b"portal.search.analysis" in toc and b"portal.search.whoosh" not in toc
        search_index.swap_current(base, target)
        get_backend().reset_for_tests()

    case_id = make_case(app, org_id, "老索引里的新案例", "社区厨房共享午餐。")
    assert current_target(app) == target
    assert found(client, "社区厨房") == {case_id}


def test_an_index_built_before_documents_carried_their_terms_still_works(app, client, org_id, monkeypatch):
    """An index without the `terms` field (built before it existed): the outbox still writes to
    it, similar cases are found by segmenting the stored text, and `search check` lists its
    cases as stale, which `search reindex` fixes."""
    from portal.search import service
    from portal.search.whoosh import schema

    def old_schema():
        built = schema.build_schema()
        built.remove("terms")
        return built

    with app.app_context():
        base = search_index.base_dir()
        base.mkdir(parents=True, exist_ok=True)
        with monkeypatch.context() as patch:
            patch.setattr(search_index, "build_schema", old_schema)
            target = search_index.new_index_dir(base)
        search_index.swap_current(base, target)
        get_backend().reset_for_tests()
        assert "terms" not in search_index.open_index().schema

    text = "推行时间银行，志愿者的服务时长存入积分账户，积分可兑换助餐服务。"
    first = make_case(app, org_id, "时间银行积分兑换", text * 2)
    second = make_case(app, org_id, "时间银行实践", text)
    make_case(app, org_id, "垃圾分类督导", "厨余垃圾与可回收物分拣。", themes=["数字化治理"])
    assert found(client, "时间银行") == {first, second}
    with app.app_context():
        assert [h.id for h in service.similar(first)] == [second]
        assert len(service.check().stale) == 3
    assert runner_reindex(app)
    with app.app_context():
        assert "terms" in search_index.open_index().schema
        assert service.check().consistent
        assert [h.id for h in service.similar(first)] == [second]


def runner_reindex(app) -> bool:
    result = app.test_cli_runner().invoke(args=["search", "reindex", "--procs", "1"])
    assert result.exit_code == 0, result.output
    return True


# Warm-up before serving (gunicorn.conf.py) ------------------------------------------------------------

def segment_caches():
    from portal.search.whoosh.searchers import _searchers

    return _searchers, dict(_searchers.facet_cache)


def test_warm_up_loads_what_the_first_search_needs_and_releases_the_files(app, org_id):
    from portal.search import warm_up
    from portal.search.whoosh.schema import TEXT_FIELD

    make_case(app, org_id, "社区厨房", "社区厨房共享午餐，服务老人。")
    make_case(app, org_id, "楼道路灯", "更换社区楼道路灯，服务居民。")
    with app.app_context():
        get_backend().reset_for_tests()
    app.jinja_env.cache.clear()

    done = warm_up(app, release=True)

    assert done["search_total"] == 0 and done["sessions_total"] == 0 and done["synonyms"] > 0
    searchers, caches = segment_caches()
    assert searchers.searcher is None  # no open index file is left to a forked worker
    assert caches and all({"facets", ("lexicon", TEXT_FIELD), "lengths:" + TEXT_FIELD, "published"} <= set(c)
                          for c in caches.values())
    assert {"search/results.html", "base.html"} <= set(done["templates"])
    compiled = {name for _loader, name in app.jinja_env.cache.keys()}
    assert {"search/results.html", "base.html"} <= compiled

    # The next search reopens the files and reuses what was read.
    with app.app_context():
        assert found(app.test_client(), "社区厨房")
    searchers, after = segment_caches()
    assert searchers.searcher is not None
    assert all(after[key] is caches[key] for key in caches)


def test_a_forked_worker_opens_its_own_index_files_and_keeps_the_caches(app, org_id):
    from portal.search import service, warm_up

    case_id = make_case(app, org_id, "社区厨房", "社区厨房共享午餐。")
    warm_up(app)  # without release: the parent's searcher is open at the fork
    searchers, caches = segment_caches()
    parent_searcher = searchers.searcher
    assert parent_searcher is not None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            os.close(read)
            dropped = searchers.searcher is None
            with app.app_context(), app.test_request_context("/search"):
                hits = [h.id for h in service.search("社区厨房").hits]
            _s, after = segment_caches()
            report = {"dropped": dropped, "hits": hits, "own": searchers.searcher is not parent_searcher,
                      "kept": all(after[key] is caches[key] for key in caches)}
            os.write(write, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        report = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert report == {"dropped": True, "hits": [case_id], "own": True, "kept": True}
    assert searchers.searcher is parent_searcher  # the parent's files are its own still
    with app.app_context(), app.test_request_context("/search"):
        assert [h.id for h in service.search("社区厨房").hits] == [case_id]


# What a segment's searches read, saved beside it (index.write_beside) -------------------------------

def saved_files(app) -> dict[str, set[str]]:
    """{segment id: the names saved beside it} in the current index folder."""
    out: dict[str, set[str]] = {}
    with app.app_context():
        for path in search_index.current_dir().iterdir():
            segment, _, name = path.name.partition(".")
            if name in {"facets", "lexicon_all"}:
                out.setdefault(segment, set()).add(name)
    return out


def live_segments(app) -> set[str]:
    with app.app_context():
        ix = search_index.open_index(search_index.current_dir())
        return {segment.segment_id() for segment in ix._segments()}


def test_a_segments_word_list_and_facets_are_saved_and_read_back_by_the_next_process(app, client, org_id,
                                                                                      monkeypatch):
    from portal.search.whoosh import matching, searchers

    wuse = make_case(app, org_id, "五社联动议事会", "推动五社联动机制落地。")
    make_case(app, org_id, "车站宣传", "在车站附近开展宣传。")
    assert found(client, "五社") == {wuse}  # (五社: only inside 五社联动, through the word list)
    assert set(saved_files(app)) == live_segments(app)
    assert all(names == {"facets", "lexicon_all"} for names in saved_files(app).values())

    facets = client.get("/api/v1/search", query_string={"q": "五社"}).get_json()["facets"]
    assert any(facets.values())

    # A process that starts afresh reads both back instead of working them out.
    worked_out = []
    monkeypatch.setattr(matching, "_raw_terms", lambda *a: worked_out.append("words") or [])
    monkeypatch.setattr(searchers, "_postings", lambda *a, **k: worked_out.append("facets") or ([], []))
    with app.app_context():
        get_backend().reset_for_tests()
    data = client.get("/api/v1/search", query_string={"q": "五社"}).get_json()
    assert [h["id"] for h in data["hits"]] == [wuse] and worked_out == []
    assert data["facets"] == facets


def test_a_damaged_saved_file_is_ignored_and_written_again(app, client, org_id):
    wuse = make_case(app, org_id, "五社联动议事会", "推动五社联动机制落地。")
    assert found(client, "五社") == {wuse}
    with app.app_context():
        folder = search_index.current_dir()
    damaged = set()
    for path in folder.iterdir():
        if path.name.endswith(".lexicon_all"):
            path.write_bytes(b"3\n\xe4\xba")  # cut off mid-word, and fewer words than it says
        elif path.name.endswith(".facets"):
            path.write_bytes(b'{"theme": {')
        else:
            continue
        damaged.add(path.name.partition(".")[2])
    assert damaged == {"lexicon_all", "facets"}
    with app.app_context():
        get_backend().reset_for_tests()
    assert found(client, "五社") == {wuse}
    data = client.get("/api/v1/search", query_string={"q": "五社"}).get_json()
    assert data["total"] == 1
    for path in folder.iterdir():
        if path.name.endswith(".facets"):
            assert json.loads(path.read_bytes())["theme"] is not None
            damaged.discard("facets")
        elif path.name.endswith(".lexicon_all"):
            count, _, words = path.read_text(encoding="utf-8").partition("\n")
            assert int(count) == len(words.split("\n")) > 3 and "五社联动" in words.split("\n")
            damaged.discard("lexicon_all")
    assert not damaged, "written again"


def test_saved_files_go_with_their_segment_when_segments_are_merged(app, client, org_id):
    for n in range(3):  # one segment per publication
        make_case(app, org_id, f"五社联动第{n}期", "推动五社联动机制落地。")
        assert len(found(client, "五社")) == n + 1
    before = set(saved_files(app))
    assert len(before) >= 2
    with app.app_context():
        ix = search_index.open_index(search_index.current_dir())
        writer = search_index.writer(ix)
        writer.commit(optimize=True)  # (Whoosh merges every segment into one)
        get_backend().reset_for_tests()
    assert len(found(client, "五社")) == 3
    after = saved_files(app)
    assert set(after) == live_segments(app) and not set(after) & before


def test_the_served_process_freezes_what_it_loaded_after_warming_up(app, org_id, monkeypatch):
    """gunicorn.conf.py: the master (with --preload, before forking) and each worker (before its
    first request) warm up, then move what is loaded out of the garbage collector's way."""
    import gc
    import runpy
    from types import SimpleNamespace

    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    steps = []
    monkeypatch.setattr("portal.search.warm_up", lambda app, **kw: steps.append(("warm", kw)) or {})
    monkeypatch.setattr(gc, "collect", lambda *a: steps.append(("collect", {})) or 0)
    monkeypatch.setattr(gc, "freeze", lambda: steps.append(("freeze", {})))
    server = SimpleNamespace(cfg=SimpleNamespace(preload_app=True), app=SimpleNamespace(wsgi=lambda: app),
                             log=SimpleNamespace(info=lambda *a: None))
    conf["when_ready"](server)
    assert steps == [("warm", {"release": True}), ("collect", {}), ("freeze", {})]
    steps.clear()
    conf["post_worker_init"](SimpleNamespace(wsgi=app))
    assert steps == [("warm", {}), ("collect", {}), ("freeze", {})]
    steps.clear()
    conf["post_worker_init"](SimpleNamespace(wsgi=object()))  # another app (a benchmark's hello-world)
    assert steps == []


# Idle passes -------------------------------------------------------------------------------------

def test_a_pass_that_writes_nothing_leaves_no_files_and_an_empty_outbox_waits_for_no_lock(app, client, org_id):
    """Every search lists the index folder to see whether it changed, so leftovers slow all of
    them: Whoosh's cancel() left an unfinished segment's three files behind each time, and each
    drain of an empty outbox (after any commit) opened a writer and cancelled it."""
    case_id = make_case(app, org_id, "社区食堂助老", "长者食堂每天供应午餐。")
    with app.app_context():
        sync.drain(app)
        folder = search_index.current_dir()
        before = sorted(os.listdir(folder))
        backend = get_backend()
        with backend.batch():
            pass  # nothing written: cancelled
        with pytest.raises(RuntimeError), backend.batch():
            raise RuntimeError("a failed pass: cancelled too")
        assert sorted(os.listdir(folder)) == before

        # An empty outbox returns at once, even while another process holds the writer lock
        # (a reindex, say) for longer than the pass would wait.
        assert outbox(app) == set()
        held = search_index.writer(search_index.open_index(folder))
        try:
            assert sync.drain(app, lock_timeout=0.2) == 0
        finally:
            search_index.discard(held)
        assert sorted(os.listdir(folder)) == before
    assert found(client, "食堂") == {case_id}


def test_an_index_folder_deleted_by_hand_is_replaced_by_an_empty_one(app, client, org_id, runner):
    """The ``current`` link is read on every search; if the folder it names is gone, the next
    search starts an empty index (and says nothing is found) instead of failing, and a reindex
    fills it again."""
    case = make_case(app, org_id, "楼道微更新", "居民共同商议楼道改造。")
    gone = current_target(app)
    shutil.rmtree(gone)
    assert client.get("/search", query_string={"q": "楼道"}).status_code == 200
    assert found(client, "楼道") == set()
    assert current_target(app) != gone and current_target(app).is_dir()
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert found(client, "楼道") == {case}
