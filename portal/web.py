"""Helpers for thin views."""
from dataclasses import dataclass

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


def form_page(form, action, success_message: str, next_url, template: str, **context):
    """A form page: on a valid POST run the service through run_form_action and redirect to
    ``next_url(result)``; otherwise (GET, invalid input or a refused rule) render ``template``
    with the form, status 422 when the form holds errors."""
    from flask import redirect, render_template

    if form.validate_on_submit():
        result = run_form_action(form, action, success_message)
        if result is not FAILED:
            return redirect(next_url(result))
    return render_template(template, form=form, **context), 422 if form.errors else 200


@dataclass(frozen=True)
class FilterChip:
    """An active filter of a list page, shown above the results (the filter_chips macro)."""
    label: str  # what is filtered, e.g. 主题
    value: str  # the chosen value; "" for a switch such as 只看精选
    url: str    # the same list without this filter
