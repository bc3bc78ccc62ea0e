"""`flask --app wsgi cases import FILE.jsonl [--org NAME] [--publish]` and `cases export`."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.cases import bulk
from portal.cases.services import STATUS_LABELS
from portal.extensions import db
from portal.orgs.models import Organization

cases_cli = AppGroup("cases", help="Import and export cases as JSON Lines.")


def _org(name: str) -> Organization:
    org = db.session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        raise click.ClickException(f"没有名为“{name}”的单位。")
    return org


@cases_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--org", "org_name", default=None,
              help="File every line under this organization (default: the unit each line names).")
@click.option("--publish", is_flag=True, help="Publish every imported case (complete ones only).")
def import_command(file, org_name, publish):
    """Import cases from JSON Lines; re-importing an external_id updates that case.

    Without --org each line goes to the unit it names (org_credit_code, else org)."""
    org = _org(org_name) if org_name else None
    report = bulk.import_lines(org, file, publish=publish)
    db.session.commit()
    for number, message in report.errors:
        click.echo(f"第 {number} 行：{message}", err=True)
    if report.redirected:
        click.echo(f"注意：{report.redirected} 行写明的是其他单位，已按 --org 导入到“{org.name}”。", err=True)
    click.echo(f"导入完成：新建 {report.created} 个，更新 {report.updated} 个，失败 {len(report.errors)} 行。")
    if report.errors:
        sys.exit(1)


@cases_cli.command("export")
@click.option("--org", "org_name", default=None, help="Only this organization's cases.")
@click.option("--status", type=click.Choice([str(s.value) for s in STATUS_LABELS]), default=None)
def export_command(org_name, status):
    """Write cases as JSON Lines to standard output (the import format)."""
    org = _org(org_name) if org_name else None
    for record in bulk.export_records(org, status):
        click.echo(json.dumps(record, ensure_ascii=False))


@cases_cli.command("flush-views")
def flush_views_command():
    """Write the case page views waiting in Redis (or in this process) to the database now."""
    from portal.cases import viewcount

    click.echo(f"{viewcount.flush()} views written.")
