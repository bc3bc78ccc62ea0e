"""Page throughput under gunicorn, as a ratio to a Flask hello-world served the same way.

    .venv/bin/python -m bench.pages.run                      # this checkout, 2,000 cases
    .venv/bin/python -m bench.pages.run --baseline REF        # and REF (a git ref), side by side

What it does (see bench/pages/README.md for what it printed):

1. Creates a throwaway PostgreSQL database per tree (``PAGES_PG``, default
   ``postgresql://postgres@127.0.0.1:5432``), migrates it, loads the demo data and N generated
   cases (bench/corpus.py, published through ``flask cases import --publish``) and builds the
   search index with ``flask search reindex``. With ``--baseline REF`` the same data goes into a
   second database served by a ``git worktree`` of REF, so "before" and "after" are measured in
   one run on the same machine.
2. Serves each tree with ``gunicorn --preload -w 2`` (rate limits off: wrk comes from one
   address), and bench/pages/hello.py with the same gunicorn settings.
3. For each round and each page: wrk against hello-world, then against the page on each tree,
   back to back (interleaved, so drifting machine load hits both). The figure per page is the
   median over rounds of page req/s divided by the adjacent hello-world req/s; p50 and p99 are
   wrk's latency percentiles (median over rounds).

Needs wrk (Debian package ``wrk``) and a PostgreSQL server; nothing else beyond requirements.txt.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent

#: (label, path template). {case}, {typical}, {session}, {org} and {event} are filled from the loaded data.
PAGES = (
    ("home", "/"),
    ("case list", "/cases"),
    ("case list, filtered", "/cases?theme={theme}&sort=views"),
    ("case page (long)", "/cases/{case}"),
    ("case page (generated)", "/cases/{typical}"),
    ("search page", "/search?q=社区养老服务"),
    ("API search", "/api/v1/search?q=社区养老服务"),
    ("sessions", "/sessions"),
    ("session page", "/sessions/{session}"),
    ("unit page", "/orgs/{org}"),
)
#: With --floor: the same template as /about with no, one and three primary-key reads
#: (bench/pages/floor.py), to show what a statement costs before any page's own work.
FLOOR = (
    ("floor: about template and no SQL", "/_floor/static"),
    ("floor: + 1 primary-key read", "/_floor/one"),
    ("floor: + 3 primary-key reads", "/_floor/three"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], cwd: Path, env: dict, quiet: bool = True) -> str:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
    return out.stdout


def write_cases(path: Path, n: int, orgs: list[str]) -> None:
    """N generated cases as import lines, spread over the demo units."""
    sys.path.insert(0, str(ROOT))
    from bench.corpus import CaseGenerator

    with path.open("w", encoding="utf-8") as f:
        for i, c in enumerate(CaseGenerator().case_objects(n)):
            f.write(json.dumps({
                "external_id": f"bench-{c.id}", "org": orgs[i % len(orgs)], "title": c.title,
                "summary": c.summary, "background": c.background, "approach": c.approach,
                "outcomes": c.outcomes, "lessons": c.lessons, "problems": c.problems,
                "province": c.province, "city": c.city, "county": c.county, "community": c.community,
                "community_type": c.community_type, "started_on": f"{c.year}-03-01",
                "ended_on": f"{c.year}-12-31", "beneficiaries": 100 + c.id % 900,
                "themes": [t.name for t in c.themes], "tags": [t.name for t in c.tags],
            }, ensure_ascii=False) + "\n")


class Tree:
    """One checkout of the site with its own database and instance folder."""

    def __init__(self, name: str, path: Path, pg: str, work: Path):
        self.name, self.path = name, path
        self.db = f"bench_pages_{name}_{os.getpid()}"
        self.url = f"{pg.rstrip('/')}/{self.db}"
        self.admin_url = f"{pg.rstrip('/')}/postgres"
        self.instance = work / f"instance-{name}"
        self.instance.mkdir()
        # Its own Redis key prefix: with --page-cache both trees share one Redis database.
        (self.instance / "config.py").write_text(f"RATELIMIT_ENABLED = False\nRATELIMIT_KEY_PREFIX = 'bench-{name}'\n")
        self.env = {**os.environ, "PORTAL_DATABASE_URL": self.url, "PORTAL_INSTANCE_DIR": str(self.instance),
                    "PORTAL_SECRET_KEY": "bench-pages-" + "x" * 40, "PORTAL_ENV": "production",
                    "PYTHONPATH": str(path), "PORTAL_ACCESS_LOG": ""}
        self.ids: dict[str, int] = {}

    def flask(self, *args: str) -> str:
        return run([str(BIN / "flask"), "--app", "wsgi", *args], self.path, self.env)

    def create(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}"')
            conn.execute(f'CREATE DATABASE "{self.db}"')

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')

    def load(self, n: int, work: Path) -> float:
        started = time.monotonic()
        self.flask("db", "upgrade")
        self.flask("portal", "seed-demo")
        with psycopg.connect(self.url) as conn:
            orgs = [r[0] for r in conn.execute("SELECT name FROM organizations WHERE status = 'verified' ORDER BY id")]
        lines = work / f"cases-{self.name}.jsonl"
        write_cases(lines, n, orgs)
        self.flask("cases", "import", str(lines), "--publish")
        self.flask("search", "reindex")
        # This machine's server runs without autovacuum; a production one would have analysed
        # and vacuumed the freshly loaded tables (plans and index-only scans depend on it).
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        with psycopg.connect(self.url) as conn:
            # The longest published demo case, the session and the unit with most cases.
            self.ids["case"] = conn.execute(
                "SELECT id FROM cases WHERE status = 'published' AND (external_id IS NULL OR external_id NOT LIKE 'bench-%') ORDER BY "
                "length(background) + length(approach) + length(outcomes) + length(lessons) DESC LIMIT 1").fetchone()[0]
            # A generated case: like most, with no comments, sessions, awards or adoption reports.
            self.ids["typical"] = conn.execute(
                "SELECT min(id) FROM cases WHERE status = 'published' AND external_id LIKE 'bench-%'").fetchone()[0]
            self.ids["session"] = conn.execute(
                "SELECT session_id FROM agenda_items GROUP BY session_id ORDER BY count(*) DESC, session_id LIMIT 1"
            ).fetchone()[0]
            self.ids["org"] = conn.execute(
                "SELECT org_id FROM cases GROUP BY org_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
            self.ids["theme"] = conn.execute("SELECT id FROM themes WHERE name = '五社联动'").fetchone()[0]
        return time.monotonic() - started


class Server:
    def __init__(self, app: str, cwd: Path, env: dict, workers: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--preload", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", app], cwd=cwd, env=env, start_new_session=True)
        self.ready_after = self._wait()

    def _wait(self) -> float:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(self.base + "/", timeout=5).read()
                return time.monotonic() - self.started
            except OSError:
                time.sleep(0.1)
        sys.exit("gunicorn did not answer within 120 s")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", str(text)).groups()
    return float(value) * _UNIT[unit]


def wrk(url: str, seconds: float, connections: int, script: Path | None = None, env: dict | None = None) -> dict:
    """One wrk run; ``script`` (a Lua file) and ``env`` for signed-in pages (bench/load)."""
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency"] + (["-s", str(script)] if script else [])
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if "99" not in lat:  # no request finished (wrk prints no distribution)
        lat = {"50": f"{seconds:g}s", "99": f"{seconds:g}s"}
    return {"rps": rps, "p50": _ms(lat["50"]), "p99": _ms(lat["99"]),
            "non2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else ""}


def quote(url: str) -> str:
    return urllib.parse.quote(url, safe="/?=&:%")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--baseline", metavar="REF", help="also serve this git ref, side by side")
    ap.add_argument("--pages", help="comma-separated labels to run (default: all)")
    ap.add_argument("--json", type=Path, help="write the raw samples here")
    ap.add_argument("--floor", action="store_true",
                    help="also serve the probe pages of bench/pages/floor.py (this checkout only)")
    ap.add_argument("--page-cache", metavar="REDIS_URL",
                    help="serve every tree with the anonymous page cache on (PORTAL_PAGE_CACHE_URL; "
                         "a tree without the cache ignores it)")
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    pg = os.environ.get("PAGES_PG", "postgresql://postgres@127.0.0.1:5432")
    pages = [p for p in PAGES + (FLOOR if args.floor else ()) if not args.pages or p[0] in args.pages.split(",")]
    if args.floor and args.baseline:
        sys.exit("--floor serves this checkout only; leave out --baseline")

    with ExitStack() as stack:
        # Entered first, so it is removed last: after the servers have stopped writing to it.
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pages-", ignore_cleanup_errors=True)))
        trees = [Tree("current", ROOT, pg, work)]
        if args.baseline:
            wt = work / "baseline"
            run(["git", "worktree", "add", "--detach", str(wt), args.baseline], ROOT, os.environ)
            stack.callback(run, ["git", "worktree", "remove", "--force", str(wt)], ROOT, os.environ)
            run([str(BIN / "pybabel"), "-q", "compile", "-d", "portal/translations"], wt, os.environ)
            trees.append(Tree("baseline", wt, pg, work))
        for tree in trees:
            if args.page_cache:
                tree.env["PORTAL_PAGE_CACHE_URL"] = args.page_cache
            tree.create()
            stack.callback(tree.drop)
            took = tree.load(args.cases, work)
            print(f"[{tree.name}] loaded demo data + {args.cases} cases and indexed them in {took:.0f} s; "
                  f"case {tree.ids['case']}, session {tree.ids['session']}, unit {tree.ids['org']}", flush=True)

        hello = Server("hello:app", HERE, {**os.environ}, args.workers)
        stack.callback(hello.stop)
        servers = {}
        for tree in trees:
            app = "bench.pages.floor:app" if args.floor else "wsgi:app"
            servers[tree.name] = Server(app, tree.path, tree.env, args.workers)
            stack.callback(servers[tree.name].stop)
            print(f"[{tree.name}] gunicorn answered {servers[tree.name].ready_after:.1f} s after start", flush=True)

        def url(tree: Tree, template: str) -> str:
            return servers[tree.name].base + quote(template.format(**tree.ids, event=""))

        # Warm-up: every page once per worker-ish, then a short wrk run, discarded.
        for tree in trees:
            for _, template in pages:
                wrk(url(tree, template), 1, args.connections)
        wrk(hello.base + "/", 1, args.connections)

        samples: dict = {t.name: {label: [] for label, _ in pages} for t in trees}
        for r in range(args.rounds):
            for label, template in pages:
                base = wrk(hello.base + "/", args.seconds, args.connections)
                for tree in trees:
                    res = wrk(url(tree, template), args.seconds, args.connections)
                    res["ratio"] = res["rps"] / base["rps"]
                    res["hello_rps"] = base["rps"]
                    samples[tree.name][label].append(res)
            print(f"round {r + 1}/{args.rounds} done", flush=True)

    if args.json:
        args.json.write_text(json.dumps(samples, ensure_ascii=False, indent=1))
    print(f"\n{args.cases} cases, gunicorn --preload -w {args.workers}, wrk -t2 -c{args.connections} "
          f"-d{args.seconds:g}s, {args.rounds} interleaved rounds; medians over rounds")
    head = "| page | " + " | ".join(f"{t.name} req/s | {t.name} × hello | {t.name} p50 ms | {t.name} p99 ms"
                                      for t in trees) + " | hello req/s |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for label, _ in pages:
        cells = []
        for t in trees:
            rows = samples[t.name][label]

            def med(key, rows=rows):
                return statistics.median(x[key] for x in rows)
            bad = sum(x["non2xx"] for x in rows)
            cells.append(f"{med('rps'):.0f}{f' ({bad} non-2xx)' if bad else ''} | {med('ratio'):.3f} | "
                         f"{med('p50'):.0f} | {med('p99'):.0f}")
        hello_rps = statistics.median(x["hello_rps"] for x in samples[trees[0].name][label])
        print(f"| {label} | " + " | ".join(cells) + f" | {hello_rps:.0f} |")
    if len(trees) == 2:
        print("\nafter/before (ratio of the × hello figures):")
        for label, _ in pages:
            a = statistics.median(x["ratio"] for x in samples["current"][label])
            b = statistics.median(x["ratio"] for x in samples["baseline"][label])
            print(f"  {label}: {a / b:.1f}×" if b else f"  {label}: baseline served nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
