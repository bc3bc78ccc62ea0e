"""``flask --app wsgi portal ...`` commands for operators."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.errors import ValidationError
from portal.extensions import db

portal_cli = AppGroup("portal", help="社区治理案例共享平台 administration commands.")


@portal_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Display name.")
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--admin", is_flag=True, help="Make the user a platform admin.")
@click.option("--reviewer", is_flag=True, help="Make the user a reviewer (点评专家).")
def create_user_command(email, name, password, admin, reviewer):
    """Create an account."""
    from portal.auth.services import create_user

    try:
        user = create_user(email, name, password, admin=admin, reviewer=reviewer)
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Created user {user.id} <{user.email}>")


@portal_cli.command("create-org")
@click.option("--name", required=True)
@click.option("--province", required=True, help="One of the 34 provincial-level divisions, e.g. 贵州省.")
@click.option("--type", "org_type", required=True, help="社工机构 / 社区社会组织 / 委员单位 / 街道或社区 / 其他")
@click.option("--admin-email", required=True, help="An existing user who becomes the unit's admin.")
@click.option("--city", default="", help="City (defaults to the province).")
def create_org_command(name, province, org_type, admin_email, city):
    """Create a verified organization with an existing user as its admin."""
    from portal.auth.services import get_user_by_email
    from portal.orgs.services import create_verified_org

    admin = get_user_by_email(admin_email)
    if admin is None:
        raise click.ClickException(f"No user with e-mail {admin_email}; create it first with `portal create-user`.")
    try:
        org = create_verified_org(name, province, org_type, admin, city=city)
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.field or 'error'}: {exc.message}") from None
    db.session.commit()
    click.echo(f"Created organization {org.id} {org.name} (verified), admin <{admin.email}>")


@portal_cli.command("seed-demo")
def seed_demo_command():
    """Load demo organizations, users of every role and content. Safe to run twice."""
    from portal.demo import seed_demo

    created, logins = seed_demo()
    db.session.commit()
    click.echo("Demo data " + ("loaded." if created else "already present; nothing changed."))
    click.echo(f"Demo logins (password for all: {logins['password']}):")
    for email, role in logins["accounts"]:
        click.echo(f"  {email:<28} {role}")


@portal_cli.command("seed-if-empty")
def seed_if_empty_command():
    """Load demo data only when the database has no users (used by `make run`)."""
    from sqlalchemy import func, select

    from portal.auth.models import User

    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("Database already has users; demo data not loaded.")
        return
    seed_demo_command.callback()


@portal_cli.command("rerender-html")
@click.option("--batch-size", default=500, show_default=True, help="Rows read and committed at a time.")
def rerender_html_command(batch_size):
    """Render the stored HTML of all user Markdown again (after the allow-list or renderer changed)."""
    from portal.rendering import rerender_all

    total = [0, 0]

    def report(table, seen, changed):
        total[0] += seen
        total[1] += changed
        click.echo(f"  {table:<26} {seen:>7} rows, {changed:>7} updated")

    with db.engine.connect() as connection:
        rerender_all(connection, batch_size=batch_size, after_batch=connection.commit, report=report)
        connection.commit()
    click.echo(f"Re-rendered {total[0]} rows; {total[1]} had changed.")


@portal_cli.command("backup")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file):
    """Write one archive: database, uploads, instance settings and vocabulary, with checksums."""
    from portal.ops import backup

    target = file or Path(f"portal-backup-{datetime.now():%Y%m%d-%H%M%S}.tar.gz")
    manifest = backup.backup(current_app._get_current_object(), target)
    rows = sum(manifest.tables.values())
    click.echo(f"已写入 {target}：{len(manifest.tables)} 张表共 {rows} 行，{len(manifest.files) - len(manifest.tables)} 个文件，"
               f"数据库结构版本 {manifest.schema_revision}。")


@portal_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(file):
    """Restore an archive into this (empty) instance, then rebuild the search index."""
    from portal.ops import backup

    try:
        manifest = backup.restore(current_app._get_current_object(), file, progress=click.echo)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"恢复完成：{sum(manifest.tables.values())} 行，来自 {manifest.created_at} 的备份。")


def init_app(app: Flask) -> None:
    from portal.calls.cli import calls_cli
    from portal.cases.cli import cases_cli
    from portal.compilations.cli import compilations_cli
    from portal.mail.cli import mail_cli
    from portal.notifications.cli import notifications_cli

    app.cli.add_command(portal_cli)
    app.cli.add_command(cases_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(compilations_cli)
    app.cli.add_command(calls_cli)
