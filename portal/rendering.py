"""User Markdown rendered and sanitised once, when it is saved, instead of on every view.

A model lists its Markdown columns with :func:`stores_html` and declares a twin column for each
(``background`` -> ``background_html``, made with :func:`html_column`). A ``before_flush``
listener fills the twin through :func:`portal.text.render_markdown` (bleach stays the sanitiser)
whenever the source is new or changed, so every ORM write path (forms, API, imports, CLI, demo
seed) stores it without its caller doing anything. Templates show it with the ``rendered``
filter (``{{ case|rendered('background') }}``), which renders afresh only when the twin is NULL
(rows written by raw SQL) or the source has unsaved changes: no path shows unsanitised text.

Writes that bypass the ORM (``UPDATE`` statements, data migrations) must fill the twin
themselves with :func:`rerender_table`. When the allow-list or the renderer changes, run
``flask --app wsgi portal rerender-html`` (and add a migration calling :func:`rerender_table`
so that deploys get it too).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from markupsafe import Markup
from sqlalchemy import Text, bindparam, column, event, inspect, select, table
from sqlalchemy.orm import Session, mapped_column

from portal.text import render_markdown

#: model class -> {Markdown attribute: its stored-HTML attribute}
REGISTRY: dict[type, dict[str, str]] = {}
SUFFIX = "_html"


def html_column(*, deferred_group: str | None = None):
    """The stored-HTML twin of a Markdown column: NULL until rendered."""
    if deferred_group:
        return mapped_column(Text, nullable=True, deferred=True, deferred_group=deferred_group)
    return mapped_column(Text, nullable=True)


def stores_html(*fields: str):
    """Class decorator: the model keeps rendered HTML of ``fields`` in ``<field>_html``."""
    def register(cls):
        REGISTRY[cls] = {name: name + SUFFIX for name in fields}
        return cls
    return register


def render_html(source: str | None) -> str:
    return str(render_markdown(source))


@event.listens_for(Session, "before_flush")
def _render_changed_markdown(session, flush_context, instances) -> None:
    for obj in session.new:
        fields = REGISTRY.get(type(obj))
        if fields:
            for source, target in fields.items():
                setattr(obj, target, render_html(getattr(obj, source)))
    for obj in session.dirty:
        fields = REGISTRY.get(type(obj))
        if fields:
            attrs = inspect(obj).attrs
            for source, target in fields.items():
                if attrs[source].history.has_changes():
                    setattr(obj, target, render_html(getattr(obj, source)))


def stored_html(obj, field: str) -> Markup:
    """The saved HTML of ``obj.<field>``; rendered now only if none is stored yet (a row written
    outside the ORM) or the source was changed and not yet flushed."""
    target = REGISTRY[type(obj)][field]
    html = getattr(obj, target)
    if html is None or inspect(obj).attrs[field].history.has_changes():
        return render_markdown(getattr(obj, field))
    return Markup(html)


def rerender_table(connection, table_name: str, key: str, fields: Iterable[str], *, batch_size: int = 500,
                   after_batch: Callable[[], None] | None = None) -> tuple[int, int]:
    """Render ``fields`` of every row of ``table_name`` into their ``_html`` columns, ``batch_size``
    rows at a time in primary-key order, writing only rows whose HTML differs. Core only, so a
    migration can call it with its bind. ``after_batch`` (e.g. a commit) runs after each batch.
    Returns (rows read, rows updated)."""
    fields = list(fields)
    targets = [name + SUFFIX for name in fields]
    t = table(table_name, *(column(name) for name in [key, *fields, *targets]))
    update = t.update().where(t.c[key] == bindparam("row_key")).values(
        {target: bindparam("new_" + target) for target in targets})
    seen = changed = 0
    last = None
    while True:
        query = select(t).order_by(t.c[key]).limit(batch_size)
        if last is not None:
            query = query.where(t.c[key] > last)
        rows = connection.execute(query).mappings().all()
        if not rows:
            break
        updates = []
        for row in rows:
            values = {target: render_html(row[source]) for source, target in zip(fields, targets, strict=True)}
            if any(row[target] != html for target, html in values.items()):
                updates.append({"row_key": row[key], **{"new_" + target: html for target, html in values.items()}})
        if updates:
            connection.execute(update, updates)
        seen += len(rows)
        changed += len(updates)
        last = rows[-1][key]
        if after_batch:
            after_batch()
    return seen, changed


def registered_tables() -> list[tuple[str, str, list[str]]]:
    """(table, primary-key column, Markdown columns) of every registered model."""
    found = []
    for model, fields in REGISTRY.items():
        mapper = inspect(model)
        (key,) = mapper.primary_key
        found.append((mapper.local_table.name, key.name, [mapper.columns[name].name for name in fields]))
    return sorted(found)


def rerender_all(connection, *, batch_size: int = 500, after_batch=None, report=None) -> dict[str, tuple[int, int]]:
    """:func:`rerender_table` for every registered model; ``report(table, seen, changed)`` per table."""
    counts = {}
    for table_name, key, fields in registered_tables():
        counts[table_name] = rerender_table(connection, table_name, key, fields, batch_size=batch_size,
                                            after_batch=after_batch)
        if report:
            report(table_name, *counts[table_name])
    return counts
