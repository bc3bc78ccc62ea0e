"""Outgoing mail, through an outbox: a message is a row written in the same transaction as the
change it tells about (nothing is sent for a change that rolled back, nothing is lost when the
mail server is slow or down), delivered after the commit by a background thread in each process
or by ``flask --app wsgi mail drain``, with retries and backoff. See services.py."""
from portal.mail.services import build_message, init_app, send_after_commit, send_mail

__all__ = ["build_message", "init_app", "send_after_commit", "send_mail"]
