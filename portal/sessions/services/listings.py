"""The archive listings: upcoming sessions, the archive by year, admin lists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.cases.models import Theme
from portal.extensions import db
from portal.models_base import left_out, loader_options, utcnow
from portal.sessions.models import SESSION_LONG_COLUMNS, AgendaItem, Event, SessionStatus, SharingSession
from portal.timezones import utc_to_shanghai

# Listings ---------------------------------------------------------------------------------------

@loader_options
def card_options() -> tuple:
    """What a session card (sessions/_card.html) shows, one query per kind: its event or series,
    its themes and its running order (to count the cases presented); its long text left out."""
    return (*left_out(*(getattr(SharingSession, name) for name in SESSION_LONG_COLUMNS)),
            joinedload(SharingSession.event), joinedload(SharingSession.series),
            selectinload(SharingSession.themes),
            selectinload(SharingSession.agenda).defer(AgendaItem.notes))


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


def upcoming(now: datetime | None = None):
    """The one rule for an upcoming session, as an SQL condition: planned and not over yet
    (ends at or after ``now``). A session in progress is still upcoming: it stays under 即将举行
    on /sessions and in the calendar feed until it ends. (Registering, cancelling and proposing
    cases close earlier, when it starts: see participation.not_started.)"""
    now = now or utcnow()
    return and_(SharingSession.status == SessionStatus.PLANNED, SharingSession.ends_at >= now)


def upcoming_sessions(filters: SessionFilters | None = None, now: datetime | None = None, *,
                      cards: bool = True) -> list[SharingSession]:
    """Upcoming sessions (:func:`upcoming`), soonest first: the /sessions list (``cards``: loaded
    for session cards) and the calendar feed (``cards=False``: with their descriptions)."""
    options = card_options() if cards else (joinedload(SharingSession.event),)
    stmt = _filtered(filters or SessionFilters()).where(upcoming(now)).options(*options)
    return list(db.session.scalars(stmt.order_by(SharingSession.starts_at, SharingSession.id)))


def archive_by_year(filters: SessionFilters | None = None,
                    now: datetime | None = None) -> list[tuple[int, list[SharingSession]]]:
    """Every other session (held, archived, or planned but already over), newest first,
    grouped by the year (Asia/Shanghai) it took place."""
    stmt = _filtered(filters or SessionFilters()).where(not_(upcoming(now))).options(*card_options())
    groups: dict[int, list[SharingSession]] = {}
    for session in db.session.scalars(stmt.order_by(SharingSession.starts_at.desc(), SharingSession.id.desc())):
        groups.setdefault(utc_to_shanghai(session.starts_at).year, []).append(session)
    return list(groups.items())


def sessions_statement(filters: SessionFilters | None = None, when: str = "", now: datetime | None = None):
    """Sessions for a paged list (the API): ``when`` "upcoming" (soonest first), "past" (newest
    first) or "" (all, newest first), with the filters of /sessions; loaded for cards."""
    stmt = _filtered(filters or SessionFilters()).options(*card_options())
    if when == "upcoming":
        return stmt.where(upcoming(now)).order_by(SharingSession.starts_at, SharingSession.id)
    if when == "past":
        stmt = stmt.where(not_(upcoming(now)))
    return stmt.order_by(SharingSession.starts_at.desc(), SharingSession.id.desc())


def all_sessions() -> list[SharingSession]:
    """For the admin list: newest first."""
    return list(db.session.scalars(select(SharingSession).order_by(SharingSession.starts_at.desc(),
                                                                   SharingSession.id.desc())))


def session_themes_in_use() -> list[Theme]:
    """Themes worth offering in the /sessions filter: active ones."""
    return list(db.session.scalars(select(Theme).where(Theme.retired.is_(False)).order_by(Theme.position, Theme.id)))
