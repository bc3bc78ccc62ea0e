"""How far word matching can take the site's search on the judged set (bench/relevance.py).

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/relevance_limits.py          # about 15 seconds

Prints, for the 48 judged queries on ../shared/corpora/news-governance.jsonl:

1. Ceilings of recall@50 (grade-2 stories), whatever the order:
   * the metric's own: a query with more than 50 clearly relevant stories cannot find them all;
   * the stories holding any of the query's jieba tokens (what a bag-of-words search can find);
   * the stories the site returns at all (strict, partial and related matches, every page).
2. nDCG@10 of the site's own top 50 put in the judged order (what ordering alone could reach).
3. A reranking signal drawn from the library itself, latent semantic indexing (LSI): tf-idf over
   jieba tokens, a truncated SVD of k dimensions, the query (its words, with the site's synonym
   and related-word expansions at a lower weight) folded into the same space; the site's first
   `depth` results reordered by -log(rank + 2) + w * cosine. The grid, the leave-one-out choice
   (each query scored with the cell best on the other queries), and for one fixed cell the
   per-query differences with a bootstrap 95 % interval.

It uses the benchmark's own corpus, judgments and Site system, and numpy (bench/requirements.txt).
"""
from __future__ import annotations

import math
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import relevance as R  # noqa: E402

FIXED = (100, 0.7, 100, 2.0)  # k, expansion weight, depth, w: a middle cell of the grid


def all_results(site: R.Site, q: str) -> list[str]:
    """Every result the site gives for q, in its order, over all pages."""
    with site.app.app_context():
        out: list[int] = []
        page = 1
        while True:
            result = site.service.search(q, page=page, per_page=50)
            out += [h.id for h in result.hits]
            if page >= result.pages:
                out += [h.id for h in result.partial] + [h.id for h in result.related]
                break
            page += 1
    return [site.ids[i] for i in out]


def clear(judged: dict[str, int]) -> set[str]:
    return {d for d, g in judged.items() if g == 2}


def ceilings(stories, queries, qrels, runs, tokens) -> None:
    texts = {s["external_id"]: R.text_of(s) for s in stories}
    metric, literal, site = [], [], []
    for q in queries:
        rel = clear(qrels.get(q["id"], {}))
        if not rel:
            continue
        toks = set(tokens(q["q"]))
        holding = {d for d, t in texts.items() if any(w in t for w in toks)}
        metric.append(min(len(rel), R.DEPTH) / len(rel))
        literal.append(min(len(rel & holding), R.DEPTH) / len(rel))
        site.append(min(len(rel & set(runs[q["id"]])), R.DEPTH) / len(rel))
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    print("1. recall@50 ceilings (any order)")
    print(f"   the metric itself (more than 50 relevant)      {mean(metric):.3f}")
    print(f"   stories holding a jieba token of the query     {mean(literal):.3f}")
    print(f"   stories the site returns at all                {mean(site):.3f}")


def ideal_order(queries, qrels, runs) -> None:
    scores = []
    for q in queries:
        judged = qrels.get(q["id"], {})
        if judged:
            top = sorted(runs[q["id"]][:R.DEPTH], key=lambda d: -judged.get(d, 0))
            scores.append(R.ndcg(top, judged))
    print(f"2. nDCG@10 of the site's top 50 in the judged order  {sum(scores) / len(scores):.3f}")


def lsi(stories, queries, qrels, runs, site) -> None:
    import jieba

    from portal.search import synonyms

    ids = [s["external_id"] for s in stories]
    row = {d: i for i, d in enumerate(ids)}
    docs = [[t for t in jieba.lcut(R.text_of(s)) if len(t) > 1 and re.search(r"\w", t)] for s in stories]
    df = Counter(t for ts in docs for t in set(ts))
    n = len(stories)
    vocab = {t: i for i, t in enumerate(t for t, c in df.items() if 2 <= c <= n / 2)}
    idf = {t: math.log(n / df[t]) for t in vocab}
    x = np.zeros((n, len(vocab)), dtype=np.float32)
    for d, ts in enumerate(docs):
        for t, c in Counter(ts).items():
            if t in vocab:
                x[d, vocab[t]] = (1 + math.log(c)) * idf[t]
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-9
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    base = R.evaluate({q["id"]: runs[q["id"]][:R.DEPTH] for q in queries}, queries, qrels)
    print(f"3. LSI reranking (site today: nDCG@10 {base['ndcg']:.3f}, P@5 {base['p5']:.3f}, "
          f"R@50 {base['r50']:.3f})")
    print(f"   {'k':>4} {'exp':>4} {'depth':>5} {'w':>4} {'nDCG@10':>8} {'P@5':>6} {'R@50':>6}")
    cells: dict[tuple, dict[str, float]] = {}
    for k in (100, 200):
        dv = u[:, :k] * s[:k]
        dv /= np.linalg.norm(dv, axis=1, keepdims=True) + 1e-9
        for exp in (0.3, 0.7, 1.0):
            cosine = {}
            for q in queries:
                qv = np.zeros(len(vocab), dtype=np.float32)
                with site.app.app_context():
                    for word in R.words(q["q"]):
                        for text, weight in synonyms.weighted(word):
                            for t in jieba.lcut_for_search(text):
                                if t in vocab:
                                    qv[vocab[t]] += (1.0 if weight >= 1 else exp) * idf[t]
                qk = qv @ vt[:k].T
                qk /= np.linalg.norm(qk) + 1e-9
                cosine[q["id"]] = {d: float(dv[row[d]] @ qk) for d in runs[q["id"]]}
            for depth in (30, 100):
                for w in (1.0, 2.0, 4.0, 8.0):
                    reranked = {}
                    for q in queries:
                        r = runs[q["id"]]
                        pos = {d: i for i, d in enumerate(r)}
                        head = sorted(r[:depth], key=lambda d: math.log(pos[d] + 2) - w * cosine[q["id"]][d])
                        reranked[q["id"]] = (head + r[depth:])[:R.DEPTH]
                    e = R.evaluate(reranked, queries, qrels)
                    cells[(k, exp, depth, w)] = {qid: row_["ndcg"] for qid, row_ in e["rows"].items()}
                    print(f"   {k:>4} {exp:>4} {depth:>5} {w:>4} {e['ndcg']:8.3f} {e['p5']:6.3f} {e['r50']:6.3f}")
    qids = list(base["rows"])
    left_out = [cells[max(cells, key=lambda c: sum(cells[c][o] for o in qids if o != q))][q] for q in qids]
    print(f"   leave-one-out choice of the cell: nDCG@10 {sum(left_out) / len(left_out):.3f}")
    delta = [cells[FIXED][q] - base["rows"][q]["ndcg"] for q in qids]
    random.seed(1)
    boot = sorted(sum(random.choice(delta) for _ in delta) / len(delta) for _ in range(5000))
    print(f"   fixed cell k={FIXED[0]} exp={FIXED[1]} depth={FIXED[2]} w={FIXED[3]}: "
          f"mean change {sum(delta) / len(delta):+.3f} (95 % bootstrap {boot[125]:+.3f} .. {boot[4874]:+.3f}), "
          f"{sum(d > 0.001 for d in delta)} queries up, {sum(d < -0.001 for d in delta)} down")


def main() -> int:
    import jieba

    jieba.setLogLevel(60)
    stories, queries, qrels = R.load_corpus(), R.load_queries(), R.load_qrels()
    with tempfile.TemporaryDirectory(prefix="relevance-limits-") as tmp:
        site = R.Site(stories, Path(tmp))
        runs = {q["id"]: all_results(site, q["q"]) for q in queries}
        tokens = lambda q: [t for t in jieba.lcut(q) if t.strip() and re.search(r"\w", t)]  # noqa: E731
        ceilings(stories, queries, qrels, runs, tokens)
        ideal_order(queries, qrels, runs)
        lsi(stories, queries, qrels, runs, site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
