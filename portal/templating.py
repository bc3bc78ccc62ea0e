"""Jinja globals and filters shared by every template."""
from __future__ import annotations

from flask import Flask, g
from flask_babel import format_datetime, get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from portal import permissions
from portal.orgs.models import OrgRole, OrgStatus
from portal.rendering import stored_html
from portal.text import plain_summary, render_markdown
from portal.urls import absolute_url


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is displayed."""
    return message


ORG_STATUS_LABELS = {OrgStatus.PENDING: N_("待审核"), OrgStatus.VERIFIED: N_("已认证"), OrgStatus.REJECTED: N_("未通过")}
ORG_ROLE_LABELS = {OrgRole.ADMIN: N_("管理员"), OrgRole.EDITOR: N_("编辑")}


def _filesize(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def time_range(start, end) -> str:
    """"2026-05-01 14:00–17:00" (Beijing time); the end keeps its date when it falls on another day.

    One text with an en dash and no spaces, so the range reads the same everywhere (no "14:00 –17:00").
    """
    if not start:
        return ""
    text = format_datetime(start, "yyyy-MM-dd HH:mm")
    if not end:
        return text
    same_day = format_datetime(end, "yyyy-MM-dd") == format_datetime(start, "yyyy-MM-dd")
    return text + "\u2013" + format_datetime(end, "HH:mm" if same_day else "yyyy-MM-dd HH:mm")


def request_translations():
    """The visitor's message catalogue, looked up once per request (or app context).

    Flask-Babel keeps the catalogues loaded, but finds the current one again on every call
    (three look-ups of ``flask.g`` and the locale turned into a string: ~19 µs a string, a few
    hundred strings on a case page). The locale does not change within a request here
    (no ``force_locale``), so the first answer is kept in ``g``."""
    try:
        return g._portal_translations
    except AttributeError:
        pass
    except RuntimeError:  # no app context: Flask-Babel's own answer (the untranslated strings)
        return get_translations()
    translations = g._portal_translations = get_translations()
    return translations


def _newstyle(translate, plural=False):
    """Jinja's "newstyle" gettext (autoescape, then %-formatting with the keyword arguments, ``num``
    for plurals), calling ``translate`` directly: the same as ``install_gettext_callables(newstyle=True)``."""
    if plural:
        @pass_context
        def ngettext(__context, __singular, __plural, __num, **variables):
            variables.setdefault("num", __num)
            rv = translate(__singular, __plural, __num)
            return (Markup(rv) if __context.eval_ctx.autoescape else rv) % variables
        return ngettext

    @pass_context
    def gettext(__context, __string, **variables):
        rv = translate(__string)
        rv = Markup(rv) if __context.eval_ctx.autoescape else rv
        # "%" formatting without variables changes nothing but "%%": skip it for the common case.
        return rv % variables if variables or "%" in rv else rv
    return gettext


def _install_translations(app: Flask) -> None:
    """Templates translate through the request's catalogue: the Jinja globals (used by macros
    imported without context and by ``from_string`` templates) look it up in ``g``; templates
    rendered with ``render_template`` get functions bound to it by a context processor."""
    def tr():
        return request_translations()

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: tr().ugettext(s), ngettext=lambda s, p, n: tr().ungettext(s, p, n), newstyle=True,
        pgettext=lambda c, s: tr().upgettext(c, s), npgettext=lambda c, s, p, n: tr().unpgettext(c, s, p, n))

    @app.context_processor
    def bound_translations():
        translations = request_translations()
        gettext = _newstyle(translations.ugettext)
        return {"_": gettext, "gettext": gettext, "ngettext": _newstyle(translations.ungettext, plural=True)}


class _Predicates:
    """``can.can_edit_org(current_user, org)`` in templates: the same checks services use."""

    def __getattr__(self, name):
        return permissions.TEMPLATE_PREDICATES[name]


def _page_url() -> str:
    """This page's public address (og:url): BASE_URL or the request's host, with the query."""
    from flask import request

    return absolute_url(request.full_path.rstrip("?"))


def init_app(app: Flask) -> None:
    from flask_babel import gettext

    # Stored user Markdown: ``{{ case|rendered('background') }}`` shows the HTML saved with it
    # (portal.rendering). ``markdown`` renders on every call: only for text that is not stored.
    app.jinja_env.filters["rendered"] = stored_html
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["meta_description"] = plain_summary
    app.jinja_env.filters["datetime"] = lambda value, fmt="yyyy-MM-dd HH:mm": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["time_range"] = time_range
    app.jinja_env.filters["org_status"] = lambda value: gettext(ORG_STATUS_LABELS.get(value, value))
    app.jinja_env.filters["org_role"] = lambda value: gettext(ORG_ROLE_LABELS.get(value, value))

    from portal.cases.models import SECTIONS
    from portal.cases.services import ACTION_LABELS, FIELD_LABELS, STATUS_LABELS

    app.jinja_env.globals.update(sections=SECTIONS, field_labels=FIELD_LABELS, page_url=_page_url,
                                 absolute_url=absolute_url)

    app.jinja_env.filters["case_status"] = lambda value: gettext(STATUS_LABELS.get(value, value))
    app.jinja_env.filters["case_action"] = lambda value: gettext(ACTION_LABELS.get(value, value))
    app.jinja_env.filters["filesize"] = _filesize
    _install_translations(app)

    @app.context_processor
    def inject_globals():
        return {
            "can": _Predicates(),
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
        }
