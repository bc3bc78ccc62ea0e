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

Redis being unreachable only logs a warning: pages are rendered as without the cache.
"""
from __future__ import annotations

import hashlib
import json
import logging

from flask import Flask, Response, current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

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

    def key(self) -> str:
        lang = request.cookies.get("lang")
        lang = lang if lang in current_app.config["LANGUAGES"] else ""
        raw = f"{lang}\0{request.path}\0{request.query_string.decode('latin-1')}"
        return self.page_prefix + hashlib.sha1(raw.encode("utf-8", "surrogateescape")).hexdigest()

    def lookup(self) -> Response | None:
        key = self.key()
        generation, entry = self.client.mget(self.generation_key, key)
        g._page_cache = (key, int(generation or 0))
        if entry is None:
            return None
        head, _, body = entry.partition(b"\n")
        meta = json.loads(head)
        if meta["generation"] != int(generation or 0):
            return None
        g._page_cache_hit = True
        response = Response(body, status=200)
        for name, value in meta["headers"]:
            response.headers[name] = value
        return response

    def store(self, response: Response) -> None:
        key, generation = g._page_cache
        meta = {"generation": generation,
                "headers": [(n, v) for n, v in response.headers.items() if n in KEPT_HEADERS]}
        entry = json.dumps(meta).encode() + b"\n" + response.get_data()
        self.client.set(key, entry, ex=self.seconds)

    def bump(self) -> None:
        self.client.incr(self.generation_key)


def _cache() -> PageCache | None:
    return current_app.extensions.get("page_cache")


def _eligible() -> bool:
    from portal.httpcache import PUBLIC_PAGES

    return (request.method in ("GET", "HEAD") and request.endpoint in PUBLIC_PAGES
            and set(request.cookies) <= {"lang"})


def _serve_from_cache():
    cache = _cache()
    if cache is None or not _eligible():
        return None
    try:
        response = cache.lookup()
    except Exception:
        log.warning("page cache unavailable", exc_info=True)
        return None
    if response is not None and request.endpoint == "cases.show":
        from portal.cases import viewcount

        # The page was public, so the case is published; the visitor is anonymous (no unit member).
        viewcount.record(request.view_args["case_id"])
    return response


def store_if_cacheable(response: Response) -> None:
    """Called by portal.httpcache for an answer it made public, before any 304 is derived from it."""
    cache = _cache()
    if cache is None or "_page_cache" not in g or g.get("_page_cache_hit"):
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
    app.extensions["page_cache"] = PageCache(app, url)
    app.before_request(_serve_from_cache)
    if not _listening:  # the ORM events are process-wide; they act only for apps with a cache
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_commit", _after_commit)
        _listening = True
