"""Judged relevance benchmark: the site's search against three baselines on real Chinese news.

    .venv/bin/pip install -r bench/requirements.txt     # jieba and rank-bm25, for the baselines only
    .venv/bin/python bench/relevance.py                  # all systems, summary table
    .venv/bin/python bench/relevance.py --per-query      # also one line per query
    .venv/bin/python bench/relevance.py --systems site --label "after synonyms"

Corpus: ../shared/corpora/news-governance.jsonl (1,152 CCTV news stories; test data only).
Queries and judgments: bench/relevance/queries.tsv and bench/relevance/qrels.tsv, written by
reading the stories before any system ran (see bench/README.md). Grades: 2 clearly relevant,
1 partly relevant.

Systems, all run in this process on the same texts (title + paragraphs):
* site      the application's search (portal.search.service), each story indexed as a case
            through the application's own case_document() and the backend's rebuild(); ranking =
            strict results, then the partial matches and related cases the page shows after them;
* site-pg   the same on the PostgreSQL backend (SEARCH_BACKEND = "postgres"), in a throwaway
            database on BENCH_PG (default postgresql://postgres@127.0.0.1:5432);
* like      SQL LIKE: every query word as a substring (AND), ranked by how often the words occur;
* fts5      SQLite FTS5 with the trigram tokenizer, bm25() ranking (query words shorter than three
            characters, which trigram cannot index, are matched with LIKE on the same table);
* bm25      BM25 (rank_bm25.BM25Okapi, k1=1.5, b=0.75) over jieba tokens: the "50-line toy".

Metrics: nDCG@10 (gain 2^grade - 1), P@5 (grade >= 1 counts), recall@50 of the clearly relevant
(grade 2), and the number of queries with no result although a relevant story exists.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpora" / "news-governance.jsonl"
HERE = Path(__file__).resolve().parent / "relevance"
DEPTH = 50


def load_corpus(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def load_queries(path: Path = HERE / "queries.tsv") -> list[dict]:
    out = []
    for line in path.open(encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        qid, kind, text, need = line.rstrip("\n").split("\t")
        out.append({"id": qid, "kind": kind, "q": text, "need": need})
    return out


def load_qrels(path: Path = HERE / "qrels.tsv") -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in path.open(encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        qid, doc, grade = line.split()
        qrels[qid][doc] = max(int(grade), qrels[qid].get(doc, 0))
    return qrels


def text_of(story: dict) -> str:
    return story["title"] + "\n" + "\n".join(story["sections"])


def words(q: str) -> list[str]:
    return [w for w in re.split(r"\s+", q) if w]


# Systems -----------------------------------------------------------------------------------------

class Site:
    """The application's search, as the search page calls it (portal.search.service), on the
    configured backend (SEARCH_BACKEND / PORTAL_SEARCH_BACKEND; Whoosh by default)."""
    name = "site"

    def __init__(self, stories: list[dict], workdir: Path):
        from portal import create_app
        from portal.search import analysis, service
        from portal.search.backend import get_backend
        from portal.search.documents import case_document

        analysis.load_dictionary()
        self.app = create_app({"TESTING": True, "INSTANCE_DIR": str(workdir / "instance"),
                               "SEARCH_INDEX_DIR": str(workdir / "site-index"),
                               "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench", "SEARCH_SYNC": "off"})
        with self.app.app_context():
            get_backend().rebuild((case_document(_as_case(i, story)) for i, story in enumerate(stories, start=1)),
                                  workers=1)
        self.service = service
        self.ids = {i: story["external_id"] for i, story in enumerate(stories, start=1)}

    def rank(self, q: str) -> list[str]:
        with self.app.app_context():
            out: list[int] = []
            page = 1
            while len(out) < DEPTH:
                result = self.service.search(q, page=page, per_page=DEPTH)
                out += [h.id for h in result.hits]
                if page >= result.pages:
                    out += [h.id for h in result.partial] + [h.id for h in result.related]
                    break
                page += 1
        return [self.ids[i] for i in out[:DEPTH]]


class SitePostgres(Site):
    """The application's search on the PostgreSQL backend (SEARCH_BACKEND = "postgres"), in a
    throwaway database on BENCH_PG (default postgresql://postgres@127.0.0.1:5432), dropped after."""
    name = "site-pg"

    def __init__(self, stories: list[dict], workdir: Path):
        from flask_migrate import upgrade

        from portal import create_app
        from portal.search import analysis, service
        from portal.search.backend import get_backend
        from portal.search.documents import case_document

        analysis.load_dictionary()
        self.url = throwaway_database("relevance")
        self.app = create_app({"TESTING": True, "INSTANCE_DIR": str(workdir / "instance"), "SEARCH_BACKEND": "postgres",
                               "SQLALCHEMY_DATABASE_URI": self.url, "SECRET_KEY": "bench", "SEARCH_SYNC": "off"})
        with self.app.app_context():
            upgrade()
            get_backend().rebuild((case_document(_as_case(i, story)) for i, story in enumerate(stories, start=1)))
        self.service = service
        self.ids = {i: story["external_id"] for i, story in enumerate(stories, start=1)}

    def close(self) -> None:
        from portal.extensions import db

        with self.app.app_context():
            db.engine.dispose()
        drop_database(self.url)


def throwaway_database(prefix: str) -> str:
    """A new empty PostgreSQL database on BENCH_PG; its URL."""
    import os
    import uuid

    import psycopg

    server = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
    name = f"bench_{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{server.split('://', 1)[1]}/{name}"


def drop_database(url: str) -> None:
    import psycopg

    server, _, name = url.replace("postgresql+psycopg://", "postgresql://").rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_case(i: int, story: dict):
    """A story as the case-like object case_document() reads: the paragraphs are the body."""
    from portal.cases.models import SECTIONS

    sections = dict.fromkeys(SECTIONS, "")
    sections["background"] = "\n\n".join(story["sections"])
    return SimpleNamespace(
        id=i, title=story["title"], summary="", **sections, themes=[], tags=[], org=SimpleNamespace(name="", org_type=""),
        province="", city="", county="", community="", community_type="", year=None, published_at=None,
        session_titles=[],
    )


class Like:
    name = "like"

    def __init__(self, stories: list[dict], workdir: Path):
        self.db = sqlite3.connect(":memory:")
        self.db.execute("create table doc (id text, body text)")
        self.db.executemany("insert into doc values (?, ?)", [(s["external_id"], text_of(s)) for s in stories])

    def rank(self, q: str) -> list[str]:
        ws = words(q)
        where = " and ".join("instr(body, ?) > 0" for _ in ws)
        # Occurrences of each word: (len(body) - len(replace(body, w, ''))) / len(w)
        score = " + ".join("(length(body) - length(replace(body, ?, ''))) / ?" for _ in ws)
        params = ws + [p for w in ws for p in (w, len(w))]
        rows = self.db.execute(f"select id from doc where {where} order by {score} desc limit {DEPTH}", params)
        return [r[0] for r in rows]


class Fts5Trigram:
    name = "fts5"

    def __init__(self, stories: list[dict], workdir: Path):
        self.db = sqlite3.connect(":memory:")
        self.db.execute("create virtual table doc using fts5(id unindexed, title, body, tokenize='trigram')")
        self.db.executemany("insert into doc values (?, ?, ?)",
                            [(s["external_id"], s["title"], "\n".join(s["sections"])) for s in stories])

    def rank(self, q: str) -> list[str]:
        ws = words(q)
        long_ = [w for w in ws if len(w) >= 3]
        short = [w for w in ws if len(w) < 3]
        conds, params = [], []
        if long_:
            conds.append("doc match ?")
            params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long_))
        for w in short:
            conds.append("(title like ? or body like ?)")
            params += [f"%{w}%", f"%{w}%"]
        order = "bm25(doc)" if long_ else "rowid"
        rows = self.db.execute(f"select id from doc where {' and '.join(conds)} order by {order} limit {DEPTH}", params)
        return [r[0] for r in rows]


class JiebaBM25:
    name = "bm25"

    def __init__(self, stories: list[dict], workdir: Path):
        import jieba
        from rank_bm25 import BM25Okapi

        jieba.setLogLevel(60)
        self.jieba = jieba
        self.ids = [s["external_id"] for s in stories]
        self.bm25 = BM25Okapi([self._tokens(text_of(s)) for s in stories])

    def _tokens(self, text: str) -> list[str]:
        return [t for t in self.jieba.lcut(text) if t.strip() and re.search(r"\w", t)]

    def rank(self, q: str) -> list[str]:
        scores = self.bm25.get_scores(self._tokens(q))
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        return [self.ids[i] for i in order[:DEPTH] if scores[i] > 0]


SYSTEMS = {cls.name: cls for cls in (Site, SitePostgres, Like, Fts5Trigram, JiebaBM25)}


# Metrics -----------------------------------------------------------------------------------------

def ndcg(ranked: list[str], judged: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(judged.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def precision(ranked: list[str], judged: dict[str, int], k: int = 5) -> float:
    return sum(1 for d in ranked[:k] if judged.get(d, 0) >= 1) / k


def recall(ranked: list[str], judged: dict[str, int], k: int = DEPTH) -> float | None:
    clear = {d for d, g in judged.items() if g == 2}
    return len(clear & set(ranked[:k])) / len(clear) if clear else None


def evaluate(runs: dict[str, list[str]], queries: list[dict], qrels) -> dict:
    rows = {}
    for q in queries:
        judged = qrels.get(q["id"], {})
        if not judged:
            continue
        ranked = runs[q["id"]]
        rows[q["id"]] = {"ndcg": ndcg(ranked, judged), "p5": precision(ranked, judged), "r50": recall(ranked, judged),
                         "zero": not ranked, "n": len(ranked), "kind": q["kind"]}
    def mean(key, sel=None):
        vals = [r[key] for r in (rows.values() if sel is None else sel) if r[key] is not None]
        return sum(vals) / len(vals) if vals else float("nan")
    kinds = sorted({r["kind"] for r in rows.values()})
    return {"rows": rows, "ndcg": mean("ndcg"), "p5": mean("p5"), "r50": mean("r50"),
            "zero": sum(r["zero"] for r in rows.values()), "queries": len(rows),
            "by_kind": {k: mean("ndcg", [r for r in rows.values() if r["kind"] == k]) for k in kinds}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--systems", default="site,site-pg,like,fts5,bm25")
    ap.add_argument("--per-query", action="store_true")
    ap.add_argument("--label", default="")
    ap.add_argument("--qrels", default=str(HERE / "qrels.tsv"))
    ap.add_argument("--queries", default=str(HERE / "queries.tsv"))
    ap.add_argument("--save", help="write the runs (top 50 per query and system) to this JSON file")
    args = ap.parse_args(argv)
    stories = load_corpus()
    queries = load_queries(Path(args.queries))
    qrels = load_qrels(Path(args.qrels))
    results, runs_all = {}, {}
    with tempfile.TemporaryDirectory(prefix="relevance-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        for name in args.systems.split(","):
            t = time.perf_counter()
            system = SYSTEMS[name](stories, Path(tmp) / name)
            build = time.perf_counter() - t
            try:
                t = time.perf_counter()
                runs = {q["id"]: system.rank(q["q"]) for q in queries}
                elapsed = time.perf_counter() - t
            finally:  # (site-pg: its throwaway database is dropped even when a query fails)
                if hasattr(system, "close"):
                    system.close()
            results[name] = evaluate(runs, queries, qrels)
            results[name]["build_s"], results[name]["query_ms"] = build, elapsed * 1e3 / len(queries)
            runs_all[name] = runs
    judged = sum(1 for q in queries if qrels.get(q["id"]))
    print(f"# {len(stories)} stories, {judged} judged queries, "
          f"{sum(len(v) for v in qrels.values())} judgments {args.label}")
    print(f"{'system':8} {'nDCG@10':>8} {'P@5':>6} {'R@50(2)':>8} {'zero':>5} {'build s':>8} {'ms/q':>7}")
    for name, r in results.items():
        print(f"{name:8} {r['ndcg']:8.3f} {r['p5']:6.3f} {r['r50']:8.3f} {r['zero']:5d} {r['build_s']:8.1f} {r['query_ms']:7.1f}")
    kinds = sorted({k for r in results.values() for k in r["by_kind"]})
    print("nDCG@10 by query type: " + "; ".join(
        f"{k}: " + " ".join(f"{n}={r['by_kind'][k]:.3f}" for n, r in results.items()) for k in kinds))
    if args.per_query:
        names = list(results)
        print(f"\n{'query':24} " + " ".join(f"{n + ' nDCG/R50':>16}" for n in names))
        for q in queries:
            if q["id"] not in results[names[0]]["rows"]:
                continue
            cells = []
            for n in names:
                row = results[n]["rows"][q["id"]]
                r50 = "-" if row["r50"] is None else f"{row['r50']:.2f}"
                cells.append(f"{row['ndcg']:.2f}/{r50} ({row['n']:>2})".rjust(16))
            print(f"{q['id']} {q['q'][:18]:18} " + " ".join(cells))
    if args.save:
        Path(args.save).write_text(json.dumps(runs_all, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
