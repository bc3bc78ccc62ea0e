"""gunicorn settings read from the project folder (``gunicorn -c gunicorn.conf.py``; gunicorn
also reads ./gunicorn.conf.py by default). Command-line options such as ``--preload -w 4 -b``
still apply; this file only adds the warm-up hooks:

* with ``--preload`` the master loads the app, then (when_ready, before forking) the search
  index, dictionary, synonym tables and search templates (portal.search.warm_up), and closes
  the index files again so that no worker shares them;
* each worker, before its first request (post_worker_init), opens its own index files and
  reuses what the master read (without ``--preload``: loads everything itself), and starts its
  search indexer thread, whose first pass (outbox drain, index refresh) would otherwise run
  alongside the worker's first request.

Another app served from this folder (a benchmark's hello-world) is left alone.
"""


def _portal(app):
    return app if "portal_search_backend" in getattr(app, "extensions", {}) else None


def when_ready(server):
    if server.cfg.preload_app and (app := _portal(server.app.wsgi())) is not None:
        from portal.search import warm_up

        done = warm_up(app, release=True)
        server.log.info("search warmed up before forking workers (%s)",
                        "index read" if "search_total" in done else "no index: see the warning above")


def post_worker_init(worker):
    if (app := _portal(worker.wsgi)) is not None:
        from portal.search import warm_up

        warm_up(app)
        indexer = app.extensions.get("portal_indexer")
        if indexer is not None:
            indexer.ensure_started()
