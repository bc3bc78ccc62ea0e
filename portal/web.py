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
