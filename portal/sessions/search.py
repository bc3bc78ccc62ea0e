"""Sessions in the site search: sharing sessions whose title, description, minutes, running
order or speakers contain the query's words (with the same synonyms and exclusions as the case
search). Sessions are few (tens a year), so a database query is enough; cases stay in the search index."""
from __future__ import annotations

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import defer, joinedload

from portal.extensions import db
from portal.search import synonyms
from portal.search.service import Clause, QueryError, parse
from portal.sessions.models import SESSION_LONG_COLUMNS, AgendaItem, SessionSpeaker, SharingSession


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matches(text: str):
    like = _like(text)
    agenda = select(AgendaItem.session_id).where(or_(
        AgendaItem.title.ilike(like, escape="\\"), AgendaItem.presenter.ilike(like, escape="\\"),
        AgendaItem.notes.ilike(like, escape="\\")))
    speakers = select(SessionSpeaker.session_id).where(or_(
        SessionSpeaker.name.ilike(like, escape="\\"), SessionSpeaker.affiliation.ilike(like, escape="\\")))
    return or_(SharingSession.title.ilike(like, escape="\\"), SharingSession.description.ilike(like, escape="\\"),
               SharingSession.minutes.ilike(like, escape="\\"), SharingSession.venue.ilike(like, escape="\\"),
               SharingSession.host.ilike(like, escape="\\"),
               SharingSession.id.in_(agenda), SharingSession.id.in_(speakers))


def _clause(clause: Clause):
    texts = (clause.text,) if clause.phrase else synonyms.expand(clause.text)
    return or_(*(_matches(t) for t in texts))


def condition(q: str):
    """The SQL condition for a query in the site's syntax (words, "phrases", OR, -exclusion,
    synonyms), or None when the query has no words."""
    try:
        parsed = parse(q or "")
    except QueryError:
        return None
    if parsed.empty:
        return None
    return and_(*(or_(*(_clause(c) for c in group)) for group in parsed.groups),
                *(not_(_clause(c)) for c in parsed.excluded))


def find_sessions(q: str, limit: int = 5) -> tuple[list[SharingSession], int]:
    """(up to ``limit`` matching sessions, newest first; how many match in all)."""
    where = condition(q)
    if where is None:
        return [], 0
    total = db.session.scalar(select(func.count()).select_from(SharingSession).where(where)) or 0
    rows = db.session.scalars(select(SharingSession).where(where)
                              .options(joinedload(SharingSession.event),
                                       *(defer(getattr(SharingSession, name)) for name in SESSION_LONG_COLUMNS))
                              .order_by(SharingSession.starts_at.desc()).limit(limit)).all()
    return list(rows), total
