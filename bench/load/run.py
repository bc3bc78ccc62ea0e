"""Load on signed-in pages, and a concurrency check, against gunicorn + PostgreSQL + Redis.

    .venv/bin/python -m bench.load.run                    # demo data + 2,000 cases
    .venv/bin/python -m bench.load.run --cases 0          # the demo data only

1. Loads a throwaway PostgreSQL database as bench/pages does (demo data and N generated cases),
   adds 100 accounts (10 of them platform administrators, who curate), 10 cases waiting in the
   review queue and a session with 10 seats, and serves it with ``gunicorn --preload -w 2``
   (Redis for rate-limit counters and view counts, rate limits off: one address sends all).
2. **Pages**: signs accounts in over HTTP and runs wrk with bench/load/session.lua (each request
   carries one signed-in browser's cookies, in turn) on the pages people work on, interleaved
   with a hello-world under the same gunicorn: req/s, p50/p99 and the ratio to hello-world.
3. **Concurrency**: 100 clients at once (threads, one account each): every client comments on a
   published case and registers for the 10-seat session, the 10 administrators each publish
   one case from the queue. Afterwards it checks: every accepted comment is stored once; exactly
   10 seats are taken and everyone else is on the waiting list, nobody twice; every case is
   published once; the search index equals the database (``flask search check``); every queued
   mail is sent exactly once (one .eml file per outbox row, none left waiting).
"""
from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import psycopg

from bench.pages.run import BIN, ROOT, Server, Tree, quote, wrk
from bench.pages.run import HERE as PAGES

HERE = Path(__file__).resolve().parent
PASSWORD = "bench-load-password-2026"
USERS = 100
CURATORS = 10
SEATS = 10

#: (label, path, which accounts' cookies)
PAGES_SIGNED_IN = (
    ("home, unit editor", "/", "editor"),
    ("my cases", "/cases/mine", "editor"),
    ("notifications", "/notifications", "editor"),
    ("account", "/auth/account", "editor"),
    ("case page, signed in", "/cases/{case}", "editor"),
    ("review queue, expert", "/review/queue", "expert"),
    ("curation queue, admin", "/cases/queue", "admin"),
)

SETUP = r'''
import sys
from datetime import timedelta
from sqlalchemy import select, update
from wsgi import app
from portal.extensions import db
from portal.auth.services import create_user
from portal.cases.models import Case
from portal.models_base import utcnow
from portal.sessions import services as sessions
with app.app_context():
    users = [create_user(f"load{n:03d}@example.org", f"压测用户{n:03d}", sys.argv[1], admin=n < int(sys.argv[2]))
             for n in range(int(sys.argv[3]))]
    db.session.flush()
    # Ten new cases, copies of published ones under new ids, imported as drafts and put in the
    # review queue (never published before: no index entries, no digest items to collide with).
    import json
    from portal.cases import bulk
    records = []
    for n, record in enumerate(bulk.export_records(None, "published")):
        if n == int(sys.argv[2]):
            break
        records.append(json.dumps({**record, "external_id": f"load-{n}", "title": f"压测待发布{n}：" + record["title"][:30]},
                                  ensure_ascii=False))
    report = bulk.import_lines(None, records, publish=False)
    db.session.flush()
    queue = list(db.session.scalars(select(Case.id).where(Case.external_id.like("load-%")).order_by(Case.id)))
    db.session.execute(update(Case).where(Case.id.in_(queue)).values(status="in_review"))
    start = utcnow().replace(microsecond=0) + timedelta(days=5)
    sharing = sessions.create_session(users[0], sessions.SessionData(
        title="压测分享会：十个名额", starts_at=start, ends_at=start + timedelta(hours=2), venue="线上",
        capacity=int(sys.argv[4])))
    db.session.commit()
    print(sharing.id, ",".join(map(str, queue)))
'''


class Browser:
    """A signed-in HTTP client with its own cookie jar."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + quote(path)))

    def post(self, path: str, data: dict) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + quote(path), data=urllib.parse.urlencode(data).encode()))

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def token(self, path: str) -> str:
        _status, page = self.get(path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def sign_in(self, email: str, password: str) -> None:
        status, _page = self.post("/auth/login", {"csrf_token": self.token("/auth/login"), "email": email,
                                                  "password": password})
        if status != 302:
            raise SystemExit(f"sign-in of {email} failed: {status}")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def concurrency(base: str, tree: Tree, session_id: int, queue: list[int], case_id: int) -> list[str]:
    """100 clients at once; returns the failed checks (empty: all held)."""
    outcomes: dict[str, list] = {"comment": [], "register": [], "publish": [], "errors": []}
    lock = threading.Lock()
    barrier = threading.Barrier(USERS)

    def client(n: int) -> None:
        try:
            browser = Browser(base)
            browser.sign_in(f"load{n:03d}@example.org", PASSWORD)
            case_token = browser.token(f"/cases/{case_id}")
            barrier.wait(timeout=120)  # everyone signed in: now all at once
            comment = browser.post(f"/cases/{case_id}/comments",
                                   {"csrf_token": case_token, "body": f"压测评论 {n:03d}：这个做法值得借鉴。"})[0]
            register = browser.post(f"/sessions/{session_id}/register", {"csrf_token": case_token})[0]
            published = None
            if n < len(queue):
                published = browser.post(f"/cases/{queue[n]}/transition",
                                         {"csrf_token": case_token, "action": "publish", "confirm": "y"})[0]
            with lock:
                outcomes["comment"].append(comment)
                outcomes["register"].append(register)
                if published is not None:
                    outcomes["publish"].append(published)
        except Exception as exc:  # reported as a failed check
            with lock:
                outcomes["errors"].append(f"client {n}: {exc!r}")

    with psycopg.connect(tree.url) as conn:
        last_step = conn.execute("SELECT coalesce(max(id), 0) FROM case_transitions").fetchone()[0]
    threads = [threading.Thread(target=client, args=(n,)) for n in range(USERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tree.flask("search", "drain")
    tree.flask("mail", "drain")
    failed = list(outcomes["errors"])
    with psycopg.connect(tree.url) as conn:
        stored = conn.execute("SELECT body, count(*) FROM comments WHERE body LIKE '压测评论%%' "
                              "GROUP BY body").fetchall()
        accepted = sum(1 for s in outcomes["comment"] if s == 302)
        if len(stored) != accepted or any(n != 1 for _b, n in stored):
            failed.append(f"comments: {accepted} accepted, {len(stored)} stored, duplicates "
                          f"{[b for b, n in stored if n != 1]}")
        seats = dict(conn.execute("SELECT status, count(*) FROM session_registrations WHERE session_id = %s "
                                  "GROUP BY status", (session_id,)).fetchall())
        twice = conn.execute("SELECT user_id FROM session_registrations WHERE session_id = %s GROUP BY user_id "
                             "HAVING count(*) > 1", (session_id,)).fetchall()
        if seats.get("registered") != SEATS or sum(seats.values()) != USERS or twice:
            failed.append(f"registrations: {seats}, users registered twice: {twice}")
        published = conn.execute("SELECT count(*) FROM cases WHERE id = ANY(%s) AND status = 'published'",
                                 (queue,)).fetchone()[0]
        steps = conn.execute("SELECT case_id, count(*) FROM case_transitions WHERE case_id = ANY(%s) AND id > %s "
                             "AND to_status = 'published' GROUP BY case_id HAVING count(*) > 1",
                             (queue, last_step)).fetchall()
        if published != len(queue) or steps:
            failed.append(f"publishing: {published} of {len(queue)} published, published twice: {steps}")
        mail_rows, waiting = conn.execute("SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL) "
                                          "FROM outgoing_mail").fetchone()
    files = len(list((tree.instance / "mail").glob("*.eml")))
    if waiting or files != mail_rows:
        failed.append(f"mail: {mail_rows} queued, {waiting} still waiting, {files} files written")
    check = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "search", "check"], cwd=tree.path, env=tree.env,
                           capture_output=True, text=True)
    if check.returncode != 0:
        failed.append(f"search check: {check.stdout[-500:]}")
    codes = {kind: {c: outcomes[kind].count(c) for c in sorted(set(outcomes[kind]))}
             for kind in ("comment", "register", "publish")}
    print(f"answers by status code: {codes}")
    print(f"concurrency: {USERS} clients; comments {outcomes['comment'].count(302)}/{USERS} accepted; "
          f"registrations {seats}; {published}/{len(queue)} cases published; {mail_rows} mails, "
          f"{files} sent; search check exit {check.returncode}")
    return failed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--redis", default=os.environ.get("LOAD_REDIS", "redis://127.0.0.1:6379/9"))
    args = ap.parse_args(argv)
    pg = os.environ.get("PAGES_PG", "postgresql://postgres@127.0.0.1:5432")
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-load-", ignore_cleanup_errors=True)))
        tree = Tree("load", ROOT, pg, work)
        tree.env.update(PORTAL_RATELIMIT_STORAGE=args.redis, PORTAL_COOKIE_SECURE="false")
        tree.create()
        stack.callback(tree.drop)
        took = tree.load(args.cases, work)
        setup = subprocess.run([str(BIN / "python"), "-c", SETUP, PASSWORD, str(CURATORS), str(USERS), str(SEATS),
                                str(tree.ids["case"])],
                               cwd=ROOT, env=tree.env, capture_output=True, text=True, check=True).stdout.split()
        session_id, queue = int(setup[0]), [int(i) for i in setup[1].split(",")]
        print(f"loaded demo data + {args.cases} cases, {USERS} accounts, {len(queue)} cases in review in {took:.0f} s",
              flush=True)
        hello = Server("hello:app", PAGES, dict(os.environ), args.workers)
        stack.callback(hello.stop)
        site = Server("wsgi:app", ROOT, tree.env, args.workers)
        stack.callback(site.stop)

        cookies = {}
        for role, email, password in (("editor", "unit.editor@demo.example.org", "demo-password-2026"),
                                      ("expert", "expert.zhou@demo.example.org", "demo-password-2026"),
                                      ("admin", "admin@demo.example.org", "demo-password-2026")):
            browsers = []
            for _ in range(4):  # four signed-in browsers per role, taken in turn
                b = Browser(site.base)
                b.sign_in(email, password)
                browsers.append(b.cookie_header())
            cookies[role] = "\n".join(browsers)
        script = HERE / "session.lua"
        samples: dict[str, list[dict]] = {label: [] for label, _p, _r in PAGES_SIGNED_IN}
        for _label, path, role in PAGES_SIGNED_IN:  # warm-up
            wrk(site.base + quote(path.format(**tree.ids)), 1, args.connections, script, {"PORTAL_COOKIES": cookies[role]})
        for _round in range(args.rounds):
            for label, path, role in PAGES_SIGNED_IN:
                base = wrk(hello.base + "/", args.seconds, args.connections)
                res = wrk(site.base + quote(path.format(**tree.ids)), args.seconds, args.connections, script,
                          {"PORTAL_COOKIES": cookies[role]})
                res["ratio"], res["hello"] = res["rps"] / base["rps"], base["rps"]
                samples[label].append(res)
        print(f"\n{args.cases} cases, gunicorn --preload -w {args.workers}, wrk -t2 -c{args.connections} "
              f"-d{args.seconds:g}s with bench/load/session.lua, {args.rounds} interleaved rounds; medians")
        print("| page (signed in) | req/s | × hello | p50 ms | p99 ms | non-2xx | hello req/s |\n|---|---|---|---|---|---|---|")
        for label, rows in samples.items():
            def med(key, rows=rows):
                return statistics.median(r[key] for r in rows)
            print(f"| {label} | {med('rps'):.0f} | {med('ratio'):.3f} | {med('p50'):.0f} | {med('p99'):.0f} | "
                  f"{sum(r['non2xx'] for r in rows)} | {med('hello'):.0f} |")
        print()
        failed = concurrency(site.base, tree, session_id, queue, tree.ids["case"])
    for line in failed:
        print("FAILED:", line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
