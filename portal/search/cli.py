"""`flask --app wsgi search reindex | check | drain`."""
from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

from portal.search import service, sync

search_cli = AppGroup("search", help="Maintain the full-text search index.")


@search_cli.command("reindex")
@click.option("--procs", default=2, show_default=True, help="Writer processes (both cores by default).")
def reindex_command(procs):
    """Rebuild the index from the database into a fresh directory, then swap it in atomically.

    Searches keep using the old index during the rebuild; incremental updates wait (they stay
    in the outbox) and are applied to the new index afterwards.
    """
    total = service.published_count()
    started = time.monotonic()
    with click.progressbar(length=total, label="重建索引", file=sys.stderr) as bar:
        done = service.reindex(workers=procs, progress=bar.update)
    elapsed = time.monotonic() - started
    click.echo(f"已重建索引：{done} 个已发布案例，用时 {elapsed:.1f} 秒（{done / max(elapsed, 1e-9):.0f} 个/秒）。")
    drained = sync.drain(current_app._get_current_object())
    if drained:
        click.echo(f"另外应用了重建期间的 {drained} 个更新。")


@search_cli.command("check")
def check_command():
    """List cases missing from, stale in, or wrongly present in the index; exit 1 if any."""
    report = service.check()
    for label, ids in (("缺失（已发布但不在索引中）", report.missing), ("过期（索引内容与数据库不一致）", report.stale),
                       ("多余（不应出现在索引中）", report.extra)):
        if ids:
            click.echo(f"{label}：{', '.join(ids)}")
    pending = sync.pending_count()
    click.echo(f"索引中 {report.indexed} 个，数据库中已发布 {report.expected} 个；待处理队列 {pending} 条。")
    if not report.consistent:
        sys.exit(1)
    click.echo("索引与数据库一致。")


@search_cli.command("drain")
def drain_command():
    """Apply pending index updates now (normally done in the background)."""
    count = sync.drain(current_app._get_current_object())
    click.echo(f"已更新 {count} 个案例的索引。")
