"""`flask --app wsgi calls remind`: deadline reminders of calls for cases (run from cron, e.g. hourly)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

calls_cli = AppGroup("calls", help="Calls for cases (案例征集) jobs.")


@calls_cli.command("remind")
def remind_command():
    """Tell units that have not entered a call closing within three days, and reviewers whose
    review due date is within three days. Each is told once: safe to run as often as you like."""
    from portal.calls.services import send_reminders
    from portal.extensions import db

    told = send_reminders()
    db.session.commit()
    click.echo(f"征集提醒：单位成员 {told['units']} 人，评审专家 {told['reviewers']} 人。")
