"""Keeping the index in step with the database, from the operator's side: the outbox holds
changes until they are applied (`search drain`), a rolled-back change leaves nothing behind,
`search check` finds every kind of drift, `search reindex` rebuilds into a fresh directory while
searches keep working, a busy index loses nothing, and two processes writing and draining at
the same time leave the index exactly in line with the database.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db as _db
from tests.test_search import add_case, api, found, make_case, make_org

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def org_id(factory):
    return make_org(factory)

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def outbox(app) -> set[int]:
    """Ids of the cases waiting in the outbox (each flush adds a row; drain applies each id once)."""
    from portal.search.models import SearchOutbox

    with app.app_context():
        return set(_db.session.scalars(select(SearchOutbox.entity_id)))


def indexed_ids(app) -> set[int]:
    from portal.search.backend import get_backend

    with app.app_context():
        return {int(i) for i in get_backend().indexed_stamps()}


# The outbox ---------------------------------------------------------------------------------

def test_with_sync_off_changes_wait_in_the_outbox_until_drained(app, client, runner, org_id):
    kept = make_case(app, org_id, "已在索引中", "社区厨房共享午餐。")
    app.config["SEARCH_SYNC"] = "off"

    new = make_case(app, org_id, "尚未索引", "社区厨房共享午餐。")
    assert new in outbox(app)
    assert indexed_ids(app) == {kept}
    assert found(client, "社区厨房") == {kept}

    result = runner.invoke(args=["search", "drain"])
    assert result.exit_code == 0, result.output
    assert "已更新 1 个案例的索引。" in result.output
    assert outbox(app) == set()
    assert found(client, "社区厨房") == {kept, new}

    # An archive waits too, then removes the case.
    from portal.cases.models import Case
    from portal.cases.services import transition

    with app.app_context():
        transition(None, _db.session.get(Case, kept), "archive")
        _db.session.commit()
    assert outbox(app) == {kept}
    assert found(client, "社区厨房") == {kept, new}
    assert runner.invoke(args=["search", "drain"]).exit_code == 0
    assert found(client, "社区厨房") == {new}
    assert outbox(app) == set()

    assert runner.invoke(args=["search", "drain"]).output.strip() == "已更新 0 个案例的索引。"


def test_rolled_back_change_adds_no_outbox_row(app, client, org_id):
    from portal.cases.models import Case
    from portal.search import sync

    published = make_case(app, org_id, "社区厨房", "社区厨房共享午餐。")
    app.config["SEARCH_SYNC"] = "off"
    with app.app_context():
        add_case(org_id, "不会保存的案例", "社区厨房共享午餐。")
        _db.session.get(Case, published).title = "不会保存的新标题"
        _db.session.flush()
        assert sync.pending_count() > 0, "inside the transaction the rows exist"
        _db.session.rollback()
        assert sync.pending_count() == 0
        assert _db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert outbox(app) == set()

    app.config["SEARCH_SYNC"] = "inline"
    with app.app_context():
        _db.session.get(Case, published).title = "也会回滚"
        _db.session.flush()
        _db.session.rollback()
    assert outbox(app) == set()
    assert [h["title"] for h in api(client, "社区厨房")["hits"]] == ["社区厨房"]


def test_changes_that_do_not_touch_cases_add_no_rows(app, client, factory, org_id):
    case_id = make_case(app, org_id, "社区厨房", "社区厨房共享午餐。")
    app.config["SEARCH_SYNC"] = "off"
    assert client.get(f"/cases/{case_id}").status_code == 200  # counts a view
    factory.user()
    assert outbox(app) == set()


def test_busy_index_loses_nothing(app, client, org_id):
    """While another writer holds the index lock, drain gives up after its timeout; the
    changes stay in the outbox and the next drain applies them."""
    from portal.search import service, sync
    from portal.search.backend import get_backend

    app.config["SEARCH_SYNC"] = "off"
    case_id = make_case(app, org_id, "社区厨房", "社区厨房共享午餐。")
    with app.app_context(), get_backend().batch(timeout=1):  # another writer, holding the lock
        started = time.monotonic()
        with pytest.raises(service.IndexBusy):
            sync.drain(app, lock_timeout=0.2)
        assert time.monotonic() - started < 2
        assert outbox(app) == {case_id}
    assert sync.drain(app, lock_timeout=1) == 1
    assert outbox(app) == set()
    assert found(client, "社区厨房") == {case_id}


# search check ---------------------------------------------------------------------------------

def test_check_reports_missing_stale_and_extra_documents(app, client, runner, org_id):
    from portal.cases.models import Case
    from portal.search.backend import get_backend

    ok = make_case(app, org_id, "一切正常", "社区厨房共享午餐。")
    missing = make_case(app, org_id, "将从索引中删掉", "社区厨房共享午餐。")
    stale = make_case(app, org_id, "将被绕过修改", "社区厨房共享午餐。")

    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert "索引中 3 个，数据库中已发布 3 个；待处理队列 0 条。" in result.output
    assert "索引与数据库一致。" in result.output

    with app.app_context():
        # Changes that bypass the outbox: written to the index directly, or by a Core UPDATE.
        get_backend().delete_documents([str(missing)])
        get_backend().index_documents([{"id": "99999", "title": "伪造的文档", "published": datetime(2024, 1, 1)}])
        with _db.engine.begin() as conn:  # Core UPDATE: no ORM events, so no outbox row
            conn.execute(update(Case.__table__).where(Case.__table__.c.id == stale).values(title="绕过修改的标题"))

    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    report = dict(line.split("：", 1) for line in result.output.splitlines()
                  if line.startswith(("缺失", "过期", "多余")))
    assert report == {"缺失（已发布但不在索引中）": str(missing), "过期（索引内容与数据库不一致）": str(stale),
                      "多余（不应出现在索引中）": "99999"}
    assert "索引中 3 个，数据库中已发布 3 个；待处理队列 0 条。" in result.output
    assert "索引与数据库一致。" not in result.output

    # drain cannot repair what the outbox never saw; reindex can.
    assert runner.invoke(args=["search", "drain"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 1

    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "已重建索引：3 个已发布案例" in result.output

    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert found(client, "社区厨房") == {ok, missing, stale}
    assert found(client, "绕过修改") == {stale}
    assert indexed_ids(app) == {ok, missing, stale}


# search reindex ---------------------------------------------------------------------------------
# (what the rebuild does with the index while it runs: tests/test_search_whoosh.py)

def test_reindex_with_one_process(app, client, runner, org_id):
    cases = [make_case(app, org_id, f"社区厨房{n}", "社区厨房共享午餐。") for n in range(2)]
    result = runner.invoke(args=["search", "reindex", "--procs", "1"])
    assert result.exit_code == 0, result.output
    assert "已重建索引：2 个已发布案例" in result.output
    assert found(client, "社区厨房") == set(cases)
    assert runner.invoke(args=["search", "check"]).exit_code == 0


# Two processes at once -----------------------------------------------------------------------------

WORKER = textwrap.dedent('''
    import sys
    from portal import create_app
    from portal.cases.models import Case, CaseStatus
    from portal.cases.services import transition
    from portal.extensions import db
    from portal.search import service, sync

    tag, rounds = sys.argv[1], int(sys.argv[2])
    ids = [int(i) for i in sys.argv[3].split(",")]
    app = create_app()
    assert app.config["SEARCH_SYNC"] == "off"
    busy = 0
    for r in range(rounds):
        with app.app_context():
            for case_id in ids:
                case = db.session.get(Case, case_id)
                if case.status == CaseStatus.SUBMITTED:
                    transition(None, case, "publish")
                case.approach = f"{tag}第{r}轮修改。"
            db.session.commit()
        try:
            sync.drain(app, lock_timeout=0.05)
        except service.IndexBusy:
            busy += 1
    sync.drain(app, lock_timeout=30)  # after this process's last commit
    print(f"busy={busy}")
''')


def test_two_processes_publishing_and_draining_concurrently(app, client, runner, org_id):
    with app.app_context():
        batches = {}
        for tag in ("甲方", "乙方"):
            batches[tag] = [add_case(org_id, f"{tag}案例{n}", "社区厨房共享午餐。",
                                     status="submitted" if n < 2 else "published") for n in range(4)]
        _db.session.commit()
    assert runner.invoke(args=["search", "check"]).exit_code == 0

    python = VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable)
    env = {**os.environ, "PORTAL_INSTANCE_DIR": app.instance_path, "PORTAL_SECRET_KEY": "test-secret-key",
           "PORTAL_SEARCH_SYNC": "off", "PORTAL_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "PYTHONPATH": str(ROOT)}
    env.pop("PORTAL_ENV", None)
    rounds = 12
    workers = [subprocess.Popen([str(python), "-c", WORKER, tag, str(rounds), ",".join(map(str, ids))],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for tag, ids in batches.items()]
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err[-3000:]
        assert out.startswith("busy="), out
        print(out.strip())

    assert outbox(app) == set()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    for tag, ids in batches.items():
        assert found(client, f"{tag}第{rounds - 1}轮修改") == set(ids)
        assert found(client, f"{tag}第{rounds - 2}轮修改") == set()
    assert len(found(client, "修改")) == 8
