"""Small helpers shared by every feature's models."""
from __future__ import annotations

import functools
import secrets
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC timestamp: SQLite keeps no zone, so every column stores UTC and
    templates convert to Asia/Shanghai through Flask-Babel."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_token(nbytes: int = 16) -> str:
    return secrets.token_hex(nbytes)


def one_of(column: str, values, name: str | None = None):
    """A CHECK constraint ``column IN (values)``, named ``ck_<table>_<name or column>`` by the
    naming convention. The migration that adds it spells the same list out literally."""
    from sqlalchemy import CheckConstraint

    listed = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or column)


def at_least(column: str, minimum: int = 0, name: str | None = None):
    """A CHECK constraint ``column IS NULL OR column >= minimum`` (NULL: not given)."""
    from sqlalchemy import CheckConstraint

    return CheckConstraint(f"{column} IS NULL OR {column} >= {int(minimum)}", name=name or column)



def lock_row(instance):
    """Serialize every change that depends on ``instance`` until the commit, and reload its
    columns as they are now.

    PostgreSQL locks the row (SELECT ... FOR UPDATE). SQLite locks the whole database for
    writing: its driver only opens a transaction at the first INSERT/UPDATE, so a count made
    before that could interleave with another writer's; BEGIN IMMEDIATE takes the write lock
    first (another writer waits, up to the busy timeout). If this connection already wrote in
    the current transaction it already holds that lock.
    """
    from sqlalchemy import select

    from portal.extensions import db

    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        db.session.refresh(instance)
    else:
        model = type(instance)
        db.session.execute(select(model).where(model.id == instance.id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()
    return instance


def _once_per_arguments(build, finish):
    built: dict = {}

    @functools.wraps(build)
    def get(*args, **kwargs):
        from flask import current_app

        key = (args, tuple(sorted(kwargs.items())), bool(current_app.testing))
        found = built.get(key)
        if found is None:
            found = built[key] = finish(build(*args, **kwargs))
        return found

    return get


def loader_options(build):
    """Decorator for a function that returns SQLAlchemy loader options (``joinedload``, ``defer``
    ...): build them once per arguments and reuse them. Options are immutable and may go into any
    number of statements; building a page's set took up to half a millisecond of every view (the
    session page's: 0.47 ms). Keyed by the app's TESTING flag too, which :func:`left_out` reads."""
    return _once_per_arguments(build, tuple)


def statement(build):
    """Decorator for a function that builds a statement whose values are bind parameters
    (``bindparam``): build it once per arguments and reuse the object. SQLAlchemy finds a
    statement's compiled form by a key it computes by walking the whole statement, and remembers
    the key on the object: a statement built afresh on every view paid that walk each time (the
    case page's expert comments, with their authors, scores and sessions: about 0.7 ms a view).
    The arguments choose the statement's shape (booleans, names), never values: each distinct
    set is kept for the life of the process."""
    return _once_per_arguments(build, lambda built: built)


def left_out(*columns, strict: bool = True) -> list:
    """``defer()`` options for the long columns a list does not show. ``strict``: under TESTING
    reading one raises instead of quietly loading it row by row (a list page that starts showing
    one must load it in its query)."""
    from flask import current_app
    from sqlalchemy.orm import defer

    raise_on_read = strict and bool(current_app.testing)
    return [defer(column, raiseload=raise_on_read) for column in columns]


def paginate(stmt, *, page: int, per_page: int, options=(), count_by=None):
    """``db.paginate`` for list pages, with a count that loads no rows: ``SELECT count(*)`` over
    the ids the filters match (``count_by``: the entity's primary key column), not over whole
    rows with their long text; ``options`` (eager loads, deferred columns) go on the page query
    only. Out-of-range pages are empty, as with ``error_out=False``."""
    from flask_sqlalchemy.pagination import SelectPagination
    from sqlalchemy import func, select

    from portal.extensions import db

    class IdCountPagination(SelectPagination):
        def _query_items(self):
            page_stmt = stmt.options(*options).limit(self.per_page).offset(self._query_offset)
            return list(db.session.execute(page_stmt).unique().scalars())

        def _query_count(self):
            ids = stmt.order_by(None)
            if count_by is not None:
                ids = ids.with_only_columns(count_by)
            return db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0

    return IdCountPagination(page=page, per_page=per_page, error_out=False)
