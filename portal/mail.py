"""Outgoing mail. ``file`` (default) writes each message as an .eml file under the
instance folder, for development and tests; ``smtp`` sends through a server."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.models_base import new_token, utcnow


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="portal.local")
    msg.set_content(body)
    return msg


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one plain-text message. Failures are logged, never raised to the user:
    the action that triggered the mail has already been saved."""
    msg = build_message(to, subject, body)
    backend = current_app.config["MAIL_BACKEND"]
    try:
        if backend == "smtp":
            _send_smtp(msg)
        else:
            _write_file(msg)
    except Exception:  # mail must not break the request
        current_app.logger.exception("Could not send mail to %s", to)


def _write_file(msg: EmailMessage) -> None:
    folder = Path(current_app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{new_token(4)}.eml"
    (folder / name).write_bytes(bytes(msg))


def _send_smtp(msg: EmailMessage) -> None:
    cfg = current_app.config
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=15) as smtp:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls()
        if cfg["SMTP_USER"]:
            smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
        smtp.send_message(msg)


_QUEUE = "portal.outgoing_mail"


def send_after_commit(session: Session, to: str, subject: str, body: str) -> None:
    """Send when the current transaction commits; nothing is sent if it rolls back (a
    notification about a change that was not saved would be wrong)."""
    session.info.setdefault(_QUEUE, []).append((to, subject, body))


@event.listens_for(Session, "after_commit")
def _send_queued(session: Session) -> None:
    for to, subject, body in session.info.pop(_QUEUE, []):
        send_mail(to, subject, body)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queued(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_QUEUE, None)
