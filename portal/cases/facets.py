"""Facets computed from the published cases (the /cases year filter), cached in each worker
process until a case changes.

Every transaction that adds, changes or deletes a case raises the ``cases`` row of
``facet_versions`` just before it commits; a cached value is used while the row still holds the
number it was computed under. Reading the row is one primary-key look-up, and since the row is in
the database a change made through any gunicorn worker (or the CLI) is seen by all of them.
Changes made with raw SQL that bypasses the ORM must raise the row themselves (or restart).
"""
from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from portal.cases.models import Case, FacetVersion
from portal.extensions import db

CASES = "cases"
_CHANGED = "portal_cases_changed"


def _after_flush(session: Session, _context) -> None:
    if any(isinstance(obj, Case) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True


def _before_commit(session: Session) -> None:
    # Raised last, right before COMMIT, so the row is locked only for an instant: a transaction
    # that holds it never waits for another lock (no deadlock with one holding case rows).
    session.flush()
    if session.info.pop(_CHANGED, False):
        session.execute(update(FacetVersion).where(FacetVersion.name == CASES)
                        .values(version=FacetVersion.version + 1))


def _after_rollback(session: Session, transaction) -> None:
    if not transaction.nested:
        session.info.pop(_CHANGED, None)


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


def cases_version() -> int | None:
    """The counter of the cases (None when the row is missing: nothing is cached then)."""
    return db.session.scalar(select(FacetVersion.version).where(FacetVersion.name == CASES))


def cached(name: str, compute):
    """``compute()``'s value (plain data, never ORM objects), kept in this process until a case
    changes."""
    version = cases_version()
    store = current_app.extensions.setdefault("case_facets", {})
    hit = store.get(name)
    if version is not None and hit is not None and hit[0] == version:
        return hit[1]
    value = compute()
    store[name] = (version, value)
    return value
