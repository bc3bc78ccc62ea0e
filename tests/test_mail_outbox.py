"""Mail goes through an outbox (issue 14): written in the same transaction as the change, sent
after the commit, retried with backoff when the server fails, never sent twice by concurrent
senders, and given up on (and reported) after MAIL_MAX_ATTEMPTS."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import mail_messages


def queue(app, count=1, subject="通知"):
    from portal.extensions import db
    from portal.mail import send_mail

    with app.app_context():
        for n in range(count):
            send_mail(f"user{n}@example.org", f"{subject}{n}", "正文")
        db.session.commit()


def rows(app):
    from portal.extensions import db
    from portal.mail.models import OutgoingMail

    with app.app_context():
        out = [{"to": r.to_address, "attempts": r.attempts, "sent": r.sent_at is not None,
                "failed": r.failed_at is not None, "error": r.last_error, "next": r.next_attempt_at}
               for r in db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id))]
        db.session.remove()
    return out


def test_a_message_is_sent_after_the_commit_and_recorded(app):
    queue(app)
    assert [m["Subject"] for m in mail_messages(app)] == ["通知0"]
    assert [(r["sent"], r["attempts"]) for r in rows(app)] == [(True, 1)]


def test_a_rolled_back_change_sends_nothing(app):
    from portal.extensions import db
    from portal.mail import send_mail

    with app.app_context():
        send_mail("a@example.org", "不该发出", "正文")
        db.session.rollback()
    assert mail_messages(app) == [] and rows(app) == []


def test_a_failing_server_does_not_fail_the_request_and_the_message_is_retried(app, client, factory):
    """The reset request answers as usual while the SMTP server refuses; the message waits with
    its error, is retried later with a growing delay, and goes out once the server is back."""
    _, email = factory.user("a@example.org")
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=1, WTF_CSRF_ENABLED=False)
    response = client.post("/auth/reset", data={"email": email})
    assert response.status_code == 302
    (row,) = rows(app)
    assert row["attempts"] == 1 and not row["sent"] and "ConnectionRefusedError" in row["error"]

    from portal.extensions import db
    from portal.mail.models import OutgoingMail
    from portal.mail.services import drain
    from portal.models_base import utcnow

    assert drain(app) == (0, 0), "not due yet: the retry waits for its backoff"
    with app.app_context():
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
    assert drain(app) == (0, 1)
    second = rows(app)[0]
    assert second["attempts"] == 2 and second["next"] - utcnow() > timedelta(minutes=4)

    app.config["MAIL_BACKEND"] = "file"  # the server is back
    with app.app_context():
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
    assert drain(app) == (1, 0)
    assert [m["To"] for m in mail_messages(app)] == [email]
    assert drain(app) == (0, 0), "sent once"


def test_after_the_last_attempt_it_is_given_up_reported_and_can_be_retried(app, runner, caplog):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=1, MAIL_MAX_ATTEMPTS=2)
    queue(app)
    from portal.extensions import db
    from portal.mail.models import OutgoingMail
    from portal.mail.services import drain
    from portal.models_base import utcnow

    with app.app_context():
        db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
        db.session.commit()
    drain(app)
    assert rows(app)[0]["failed"] and "gave up sending mail" in caplog.text
    result = runner.invoke(args=["mail", "status"])
    assert result.exit_code == 1 and "已放弃 1 封" in result.output
    app.config["MAIL_BACKEND"] = "file"
    assert "已重新排队 1 封邮件" in runner.invoke(args=["mail", "retry-failed"]).output
    assert "已发送 1 封邮件" in runner.invoke(args=["mail", "drain"]).output
    assert runner.invoke(args=["mail", "status"]).exit_code == 0


def test_with_delivery_off_only_the_drain_command_sends(app, runner):
    app.config["MAIL_DELIVERY"] = "off"
    queue(app, 3)
    assert mail_messages(app) == []
    assert "已发送 3 封邮件" in runner.invoke(args=["mail", "drain"]).output
    assert len(mail_messages(app)) == 3


def test_concurrent_senders_send_each_message_exactly_once(app):
    app.config["MAIL_DELIVERY"] = "off"
    queue(app, 40)
    from portal.mail.services import drain

    results, errors = [], []

    def run():
        try:
            results.append(drain(app, batch=5))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(sent for sent, _ in results) == 40
    subjects = sorted(m["Subject"] for m in mail_messages(app))
    assert subjects == sorted(f"通知{n}" for n in range(40))


def test_readyz_reports_mail_waiting_too_long(app, client):
    app.config["MAIL_DELIVERY"] = "off"
    queue(app)
    from portal.extensions import db
    from portal.mail.models import OutgoingMail
    from portal.models_base import utcnow

    assert client.get("/readyz").get_json()["checks"]["mail"]["ok"] is True
    with app.app_context():
        db.session.execute(update(OutgoingMail).values(created_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    check = client.get("/readyz").get_json()["checks"]["mail"]
    assert check["ok"] is False and "请检查邮件服务器设置" in check["detail"]


@pytest.mark.parametrize("mode", ["inline", "thread"])
def test_a_notification_email_goes_out_in_either_mode(app, mode):
    import time

    app.config["MAIL_DELIVERY"] = mode
    with app.test_request_context():
        from portal.extensions import db
        from portal.mail import send_mail

        send_mail("a@example.org", "提醒", "正文")
        db.session.commit()
    deadline = time.monotonic() + 10
    while not mail_messages(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m["Subject"] for m in mail_messages(app)] == ["提醒"]


def test_a_savepoint_ending_does_not_send_before_the_transaction_commits(app, caplog):
    """begin_nested() on a session with no transaction begins the outer one too; when the
    savepoint ends, the outer transaction still holds its locks (SQLite: "database is locked")
    and may still roll back. Mail goes out at the real commit."""
    from portal.extensions import db
    from portal.mail import send_mail

    with app.app_context():
        with db.session.begin_nested():
            send_mail("a@example.org", "保存点内", "正文")
        assert mail_messages(app) == []
        send_mail("b@example.org", "保存点外", "正文")
        db.session.commit()
        assert sorted(m["Subject"] for m in mail_messages(app)) == ["保存点内", "保存点外"]
    assert "database is locked" not in caplog.text and "mail delivery failed" not in caplog.text


def test_the_sender_thread_ends_when_stopped_or_when_its_mode_changes(app):
    """A sending thread left behind kept reading a database file that the next test (or a
    restore) replaced: "disk I/O error" in a later test's log."""
    import time

    app.config.update(MAIL_DELIVERY="thread", MAIL_POLL_SECONDS=0.05)
    sender = app.extensions["portal_mail_sender"]
    sender.ensure_started()
    assert sender._running()
    sender.stop()
    assert not sender._running()

    sender.ensure_started()
    assert sender._running()
    app.config["MAIL_DELIVERY"] = "off"
    deadline = time.monotonic() + 10
    while sender._running() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not sender._running()
