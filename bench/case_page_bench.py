"""Case page and similar-cases timing through the Flask test client, on generated cases.

    .venv/bin/python bench/case_page_bench.py                    # 2,000 cases, 100 pages viewed twice
    .venv/bin/python bench/case_page_bench.py --cases 500 --views 50

Builds a SQLite database in a temporary instance folder (migrated like production), adds
``--cases`` published cases made by bench/corpus.py (the search benchmark's generator), indexes
them with ``service.reindex`` and then, for ``--views`` cases spread over the ids, times
``GET /cases/<id>`` twice per case (first view, then a repeat view), the backend's similar cases
on their own (``service.similar``: what every page view computed before the cache) and a cached
``service.similar_ids``. Prints one JSON object. Run it from an older checkout for "before".
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def build(app, n: int) -> list[int]:
    """n published cases from the corpus generator, through create_case (validation, themes, tags)."""
    from bench.corpus import CaseGenerator
    from portal.auth.services import create_user
    from portal.cases import services
    from portal.cases.models import SECTIONS, CaseStatus, Theme
    from portal.extensions import db
    from portal.orgs.services import create_verified_org
    from portal.search import service

    gen = CaseGenerator()
    orgs = gen.orgs(6000, random.Random(gen.seed * 7 + 1))
    user = create_user("bench@example.org", "基准", "bench-password-123", admin=True)
    org = create_verified_org("基准测试社工中心", "贵州省", "社工机构", user)
    known = set(db.session.scalars(db.select(Theme.name)))
    ids = []
    for i in range(n):
        c = gen.case(i + 1, random.Random(f"{gen.seed}-{i}"), orgs, lambda case: case)
        data = services.CaseData(
            title=c.title[:60], summary=c.summary[:280], **{s: getattr(c, s) for s in SECTIONS},
            themes=[t.name for t in c.themes if t.name in known] or sorted(known)[:1],
            tags=[t.name for t in c.tags], province=c.province, city=c.city[:50], community_type=c.community_type)
        case = services.create_case(None, org, data)
        case.status = CaseStatus.PUBLISHED
        case.published_at = c.published_at
        ids.append(case.id)
        if i % 200 == 199:
            db.session.commit()
    db.session.commit()
    service.reindex(workers=2)
    from portal.search.models import SearchOutbox
    db.session.execute(db.delete(SearchOutbox))
    db.session.commit()
    return ids


def bench_app(instance: Path, **extra):
    """An app on a fresh SQLite database in ``instance``, migrated like production."""
    from flask_migrate import upgrade

    from portal import create_app

    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "bench", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}", "SEARCH_SYNC": "off",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False, **extra})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--views", type=int, default=100)
    args = parser.parse_args(argv)

    from portal.search import service
    from portal.search.backend import get_backend

    instance = Path(tempfile.mkdtemp(prefix="case-page-bench-", dir=os.environ.get("TMPDIR")))
    started = time.perf_counter()
    app = bench_app(instance)
    with app.app_context():
        ids = build(app, args.cases)
    built = time.perf_counter() - started

    step = max(1, len(ids) // args.views)
    chosen = ids[::step][:args.views]
    client = app.test_client()
    client.get(f"/cases/{ids[-1]}")  # templates compiled, searcher opened: not what we time
    first, repeat, similar_first, similar_repeat = [], [], [], []
    for case_id in chosen:
        t0 = time.perf_counter()
        response = client.get(f"/cases/{case_id}")
        first.append(time.perf_counter() - t0)
        assert response.status_code == 200
        t0 = time.perf_counter()
        client.get(f"/cases/{case_id}")
        repeat.append(time.perf_counter() - t0)
    # The backend's similar() on its own: every call computes (before the cache, the page did this).
    cached = getattr(service, "similar_ids", None)  # absent in the code before the cache
    with app.app_context():
        get_backend().reset_for_tests()
        service.similar(ids[-1], 8)
        for case_id in chosen:
            t0 = time.perf_counter()
            service.similar(case_id, 8)
            similar_first.append(time.perf_counter() - t0)
            if cached is not None:
                cached(case_id, 8)
                t0 = time.perf_counter()
                cached(case_id, 8)
                similar_repeat.append(time.perf_counter() - t0)

    def ms(values):
        return {"median_ms": round(statistics.median(values) * 1000, 2), "mean_ms": round(statistics.fmean(values) * 1000, 2)}

    shutil.rmtree(instance, ignore_errors=True)
    print(json.dumps({
        "cases": args.cases, "views": len(chosen), "build_s": round(built, 1),
        "page_first_view": ms(first), "page_repeat_view": ms(repeat),
        "backend_similar": ms(similar_first),
        "similar_ids_cached": ms(similar_repeat) if similar_repeat else None,
    }, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
