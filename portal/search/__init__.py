"""Full-text search of published cases. The rest of the app uses only:

* :mod:`portal.search.service` (search, facets, similar cases, the query syntax, reindex, check);
* the outbox hooks installed by :func:`init_app`, which keep the index in sync after commits;
* ``flask --app wsgi search reindex|check|drain`` for operators;
* :func:`warm_up`, called before serving (gunicorn.conf.py) so that the first search is fast.

The index itself is a backend chosen by SEARCH_BACKEND (portal.search.backend; the default,
Whoosh, lives in portal.search.whoosh).
"""
import logging

from flask import Flask

log = logging.getLogger(__name__)

#: The pages whose templates (and those they extend, include or import) warm_up compiles.
WARM_TEMPLATES = ("search/results.html",)
#: warm_up's search: rare words, so it is cheap at any size, through every step of a query
#: (two words: partial matches; few results: suggestions). The segment data comes from warm().
WARM_QUERY = "苗绣 刺绣"


def init_app(app: Flask) -> None:
    from portal.search import analysis, backend, sync
    from portal.search.cli import search_cli

    # Load the domain dictionary now: with `gunicorn --preload` this happens once, before fork.
    analysis.load_dictionary()
    backend.init_app(app)
    sync.init_app(app)
    app.cli.add_command(search_cli)


def warm_up(app: Flask, *, release: bool = False) -> dict:
    """Load what the first search needs, before the first request: the segmenter's dictionary,
    the synonym tables, the index with what each segment's searches read (backend.warm), one
    search through the whole query path, the session search's SQL (the search page runs it
    too), and the search page's compiled templates.

    With ``release``, the index files and database connections are closed again afterwards
    and what was read is kept:
    the gunicorn master calls it so after ``--preload``, before forking, and every worker then
    opens its own files (post_worker_init calls warm_up again: a few milliseconds). An index
    problem is logged, never raised (searches report it). Returns what was loaded, for tests."""
    from jinja2 import meta
    from sqlalchemy.orm import configure_mappers

    from portal.extensions import db
    from portal.search import analysis, service, synonyms
    from portal.search.backend import get_backend
    from portal.sessions.search import find_sessions

    done = {}
    with app.app_context():
        analysis.load_dictionary()
        done["segments"] = len(analysis.segment("社区治理服务站", True))  # rjieba's own tables, once
        done["synonyms"] = len(synonyms.table())
        try:
            service.warm()
            with app.test_request_context("/search"):
                done["search_total"] = service.search(WARM_QUERY).total
        except Exception:
            log.warning("search warm-up: the index could not be read", exc_info=True)
        finally:
            if release:
                get_backend().release()
        # The search page also searches sessions in SQL: the ORM's mapper set-up and that
        # statement's compilation (0.3 s) happen once here instead of in every worker.
        configure_mappers()
        try:
            with app.test_request_context("/search"):
                done["sessions_total"] = find_sessions(WARM_QUERY)[1]
        except Exception:
            log.warning("search warm-up: the session search failed", exc_info=True)
        finally:
            db.session.remove()
            if release:
                db.engine.dispose()  # no database connection is shared with a forked worker
        env, todo, compiled = app.jinja_env, list(WARM_TEMPLATES), set()
        while todo:
            name = todo.pop()
            if name in compiled:
                continue
            compiled.add(name)
            env.get_template(name)
            source = env.loader.get_source(env, name)[0]
            todo.extend(n for n in meta.find_referenced_templates(env.parse(source)) if n)
        done["templates"] = sorted(compiled)
    return done
