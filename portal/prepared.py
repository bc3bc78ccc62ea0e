"""Prepared statements for the busiest pages, on PostgreSQL.

Planning a statement with a few joins costs PostgreSQL more than running it (the case page's
expert comments: 1.1 ms of planning, 0.2 ms of execution), and a page sends the same statements
on every view. A prepared statement is planned a few times and then reused with its generic plan.
Two things stood in the way:

- psycopg forgets every prepared statement of a connection when the connection rolls back, and
  each request's session ended with a rollback. A transaction that only read now ends with
  ``COMMIT``, which leaves the database exactly as ``ROLLBACK`` would; anything that wrote, holds
  unflushed changes or ended with an exception still rolls back.
- A generic plan does not know its parameters. That suits a page that looks its things up by
  key (a case, a session, the home page's fixed lists) but not a filtered list: the case list
  filtered by theme read every published case with it (5.2 ms against 2.9 ms). So psycopg's
  automatic preparing (any statement at its fifth execution) is off, and only the statements of
  the views marked with :func:`prepared_statements` are prepared.

``DATABASE_PREPARED_STATEMENTS = False`` turns both off (behind a connection pooler that cannot
carry prepared statements, such as PgBouncer before 1.21 in transaction mode).
"""
from __future__ import annotations

import functools
import logging
from contextvars import ContextVar

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_WROTE = "portal_wrote"  # Connection.info: the transaction sent something other than a SELECT
_CONNECTION = "portal_connection"  # Session.info: the connection of its current transaction
_PREPARE: ContextVar[bool] = ContextVar("portal_prepare_statements", default=False)
#: psycopg prepares a statement at this many executions unless told to at once; "never".
_NEVER = 2**62


def prepared_statements(view):
    """Mark a view whose statements look things up by key (a case, a unit, a session) or have
    no parameters worth a plan of their own: they are prepared on the connection and planned
    once, not on every view. Not for the case list's filters; the sessions list's filters read a
    table of a few hundred rows, where any plan is cheap."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = _PREPARE.set(True)
        try:
            return view(*args, **kwargs)
        finally:
            _PREPARE.reset(token)
    return wrapper


def _on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.prepare_threshold = _NEVER


def _do_execute(cursor, statement, parameters, _context) -> bool | None:
    if _PREPARE.get():
        cursor.execute(statement, parameters, prepare=True)
        return True
    return None  # SQLAlchemy executes it as usual


def _after_begin(session: Session, _transaction, connection: Connection) -> None:
    connection.info[_WROTE] = False
    session.info[_CONNECTION] = connection


def _before_execute(conn: Connection, _cursor, statement: str, _params, _context, _many) -> None:
    if not conn.info.get(_WROTE) and statement.lstrip()[:6].upper() != "SELECT":
        conn.info[_WROTE] = True


def read_only(session: Session) -> bool:
    """Whether the session's open transaction has sent only SELECT statements and holds no
    unflushed change (False when there is no transaction or it never reached the database)."""
    connection = session.info.get(_CONNECTION)
    return (session.in_transaction() and connection is not None and not connection.closed
            and connection.in_transaction() and connection.info.get(_WROTE) is False
            and not (session.new or session.dirty or session.deleted))


def _end_request(exc: BaseException | None) -> None:
    from portal.extensions import db

    if not db.session.registry.has():  # this context never used the database
        return
    session = db.session()
    expire = session.expire_on_commit
    try:
        if exc is None and read_only(session):
            # Objects keep what they loaded, as after the rollback: code that ran in an app
            # context may still read them once it has ended.
            session.expire_on_commit = False
            session.commit()
    except Exception:  # noqa: BLE001 - the session's removal rolls back, as it always did
        log.warning("ending a read-only transaction with COMMIT failed", exc_info=True)
    finally:
        session.expire_on_commit = expire
        session.info.pop(_CONNECTION, None)


def _off(dbapi_connection, _record) -> None:
    dbapi_connection.prepare_threshold = None


def init_app(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    from portal.extensions import db

    with app.app_context():
        engine: Engine = db.engine
    if not app.config["DATABASE_PREPARED_STATEMENTS"]:
        if not event.contains(engine, "connect", _off):
            event.listen(engine, "connect", _off)
        return
    if not event.contains(engine, "connect", _on_connect):
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "do_execute", _do_execute)
        event.listen(engine, "before_cursor_execute", _before_execute)
    if not event.contains(Session, "after_begin", _after_begin):
        event.listen(Session, "after_begin", _after_begin)
    # Registered after Flask-SQLAlchemy's own teardown: teardown functions run last-registered
    # first, so this one runs before the session is removed (which rolls back).
    app.teardown_appcontext(_end_request)
