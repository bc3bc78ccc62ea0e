"""Input at the edge: control characters (NUL and the like) never reach a view, a service or the
database. PostgreSQL refuses NUL in text outright, and nobody types the others on purpose.

* Query strings: a 400 with a clear message, except on the search endpoints, which drop them
  and say so next to the results (portal.search.parsing).
* Forms: every WTForms field strips them (a filter added to each field as it is bound), and the
  page says once that it did, so what was typed is kept and saved without them.
* JSON Lines import and Word import check their own input (portal.cases.bulk, docx_import).
"""
from __future__ import annotations

from flask import Flask, abort, flash, g, request
from flask_babel import gettext
from flask_wtf import FlaskForm

from portal.text import has_control_characters, strip_control_characters

#: Endpoints that clean their own query (and tell the user), rather than refuse it.
CLEANS_OWN_QUERY = frozenset({"search.search_page", "search.suggest", "api.search"})


def _strip_field_text(value):
    if isinstance(value, str) and has_control_characters(value):
        if not g.get("stripped_control_characters"):
            g.stripped_control_characters = True
            flash(gettext("已删除输入中的不可见控制字符（如 NUL）。"), "info")
        return strip_control_characters(value)
    return value


def _bind_field(self, form, unbound_field, options):
    # Each field's own filters stay; ours runs last, on the parsed value.
    options["filters"] = (*unbound_field.kwargs.get("filters", ()), _strip_field_text)
    return unbound_field.bind(form=form, **options)


# For every form of the app (they all derive from FlaskForm), as portal.forms does for CSRF.
FlaskForm.Meta.bind_field = _bind_field


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_control_characters_in_the_address():
        if request.endpoint in CLEANS_OWN_QUERY:
            return
        if any(has_control_characters(k) or has_control_characters(v) for k, v in request.args.items(multi=True)):
            abort(400, gettext("地址中含有不可见的控制字符（如 NUL），请检查链接后重试。"))
