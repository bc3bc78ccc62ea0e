"""Size and layout time of a 案例汇编 (portal.compilations) on generated cases.

    .venv/bin/python bench/compilation_bench.py                 # 50 cases, 3 rounds
    .venv/bin/python bench/compilation_bench.py --cases 200 --rounds 1

Builds a migrated SQLite database in a temporary instance folder with ``--cases`` published cases
from bench/corpus.py (about 2,000 characters each, through create_case), then lays out a
hand-picked compilation of all of them ``--rounds`` times (a new key each round, so nothing is
served from the cache) and prints one JSON object: pages, size, and the time to prepare the
cases and lay out the PDF (median and each round).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    from bench.case_page_bench import bench_app, build
    from portal.compilations import services
    from portal.extensions import db

    instance = Path(tempfile.mkdtemp(prefix="compilation-bench-", dir=os.environ.get("TMPDIR")))
    app = bench_app(instance, COMPILATION_BUILD="off")
    with app.app_context():
        ids = build(app, args.cases)
    rounds, pages, size = [], None, None
    for n in range(args.rounds):
        with app.test_request_context():
            from portal.cases.models import Case
            from portal.models_base import utcnow

            case = db.session.get(Case, ids[0])
            case.summary, case.updated_at = f"第 {n} 轮", utcnow()  # a new key: laid out afresh
            db.session.commit()
            job = services.request_compilation(None, "cases", ",".join(map(str, ids)), "http://localhost/")
            db.session.commit()
            assert job.status == "pending", (job.status, job.id)
            job = services.claim(job.id)
            started = time.perf_counter()
            services.build(job)
            rounds.append(time.perf_counter() - started)
            path = services.file_of(job)
            size = path.stat().st_size
            info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
            pages = next((int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")), None)
    print(json.dumps({"cases": args.cases, "pages": pages, "size_bytes": size, "size_mb": round(size / 1e6, 2),
                      "seconds_median": round(statistics.median(rounds), 2),
                      "seconds": [round(r, 2) for r in rounds]}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
