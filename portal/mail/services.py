"""Outgoing mail through an outbox table (:class:`portal.mail.models.OutgoingMail`).

* :func:`send_mail` / :func:`send_after_commit` add a row to the caller's transaction; the
  caller commits (a rolled-back change sends nothing).
* After a commit that queued mail, :class:`MailSender` delivers it: in a background thread of
  the process (``MAIL_DELIVERY = "thread"``, the default), at once (``"inline"``: tests, and CLI
  commands, which may exit right after), or not at all (``"off"``: ``flask mail drain`` from cron
  or a separate process does it). Every process also picks up what others left, every
  MAIL_POLL_SECONDS.
* :func:`drain` claims due rows in one UPDATE per batch (safe with any number of processes),
  sends them, and marks each sent, or schedules a retry with growing backoff; after
  MAIL_MAX_ATTEMPTS it gives up on the row and logs an error.

Backends: ``file`` (default) writes each message as an .eml file under the instance folder, for
development and tests; ``smtp`` sends through a server (15 s timeout per message).
"""
from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.orm import Session

from portal.background import OutboxWorker
from portal.extensions import db
from portal.mail.models import OutgoingMail
from portal.models_base import new_token, utcnow

#: Minutes to wait before attempt n+1 (the last value repeats).
BACKOFF_MINUTES = (1, 5, 30, 120, 720)
BATCH = 50
_QUEUED = "portal_mail_queued"


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="portal.local")
    msg.set_content(body)
    return msg


def send_mail(to: str, subject: str, body: str, session: Session | None = None) -> OutgoingMail:
    """Queue one plain-text message in the current transaction; it goes out after the commit."""
    session = session or db.session
    row = OutgoingMail(to_address=to[:254], subject=subject[:300], body=body)
    session.add(row)
    session.info[_QUEUED] = True
    return row


def send_after_commit(session: Session, to: str, subject: str, body: str) -> None:
    """The same as :func:`send_mail` (kept for the callers that name the session)."""
    send_mail(to, subject, body, session)


# Delivery ---------------------------------------------------------------------------------------

def _deliver(to: str, subject: str, body: str) -> None:
    msg = build_message(to, subject, body)
    if current_app.config["MAIL_BACKEND"] == "smtp":
        _send_smtp(msg)
    else:
        _write_file(msg)


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


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def _claim(session: Session, token: str, now: datetime, batch: int) -> list[OutgoingMail]:
    """Take up to ``batch`` due rows for this sender in one UPDATE: a row another sender holds
    (and did not abandon) is never taken, so no message goes out twice."""
    stale = now - timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    due = and_(OutgoingMail.sent_at.is_(None), OutgoingMail.failed_at.is_(None),
               OutgoingMail.next_attempt_at <= now,
               or_(OutgoingMail.claimed_by.is_(None), OutgoingMail.claimed_at < stale))
    ids = select(OutgoingMail.id).where(due).order_by(OutgoingMail.id).limit(batch).scalar_subquery()
    session.execute(update(OutgoingMail).where(OutgoingMail.id.in_(ids), due)
                    .values(claimed_by=token, claimed_at=now).execution_options(synchronize_session=False))
    session.commit()
    return list(session.scalars(select(OutgoingMail).where(OutgoingMail.claimed_by == token,
                                                           OutgoingMail.sent_at.is_(None),
                                                           OutgoingMail.failed_at.is_(None))
                                .order_by(OutgoingMail.id)))


def drain(app: Flask, batch: int = BATCH) -> tuple[int, int]:
    """Send every message that is due. Returns (sent, failed attempts)."""
    sent = failed = 0
    token = new_token()
    with app.app_context():
        limit = app.config["MAIL_MAX_ATTEMPTS"]
        while True:
            with Session(db.engine) as session:
                rows = _claim(session, token, utcnow(), batch)
                if not rows:
                    return sent, failed
                for row in rows:
                    try:
                        _deliver(row.to_address, row.subject, row.body)
                    except Exception as exc:  # the server refused or timed out: try again later
                        failed += 1
                        row.attempts += 1
                        row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                        row.claimed_by = None
                        if row.attempts >= limit:
                            row.failed_at = utcnow()
                            app.logger.error("gave up sending mail %s to %s after %s attempts: %s",
                                      row.id, row.to_address, row.attempts, row.last_error)
                        else:
                            row.next_attempt_at = utcnow() + _backoff(row.attempts)
                            app.logger.warning("mail %s to %s failed (attempt %s), retrying at %s: %s", row.id,
                                        row.to_address, row.attempts, row.next_attempt_at, row.last_error)
                    else:
                        sent += 1
                        row.attempts += 1
                        row.sent_at = utcnow()
                    session.commit()  # per message: a crash later never re-sends this one


def status() -> dict:
    """Counts for ``flask mail status`` and /readyz: waiting, failed for good, and the age in
    seconds of the oldest message still waiting (None when none is)."""
    waiting = and_(OutgoingMail.sent_at.is_(None), OutgoingMail.failed_at.is_(None))
    count, oldest = db.session.execute(
        select(func.count(), func.min(OutgoingMail.created_at)).where(waiting)).one()
    failed = db.session.scalar(select(func.count()).where(OutgoingMail.failed_at.is_not(None)))
    return {"waiting": count, "failed": failed,
            "oldest_seconds": int((utcnow() - oldest).total_seconds()) if oldest else None}


def retry_failed() -> int:
    """Give every message that was given up on another round of attempts."""
    result = db.session.execute(update(OutgoingMail).where(OutgoingMail.failed_at.is_not(None))
                                .values(failed_at=None, attempts=0, next_attempt_at=utcnow(), claimed_by=None))
    return result.rowcount


# The sender in each process -------------------------------------------------------------------

class MailSender(OutboxWorker):
    """One per process: sends the mail outbox (portal.background): mode MAIL_DELIVERY ("thread",
    "inline" in tests, "off" when only `flask mail drain` sends), every MAIL_POLL_SECONDS."""

    name = "mail-sender"
    mode_setting = "MAIL_DELIVERY"
    poll_setting = "MAIL_POLL_SECONDS"

    def run_once(self) -> None:
        try:
            drain(self.app)
        except Exception:  # the messages stay in the outbox
            self.app.logger.exception("mail delivery failed; messages stay in the outbox")


def _after_transaction_end(session: Session, transaction) -> None:
    # The outermost transaction only (after_commit also fires when a begin_nested() that began
    # the transaction ends, while the outer one still holds its locks). A rollback has already
    # dropped the flag (_after_rollback), so a flag still here means the mail was committed.
    if transaction.parent is not None or transaction.nested:
        return
    if session.info.pop(_QUEUED, False):
        sender = current_app.extensions.get("portal_mail_sender") if current_app else None
        if sender is not None:
            sender.notify()


def _after_rollback(session: Session, transaction) -> None:
    if not transaction.nested:
        session.info.pop(_QUEUED, None)


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_transaction_end", _after_transaction_end):
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        event.listen(Session, "after_soft_rollback", _after_rollback)
    sender = MailSender(app)
    app.extensions["portal_mail_sender"] = sender
    app.before_request(sender.ensure_started)
