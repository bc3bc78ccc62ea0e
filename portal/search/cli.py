"""`flask --app wsgi search reindex | check | drain`."""
from __future__ import annotations

import shutil
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.search import sync
from portal.search.documents import case_document
from portal.search.whoosh import index as search_index

search_cli = AppGroup("search", help="Maintain the full-text search index.")


def _published_cases():
    from portal.cases.models import Case, CaseStatus

    return (select(Case).where(Case.status == CaseStatus.PUBLISHED).order_by(Case.id)
            .options(selectinload(Case.themes), selectinload(Case.tags), selectinload(Case.org)))


@search_cli.command("reindex")
@click.option("--procs", default=2, show_default=True, help="Writer processes (both cores by default).")
def reindex_command(procs):
    """Rebuild the index from the database into a fresh directory, then swap it in atomically.

    Searches keep using the old index during the rebuild; incremental updates wait (they stay
    in the outbox) and are applied to the new index afterwards.
    """
    from portal.cases.models import Case, CaseStatus

    base = search_index.base_dir()
    old_path = search_index.current_dir()
    old_ix = search_index.open_index(old_path)
    total = db.session.scalar(select(func.count()).select_from(Case).where(Case.status == CaseStatus.PUBLISHED))
    started = time.monotonic()
    # Hold the old index's lock so the outbox is not drained into an index about to be replaced.
    hold = search_index.writer(old_ix, timeout=60)
    try:
        target = search_index.new_index_dir(base)
        ix = search_index.open_index(target)
        kwargs = {"procs": procs, "multisegment": True, "limitmb": 128} if procs > 1 else {}
        writer = ix.writer(**kwargs)
        done = 0
        with click.progressbar(length=total, label="重建索引", file=sys.stderr) as bar:
            for case in db.session.scalars(_published_cases()).yield_per(500):
                writer.add_document(**case_document(case))
                done += 1
                bar.update(1)
        writer.commit()
        search_index.swap_current(base, target)
    finally:
        hold.cancel()
    elapsed = time.monotonic() - started
    shutil.rmtree(old_path, ignore_errors=True)
    if old_path.exists():  # a late lock-file release can leave the emptied folder behind
        shutil.rmtree(old_path, ignore_errors=True)
    click.echo(f"已重建索引：{done} 个已发布案例，用时 {elapsed:.1f} 秒（{done / max(elapsed, 1e-9):.0f} 个/秒）。")
    drained = sync.drain(current_app._get_current_object())
    if drained:
        click.echo(f"另外应用了重建期间的 {drained} 个更新。")


@search_cli.command("check")
def check_command():
    """List cases missing from, stale in, or wrongly present in the index; exit 1 if any."""
    expected = {str(c.id): case_document(c)["stamp"] for c in db.session.scalars(_published_cases())}
    with search_index.open_index().searcher() as searcher:
        indexed = {f["id"]: f.get("stamp") for f in searcher.all_stored_fields()}
    missing = sorted(set(expected) - set(indexed), key=int)
    extra = sorted(set(indexed) - set(expected), key=int)
    stale = sorted((i for i in expected if i in indexed and indexed[i] != expected[i]), key=int)
    for label, ids in (("缺失（已发布但不在索引中）", missing), ("过期（索引内容与数据库不一致）", stale),
                       ("多余（不应出现在索引中）", extra)):
        if ids:
            click.echo(f"{label}：{', '.join(ids)}")
    pending = sync.pending_count()
    click.echo(f"索引中 {len(indexed)} 个，数据库中已发布 {len(expected)} 个；待处理队列 {pending} 条。")
    if missing or stale or extra:
        sys.exit(1)
    click.echo("索引与数据库一致。")


@search_cli.command("drain")
def drain_command():
    """Apply pending index updates now (normally done in the background)."""
    count = sync.drain(current_app._get_current_object())
    click.echo(f"已更新 {count} 个案例的索引。")
