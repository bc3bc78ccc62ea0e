"""Forms of the notification centre: preferences and follow buttons (all CSRF-protected)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField

from portal.notifications.services import KIND_LABELS


def preferences_form(current: dict[str, tuple[bool, bool]] | None = None, **kwargs) -> FlaskForm:
    """A form with one 站内 and one 邮件 checkbox per kind: ``in_app_<kind>`` and ``email_<kind>``."""

    class PreferencesForm(FlaskForm):
        # Always sent, so a form with every box unticked still counts as submitted.
        save = HiddenField(default="1")

        def choices(self) -> dict[str, tuple[bool, bool]]:
            return {str(kind): (bool(self[f"in_app_{kind}"].data), bool(self[f"email_{kind}"].data))
                    for kind in KIND_LABELS}

        def rows(self):
            """(label, in-app field, e-mail field) per kind, in display order."""
            return [(label, self[f"in_app_{kind}"], self[f"email_{kind}"]) for kind, label in KIND_LABELS.items()]

    for kind in KIND_LABELS:
        setattr(PreferencesForm, f"in_app_{kind}", BooleanField(_l("站内通知")))
        setattr(PreferencesForm, f"email_{kind}", BooleanField(_l("邮件")))
    data = {}
    for kind, (in_app, email) in (current or {}).items():
        data[f"in_app_{kind}"], data[f"email_{kind}"] = in_app, email
    return PreferencesForm(data=data, **kwargs)


class FollowForm(FlaskForm):
    target_type = HiddenField()
    key = HiddenField()
    next = HiddenField()
