"""An optional cache of whole public pages for anonymous visitors, in Redis (``PORTAL_PAGE_CACHE_URL``).

What is stored: exactly the answers :mod:`portal.httpcache` makes public (an anonymous visitor's
GET of a page in ``PUBLIC_PAGES`` that wrote no session, rendered no form token and set no
cookie), keyed by path, query and interface language. Only requests that carry no cookie but the
language choice are answered from it: anyone with a session or a remember-me cookie gets a page
rendered for them, as without the cache.

Invalidation: every entry is stamped with a *generation* number kept in Redis. Any commit that
changed a row the public pages can show (anything but notifications, follows, digests, sign-in
records and the audit log) increments it, in every process, so the next request renders afresh: a stale cache
never shows an unpublished case or a hidden comment. The generation is read before rendering, so
a page rendered from data older than a commit is stored under the older generation and never
served. Entries also expire after ``PAGE_CACHE_SECONDS``; that bounds what the generation does not
see: view counts (written outside the ORM, portal.cases.viewcount) and writes made directly in
the database.

Hits are answered at the WSGI edge (:class:`EdgeCache`), before Flask routes the request, opens a
session or runs a hook: a cached page costs one Redis round trip, which is what lets a busy
public page keep up with a hello-world (bench/pages). The rate limits therefore do not count cache
hits; they guard the work a hit does not do. A hit on a case page still counts the view.

Each process also keeps the pages it has recently served or stored (``PAGE_CACHE_LOCAL_MB``,
least recently used dropped first, none past its Redis entry's expiry). A hit on such a copy
still asks Redis for the generation, only for the number rather than the page: the copy is served
only when it is of the current generation, so it is exactly as fresh as Redis, and without Redis
(or with a Redis that lost its data: the generation then restarts from the current time, never
from a number used before) nothing is served from it.

Redis being unreachable only logs a warning: pages are rendered as without the cache.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import http_date, parse_cookie
from werkzeug.wrappers import Response as WSGIResponse

log = logging.getLogger(__name__)

#: tables whose changes no public page shows (a change elsewhere starts a new generation)
IGNORED_TABLES = frozenset({"audit_log", "notifications", "notification_preferences", "follows",
                            "notification_digests", "digest_items",
                            "login_sessions", "outgoing_mail"})  # (on main: sign-in records, the mail outbox)
#: response headers kept with a page
KEPT_HEADERS = ("Content-Type", "ETag", "Cache-Control", "Vary", "Content-Language")


class PageCache:
    def __init__(self, app: Flask, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        prefix = app.config.get("RATELIMIT_KEY_PREFIX") or "portal"
        self.generation_key = f"{prefix}:pages:generation"
        self.page_prefix = f"{prefix}:pages:"
        self.seconds = int(app.config["PAGE_CACHE_SECONDS"])
        self.languages = frozenset(app.config["LANGUAGES"])
        self.local = LocalCopies(int(float(app.config["PAGE_CACHE_LOCAL_MB"]) * 1024 * 1024))

    def key(self, environ: dict, lang: str | None) -> str:
        """The entry of a path, query and interface language, from the raw WSGI values (the edge
        and the app must agree without either decoding the address)."""
        lang = lang if lang in self.languages else ""
        raw = f"{lang}\0{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}\0{environ.get('QUERY_STRING', '')}"
        return self.page_prefix + hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()

    def lookup(self, key: str) -> tuple[int, dict | None, bytes]:
        """(current generation, the entry's metadata if it is of that generation, its body)."""
        copy = self.local.get(key)
        if copy is not None:
            # Only the generation crosses the network; the page is this process's own copy.
            raw = self.client.get(self.generation_key)
            if raw is not None and self.local.observe(int(raw)) and copy[0]["generation"] == int(raw):
                return int(raw), copy[0], copy[1]
            self.local.drop(key)
        generation, entry = self.client.mget(self.generation_key, key)
        if generation is None:  # Redis restarted or was emptied: no copy can be trusted
            self.local.clear()
        generation = int(generation or 0)
        self.local.observe(generation)
        if entry is None:
            return generation, None, b""
        head, _, body = entry.partition(b"\n")
        meta = json.loads(head)
        if meta["generation"] != generation:
            return generation, None, body
        meta["headers"] = [tuple(h) for h in meta["headers"]]  # (JSON made them lists; WSGI wants tuples)
        self.local.put(key, meta, body)
        return generation, meta, body

    def store(self, response: Response) -> None:
        key, generation = g._page_cache
        meta = {"generation": generation, "expires": time.time() + self.seconds,
                "headers": [(n, v) for n, v in response.headers.items() if n in KEPT_HEADERS]}
        if request.endpoint == "cases.show":
            meta["case"] = request.view_args["case_id"]  # a hit still counts the view
        body = response.get_data()
        self.client.set(key, json.dumps(meta).encode() + b"\n" + body, ex=self.seconds)
        self.local.put(key, meta, body)

    def bump(self) -> None:
        # A counter that restarts from nothing (Redis restarted without its data) starts at the
        # time in milliseconds, not at 1: a number once used is never used again for other data,
        # so no copy kept by a worker from before can match it.
        pipe = self.client.pipeline()
        pipe.set(self.generation_key, time.time_ns() // 1_000_000, nx=True)
        pipe.incr(self.generation_key)
        pipe.execute()


#: what a copy costs besides its body (key, metadata, headers), counted against the limit
COPY_OVERHEAD = 2048


class LocalCopies:
    """This process's copies of cached pages: key -> (metadata, body), at most ``limit`` bytes
    (bodies and COPY_OVERHEAD each), least recently used dropped first, none kept past the
    expiry of the Redis entry it was made from (``meta["expires"]``, wall-clock seconds)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.entries: OrderedDict[str, tuple[dict, bytes]] = OrderedDict()
        self.size = 0
        self.highest = 0  # the highest generation seen in Redis
        self.lock = threading.Lock()  # gthread workers serve requests in threads

    def get(self, key: str) -> tuple[dict, bytes] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry[0]["expires"] <= time.time():
                self._remove(key)
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, meta: dict, body: bytes) -> None:
        if len(body) + COPY_OVERHEAD > self.limit or "expires" not in meta:
            return  # (an entry written before copies existed has no expiry of its own: not copied)
        with self.lock:
            self._remove(key)
            self.entries[key] = (meta, body)
            self.size += len(body) + COPY_OVERHEAD
            while self.size > self.limit:
                self._remove(next(iter(self.entries)))

    def drop(self, key: str) -> None:
        with self.lock:
            self._remove(key)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0

    def observe(self, generation: int) -> bool:
        """Note the generation Redis holds; a lower one than seen before (Redis restored from an
        older copy of its data) drops every copy. False then."""
        with self.lock:
            if generation < self.highest:
                self.entries.clear()
                self.size = 0
                self.highest = generation
                return False
            self.highest = generation
            return True

    def _remove(self, key: str) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry[1]) + COPY_OVERHEAD


def _cache() -> PageCache | None:
    return current_app.extensions.get("page_cache")


#: request headers that make an answer depend on more than the page (Werkzeug's make_conditional)
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE",
               "HTTP_RANGE", "HTTP_IF_RANGE")

#: the WSGI environ key under which the edge leaves (entry key, generation) for the app
ENVIRON_KEY = "portal.page_cache"


class EdgeCache:
    """WSGI middleware: answers a cookieless GET or HEAD from the cache when its entry is of the
    current generation; anything else goes on to the app, with the entry's key and the generation
    read *before* rendering (so that the app stores its page under that generation)."""

    def __init__(self, app: Flask, cache: PageCache, wsgi_app):
        from portal.security import static_headers

        self.app, self.cache, self.wsgi_app = app, cache, wsgi_app
        self.extra_headers = static_headers(app.config)  # what portal.security adds to every answer

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            cookies = parse_cookie(environ)
            if cookies.keys() <= {"lang"}:
                key = self.cache.key(environ, cookies.get("lang"))
                try:
                    generation, meta, body = self.cache.lookup(key)
                except Exception:
                    log.warning("page cache unavailable", exc_info=True)
                else:
                    if meta is not None:
                        return self._serve(environ, start_response, meta, body)
                    environ[ENVIRON_KEY] = (key, generation)
        return self.wsgi_app(environ, start_response)

    def _serve(self, environ, start_response, meta: dict, body: bytes):
        if "case" in meta:
            from portal.cases import viewcount

            viewcount.record_anonymous(self.app, meta["case"], environ)
        headers = [*meta["headers"], *self.extra_headers]
        if any(name in environ for name in CONDITIONAL):
            # If-None-Match (304), If-Modified-Since and Range, as for a page rendered by the app
            return WSGIResponse(body, status=200, headers=headers).make_conditional(environ)(environ, start_response)
        # The common case, a plain GET or HEAD, without building a Response (a third of a hit's time)
        start_response("200 OK", [*headers, ("Content-Length", str(len(body))), ("Date", http_date())])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


def _note_lookup():
    """Keep the edge's (key, generation) for store_if_cacheable when this page may be cached."""
    from portal.httpcache import PUBLIC_PAGES

    found = request.environ.get(ENVIRON_KEY)
    if found is not None and request.endpoint in PUBLIC_PAGES:
        g._page_cache = found


def store_if_cacheable(response: Response) -> None:
    """Called by portal.httpcache for an answer it made public, before any 304 is derived from it."""
    cache = _cache()
    if cache is None or "_page_cache" not in g:
        return
    try:
        cache.store(response)
    except Exception:
        log.warning("page cache unavailable", exc_info=True)


def _note_changes(session: Session, flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table not in IGNORED_TABLES and (obj not in session.dirty or session.is_modified(obj)):
            session.info["page_cache_changed"] = True
            return


def _note_statement(state) -> None:
    """``session.execute(update(...))`` and the like: flushes do not see them."""
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(getattr(state.statement, "table", None), "name", None)
        if table not in IGNORED_TABLES:
            state.session.info["page_cache_changed"] = True


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy 2.1 fires after_commit for it): not committed yet
    # (A flag left by a rolled-back change only costs an extra generation: never a stale page.)
    if not session.info.pop("page_cache_changed", False):
        return
    from flask import has_app_context

    if not has_app_context():
        return
    cache = _cache()
    if cache is None:
        return
    try:
        cache.bump()
    except Exception:
        log.warning("page cache generation not advanced", exc_info=True)


_listening = False


def init_app(app: Flask) -> None:
    global _listening
    url = app.config.get("PAGE_CACHE_URL") or ""
    if not url:
        return
    cache = app.extensions["page_cache"] = PageCache(app, url)
    app.wsgi_app = EdgeCache(app, cache, app.wsgi_app)
    app.before_request(_note_lookup)
    if not _listening:  # the ORM events are process-wide; they act only for apps with a cache
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_commit", _after_commit)
        _listening = True
