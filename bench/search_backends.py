"""Both search backends side by side: reindex time, index size and the query mix of
bench/search_bench.py, on the same generated cases, in one process and one run.

    .venv/bin/python bench/search_backends.py                    # 10k cases
    .venv/bin/python bench/search_backends.py --sizes 10000,50000 --reps 3

Whoosh: an index folder under /dev/shm (as `flask search reindex` builds it, two processes).
PostgreSQL: a throwaway database on BENCH_PG (default postgresql://postgres@127.0.0.1:5432),
migrated, filled by the backend's rebuild() (one transaction), dropped afterwards.

Queries go through portal.search.service.search, as the pages call it. Per round and query the
two backends run back to back. "cold": the backend's per-process caches emptied first (Whoosh:
searcher and result cache; PostgreSQL: result cache and word statistics; the
database's own buffers stay warm, as on a running server). "warm": only the result cache
emptied. Before the queries both apps are warmed up and frozen as served workers are
(portal.search.warm_up, then gc.freeze(): gunicorn.conf.py). The judged relevance of both is
printed by bench/relevance.py (systems site, site-pg).
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from relevance import drop_database, throwaway_database  # noqa: E402
from search_bench import MIX_KINDS, QUERIES  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def build(size: int, tmp: Path):
    from flask_migrate import upgrade

    from bench.corpus import CaseGenerator
    from portal import create_app
    from portal.extensions import db
    from portal.search import analysis
    from portal.search.backend import get_backend

    analysis.load_dictionary()
    apps, built = {}, {}
    whoosh = create_app({"TESTING": True, "INSTANCE_DIR": str(tmp / "whoosh"), "SEARCH_INDEX_DIR": str(tmp / "index"),
                         "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "SEARCH_SYNC": "off",
                         "SEARCH_BACKEND": "whoosh"})
    url = throwaway_database("backends")
    postgres = create_app({"TESTING": True, "INSTANCE_DIR": str(tmp / "pg"), "SQLALCHEMY_DATABASE_URI": url,
                           "SECRET_KEY": "x", "SEARCH_SYNC": "off", "SEARCH_BACKEND": "postgres"})
    with postgres.app_context():
        upgrade()
    t = time.perf_counter()
    documents = list(CaseGenerator().cases(size))  # generated text: not part of either reindex
    print(f"{size:,} documents generated in {time.perf_counter() - t:.1f} s", flush=True)
    for name, app in (("whoosh", whoosh), ("postgres", postgres)):
        with app.app_context():
            t = time.perf_counter()
            get_backend().rebuild(iter(documents), workers=2)
            seconds = time.perf_counter() - t
            if name == "postgres":  # again, over its own rows: a reindex with nothing changed
                t = time.perf_counter()
                get_backend().rebuild(iter(documents), workers=2)
                built["postgres-again"] = time.perf_counter() - t
            if name == "whoosh":
                size_bytes = sum(p.stat().st_size for p in (tmp / "index").rglob("*") if p.is_file())
            else:
                size_bytes = db.session.execute(db.text(
                    "SELECT pg_total_relation_size('search_documents') + pg_total_relation_size('search_terms')")).scalar()
                db.session.remove()
        apps[name] = app
        built[name] = {"reindex_s": seconds, "size_mb": size_bytes / 1e6}
    del documents
    return apps, built, url


def measure(apps: dict, reps: int) -> dict:
    from portal.search import service
    from portal.search.backend import get_backend

    samples = {name: {label: {"cold": [], "warm": []} for label, *_ in QUERIES} for name in apps}
    hits = {name: {} for name in apps}
    for _round in range(reps):
        for label, _kind, q, filters, sort in QUERIES:
            for name, app in apps.items():
                for mode in ("cold", "warm"):
                    with app.test_request_context("/search"):
                        backend = get_backend()
                        if mode == "cold":
                            backend.reset_for_tests()
                        else:
                            service.search(q, filters=filters, sort=sort)  # what warm keeps is read
                            backend.forget_results()
                        t = time.perf_counter()
                        result = service.search(q, filters=filters, sort=sort)
                        samples[name][label][mode].append((time.perf_counter() - t) * 1e3)
                        hits[name][label] = result.total
                        from portal.extensions import db

                        db.session.remove()
    return {"samples": samples, "hits": hits}


def report(size: int, built: dict, measured: dict) -> None:
    samples, hits = measured["samples"], measured["hits"]
    print(f"\n## {size:,} cases\n")
    print("| | Whoosh | PostgreSQL | ratio |")
    print("|---|---|---|---|")
    w, p = built["whoosh"], built["postgres"]
    print(f"| reindex | {w['reindex_s']:.1f} s | {p['reindex_s']:.1f} s | {p['reindex_s'] / w['reindex_s']:.2f}× |")
    print(f"| reindex again, nothing changed | | {built['postgres-again']:.1f} s | |")
    print(f"| index size | {w['size_mb']:.0f} MB | {p['size_mb']:.0f} MB | {p['size_mb'] / w['size_mb']:.2f}× |")
    for mode in ("cold", "warm"):
        for title, kinds in (("query mix", MIX_KINDS), ("selective", {"selective"})):
            values = {name: [ms for label, kind, *_ in QUERIES if kind in kinds for ms in samples[name][label][mode]]
                      for name in samples}
            a, b = p95(values["whoosh"]), p95(values["postgres"])
            print(f"| {title} p95, {mode} | {a:.1f} ms | {b:.1f} ms | {b / a:.2f}× |")
    print("\nPer query, median ms (cold / warm), hits:\n")
    print("| query | Whoosh | PostgreSQL | hits W / P |")
    print("|---|---|---|---|")
    for label, *_rest in QUERIES:
        cells = [f"{statistics.median(samples[n][label]['cold']):.1f} / {statistics.median(samples[n][label]['warm']):.1f}"
                 for n in ("whoosh", "postgres")]
        print(f"| {label} | {cells[0]} | {cells[1]} | {hits['whoosh'][label]} / {hits['postgres'][label]} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="backends-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
            apps, built, url = build(size, Path(tmp))
            try:
                # Set up as served workers are before their first request (gunicorn.conf.py):
                # warmed up, then what is loaded frozen out of the garbage collector's way.
                from portal.search import warm_up

                for app in apps.values():
                    warm_up(app)
                gc.collect()
                gc.freeze()
                report(size, built, measure(apps, args.reps))
            finally:
                gc.unfreeze()
                from portal.extensions import db

                with apps["postgres"].app_context():
                    db.engine.dispose()
                drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
