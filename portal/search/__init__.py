"""Full-text search of published cases. The rest of the app uses only:

* :mod:`portal.search.service` (search, facets, similar cases, the query syntax, reindex, check);
* the outbox hooks installed by :func:`init_app`, which keep the index in sync after commits;
* ``flask --app wsgi search reindex|check|drain`` for operators.

The index itself is a backend chosen by SEARCH_BACKEND (portal.search.backend; the default,
Whoosh, lives in portal.search.whoosh).
"""
from flask import Flask


def init_app(app: Flask) -> None:
    from portal.search import analysis, backend, sync
    from portal.search.cli import search_cli

    # Load the domain dictionary now: with `gunicorn --preload` this happens once, before fork.
    analysis.load_dictionary()
    backend.init_app(app)
    sync.init_app(app)
    app.cli.add_command(search_cli)
