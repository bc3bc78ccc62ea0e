"""Backup and restore: one archive holding everything an instance needs to come back.

``flask --app wsgi portal backup [FILE]`` writes a ``.tar.gz`` with

* ``database/<table>.jsonl``: every row of every table, as JSON (a logical dump: the same
  archive restores into SQLite or PostgreSQL, whichever the instance was on);
* ``uploads/``: attachments, covers, photos, session materials;
* ``instance/``: ``config.py`` and the search vocabulary files (synonyms, related words,
  dictionary) when present. ``config.py`` holds the secret key: keep archives private;
* ``manifest.json``: when, from which schema revision and database, row counts per table, and
  the SHA-256 of every other member.

``flask --app wsgi portal restore FILE`` checks every checksum, refuses an archive from a newer
schema than the code knows, migrates the (empty) database to the archive's revision, loads the
rows, migrates on to the current head, copies the files back and rebuilds the search index.

The search index and outgoing mail that was already sent are not needed to restore; the index is
rebuilt from the database.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import MetaData, Table, func, inspect, select, text
from sqlalchemy.schema import sort_tables_and_constraints

from portal.extensions import db
from portal.models_base import utcnow

FORMAT = 1
INSTANCE_FILES = ("config.py", "synonyms.txt", "related.txt", "dictionary.txt")
#: Tables kept out of the archive: the migration tool's own, and derived or transient data.
SKIPPED_TABLES = frozenset({"alembic_version", "search_outbox"})
BATCH = 1000


class BackupError(Exception):
    """A refusal with a clear (Chinese) message for the operator."""


@dataclass
class Manifest:
    format: int
    created_at: str
    schema_revision: str
    database: str
    tables: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # member name -> sha256


def _encode(value):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value):
    if isinstance(value, dict) and len(value) == 1:
        (key, raw), = value.items()
        if key == "$dt":
            return datetime.fromisoformat(raw)
        if key == "$d":
            return date.fromisoformat(raw)
        if key == "$b":
            return base64.b64decode(raw)
    return value


def _reflected() -> MetaData:
    meta = MetaData()
    meta.reflect(bind=db.engine)
    return meta


def _ordered_tables(meta: MetaData) -> tuple[list[Table], set[tuple[str, str]]]:
    """Tables in the order their NOT NULL foreign keys need, and the (table, column) pairs of the
    nullable foreign keys that point at a table not loaded yet (a case's cover is one of its
    attachments; a reply's parent is a comment): those are loaded as NULL and set afterwards."""
    def only_required(fkc):
        return True if all(column.nullable for column in fkc.columns) else None

    candidates = [t for t in meta.tables.values() if t.name not in SKIPPED_TABLES]
    ordered = [t for t, _ in sort_tables_and_constraints(candidates, filter_fn=only_required) if t is not None]
    position = {t.name: i for i, t in enumerate(ordered)}
    later = set()
    for table in ordered:
        for fkc in table.foreign_key_constraints:
            target = position.get(fkc.referred_table.name)
            if target is not None and target >= position[table.name]:
                later.update((table.name, column.name) for column in fkc.columns)
    return ordered, later


def _revision() -> str:
    return db.session.scalar(text("SELECT version_num FROM alembic_version")) or ""


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, manifest: Manifest) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(time.time())
    tar.addfile(info, io.BytesIO(data))
    manifest.files[name] = hashlib.sha256(data).hexdigest()


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _add_file(tar: tarfile.TarFile, name: str, path: Path, manifest: Manifest) -> None:
    with path.open("rb") as f:
        manifest.files[name] = _sha256(f)
    tar.add(path, arcname=name, recursive=False)


def backup(app: Flask, target: Path) -> Manifest:
    """Write the archive to ``target`` (written beside it first, then renamed: never half a file)."""
    with app.app_context():
        manifest = Manifest(FORMAT, utcnow().isoformat(), _revision(), db.engine.dialect.name)
        tmp = target.with_name(target.name + ".part")
        with tarfile.open(tmp, "w:gz") as tar:
            meta = _reflected()
            tables, _cyclic = _ordered_tables(meta)
            # One transaction for every table: PostgreSQL then dumps one consistent snapshot.
            with db.engine.connect() as conn:
                if db.engine.dialect.name == "postgresql":
                    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                for table in tables:
                    key = list(table.primary_key.columns) or list(table.columns)
                    lines = [json.dumps({k: _encode(v) for k, v in row._mapping.items()}, ensure_ascii=False)
                             for row in conn.execute(select(table).order_by(*key))]
                    manifest.tables[table.name] = len(lines)
                    _add_bytes(tar, f"database/{table.name}.jsonl", ("\n".join(lines) + "\n").encode(), manifest)
            uploads = Path(app.config["UPLOAD_DIR"])
            if uploads.is_dir():
                for path in sorted(p for p in uploads.rglob("*") if p.is_file() and not p.name.startswith(".")):
                    _add_file(tar, f"uploads/{path.relative_to(uploads).as_posix()}", path, manifest)
            for name in INSTANCE_FILES:
                path = Path(app.instance_path) / name
                if path.is_file():
                    _add_file(tar, f"instance/{name}", path, manifest)
            _add_bytes(tar, "manifest.json",
                       json.dumps(manifest.__dict__, ensure_ascii=False, indent=1).encode(), Manifest(0, "", "", ""))
        tmp.replace(target)
    return manifest


def read_manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        data = json.loads(tar.extractfile("manifest.json").read())
    except (KeyError, AttributeError, ValueError) as exc:
        raise BackupError("这不是本平台的备份文件：缺少 manifest.json。") from exc
    manifest = Manifest(**data)
    if manifest.format != FORMAT:
        raise BackupError(f"备份文件格式 {manifest.format} 不受支持（本版本为 {FORMAT}）。")
    return manifest


def _verify(tar: tarfile.TarFile, manifest: Manifest) -> None:
    present = set(tar.getnames())
    for name, expected in manifest.files.items():
        member = tar.extractfile(name) if name in present else None
        if member is None:
            raise BackupError(f"备份文件不完整：缺少 {name}。")
        if _sha256(member) != expected:
            raise BackupError(f"备份文件已损坏：{name} 的校验和不符。")


def _known_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    return [rev.revision for rev in script.walk_revisions()]


def _database_is_empty() -> bool:
    names = set(inspect(db.engine).get_table_names())
    for table in ("users", "organizations", "cases"):
        if table in names and db.session.scalar(text(f"SELECT COUNT(*) FROM {table}")):
            return False
    return True


def restore(app: Flask, source: Path, progress=lambda message: None) -> Manifest:
    """Restore ``source`` into this instance, whose database must be empty (only migrated, or not
    even that). Files already in the upload folder with the same names are replaced."""
    from flask_migrate import upgrade

    from portal.search import service, sync

    with app.app_context(), tarfile.open(source, "r:gz") as tar:
        manifest = read_manifest(tar)
        known = _known_revisions()
        if manifest.schema_revision not in known:
            raise BackupError(f"备份来自更新的数据库结构（{manifest.schema_revision}），本版本无法恢复："
                              "请先升级程序，再恢复。")
        _verify(tar, manifest)
        if not _database_is_empty():
            raise BackupError("目标数据库已有数据：只能恢复到空的实例（新建数据库后再试）。")
        progress(f"迁移数据库到备份时的结构 {manifest.schema_revision}")
        upgrade(directory=current_app.extensions["migrate"].directory, revision=manifest.schema_revision)
        meta = _reflected()
        tables, cyclic = _ordered_tables(meta)
        postponed: list[tuple[Table, list[dict]]] = []
        with db.engine.begin() as conn:
            # The migrations seed reference rows (themes, rubric dimensions): the archive's replace them.
            for table in reversed(tables):
                conn.execute(table.delete())
            for table in tables:
                member = f"database/{table.name}.jsonl"
                if member not in manifest.files:
                    continue
                later = [c for (t, c) in cyclic if t == table.name]
                rows = [{k: _decode(v) for k, v in json.loads(line).items()}
                        for line in tar.extractfile(member).read().decode().splitlines() if line]
                for start in range(0, len(rows), BATCH):
                    chunk = [{**row, **dict.fromkeys(later)} for row in rows[start:start + BATCH]]
                    if chunk:
                        conn.execute(table.insert(), chunk)
                if later:
                    postponed.append((table, [{"pk": row[_pk(table)], **{c: row[c] for c in later}} for row in rows
                                              if any(row.get(c) is not None for c in later)]))
                progress(f"{table.name}: {len(rows)} 行")
            for table, updates in postponed:
                pk = table.c[_pk(table)]
                for row in updates:
                    conn.execute(table.update().where(pk == row.pop("pk")).values(**row))
            if db.engine.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
        progress("迁移到当前结构")
        upgrade(directory=current_app.extensions["migrate"].directory)
        _restore_files(app, tar, manifest)
        progress("重建搜索索引")
        service.reindex()
        sync.drain(app)
    return manifest


def _pk(table: Table) -> str:
    (column,) = table.primary_key.columns
    return column.name


def _reset_sequences(conn, tables: list[Table]) -> None:
    """Rows came with their ids: move each id sequence past them, or the next insert collides."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence:
                top = conn.execute(select(func.max(column))).scalar()
                conn.execute(text("SELECT setval(:s, :v, :called)"),
                             {"s": sequence, "v": top or 1, "called": top is not None})


def _restore_files(app: Flask, tar: tarfile.TarFile, manifest: Manifest) -> None:
    targets = {"uploads/": Path(app.config["UPLOAD_DIR"]), "instance/": Path(app.instance_path)}
    for name in manifest.files:
        prefix = next((p for p in targets if name.startswith(p)), None)
        if prefix is None:
            continue
        relative = Path(name[len(prefix):])
        if relative.is_absolute() or ".." in relative.parts:
            raise BackupError(f"备份文件中的路径不安全：{name}")
        path = targets[prefix] / relative
        if name == "instance/config.py" and path.exists():
            # This instance has its own settings (its database address, say): keep them, and put
            # the archived ones beside them for the operator to compare.
            path = path.with_name("config.py.from-backup")
        path.parent.mkdir(parents=True, exist_ok=True)
        with tar.extractfile(name) as src, path.open("wb") as dst:
            shutil.copyfileobj(src, dst)
