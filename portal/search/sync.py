"""Keeping the index in step with the database (the outbox pattern).

1. ``after_flush``: every flushed change that affects what a case looks like in the index
   (the case itself, its themes, tags or organization) adds a row to ``search_outbox`` in the
   same transaction. A rolled-back change leaves no row; a committed one always does.
2. ``after_commit``: the process's indexer is woken. It takes the index's write lock (a
   backend batch, with a timeout, so several gunicorn workers queue up instead of failing),
   reads the outbox and the *current* state of those cases while holding the lock, writes,
   commits the index and only then deletes the outbox rows it handled. Reading current state
   under the lock means changes can never be applied out of order; a crash between the index
   commit and the delete only causes harmless re-indexing.
3. Anything that fails stays in the outbox and is retried; a user's request never waits for
   the index and never sees an indexing error.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, has_app_context
from sqlalchemy import delete, event, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, selectinload

from portal.background import OutboxWorker
from portal.extensions import db
from portal.search.backend import EXTENSION, IndexBusy, get_backend
from portal.search.documents import case_document
from portal.search.models import SearchOutbox

log = logging.getLogger(__name__)
BATCH = 500


def _affected_case_ids(session: Session) -> set[int]:
    from portal.calls.models import AwardLevel, CallEntry, CaseCall
    from portal.cases.models import Case, Theme
    from portal.orgs.models import Organization
    from portal.sessions.models import AgendaItem, SharingSession

    ids: set[int] = set()
    themes, orgs, sessions, calls = set(), set(), set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Case) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, Theme) and obj in session.dirty and obj.id is not None:
            themes.add(obj.id)
        elif isinstance(obj, Organization) and obj in session.dirty and obj.id is not None:
            orgs.add(obj.id)
        elif isinstance(obj, AgendaItem):
            # The case it presents now, and the one it presented before an edit.
            history = sa_inspect(obj).attrs.case_id.history
            ids.update(i for i in (obj.case_id, *history.deleted) if i)
        elif isinstance(obj, CallEntry):
            # Its case's award facet; a replaced entry's earlier case too.
            history = sa_inspect(obj).attrs.case_id.history
            ids.update(i for i in (obj.case_id, *history.deleted) if i)
        elif isinstance(obj, CaseCall | AwardLevel) and obj in session.dirty and obj.id is not None:
            calls.add(obj.id if isinstance(obj, CaseCall) else obj.call_id)
        elif isinstance(obj, SharingSession) and obj in session.dirty and obj.id is not None \
                and sa_inspect(obj).attrs.title.history.has_changes():
            sessions.add(obj.id)  # a renamed session changes its cases' session facet
    conn = session.connection()
    if sessions:
        ids.update(i for i in conn.execute(
            select(AgendaItem.case_id).where(AgendaItem.session_id.in_(sessions))).scalars() if i)
    if calls:  # results published, a call or an award level renamed: the award facet of its entries
        ids.update(conn.execute(select(CallEntry.case_id).where(CallEntry.call_id.in_(calls))).scalars())
    if themes:
        from portal.cases.models import case_themes

        ids.update(conn.execute(select(case_themes.c.case_id).where(case_themes.c.theme_id.in_(themes))).scalars())
    if orgs:
        ids.update(conn.execute(select(Case.id).where(Case.org_id.in_(orgs))).scalars())
    return ids


def _transactional_backend():
    """The app's backend when it writes inside each transaction (PostgreSQL), else None."""
    if not has_app_context():
        return None
    backend = current_app.extensions.get(EXTENSION)
    return backend if getattr(backend, "transactional", False) else None


def _after_flush(session: Session, _context) -> None:
    # One outbox row per case per transaction is enough: the drainer reads current state.
    queued = session.info.setdefault("portal_search_queued", set())
    ids = _affected_case_ids(session) - queued
    if not ids:
        return
    queued.update(ids)
    if _transactional_backend() is not None:  # written by _before_commit, in this transaction
        session.info.setdefault("portal_search_pending", set()).update(ids)
        return
    session.connection().execute(insert(SearchOutbox), [{"entity": "case", "entity_id": i} for i in sorted(ids)])
    session.info["portal_search_dirty"] = True


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy 2.1 fires before_commit for it): write at the real commit
    backend = _transactional_backend()
    if backend is None:
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit() flushes only after this event: its changes name their cases too
    ids = session.info.pop("portal_search_pending", None)
    if ids:
        backend.write_in_transaction(session, ids)


def _after_transaction_end(session: Session, transaction) -> None:
    # The outermost transaction only: after_commit also fires when a begin_nested() that began
    # the transaction ends, while the outer one still holds its locks (SQLite's write lock: an
    # indexer started then would wait for this very transaction), and a bump then would let a
    # reader cache results of a state not yet committed. A rollback has already dropped the
    # flags (_after_rollback), so flags still here mean the changes were committed.
    if transaction.parent is not None or transaction.nested:
        return
    session.info.pop("portal_search_queued", None)
    if session.info.pop("portal_search_written", False) and (backend := _transactional_backend()) is not None:
        backend.bump()
    if session.info.pop("portal_search_dirty", False):
        indexer = current_app.extensions.get("portal_indexer")
        if indexer is not None:
            indexer.notify()


def _after_rollback(session: Session, transaction) -> None:
    # A rolled-back savepoint may have taken outbox rows with it: forget what was queued so it
    # is queued again if flushed again, but keep "dirty" for the rows of earlier savepoints.
    session.info.pop("portal_search_queued", None)
    if not transaction.nested:
        session.info.pop("portal_search_dirty", None)
        session.info.pop("portal_search_written", None)
        session.info.pop("portal_search_pending", None)
        session.info.pop("portal_search_written", None)


def current_documents(session: Session, case_ids) -> tuple[list[dict], list[int]]:
    """What the index must hold for these cases now, as ``session`` sees the database: the
    documents of the published ones, and the ids of the others (to delete)."""
    from portal.cases.models import Case, CaseStatus

    cases = session.scalars(select(Case).where(Case.id.in_(sorted(case_ids)))
                            .options(selectinload(Case.themes), selectinload(Case.tags), selectinload(Case.org)))
    documents = [case_document(c) for c in cases if c.status == CaseStatus.PUBLISHED]
    published = {int(d["id"]) for d in documents}
    return documents, sorted(set(case_ids) - published)


def drain(app: Flask, batch: int = BATCH, lock_timeout: float = 10.0) -> int:
    """Apply pending outbox rows to the index. Returns how many cases were (re)indexed.

    Safe to run from any number of processes at once: the backend's write lock serializes them.
    Raises IndexBusy when the lock stays busy for ``lock_timeout`` seconds (the rows stay).
    """
    done = 0
    with app.app_context():
        backend = get_backend()
        while True:
            with Session(db.engine) as session:
                # Most passes find nothing to do (a poll, a commit that changed no case): they
                # end here, without waiting for the index's writer lock.
                if session.scalar(select(SearchOutbox.id).limit(1)) is None:
                    return done
                # End that read before waiting for the lock: on SQLite a transaction reads the
                # database as it was at its first statement, so rows and cases read after the wait
                # would miss what another process committed (and indexed) meanwhile, and this pass
                # would write their older text over it.
                session.rollback()
                with backend.batch(timeout=lock_timeout) as index:
                    rows = session.execute(
                        select(SearchOutbox.id, SearchOutbox.entity_id).order_by(SearchOutbox.id).limit(batch)).all()
                    if not rows:
                        return done
                    case_ids = sorted({r.entity_id for r in rows})
                    documents, gone = current_documents(session, case_ids)
                    for document in documents:
                        index.put(document)
                    for case_id in gone:
                        index.delete(str(case_id))
                session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
                session.commit()
                done += len(case_ids)


def pending_count() -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(SearchOutbox)) or 0


class Indexer(OutboxWorker):
    """One per process: drains the search outbox into the index (portal.background): mode
    SEARCH_SYNC ("thread", "inline" in tests, "off" when a separate indexer runs), every
    SEARCH_POLL_SECONDS, and refreshes this process's searcher after each pass."""

    name = "search-indexer"
    mode_setting = "SEARCH_SYNC"
    poll_setting = "SEARCH_POLL_SECONDS"

    def run_once(self) -> int:
        try:
            return drain(self.app)
        except IndexBusy:
            log.info("search index busy; the outbox will be drained later")
        except Exception:  # the database change is saved; retry later
            log.exception("search indexing failed; changes stay in the outbox")
        return 0

    def after_pass(self) -> None:
        self.warm()

    def warm(self) -> None:
        """Refresh this process's searcher and per-segment caches after an index change
        (cheap when nothing changed)."""
        try:
            with self.app.app_context():
                get_backend().warm()
        except Exception:  # a missing or broken index is reported by searches
            log.debug("search warm-up skipped", exc_info=True)


def init_app(app: Flask) -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)
    indexer = Indexer(app, app.config["SEARCH_SYNC"])
    app.extensions["portal_indexer"] = indexer
    app.before_request(indexer.ensure_started)
