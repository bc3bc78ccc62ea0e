"""Form pieces shared by every feature."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField as _WTFormsIntegerField
from wtforms import TextAreaField
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.urls import INT_MAX, INT_MIN


class _CSRFTokenField(CSRFTokenField):
    """The hidden CSRF input, rendered without an id: a page holds many forms (log out, language,
    follow buttons, ...) and an id must be unique in it. ``csrf_token(id="...")`` still sets one."""

    def __call__(self, **kwargs):
        kwargs.setdefault("id", False)
        return super().__call__(**kwargs)


class _CSRF(FlaskForm.Meta.csrf_class):
    field_class = _CSRFTokenField


# For every form of the app (they all derive from FlaskForm), without a base class of our own.
FlaskForm.Meta.csrf_class = _CSRF


class IntegerField(_WTFormsIntegerField):
    """WTForms' IntegerField, refusing numbers the database's INTEGER columns cannot hold (a
    clear message next to the field instead of a database error). Every form uses this one."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not INT_MIN <= self.data <= INT_MAX:
            self.data = None
            raise ValueError(self.gettext("数值超出范围。"))


class ActionForm(FlaskForm):
    """A button-only form: carries the CSRF token for POST actions."""


class LazyForm:
    """``LazyForm(ActionForm, formdata=None)``: the form is built when a template first uses it.

    Building a FlaskForm creates the visitor's CSRF token (in the session), which makes the page
    the visitor's own: it may not be shared by a cache (portal/httpcache.py). Pages that offer
    forms only to some users (the case page's buttons, the discussion box) pass them lazily, so
    an anonymous visitor's page stays public."""

    __slots__ = ("_build", "_form")

    def __init__(self, form_class, *args, **kwargs):
        self._build = lambda: form_class(*args, **kwargs)
        self._form = None

    def _get(self):
        if self._form is None:
            self._form = self._build()
        return self._form

    def __getattr__(self, name):
        return getattr(self._get(), name)

    def __iter__(self):
        return iter(self._get())

    def __getitem__(self, key):
        return self._get()[key]

    def __contains__(self, key):
        return key in self._get()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("原因"), validators=[Optional(), Length(max=1000)])


def required(message=None):
    return DataRequired(message=message or _l("此项为必填项。"))


def email_field_validators():
    return [required(), Email(message=_l("请输入有效的邮箱地址。")), Length(max=254)]


def apply_service_error(form: FlaskForm, error) -> bool:
    """Show a service ValidationError next to its field; returns False if it had no field."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        return False
    field.errors = list(field.errors) + [error.message]
    return True
