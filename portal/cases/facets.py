"""Facets computed from the published cases and the themes (the /cases year and theme filters,
the home page's theme counts) and the headline figures (cases, units, provinces, sessions held,
participants: the home page and /stats), cached in each worker process until one of those changes.

Every transaction that adds, changes or deletes a case, a theme, a unit or a session raises the
``cases`` row of ``facet_versions`` just before it commits; a cached value is used while the row
still holds the number it was computed under. Reading the row is one primary-key look-up, and
since the row is in the database a change made through any gunicorn worker (or the CLI) is seen
by all of them. Changes made with raw SQL that bypasses the ORM must raise the row themselves (or
restart). A value that also depends on the clock (a session counts as held once it has started)
is cached for a bounded time as well (``seconds``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import and_, event, func, select, update
from sqlalchemy.orm import Session

from portal.cases.models import Case, CaseStatus, FacetVersion, Theme, case_themes
from portal.extensions import db
from portal.models_base import statement

CASES = "cases"
_CHANGED = "portal_cases_changed"


@cache
def _tracked() -> tuple[type, ...]:
    # Imported here: the units and sessions packages import the cases package.
    from portal.orgs.models import Organization
    from portal.sessions.models import SharingSession

    return Case, Theme, Organization, SharingSession


def _after_flush(session: Session, _context) -> None:
    tracked = _tracked()
    if any(isinstance(obj, tracked) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


def _before_commit(session: Session) -> None:
    # Raised last, right before COMMIT, so the row is locked only for an instant: a transaction
    # that holds it never waits for another lock (no deadlock with one holding case rows).
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy 2.1 fires before_commit for it)
    session.flush()
    if session.info.pop(_CHANGED, False):
        session.execute(update(FacetVersion).where(FacetVersion.name == CASES)
                        .values(version=FacetVersion.version + 1))
        if has_app_context():
            g.pop(_VERSION, None)  # this request reads the new number from now on


def _after_rollback(session: Session, transaction) -> None:
    if not transaction.nested:
        session.info.pop(_CHANGED, None)


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


_VERSION = "portal_cases_version"


def cases_version() -> int | None:
    """The counter of the cases (None when the row is missing: nothing is cached then), read
    once per request."""
    if _VERSION not in g:
        setattr(g, _VERSION, db.session.scalar(_version_statement()))
    return g.get(_VERSION)


@statement
def _version_statement():
    return select(FacetVersion.version).where(FacetVersion.name == CASES)


def cached(name: str, compute, *, seconds: float | None = None):
    """``compute()``'s value (plain data, never ORM objects), kept in this process until a case,
    a theme, a unit or a session changes (and, with ``seconds``, no longer than that)."""
    version = cases_version()
    store = current_app.extensions.setdefault("case_facets", {})
    hit = store.get(name)
    now = time.monotonic()
    if version is not None and hit is not None and hit[0] == version and now < hit[2]:
        return hit[1]
    value = compute()
    store[name] = (version, value, now + seconds if seconds is not None else float("inf"))
    return value


@dataclass(frozen=True)
class ThemeRef:
    """A theme as the filters and the home page show it (plain data, safe to keep between requests)."""
    id: int
    name: str
    retired: bool


def theme_refs() -> list[ThemeRef]:
    """Every theme, active ones first, in the vocabulary's order."""
    return cached("themes", lambda: [
        ThemeRef(t.id, t.name, t.retired)
        for t in db.session.scalars(select(Theme).order_by(Theme.retired, Theme.position, Theme.id))])


def theme_counts() -> dict[int, int]:
    """Theme id -> number of published cases with that theme."""
    return cached("theme_counts", lambda: dict(db.session.execute(
        select(case_themes.c.theme_id, func.count(Case.id))
        .join(Case, and_(Case.id == case_themes.c.case_id, Case.status == CaseStatus.PUBLISHED))
        .group_by(case_themes.c.theme_id)).all()))
