"""Forms of the notification centre: preferences and follow buttons (all CSRF-protected)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField

from portal.notifications.models import Kind
from portal.notifications.services import DIGEST_CHOICES, KIND_LABELS

#: New cases in followed things are e-mailed as a digest: a choice, not a tick box.
DIGEST_KIND = str(Kind.FOLLOWED_CASE)


def preferences_form(current: dict[str, tuple[bool, bool]] | None = None, digest: str = "daily", **kwargs) -> FlaskForm:
    """A form with one 站内 checkbox per kind, ``in_app_<kind>``, and one 邮件 field per kind,
    ``email_<kind>``: a checkbox, or for followed cases the digest choice (不发送 / 每日 / 每周)."""

    class PreferencesForm(FlaskForm):
        # Always sent, so a form with every box unticked still counts as submitted.
        save = HiddenField(default="1")

        def choices(self) -> dict[str, tuple[bool, bool]]:
            return {str(kind): (bool(self[f"in_app_{kind}"].data),
                                self.digest() != "never" if str(kind) == DIGEST_KIND else bool(self[f"email_{kind}"].data))
                    for kind in KIND_LABELS}

        def digest(self) -> str:
            return self[f"email_{DIGEST_KIND}"].data or "never"

        def rows(self):
            """(label, in-app field, e-mail field) per kind, in display order."""
            return [(label, self[f"in_app_{kind}"], self[f"email_{kind}"]) for kind, label in KIND_LABELS.items()]

    for kind in KIND_LABELS:
        setattr(PreferencesForm, f"in_app_{kind}", BooleanField(_l("站内通知")))
        if str(kind) == DIGEST_KIND:
            field = SelectField(_l("邮件摘要"), choices=[SelectChoice(v, label) for v, label in DIGEST_CHOICES.items()], default="daily",
                                validate_choice=True)
        else:
            field = BooleanField(_l("邮件"))
        setattr(PreferencesForm, f"email_{kind}", field)
    data = {}
    for kind, (in_app, email) in (current or {}).items():
        data[f"in_app_{kind}"], data[f"email_{kind}"] = in_app, email
    data[f"email_{DIGEST_KIND}"] = digest
    return PreferencesForm(data=data, **kwargs)


class FollowForm(FlaskForm):
    target_type = HiddenField()
    key = HiddenField()
    next = HiddenField()
