"""Per-request time of a few anonymous pages through the Flask test client, two code trees side by side.

    python bench/client_pages.py BEFORE_TREE AFTER_TREE [--rounds 7] [--requests 30] [--page-cache redis://...]

Each tree runs in a subprocess of its own (its own ``portal`` package) on a copy of one SQLite
database with the demo data; the driver alternates rounds between them (before, after, before, ...)
so that both see the same machine load, and prints the median ms per request and the ratio.
No HTTP caching is exercised: every request is a plain GET without conditional headers.
With ``--page-cache URL`` the last tree runs with the anonymous page cache in that Redis
(portal.pagecache; a tree without it ignores the setting).
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PAGES = ["/", "/cases", "CASE"]

WORKER = r"""
import json, os, sys, time, logging
sys.path.insert(0, sys.argv[1])
logging.disable(logging.WARNING)
from portal import create_app
app = create_app({"TESTING": False, "SECRET_KEY": "bench", "INSTANCE_DIR": sys.argv[2],
                  "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[2] + "/portal.db",
                  "SEARCH_SYNC": "off", "SESSION_COOKIE_SECURE": False, "PAGE_CACHE_URL": sys.argv[5],
                  "RATELIMIT_KEY_PREFIX": "bench-" + str(os.getpid())})
seed = sys.argv[3] == "seed"
if seed:
    from flask_migrate import upgrade
    from portal.demo import seed_demo
    with app.app_context():
        upgrade()
        seed_demo()
        from portal.extensions import db
        db.session.commit()
    print(json.dumps({"seeded": True}), flush=True)
    sys.exit(0)
with app.app_context():
    from sqlalchemy import select
    from portal.cases.models import Case
    from portal.extensions import db
    case_id = db.session.scalar(select(Case.id).where(Case.status == "published").order_by(Case.id))
pages = [p if p != "CASE" else f"/cases/{case_id}" for p in json.loads(sys.argv[4])]
client = app.test_client()
for page in pages:  # warm up: templates compiled, caches filled
    for _ in range(3):
        assert client.get(page).status_code == 200, page
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    n = int(line)
    out = {}
    for page in pages:
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            client.get(page)
        out[page] = ((time.perf_counter() - start) * 1000 / n, (time.process_time() - cpu) * 1000 / n)
    print(json.dumps(out), flush=True)
"""


def main() -> None:
    args = sys.argv[1:]
    rounds, requests = 7, 30
    if "--rounds" in args:
        i = args.index("--rounds")
        rounds = int(args[i + 1])
        del args[i:i + 2]
    page_cache = ""
    if "--page-cache" in args:
        i = args.index("--page-cache")
        page_cache = args[i + 1]
        del args[i:i + 2]
    if "--requests" in args:
        i = args.index("--requests")
        requests = int(args[i + 1])
        del args[i:i + 2]
    trees = [str(Path(a).resolve()) for a in args]
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="client-pages-"))
    seed_dir = work / "seed"
    seed_dir.mkdir()
    # The demo data through the first tree's code (same schema assumed in both trees).
    subprocess.run([python, "-c", WORKER, trees[0], str(seed_dir), "seed", "[]", ""], check=False,
                   stdout=subprocess.DEVNULL)
    procs = []
    for n, tree in enumerate(trees):
        inst = work / f"t{n}"
        shutil.copytree(seed_dir, inst)
        if (Path(tree) / "migrations").exists():
            subprocess.run([python, "-c", "import sys; sys.path.insert(0, sys.argv[1]);"
                            "from portal import create_app; from flask_migrate import upgrade;"
                            "app = create_app({'SECRET_KEY': 'b', 'INSTANCE_DIR': sys.argv[2],"
                            "'SQLALCHEMY_DATABASE_URI': 'sqlite:///' + sys.argv[2] + '/portal.db'});"
                            "ctx = app.app_context(); ctx.push(); upgrade()", tree, str(inst)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cache = page_cache if n == len(trees) - 1 else ""
        proc = subprocess.Popen([python, "-c", WORKER, tree, str(inst), "run", json.dumps(PAGES), cache],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(proc.stdout.readline())["ready"]
        procs.append(proc)
    results: list[dict[str, list[list[float]]]] = [{} for _ in trees]
    for _ in range(rounds):
        for n, proc in enumerate(procs):
            proc.stdin.write(f"{requests}\n")
            proc.stdin.flush()
            for page, ms in json.loads(proc.stdout.readline()).items():
                results[n].setdefault(page, []).append(ms)
    for proc in procs:
        proc.stdin.close()
        proc.wait()
    print(f"{rounds} alternating rounds x {requests} requests per page; median ms per request,"
          " wall clock and CPU time of the process (CPU is less disturbed by other load)")
    for kind, index in (("wall", 0), ("cpu", 1)):
        header = f"{kind:5} page".ljust(18) + "".join(f"tree{n}".rjust(10) for n in range(len(trees)))
        print(header + ("  after/before" if len(trees) == 2 else ""))
        for page in results[0]:
            meds = [statistics.median(ms[index] for ms in r[page]) for r in results]
            line = "      " + (page if not page.startswith("/cases/") else "/cases/<id>").ljust(12)
            line += "".join(f"{m:10.2f}" for m in meds)
            if len(meds) == 2:
                line += f"  {meds[1] / meds[0]:.2f}x time ({meds[0] / meds[1]:.2f}x speed)"
            print(line)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
