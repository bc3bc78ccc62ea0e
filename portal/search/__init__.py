"""Full-text search of published cases. The rest of the app uses only:

* :func:`portal.search.query.search` / :func:`portal.search.query.similar` to read;
* the outbox hooks installed by :func:`init_app`, which keep the index in sync after commits;
* ``flask --app wsgi search reindex|check|drain`` for operators.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    from portal.search import analysis, sync
    from portal.search.cli import search_cli

    # Load the domain dictionary now: with `gunicorn --preload` this happens once, before fork.
    analysis.load_dictionary()
    sync.init_app(app)
    app.cli.add_command(search_cli)
