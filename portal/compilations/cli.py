"""flask compilations build | status: the 案例汇编 jobs (with PORTAL_COMPILATION_BUILD=off, run
`build` from cron or a service; otherwise each process builds in a background thread)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

compilations_cli = AppGroup("compilations", help="案例汇编 (PDF compilations).")


@compilations_cli.command("build")
def build_command():
    """Lay out every waiting compilation (and any whose worker stopped)."""
    from portal.compilations.builder import builder

    click.echo(f"Built {builder(current_app).run_once()} compilation(s).")


@compilations_cli.command("status")
def status_command():
    """How many compilations are in each state, and the disk they take."""
    from portal.compilations.models import CompilationJob
    from portal.extensions import db

    for status, count, size in db.session.execute(
            select(CompilationJob.status, func.count(), func.coalesce(func.sum(CompilationJob.size), 0))
            .group_by(CompilationJob.status).order_by(CompilationJob.status)):
        click.echo(f"{status:8} {count:5d}  {size / 1e6:8.1f} MB")
