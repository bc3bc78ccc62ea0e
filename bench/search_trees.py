"""Two code trees' search side by side on one large index, in alternating processes.

    .venv/bin/python bench/search_trees.py build --size 50000            # once: about 10 minutes
    .venv/bin/python bench/search_trees.py compare BEFORE_TREE .          # PostgreSQL backend
    .venv/bin/python bench/search_trees.py compare --backend whoosh .     # one tree, Whoosh

``build`` generates the cases (bench/corpus.py), fills the PostgreSQL backend's tables in a
database of their own (``--db``, default ``bench_trees_<size>`` on BENCH_PG) with ``rebuild()``
and analyses it, and builds the Whoosh index in ``--index`` (default /dev/shm/bench_trees_<size>).
Both are kept for later runs; drop the database and remove the folder when done.

``compare`` runs the query mix of bench/search_bench.py (the kinds of the issue's mix) through
``portal.search.service`` once cold and once warm per query, in a fresh process per tree and
round, alternating trees (A, B, A, B, ...) so that both see the same machine load. Cold: the
backend's per-process caches emptied (``reset_for_tests()``); warm: the query run once before and
only the result cache emptied. Each process first warms up as a served worker does before its
first request (``portal.search.warm_up``, which runs one unrelated query, then ``gc.freeze()``:
gunicorn.conf.py's post_worker_init; start-up out of the figures). A tree is a checkout
(``git worktree add /tmp/before REF``); each process imports that tree's ``portal``. The
database must carry both trees' migrations (run the newer tree's ``flask db upgrade`` against it,
or build with the newer tree).

Prints per query the median cold / warm ms and the number of results, the mix's p95 (nearest
rank over every run), and any query whose results differ between the first and last tree.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")

WORKER = r"""
import json, logging, sys, time
tree, backend, url, index = sys.argv[1:5]
sys.path.insert(0, tree)
logging.disable(logging.WARNING)
from portal import create_app              # this tree's portal, imported before bench/ is on the path
from portal.extensions import db
from portal.search import service
from portal.search.backend import get_backend
sys.path.insert(1, sys.argv[5])
from search_bench import MIX_KINDS, QUERIES
config = {"TESTING": True, "SECRET_KEY": "x", "SEARCH_SYNC": "off", "SEARCH_BACKEND": backend}
if backend == "postgres":
    config.update(SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=index + "-pg-instance")
else:
    config.update(SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_DIR=index + "-instance", SEARCH_INDEX_DIR=index)
app = create_app(config)
# Set up as a served worker is before its first request (gunicorn.conf.py's post_worker_init).
import gc
from portal.search import warm_up
warm_up(app)
gc.collect()
gc.freeze()
out = {}
for label, kind, q, filters, sort in QUERIES:
    if kind not in MIX_KINDS:
        continue
    for mode in ("cold", "warm"):
        with app.test_request_context("/search"):
            be = get_backend()
            if mode == "cold":
                be.reset_for_tests()
            else:
                service.search(q, filters=filters, sort=sort)
                be.forget_results()
            t = time.perf_counter()
            result = service.search(q, filters=filters, sort=sort)
            row = out.setdefault(label, {})
            row[mode] = (time.perf_counter() - t) * 1e3
            row["total"], row["ids"] = result.total, [h.id for h in result.hits]
            db.session.remove()
print("RESULT " + json.dumps(out))
"""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def build(args) -> int:
    sys.path.insert(0, str(HERE.parent))
    import psycopg
    from flask_migrate import upgrade

    from bench.corpus import CaseGenerator
    from portal import create_app
    from portal.search import analysis
    from portal.search.backend import get_backend

    analysis.load_dictionary()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db}"')
    url = f"postgresql+psycopg://{SERVER.split('://', 1)[1]}/{args.db}"
    common = {"TESTING": True, "SECRET_KEY": "x", "SEARCH_SYNC": "off"}
    pg = create_app({**common, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": args.index + "-pg-instance",
                     "SEARCH_BACKEND": "postgres"})
    wh = create_app({**common, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_DIR": args.index + "-instance",
                     "SEARCH_INDEX_DIR": args.index, "SEARCH_BACKEND": "whoosh"})
    with pg.app_context():
        upgrade()
    t = time.perf_counter()
    documents = list(CaseGenerator().cases(args.size))
    print(f"{args.size:,} cases generated in {time.perf_counter() - t:.0f} s", flush=True)
    for name, app in (("PostgreSQL", pg), ("Whoosh", wh)):
        with app.app_context():
            t = time.perf_counter()
            get_backend().rebuild(iter(documents), workers=2)
            print(f"{name}: rebuilt in {time.perf_counter() - t:.0f} s", flush=True)
    with psycopg.connect(f"{SERVER}/{args.db}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # as autovacuum would (this machine's server runs without it)
    print(f"kept: database {args.db}, index {args.index}")
    return 0


def compare(args) -> int:
    url = f"postgresql+psycopg://{SERVER.split('://', 1)[1]}/{args.db}"
    runs: dict[str, list[dict]] = {tree: [] for tree in args.trees}
    for _round in range(args.rounds):
        for tree in args.trees:
            done = subprocess.run([sys.executable, "-c", WORKER, str(Path(tree).resolve()), args.backend, url,
                                   args.index, str(HERE)], capture_output=True, text=True)
            line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                sys.exit(f"{tree} failed:\n{done.stderr[-3000:]}")
            runs[tree].append(json.loads(line[7:]))
    labels = list(runs[args.trees[0]][0])
    print(f"{args.backend}, {args.rounds} rounds; median ms cold / warm (results)")
    print("| query | " + " | ".join(args.trees) + " |")
    print("|---|" + "---|" * len(args.trees))
    for label in labels:
        cells = [f"{statistics.median(r[label]['cold'] for r in runs[t]):.0f} / "
                 f"{statistics.median(r[label]['warm'] for r in runs[t]):.0f} ({runs[t][0][label]['total']})"
                 for t in args.trees]
        print(f"| {label} | " + " | ".join(cells) + " |")
    for mode in ("cold", "warm"):
        cells = [f"{p95([r[label][mode] for r in runs[t] for label in labels]):.0f}" for t in args.trees]
        print(f"| **mix p95, {mode}** ({len(labels) * args.rounds} runs) | " + " | ".join(cells) + " |")
    first, last = runs[args.trees[0]][0], runs[args.trees[-1]][0]
    for label in labels:
        if (first[label]["total"], first[label]["ids"]) != (last[label]["total"], last[label]["ids"]):
            print(f"results differ: {label}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--size", type=int, default=50000)
    c = sub.add_parser("compare")
    c.add_argument("trees", nargs="+")
    c.add_argument("--rounds", type=int, default=3)
    c.add_argument("--backend", choices=("postgres", "whoosh"), default="postgres")
    c.add_argument("--size", type=int, default=50000)
    for p in (b, c):
        p.add_argument("--db", help="PostgreSQL database (default bench_trees_<size>)")
        p.add_argument("--index", help="Whoosh index folder (default /dev/shm/bench_trees_<size>)")
    args = ap.parse_args(argv)
    args.db = args.db or f"bench_trees_{args.size}"
    args.index = args.index or f"/dev/shm/bench_trees_{args.size}"
    return build(args) if args.command == "build" else compare(args)


if __name__ == "__main__":
    sys.exit(main())
