"""The PostgreSQL search backend (portal/search/postgres.py) beyond the contract that every
backend passes (tests/test_search_contract.py): it refuses SQLite, writes inside the case's own
transaction, keeps concurrent publishers apart, cuts huge queries with a note, and lets two web
hosts with separate instance folders share one search."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from portal import create_app
from portal.extensions import db as _db
from portal.search import postgres, service
from portal.search.backend import get_backend
from tests.conftest import PG_URL
from tests.test_search_contract import doc, found, put
from tests.test_search_gunicorn import GUNICORN, Client, _free_port

ROOT = Path(__file__).resolve().parent.parent
SHARED_APP = False  # the app is built with the postgres backend


@pytest.fixture(params=["postgres"])
def search_backend(request):
    return request.param  # (conftest leaves out the SQLite cells)


@pytest.fixture
def app_config(search_backend):
    return {"WTF_CSRF_ENABLED": False, "SEARCH_BACKEND": search_backend}


def test_choosing_it_on_sqlite_stops_the_app_with_one_clear_line(tmp_path):
    with pytest.raises(postgres.PostgresSearchNeedsPostgres, match="需要 PostgreSQL"):
        create_app({"TESTING": True, "INSTANCE_DIR": str(tmp_path), "SEARCH_BACKEND": "postgres",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.db'}"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_INSTANCE_DIR=str(tmp_path), PORTAL_SECRET_KEY="x", PORTAL_SEARCH_BACKEND="postgres")
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "SEARCH_BACKEND=postgres needs a PostgreSQL database" in done.stderr


def _rows(app) -> dict[int, str]:
    from portal.search.models import SearchDocument, SearchOutbox

    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 0, "no outbox needed"
        rows = dict(_db.session.execute(select(SearchDocument.case_id, SearchDocument.title)).all())
        _db.session.remove()
        return rows


def test_a_case_is_searchable_when_its_transaction_commits_and_a_rollback_leaves_nothing(app, factory):
    from portal.cases.models import Case
    from portal.cases.services import transition

    _uid, email = factory.user()
    org = factory.org(email, name="明德互助中心")
    case_id = factory.case(org, "屋顶菜园", body="居民在屋顶开辟菜园，老人种菜有了去处。")
    draft = factory.case(org, "楼道路灯", body="更换楼道路灯。", status="submitted")
    assert _rows(app) == {case_id: "屋顶菜园"}
    assert found(app, "菜园") == {case_id}

    with app.app_context():
        transition(None, _db.session.get(Case, case_id), "archive")
        _db.session.flush()
        _db.session.rollback()
    assert found(app, "菜园") == {case_id}, "a rolled-back change is not in the index"

    with app.app_context():
        transition(None, _db.session.get(Case, draft), "publish")
        _db.session.get(Case, case_id).title = "屋顶小菜园"
        _db.session.commit()
    assert _rows(app) == {case_id: "屋顶小菜园", draft: "楼道路灯"}
    assert found(app, "路灯") == {draft}
    with app.app_context():
        assert service.check().consistent


def test_a_search_while_a_publication_commits_is_not_cached_past_the_commit(app, factory):
    """The generation advances after the commit: a search run between the write and the commit
    sees (and caches) the old rows under the old generation, and the next search sees the case."""
    from portal.cases.models import Case
    from portal.cases.services import transition

    _uid, email = factory.user()
    case_id = factory.case(factory.org(email), "屋顶菜园", body="居民开辟屋顶菜园。", status="submitted")
    with app.app_context():
        transition(None, _db.session.get(Case, case_id), "publish")
        _db.session.flush()
        get_backend().write_in_transaction(_db.session, {case_id})  # written, not yet committed
        seen = []
        worker = threading.Thread(target=lambda: seen.append(found(app, "菜园")))
        worker.start()
        worker.join(30)
        assert seen == [set()], "another connection does not see uncommitted rows"
        _db.session.commit()
        _db.session.remove()
    assert found(app, "菜园") == {case_id}


def test_units_publishing_at_once_all_reach_the_index(app, factory):
    from portal.cases.models import Case
    from portal.cases.services import transition

    _uid, email = factory.user()
    org = factory.org(email)
    ids = [factory.case(org, f"同时发布的案例{i}", body=f"社区议事厅第{i}次协商。", status="submitted") for i in range(8)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def publish(chunk):
        try:
            with app.app_context():
                start.wait()
                for case_id in chunk:
                    transition(None, _db.session.get(Case, case_id), "publish")
                    _db.session.commit()
                _db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert found(app, "议事厅") == set(ids)
    with app.app_context():
        assert service.check().consistent


def test_a_short_word_inside_too_many_words_is_cut_with_a_note(app, monkeypatch):
    put(app, doc(1, "乡镇社工站", "社工站驻村服务。"), doc(2, "城市驿站", "户外劳动者驿站。"),
        doc(3, "垃圾中转站", "中转站改造。"))
    assert found(app, "站") == {1, 2, 3}
    monkeypatch.setattr(postgres, "SUBSTRING_LIMIT", 2)
    with app.app_context():
        get_backend().reset_for_tests()
        result = service.search("站", per_page=50)
    assert result.total == 2
    assert any("“站”出现在太多词语中" in note for note in result.notes)


def test_a_word_first_indexed_after_it_was_searched_counts_in_the_ranking(app, monkeypatch):
    # Word counts are kept across index generations while the index barely grows (STATS_DRIFT);
    # a count of 0 (the word was searched before any case held it) must not be kept with them.
    monkeypatch.setattr(postgres, "STATS_DRIFT", 10.0)
    put(app, *(doc(i, f"社区活动{i}", "社区服务。") for i in range(1, 6)))
    assert found(app, "苗绣 社区") == set()  # 苗绣: counted as held by no case
    put(app, doc(10, "苗绣传承", "苗绣苗绣苗绣苗绣，社区。"), doc(11, "社区活动", "社区社区社区社区，也提到苗绣。"))
    with app.app_context():
        hits = service.search("苗绣 社区", per_page=50).hits
    assert [h.id for h in hits] == [10, 11]


def test_two_web_hosts_with_their_own_instance_folders_share_one_search(app, factory, database, tmp_path):
    """Two gunicorn instances, each with its own instance folder, on one PostgreSQL database:
    a case published on the first is found at once on the second."""
    from portal.auth.services import create_user

    with app.app_context():
        create_user("curator@example.org", "审核人", "curator-password-1", admin=True)
        _db.session.commit()
    _uid, email = factory.user()
    case_id = factory.case(factory.org(email), "屋顶菜园共治", body="楼栋居民共管屋顶菜园。", status="submitted")

    servers, bases = [], []
    try:
        for host in ("a", "b"):
            instance = tmp_path / host
            instance.mkdir()
            (instance / "config.py").write_text("WTF_CSRF_ENABLED = False\nPASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\n")
            env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
            env.update(PORTAL_INSTANCE_DIR=str(instance), PORTAL_SECRET_KEY="two-hosts", PORTAL_COOKIE_SECURE="false",
                       PORTAL_DATABASE_URL=database["url"], PORTAL_SEARCH_BACKEND="postgres")
            port = _free_port()
            servers.append(subprocess.Popen([str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/api/v1/health", timeout=2)
                    break
                except OSError:
                    threading.Event().wait(0.1)

        def search_on(base: str) -> list[int]:
            url = base + "/api/v1/search?" + urllib.parse.urlencode({"q": "屋顶菜园"})
            import json

            with urllib.request.urlopen(url, timeout=10) as response:
                return [hit["id"] for hit in json.load(response)["hits"]]

        assert search_on(bases[1]) == []
        curator = Client(bases[0])
        assert curator.post("/auth/login", {"email": "curator@example.org", "password": "curator-password-1"}) == 200
        assert curator.post(f"/cases/{case_id}/transition", {"action": "publish"}) == 200
        assert search_on(bases[1]) == [case_id], "found at once on the other host"
        assert not list((tmp_path / "b").glob("search/*")), "no index folder: the database is the index"
    finally:
        for server in servers:
            server.terminate()
        errors = [server.communicate(timeout=30)[1] for server in servers]
    assert all(b"Traceback" not in err for err in errors), b"\n".join(errors).decode()[-3000:]


pytestmark = pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


def _index_state(app) -> dict[int, tuple[int, dict[str, int]]]:
    """Per indexed case: the row's seq and its word counts."""
    from portal.search.models import SearchDocument, SearchPosting

    with app.app_context():
        seqs = dict(_db.session.execute(select(SearchDocument.case_id, SearchDocument.seq)).all())
        counts: dict[int, dict[str, int]] = {i: {} for i in seqs}
        for term, case_id, tf in _db.session.execute(select(SearchPosting.term, SearchPosting.case_id, SearchPosting.tf)):
            counts.setdefault(case_id, {})[term] = tf
        reloptions = _db.session.execute(text(
            "SELECT reloptions FROM pg_class WHERE relname = :n"), {"n": postgres.GIN_INDEX}).scalar()
        _db.session.remove()
    assert reloptions == ["fastupdate=off"], "the pending list is off again after a rebuild"
    return {i: (seqs[i], counts[i]) for i in seqs}


def test_a_rebuild_rewrites_what_changed_keeps_what_did_not_and_what_was_written_meanwhile(app):
    """A rebuild runs while units keep publishing: a case written by another transaction while it
    runs keeps that newer version; an unchanged case keeps its row; a changed one gets its new
    words and counts; a case no longer published leaves the index."""
    same, changed, gone, edited_meanwhile = doc(1, "屋顶菜园", "居民开辟屋顶菜园。"), doc(2, "楼道路灯", "更换路灯。"), \
        doc(3, "旧衣回收", "旧衣回收箱进小区。"), doc(4, "儿童之家", "暑期托管。")
    put(app, same, changed, gone, edited_meanwhile)
    before = _index_state(app)

    def documents():
        yield same
        # Another web host's transaction commits while the rebuild is under way.
        with app.app_context(), _db.engine.begin() as conn:
            get_backend()._apply(conn, [doc(4, "儿童之家", "暑期托管和四点半课堂。"), doc(5, "长者食堂", "老人吃饭不再难。")], [])
        with app.app_context():
            get_backend().bump()
        yield doc(2, "楼道路灯", "更换楼道声控灯。")
        yield doc(4, "儿童之家", "暑期托管。")  # as the rebuild read it, before that commit

    with app.app_context():
        assert get_backend().rebuild(documents(), workers=1) == 3
    after = _index_state(app)

    assert set(after) == {1, 2, 4, 5}
    assert found(app, "旧衣") == set(), "no longer published: gone, with its word counts"
    assert after[1] == before[1], "unchanged: the same row version and counts"
    assert after[2][0] > before[2][0] and after[2][1] == postgres._row(doc(2, "楼道路灯", "更换楼道声控灯。"))[1]
    assert found(app, "声控灯") == {2}
    assert found(app, "四点半课堂") == {4} and found(app, "长者食堂") == {5}, "written meanwhile: kept"
    assert after[4][1] == postgres._row(doc(4, "儿童之家", "暑期托管和四点半课堂。"))[1]
    with app.app_context():
        assert get_backend().rebuild(iter([same, doc(2, "楼道路灯", "更换楼道声控灯。")]), workers=1) == 2
    assert set(_index_state(app)) == {1, 2}
    assert found(app, "声控灯") == {2} and found(app, "菜园") == {1}


def test_ranking_from_the_counts_matched_ids_equals_ranking_from_the_query_again(app, monkeypatch):
    """The count hands its matched cases to the ranking (up to MATCHED_IDS); above that the
    ranking evaluates the query itself. Both give the same page, partial matches and facets,
    for plain words, alternatives, phrases, split words, short words, exclusions and filters."""
    put(app,
        doc(1, "社区食堂", "社区食堂为老人送餐，志愿者帮厨。", themes=("养老服务",)),
        doc(2, "老年助餐点", "助餐点解决老人吃饭难，义工送餐。", province="四川省"),
        doc(3, "社工站", "乡镇社工站组织志愿服务，居民议事。", themes=("社工站",)),
        doc(4, "垃圾分类", "居民参与垃圾分类，志愿者值守。"),
        doc(5, "社区议事会", "社区居民协商加装电梯，志愿者记录。", year=2023),
        doc(6, "邻里守望", "居民结对照看独居老人。", province="四川省"))
    queries = [("社区", {}), ("居民 志愿者", {}), ("志愿者", {}), ('"社区食堂"', {}), ("老人吃饭难", {}),
               ("站", {}), ("居民 -垃圾", {}), ("居民", {"province": "四川省"}), ("社区 苗绣 志愿者", {})]

    def answers():
        out = []
        for q, filters in queries:
            with app.app_context():
                get_backend().reset_for_tests()
                r = service.search(q, filters=filters, per_page=2)
            out.append((q, r.total, [h.id for h in r.hits], [(h.id, h.missing) for h in r.partial], r.facets))
        return out

    by_ids = answers()
    monkeypatch.setattr(postgres, "MATCHED_IDS", 0)
    monkeypatch.setattr(postgres, "MATCHED_IDS_CHEAP", 0)
    assert answers() == by_ids
    # Every kind of query found something to compare (partial matches included).
    assert [total for _q, total, *_rest in by_ids] == [6, 2, 4, 1, 1, 1, 3, 1, 0]
    assert all(by_ids[i][3] for i in (1, 4, 8))
