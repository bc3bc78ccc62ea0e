"""`flask --app wsgi mail drain | status | retry-failed`."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db
from portal.mail import services

mail_cli = AppGroup("mail", help="The outgoing mail queue.")


@mail_cli.command("drain")
def drain_command():
    """Send every message that is due now (for cron, or with PORTAL_MAIL_DELIVERY=off)."""
    sent, failed = services.drain(current_app._get_current_object())
    click.echo(f"已发送 {sent} 封邮件，{failed} 封发送失败（稍后重试）。")


@mail_cli.command("status")
def status_command():
    """Messages waiting and given up on; exit 1 when some were given up on."""
    info = services.status()
    oldest = f"，最早的已等待 {info['oldest_seconds']} 秒" if info["oldest_seconds"] is not None else ""
    click.echo(f"待发送 {info['waiting']} 封{oldest}；已放弃 {info['failed']} 封。")
    if info["failed"]:
        sys.exit(1)


@mail_cli.command("retry-failed")
def retry_failed_command():
    """Try again the messages that were given up on (after fixing the mail settings)."""
    count = services.retry_failed()
    db.session.commit()
    click.echo(f"已重新排队 {count} 封邮件。")
