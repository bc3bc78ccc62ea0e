"""`flask --app wsgi notifications send-digests`: the digest e-mails of followed cases (run from cron)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

notifications_cli = AppGroup("notifications", help="Notification e-mail jobs.")


@notifications_cli.command("send-digests")
def send_digests_command():
    """Send the daily and weekly digests that are due. Safe to run as often as you like:
    each new case is in at most one digest per user, and a user gets at most one digest a
    day (daily) or a week (weekly)."""
    from portal.notifications.digests import send_digests

    run = send_digests()
    click.echo(f"摘要邮件：发送 {run.sent} 封，共列出 {run.cases} 个案例；{run.not_due} 位用户未到发送时间。")
