"""Case page views, counted off the request path.

A view of a published case (:func:`record`) only adds one to a counter: in this process's memory,
or, when the rate limiter's storage is Redis (``PORTAL_RATELIMIT_STORAGE=redis://...``), in a Redis
hash shared by every worker. The counts reach ``cases.view_count`` in batches (:func:`flush`, one
``UPDATE`` per case in one transaction): from a background thread every
``VIEW_COUNT_FLUSH_SECONDS`` or sooner once ``VIEW_COUNT_FLUSH_VIEWS`` views are waiting, when the
process exits, and with ``flask --app wsgi cases flush-views``. So a page view never writes to the
database, and the count a page shows may lag by those seconds.

Not counted: crawlers and scripts (by User-Agent, or none at all), and the same visitor viewing the
same case again within ``VIEW_COUNT_REPEAT_MINUTES``. A visitor is a signed-in user's id, else a
hash of the address and User-Agent: no cookie is set and the session is not touched, so anonymous
pages stay cacheable. In memory the repeats are remembered per process, for at most
``VIEW_COUNT_REMEMBER`` visitor-case pairs (the oldest are forgotten first); in Redis, as keys that
expire. The unit's own members are left out by the view (``cases.show``).
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import os
import re
import secrets
import threading
import time
import weakref
from collections import Counter, OrderedDict

from flask import Flask, current_app, request
from flask_login import current_user
from sqlalchemy import bindparam, update

from portal.extensions import db

log = logging.getLogger(__name__)

#: User-Agents that are not people reading: search engines, link previews, monitors, HTTP libraries.
BOT_PATTERN = re.compile(
    r"bot\b|bot/|spider|crawl|slurp|archiver|scrap|fetch|preview|monitor|uptime|pingdom|lighthouse|"
    r"headless|phantomjs|facebookexternalhit|embedly|curl/|wget/|python|java/|go-http|okhttp|axios|"
    r"node-fetch|libwww|httpclient|http-client|httpx|aiohttp|feed|yandex|baidu|sogou|360spider|"
    r"bytespider|petalbot|semrush|ahrefs|mj12",
    re.IGNORECASE,
)

REDIS_COUNTS = "case_views"  # hash: case id -> views waiting to be written
REDIS_SEEN = "case_view_seen:"  # + visitor hash: expiring "already counted" keys


def is_bot(user_agent: str | None) -> bool:
    return not (user_agent or "").strip() or bool(BOT_PATTERN.search(user_agent))


class _MemoryStore:
    """Counts and recent visitors in this process (thread-safe)."""

    def __init__(self, remember: int):
        self.remember = remember
        self.lock = threading.Lock()
        self.pending: Counter[int] = Counter()
        self.waiting = 0
        self.seen: OrderedDict[bytes, float] = OrderedDict()

    def add(self, case_id: int, visitor: bytes, repeat_seconds: float) -> int | None:
        """Count one view unless ``visitor`` was counted within ``repeat_seconds``; returns the
        number of views now waiting, None when not counted."""
        now = time.monotonic()
        with self.lock:
            seen = self.seen
            # Forget the expired and, past the bound, the oldest (insertion order is time order).
            while seen and (len(seen) >= self.remember or now - next(iter(seen.values())) >= repeat_seconds):
                seen.popitem(last=False)
            if visitor in seen:
                return None
            seen[visitor] = now
            self.pending[case_id] += 1
            self.waiting += 1
            return self.waiting

    def take(self) -> dict[int, int]:
        with self.lock:
            pending, self.pending, self.waiting = self.pending, Counter(), 0
        return dict(pending)

    def give_back(self, counts: dict[int, int]) -> None:
        with self.lock:
            self.pending.update(counts)
            self.waiting += sum(counts.values())


class _RedisStore:
    """Counts in a Redis hash shared by every process; repeats as keys that expire."""

    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url)
        self.counts = f"{prefix}:{REDIS_COUNTS}"
        self.seen = f"{prefix}:{REDIS_SEEN}"

    def add(self, case_id: int, visitor: bytes, repeat_seconds: float) -> int | None:
        if not self.client.set(self.seen + visitor.hex(), 1, nx=True, ex=max(1, int(repeat_seconds))):
            return None
        pipe = self.client.pipeline()
        pipe.hincrby(self.counts, str(case_id), 1)
        pipe.hlen(self.counts)
        return pipe.execute()[1]  # cases waiting: a cheap stand-in for views waiting

    def take(self) -> dict[int, int]:
        # RENAME is atomic: views counted from now on go to a new hash, this batch is ours alone.
        batch = f"{self.counts}:flushing:{secrets.token_hex(8)}"
        try:
            self.client.rename(self.counts, batch)
        except Exception as error:  # no such key: nothing waiting
            if "no such key" in str(error).lower():
                return {}
            raise
        counts = {int(k): int(v) for k, v in self.client.hgetall(batch).items()}
        self.client.delete(batch)
        return counts

    def give_back(self, counts: dict[int, int]) -> None:
        pipe = self.client.pipeline()
        for case_id, n in counts.items():
            pipe.hincrby(self.counts, str(case_id), n)
        pipe.execute()


class ViewCounter:
    def __init__(self, app: Flask):
        config = app.config
        self.app_ref = weakref.ref(app)
        self.flush_seconds = float(config["VIEW_COUNT_FLUSH_SECONDS"])
        self.flush_views = int(config["VIEW_COUNT_FLUSH_VIEWS"])
        self.repeat_seconds = float(config["VIEW_COUNT_REPEAT_MINUTES"]) * 60
        self.salt = secrets.token_bytes(16)  # visitor hashes mean nothing outside this process
        url = config.get("RATELIMIT_STORAGE_URI") or ""
        if url.startswith(("redis://", "rediss://")):
            self.store = _RedisStore(url, config.get("RATELIMIT_KEY_PREFIX") or "portal")
            secret = config["SECRET_KEY"]
            secret = secret if isinstance(secret, bytes) else str(secret).encode()
            self.salt = hashlib.sha256(b"case-views\0" + secret).digest()  # the same visitor in every worker
        else:
            self.store = _MemoryStore(int(config["VIEW_COUNT_REMEMBER"]))
        self.pid = os.getpid()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.thread_lock = threading.Lock()

    # Counting -------------------------------------------------------------------------------

    def record(self, case_id: int, visitor: str) -> bool:
        self._after_fork()
        digest = hashlib.blake2b(f"{case_id}\0{visitor}".encode(), key=self.salt, digest_size=16).digest()
        try:
            waiting = self.store.add(case_id, digest, self.repeat_seconds)
        except Exception:  # e.g. Redis unreachable: a lost view must not fail the page
            log.warning("case view not counted", exc_info=True)
            return False
        if waiting is None:
            return False
        self._start_thread()
        if waiting >= self.flush_views:
            self.wake.set()
        return True

    def _after_fork(self) -> None:
        """A forked worker (gunicorn --preload) starts empty: the parent writes its own counts."""
        if os.getpid() != self.pid:
            self.pid = os.getpid()
            self.thread = None
            self.thread_lock = threading.Lock()
            self.wake = threading.Event()
            if isinstance(self.store, _MemoryStore):
                self.store = _MemoryStore(self.store.remember)

    # Writing --------------------------------------------------------------------------------

    def flush(self) -> int:
        """Write the waiting counts, one UPDATE per case in one transaction (call inside an app
        context). Returns the number of views written; on a database error they wait for the next try."""
        counts = self.store.take()
        if not counts:
            return 0
        from portal.cases.models import Case

        table = Case.__table__
        statement = (update(table).where(table.c.id == bindparam("case_id"))
                     .values(view_count=table.c.view_count + bindparam("views")))
        rows = [{"case_id": case_id, "views": n} for case_id, n in sorted(counts.items())]  # fixed lock order
        try:
            with db.engine.begin() as connection:
                connection.execute(statement, rows)
        except Exception:
            self.store.give_back(counts)
            raise
        return sum(counts.values())

    def _flush_in_app(self) -> None:
        app = self.app_ref()
        if app is None:
            return
        try:
            with app.app_context():
                self.flush()
        except Exception:
            log.exception("case view counts not written; retrying later")

    def _start_thread(self) -> None:
        if self.thread is not None or self.flush_seconds <= 0:
            return
        with self.thread_lock:
            if self.thread is not None:
                return
            self.thread = threading.Thread(target=self._run, name="case-view-flush", daemon=True)
            self.thread.start()
            atexit.register(self._flush_in_app)

    def _run(self) -> None:
        while self.app_ref() is not None:
            self.wake.wait(self.flush_seconds)
            self.wake.clear()
            self._flush_in_app()


def counter(app: Flask | None = None) -> ViewCounter:
    app = app or current_app._get_current_object()
    found = app.extensions.get("case_view_counter")
    if found is None:
        found = app.extensions.setdefault("case_view_counter", ViewCounter(app))
    return found


def visitor_key() -> str:
    """Who is viewing: the signed-in user, else the address and browser (never stored as such)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"{request.remote_addr}\0{request.user_agent.string}"


def record(case_id: int) -> bool:
    """Count a view of the case by the current visitor unless it is a bot or a repeat. Writes nothing
    to the database; returns whether the view was counted."""
    if is_bot(request.headers.get("User-Agent")):
        return False
    return counter().record(case_id, visitor_key())


def record_anonymous(app: Flask, case_id: int, environ: dict) -> bool:
    """record() for a visitor without cookies, from the WSGI environ (the page cache's hits,
    answered before Flask makes a request of them)."""
    agent = environ.get("HTTP_USER_AGENT", "")
    if is_bot(agent):
        return False
    return counter(app).record(case_id, f"{environ.get('REMOTE_ADDR')}\0{agent}")


def flush() -> int:
    """Write every waiting count now (inside an app context); the number of views written."""
    return counter().flush()
