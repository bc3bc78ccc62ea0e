"""Helpers for thin views."""
from flask import flash

from portal.errors import ValidationError
from portal.extensions import db


def run_action(action, success_message: str) -> bool:
    """Run one service call, commit and flash. A refused rule is flashed and
    the transaction rolled back, so nothing half-done is saved."""
    try:
        action()
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return False
    db.session.commit()
    flash(success_message, "success")
    return True


#: Returned by run_form_action when a rule refused the change.
FAILED = object()


def run_form_action(form, action, success_message: str):
    """Run the service call behind a validated form. On success: commit, flash, return the
    service's result. When a rule refuses it: roll back, show the message next to its field
    (or as a flash) and return ``FAILED``; the form keeps what the user typed."""
    from portal.forms import apply_service_error

    try:
        result = action()
    except ValidationError as exc:
        db.session.rollback()
        apply_service_error(form, exc) or flash(exc.message, "error")
        return FAILED
    db.session.commit()
    flash(success_message, "success")
    return result
