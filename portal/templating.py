"""Jinja globals and filters shared by every template."""
from __future__ import annotations

from flask import Flask
from flask_babel import format_datetime, get_locale

from portal import permissions
from portal.orgs.models import OrgRole, OrgStatus
from portal.text import plain_summary, render_markdown


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


class _Predicates:
    """``can.can_edit_org(current_user, org)`` in templates: the same checks services use."""

    def __getattr__(self, name):
        return permissions.TEMPLATE_PREDICATES[name]


def init_app(app: Flask) -> None:
    from flask_babel import gettext

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["meta_description"] = plain_summary
    app.jinja_env.filters["datetime"] = lambda value, fmt="yyyy-MM-dd HH:mm": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["time_range"] = time_range
    app.jinja_env.filters["org_status"] = lambda value: gettext(ORG_STATUS_LABELS.get(value, value))
    app.jinja_env.filters["org_role"] = lambda value: gettext(ORG_ROLE_LABELS.get(value, value))

    from portal.cases.models import SECTIONS
    from portal.cases.services import ACTION_LABELS, FIELD_LABELS, STATUS_LABELS

    app.jinja_env.globals.update(sections=SECTIONS, field_labels=FIELD_LABELS)

    app.jinja_env.filters["case_status"] = lambda value: gettext(STATUS_LABELS.get(value, value))
    app.jinja_env.filters["case_action"] = lambda value: gettext(ACTION_LABELS.get(value, value))
    app.jinja_env.filters["filesize"] = _filesize

    @app.context_processor
    def inject_globals():
        return {
            "can": _Predicates(),
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
        }
