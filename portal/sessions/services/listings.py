"""The archive listings: upcoming sessions, the archive by year, admin lists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from portal.cases.models import Theme
from portal.extensions import db
from portal.models_base import utcnow
from portal.sessions.models import Event, SessionStatus, SharingSession
from portal.timezones import utc_to_shanghai

# Listings ---------------------------------------------------------------------------------------

@dataclass
class SessionFilters:
    q: str = ""
    theme: int | None = None


def _filtered(filters: SessionFilters):
    stmt = select(SharingSession)
    if filters.theme:
        stmt = stmt.where(or_(SharingSession.themes.any(Theme.id == filters.theme),
                              SharingSession.event.has(Event.themes.any(Theme.id == filters.theme))))
    q = (filters.q or "").strip()[:100]
    if q:
        from portal.sessions.search import condition  # the site search's syntax and synonyms

        where = condition(q)
        if where is not None:
            stmt = stmt.where(where)
    return stmt


def upcoming_sessions(filters: SessionFilters | None = None, now: datetime | None = None) -> list[SharingSession]:
    """Planned sessions that have not started, soonest first."""
    now = now or utcnow()
    stmt = _filtered(filters or SessionFilters()).where(
        SharingSession.status == SessionStatus.PLANNED, SharingSession.starts_at >= now)
    return list(db.session.scalars(stmt.order_by(SharingSession.starts_at, SharingSession.id)))


def archive_by_year(filters: SessionFilters | None = None,
                    now: datetime | None = None) -> list[tuple[int, list[SharingSession]]]:
    """Every other session (held, archived, or planned but already begun), newest first,
    grouped by the year (Asia/Shanghai) it took place."""
    now = now or utcnow()
    stmt = _filtered(filters or SessionFilters()).where(
        or_(SharingSession.status != SessionStatus.PLANNED, SharingSession.starts_at < now))
    groups: dict[int, list[SharingSession]] = {}
    for session in db.session.scalars(stmt.order_by(SharingSession.starts_at.desc(), SharingSession.id.desc())):
        groups.setdefault(utc_to_shanghai(session.starts_at).year, []).append(session)
    return list(groups.items())


def all_sessions() -> list[SharingSession]:
    """For the admin list: newest first."""
    return list(db.session.scalars(select(SharingSession).order_by(SharingSession.starts_at.desc(),
                                                                   SharingSession.id.desc())))


def session_themes_in_use() -> list[Theme]:
    """Themes worth offering in the /sessions filter: active ones."""
    return list(db.session.scalars(select(Theme).where(Theme.retired.is_(False)).order_by(Theme.position, Theme.id)))
