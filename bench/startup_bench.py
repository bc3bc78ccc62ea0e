"""Start-up: time from launching `gunicorn --preload` to the first served search, and each
worker's first search, on generated cases.

    .venv/bin/python bench/startup_bench.py                       # 2,000 cases, 2 workers, 3 rounds
    .venv/bin/python bench/startup_bench.py --instance /dev/shm/sb   # keep (and reuse) the instance

The instance (SQLite database, 2,000 published cases from bench/corpus.py, their index) is built
once by bench/case_page_bench.py's builder. Each round then starts
``gunicorn --preload -w N -c gunicorn.conf.py wsgi:app`` (without ``-c`` if there is no such file) from the project folder and:

* **first search**: the wall time from launching gunicorn until the first answer to
  ``GET /search?q=…`` (the HTML search page), polling the port until it answers;
* **each worker's first search**: concurrent searches (each a query not asked before in the
  round) until every worker has answered one; gunicorn's access log records each request's pid
  and duration (``%(p)s %(L)s``), and the first request of each pid is that worker's first search
  (its own duration, server side). The later requests give the "warm" figure.

Prints one JSON object (median over the rounds).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GUNICORN = Path(sys.executable).with_name("gunicorn")
QUERIES = ["养老 服务", "社工站", "时间银行", "垃圾分类", "志愿者 积分", "儿童 关爱", "网格员", "乡村振兴 产业",
           "调解 纠纷", "助餐", "议事会 协商", "防汛", "电梯", "楼栋长", "困难 帮扶", "心理 疏导"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_INSTANCE_DIR=str(instance), PORTAL_SECRET_KEY="bench", PORTAL_COOKIE_SECURE="false",
               PORTAL_SEARCH_SYNC="thread", PORTAL_RATELIMIT_STORAGE="memory://")
    return env


def prepare(instance: Path, cases: int) -> None:
    if (instance / "portal.db").exists():
        return
    from flask_migrate import upgrade

    from bench.case_page_bench import build
    from portal import create_app

    instance.mkdir(parents=True, exist_ok=True)
    app = create_app({"INSTANCE_DIR": str(instance), "SECRET_KEY": "bench", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}", "SEARCH_SYNC": "off",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        build(app, cases)


def get(url: str) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        assert response.status == 200
    return time.perf_counter() - t0


def one_round(instance: Path, workers: int, round_no: int) -> dict:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = instance / f"access-{round_no}.log"
    log.unlink(missing_ok=True)
    queries = QUERIES
    config = ["-c", "gunicorn.conf.py"] if (ROOT / "gunicorn.conf.py").exists() else []
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(GUNICORN), "--preload", "-w", str(workers), "-b", f"127.0.0.1:{port}", *config,
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(L)s %(U)s", "wsgi:app"],
        cwd=ROOT, env=_env(instance), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        first_query = urllib.parse.quote(queries[0])
        while True:
            try:
                get(f"{base}/search?q={first_query}")
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(server.stderr.read().decode()) from None
                time.sleep(0.01)
        first_search = time.perf_counter() - started
        # Every worker's first search: concurrent requests, new queries, until each pid answered.
        pending = queries[1:]
        seen: dict[str, list[float]] = {}
        while pending:
            batch, pending = pending[:workers], pending[workers:]  # as many at once as there are workers
            with ThreadPoolExecutor(len(batch)) as pool:
                list(pool.map(lambda q: get(f"{base}/search?q={urllib.parse.quote(q)}"), batch))
            time.sleep(0.05)  # the access log is written after the answer
            seen = {}
            for line in log.read_text().splitlines():
                pid, seconds, path = line.split()
                if path == "/search":
                    seen.setdefault(pid, []).append(float(seconds))
            if len(seen) >= workers:
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    firsts = [times[0] for times in seen.values()]
    later = [t for times in seen.values() for t in times[1:]]
    return {"first_search_s": first_search, "worker_first_ms": [round(t * 1000, 1) for t in firsts],
            "worker_later_median_ms": round(statistics.median(later) * 1000, 1) if later else None,
            "workers_seen": len(seen)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--instance", type=Path, help="instance folder to build once and reuse")
    args = parser.parse_args(argv)
    instance = args.instance or Path(tempfile.mkdtemp(prefix="startup-bench-", dir=os.environ.get("TMPDIR")))
    prepare(instance, args.cases)
    rounds = [one_round(instance, args.workers, i) for i in range(args.rounds)]
    print(json.dumps({
        "cases": args.cases, "workers": args.workers, "rounds": rounds,
        "first_search_s_median": round(statistics.median(r["first_search_s"] for r in rounds), 2),
        "worker_first_ms_median": round(statistics.median(t for r in rounds for t in r["worker_first_ms"]), 1),
        "worker_first_ms_max": max(t for r in rounds for t in r["worker_first_ms"]),
    }, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
