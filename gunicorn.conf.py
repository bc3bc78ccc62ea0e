"""gunicorn settings read from the project folder (``gunicorn -c gunicorn.conf.py``; gunicorn
also reads ./gunicorn.conf.py by default). Command-line options such as ``--preload -w 4 -b``
still apply over the settings below. Settings (each overridable on the command line):

* ``bind`` 127.0.0.1:8000 (``PORTAL_BIND``), behind nginx;
* ``workers``: ``PORTAL_WORKERS``, else 2 per core + 1, at most 8;
* ``preload_app``: the app, the segmenter's dictionary and the search index are loaded once in
  the master and shared by the workers (copy-on-write);
* ``timeout`` 60 s: a worker stuck longer than that is restarted (no page should take a second);
  ``graceful_timeout`` 30 s to finish requests (and flush view counts) on restart;
* access log to standard output (``PORTAL_ACCESS_LOG`` for a file, empty for none), with the
  time each request took in milliseconds.

And the warm-up hooks:

* with ``--preload`` the master loads the app, then (when_ready, before forking) the search
  index, dictionary, synonym tables and search templates (portal.search.warm_up), closes
  the index files again so that no worker shares them, and freezes what it loaded out of the
  garbage collector's way (gc.freeze: cheaper full collections, pages shared with the workers);
* each worker, before its first request (post_worker_init), opens its own index files and
  reuses what the master read (without ``--preload``: loads everything itself), and starts its
  search indexer thread, whose first pass (outbox drain, index refresh) would otherwise run
  alongside the worker's first request.

Another app served from this folder (a benchmark's hello-world) is left alone.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PORTAL_WORKERS") or min(2 * multiprocessing.cpu_count() + 1, 8))
preload_app = True
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = os.environ.get("PORTAL_ACCESS_LOG", "-") or None
# address, request line, status, bytes, milliseconds, user agent
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def _portal(app):
    return app if "portal_search_backend" in getattr(app, "extensions", {}) else None


def when_ready(server):
    if server.cfg.preload_app and (app := _portal(server.app.wsgi())) is not None:
        from portal.search import warm_up

        done = warm_up(app, release=True)
        server.log.info("search warmed up before forking workers (%s)",
                        "index read" if "search_total" in done else "no index: see the warning above")
        _freeze_loaded()


def post_worker_init(worker):
    if (app := _portal(worker.wsgi)) is not None:
        from portal.search import warm_up

        warm_up(app)
        _freeze_loaded()
        indexer = app.extensions.get("portal_indexer")
        if indexer is not None:
            indexer.ensure_started()


def _freeze_loaded():
    """Move what is loaded by now (the app, the dictionary, the index's segment data, the ORM,
    the templates: it lives as long as the process) out of the cyclic garbage collector's way.
    Otherwise each full collection walks all of it: at 10k cases, 70 ms in the middle of a
    search that allocates a lot (社区, bench/README.md). Before the fork it also keeps the
    workers from writing to the memory pages they share with the master (Python's gc docs).
    Only in a served process: in tests, frozen objects would keep dropped apps' files open."""
    gc.collect()
    gc.freeze()
