"""Backup and restore (issue 14): the round trip is lossless (every row of every table, every
uploaded file, the instance's vocabulary), on SQLite and on PostgreSQL; archives from a newer
schema, damaged archives and non-empty targets are refused with a clear message."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import MetaData, create_engine, select, text

from tests.conftest import WORKER

# A fresh app per test: these tests change the app itself (rules, extensions, its index or
# view-count state), which the shared app of the other modules would carry over.
SHARED_APP = False


@pytest.fixture
def empty_target(database, tmp_path):
    """A second instance with an empty database of the same kind (never migrated)."""
    instance = tmp_path / "restored"
    instance.mkdir()
    if database["backend"] == "sqlite":
        yield {"INSTANCE_DIR": str(instance), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}"}
        return
    parts = urlsplit(database["url"])
    name = f"portal_restore_{WORKER or 'main'}"
    admin = create_engine(urlunsplit(parts._replace(path="/postgres", query="")), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield {"INSTANCE_DIR": str(instance), "SQLALCHEMY_DATABASE_URI": urlunsplit(parts._replace(path=f"/{name}"))}
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _target_app(database, target):
    from portal import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "SEARCH_SYNC": "inline",
                       "MAIL_DELIVERY": "inline", "RATELIMIT_STORAGE_URI": "memory://", **target})


def everything(app) -> dict:
    """Every row of every table (but the migration tool's and the search outbox), and every file."""
    from portal.extensions import db

    with app.app_context():
        meta = MetaData()
        meta.reflect(bind=db.engine)
        with db.engine.connect() as conn:
            tables = {t.name: [dict(r._mapping) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                      for t in meta.tables.values() if t.name not in ("alembic_version", "search_outbox")}
        db.engine.dispose()
    uploads = Path(app.config["UPLOAD_DIR"])
    files = {p.relative_to(uploads).as_posix(): p.read_bytes() for p in uploads.rglob("*") if p.is_file()} \
        if uploads.exists() else {}
    return {"tables": tables, "files": files}


@pytest.fixture
def source(app, client, auth, factory):
    """The demo data, a case with an uploaded attachment, and an instance vocabulary file."""
    from portal.demo import seed_demo
    from portal.extensions import db
    from tests.test_case_workflow import PNG, upload

    with app.app_context():
        seed_demo()
        db.session.commit()
    _, editor = factory.user("editor@example.org", "李编辑")
    _, admin = factory.user("root@example.org", admin=True)
    org = factory.org(admin, name="花溪区社工服务中心")
    factory.member(org, editor, "editor")
    case_id = factory.case(org, "楼栋长制度激活邻里互助", status="draft")
    auth.login(editor)
    assert upload(client, case_id, PNG, "现场照片.png").status_code == 302
    (Path(app.instance_path) / "synonyms.txt").write_text("长者食堂 = 老年食堂\n", encoding="utf-8")
    return app


def test_backup_then_restore_gives_back_every_row_and_file(source, runner, database, empty_target, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    result = runner.invoke(args=["portal", "backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "已写入" in result.output
    before = everything(source)
    assert before["files"] and sum(len(rows) for rows in before["tables"].values()) > 100

    target = _target_app(database, empty_target)
    restored = target.test_cli_runner().invoke(args=["portal", "restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert "恢复完成" in restored.output
    after = everything(target)
    assert after["tables"].keys() == before["tables"].keys()
    for name, rows in before["tables"].items():
        assert after["tables"][name] == rows, f"table {name} differs after the round trip"
    assert after["files"] == before["files"]
    assert (Path(target.instance_path) / "synonyms.txt").read_text(encoding="utf-8") == "长者食堂 = 老年食堂\n"

    # The restored instance works: search was rebuilt, new rows get fresh ids, people sign in.
    client = target.test_client()
    hits = client.get("/api/v1/search?q=社区").get_json()["total"]
    assert hits == source.test_client().get("/api/v1/search?q=社区").get_json()["total"] > 0
    from tests.conftest import AuthActions

    target.config["WTF_CSRF_ENABLED"] = False
    assert AuthActions(client).login("editor@example.org").status_code == 302
    from portal.extensions import db
    from portal.models_base import new_token

    with target.app_context():
        from portal.auth.services import register_user

        user = register_user(f"new-{new_token(4)}@example.org", "新用户", "a-long-password-1")
        db.session.commit()
        assert user.id > max(row["id"] for row in before["tables"]["users"])
        db.engine.dispose()


def _archive_with(tmp_path, archive: Path, change) -> Path:
    """A copy of ``archive`` with its manifest (or a member) changed by ``change(members)``."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    change(members)
    out = tmp_path / "changed.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def test_damaged_newer_or_misdirected_archives_are_refused(source, runner, database, empty_target, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert runner.invoke(args=["portal", "backup", str(archive)]).exit_code == 0
    target = _target_app(database, empty_target)
    restore = target.test_cli_runner()

    def newer(members):
        manifest = json.loads(members["manifest.json"])
        manifest["schema_revision"] = "9999_from_the_future"
        members["manifest.json"] = json.dumps(manifest).encode()

    result = restore.invoke(args=["portal", "restore", str(_archive_with(tmp_path, archive, newer))])
    assert result.exit_code != 0 and "备份来自更新的数据库结构" in result.output

    def damaged(members):
        members["database/users.jsonl"] = members["database/users.jsonl"].replace(b"@", b"#", 1)

    result = restore.invoke(args=["portal", "restore", str(_archive_with(tmp_path, archive, damaged))])
    assert result.exit_code != 0 and "校验和不符" in result.output

    # Into the instance the archive came from (it has data): refused, nothing changed.
    before = everything(source)
    result = runner.invoke(args=["portal", "restore", str(archive)])
    assert result.exit_code != 0 and "目标数据库已有数据" in result.output
    assert everything(source) == before
