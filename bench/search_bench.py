"""Search benchmark: synthetic corpus -> Whoosh index -> portal.search.service.search() latencies.

    .venv/bin/python bench/search_bench.py                       # 1k and 10k cases
    .venv/bin/python bench/search_bench.py --sizes 1000,10000,50000
    .venv/bin/python bench/search_bench.py --compare             # also run bench/baseline_query.py

Every measurement that should not be disturbed by earlier work runs in a fresh child process
(this script re-invoked with --child): the index build of each size, and the query phase of
each size (so "first search after process start" and the peak RSS are those of a process that
only searched). See bench/README.md for what each number means.

It measures the Whoosh backend (SEARCH_BACKEND = "whoosh"): queries go through the application's
portal.search.service, while the index build (writer settings, segments) and the cold set-up
(opening a searcher, reading facet values) use portal.search.whoosh directly.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 20241128
WRITER_KWARGS = {"procs": 2, "multisegment": True, "limitmb": 128}  # as `flask search reindex`

# (label, kind, query, filters, sort). kind decides which summary row a query counts in; the
# "whole mix" of the targets is every query whose kind is in MIX_KINDS (the mix).
QUERIES = [
    ("rare word 苗绣", "selective", "苗绣", {}, "relevance"),
    ("rare word 猕猴桃", "selective", "猕猴桃", {}, "relevance"),
    ("2-word AND 防汛 电梯", "selective", "防汛 电梯", {}, "relevance"),
    ('phrase "高空抛物"', "selective", '"高空抛物"', {}, "relevance"),
    ('phrase "加装电梯"', "selective", '"加装电梯"', {}, "relevance"),
    ("broad 社区", "broad", "社区", {}, "relevance"),
    # 社区 is in every case and 食堂 in 82% (it ends many compounds: 邻里食堂 …): few hits, but the
    # positions of both words must be checked in most cases, so it costs like a broad query.
    ('broad phrase "社区食堂"', "broad", '"社区食堂"', {}, "relevance"),
    ("broad 服务", "broad", "服务", {}, "relevance"),
    ("broad AND 居民 志愿者", "broad", "居民 志愿者", {}, "relevance"),
    ("broad+facet 服务 省=贵州省", "broad", "服务", {"province": "贵州省"}, "relevance"),
    ("broad+facet 社区 主题=养老服务", "broad", "社区", {"theme": "养老服务"}, "relevance"),
    ("single char 站", "short", "站", {}, "relevance"),
    ("two chars 五社", "short", "五社", {}, "relevance"),
    ("synonym 社会工作站", "synonym", "社会工作站", {}, "relevance"),
    ("exclusion 养老 -疫情", "exclusion", "养老 -疫情", {}, "relevance"),
    # Few strict results, so the partial matches are computed: over every case holding 社区.
    ("partial 社区 猕猴桃 苗绣", "partial", "社区 猕猴桃 苗绣", {}, "relevance"),
    ("split word 老人吃饭难", "partial", "老人吃饭难", {}, "relevance"),
    # Not in the mix (reported, not counted in the targets):
    ("browse: empty query, newest", "extra", "", {}, "newest"),
    ("newest: 养老", "extra", "养老", {}, "newest"),
    ("worst: substring across words 区服", "extra", "区服", {}, "relevance"),
    ('worst: common quoted phrase "社区服务"', "extra", '"社区服务"', {}, "relevance"),
]
MIX_KINDS = {"selective", "broad", "short", "synonym", "exclusion", "partial"}
FIRST_QUERY = ("社会工作站", {})
REPEATED = ("社区", {})  # the (d) row: a broad query answered from the result cache

TARGETS_MS = {10000: {"mix_cold": 150, "selective_cold": 30, "repeated": 10}, 50000: {"mix_cold": 500}}
REINDEX_10K_S = 60


# Helpers -------------------------------------------------------------------------------------

def p95(values):
    """Nearest-rank 95th percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def med(values):
    return statistics.median(values)


def dir_size(path: Path) -> int:
    return sum(e.stat().st_size for e in os.scandir(path) if e.is_file(follow_symlinks=False))


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def run_child(args: list[str]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        raise SystemExit(f"child failed ({proc.returncode}): {' '.join(args)}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# Child: index build ------------------------------------------------------------------------------

def child_index(size: int, base: Path, variant: str, seed: int, limitmb: int) -> dict:
    """variant: "new" (today's schema) or "old" (the layout before the benchmark-driven
    changes, with the `chars` field, for bench/baseline_query.py)."""
    import resource

    from whoosh.filedb.filestore import FileStorage

    from bench.corpus import CaseGenerator, text_of
    from portal.search import analysis
    from portal.search.whoosh import index as search_index

    analysis.load_dictionary()  # once, before the writer forks its workers
    t = time.perf_counter()
    docs = list(CaseGenerator(seed).cases(size))
    gen_s = time.perf_counter() - t
    text_chars = sum(len(text_of(d)) for d in docs)
    if variant == "old":
        from bench.baseline_schema import old_document

        docs = [old_document(d) for d in docs]

    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    if variant == "new":
        target = search_index.new_index_dir(base)
    else:
        target = base / f"index-{variant}"
        target.mkdir()
        from bench.baseline_schema import build_schema as old_schema

        FileStorage(str(target)).create_index(old_schema())
    ix = search_index.open_index(target)
    c0 = os.times()
    t = time.perf_counter()
    kwargs = {**WRITER_KWARGS, "limitmb": limitmb}
    if variant == "old":
        kwargs["compound"] = True  # Whoosh's default, which the application used before
    writer = ix.writer(**kwargs)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    elapsed = time.perf_counter() - t
    c1 = os.times()
    cpu = (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) \
        + (c1.children_system - c0.children_system)
    search_index.swap_current(base, target)
    with search_index.open_index(target).searcher() as s:
        segments = len(s.reader().leaf_readers()) if not s.reader().is_atomic() else 1
        doc_count = s.doc_count()
    assert doc_count == size, (doc_count, size)
    return {
        "size": size, "variant": variant, "limitmb": limitmb, "gen_s": gen_s, "index_s": elapsed, "docs_per_s": size / elapsed,
        "text_chars": text_chars, "chars_per_doc": text_chars / size, "cpu_s": cpu, "cores_used": cpu / elapsed,
        "bytes": dir_size(target), "segments": segments,
        "rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


# Child: tokenizer throughput ----------------------------------------------------------------------

def child_tokenizer(seed: int, docs: int = 300) -> dict:
    from bench.corpus import CaseGenerator, text_of
    from portal.search.analysis import load_dictionary, segment

    load_dictionary()
    texts = [text_of(d) for d in CaseGenerator(seed).cases(docs)]
    chars = sum(map(len, texts))
    segment(texts[0], True)  # warm up the segmenter
    best = {}
    for name, fn in (("segment_search", lambda x: segment(x, True)), ("segment_default", lambda x: segment(x, False))):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            tokens = 0
            for x in texts:
                tokens += len(fn(x))
            times.append(time.perf_counter() - t)
        best[name] = {"chars_per_s": chars / min(times), "tokens_per_char": tokens / chars}
    return {"docs": docs, "chars": chars, **best}


# Child: queries ---------------------------------------------------------------------------------------

def _result_repr(res) -> dict:
    from dataclasses import asdict

    d = asdict(res)
    return json.loads(json.dumps(d, default=str, ensure_ascii=False))


def _compare(a: dict, b: dict) -> dict:
    """Same matches (total, facets, highlight terms, notes)? Same top hits, in the same order?"""
    same_matches = all(a[k] == b[k] for k in ("total", "facets", "terms", "notes"))
    ids_a, ids_b = [h["id"] for h in a["hits"]], [h["id"] for h in b["hits"]]
    return {"same_matches": same_matches, "same_order": ids_a == ids_b,
            "overlap": len(set(ids_a) & set(ids_b)), "shown": len(ids_a)}


def child_query(bases: dict[str, Path], spawn_wall: float, reps_cold: int, reps_warm: int, baseline_reps: int,
                profile: str | None) -> dict:
    """bases: implementation -> index base dir ("current" always; "baseline" with --compare)."""
    t_import = time.perf_counter()
    import resource
    import tempfile
    from types import SimpleNamespace

    from portal import create_app
    from portal.search import service
    from portal.search.whoosh import searchers as whoosh_searchers

    # The application's search, with the Whoosh backend's per-process state for the cold and
    # warm set-ups (the names bench/baseline_query.py has too).
    current_query = SimpleNamespace(search=service.search, _reset_for_tests=whoosh_searchers._reset_for_tests,
                                    _searchers=whoosh_searchers._searchers, _result_cache=whoosh_searchers._result_cache)
    modules = {"current": current_query}
    if "baseline" in bases:
        from bench import baseline_query

        modules["baseline"] = baseline_query
    impls = list(bases)
    t_app = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="search-bench-")
    apps = {name: create_app({"TESTING": True, "INSTANCE_DIR": tmp, "SEARCH_INDEX_DIR": str(base),
                              "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "SEARCH_SYNC": "off",
                              "SEARCH_BACKEND": "whoosh"})
            for name, base in bases.items()}
    t_first = time.perf_counter()
    with apps["current"].app_context():
        first = current_query.search(FIRST_QUERY[0], filters=FIRST_QUERY[1])
    t_done = time.perf_counter()
    out = {"first": {"since_spawn_s": time.time() - spawn_wall, "imports_s": t_app - t_import,
                     "create_app_s": t_first - t_app, "first_query_s": t_done - t_first, "hits": first.total},
           "impls": {}, "setup": {}}

    # What a cold query pays before it searches: opening the searcher, reading facet columns.
    for name, mod in modules.items():
        with apps[name].app_context():
            mod._reset_for_tests()
            t = time.perf_counter()
            searcher = mod._searchers.get()
            t_open = time.perf_counter() - t
            t = time.perf_counter()
            mod._searchers.facet_values(searcher)
            out["setup"][name] = {"open_searcher_ms": t_open * 1e3,
                                  "facet_columns_ms": (time.perf_counter() - t) * 1e3}

    results = {name: {} for name in impls}
    samples = {name: {label: {"cold": [], "warm": [], "repeat": []} for label, *_ in QUERIES} for name in impls}

    def run(name, q, filters, sort):
        ctx = apps[name].app_context()
        ctx.push()
        try:
            t = time.perf_counter()
            r = modules[name].search(q, filters=filters, sort=sort)
            return (time.perf_counter() - t) * 1e3, r
        finally:
            ctx.pop()

    # Cold: a fresh searcher and empty caches before every query. Implementations are
    # interleaved query by query so that both see the same machine state.
    for rep in range(reps_cold):
        for label, _kind, q, filters, sort in QUERIES:
            for name, mod in modules.items():
                if name == "baseline" and rep >= baseline_reps:
                    continue
                mod._reset_for_tests()
                ms, r = run(name, q, filters, sort)
                samples[name][label]["cold"].append(ms)
                results[name][label] = r
    # Warm: searcher open and facet columns read, result cache emptied before every query.
    for label, _kind, q, filters, sort in QUERIES:
        for name, mod in modules.items():
            mod._reset_for_tests()
            run(name, q, filters, sort)
            for _ in range(reps_warm if name == "current" else min(reps_warm, baseline_reps)):
                mod._result_cache.clear()
                ms, _r = run(name, q, filters, sort)
                samples[name][label]["warm"].append(ms)
    # (d) repeated: the same query again, answered from the result cache.
    for label, _kind, q, filters, sort in QUERIES:
        for name in modules:
            run(name, q, filters, sort)
            for _ in range(reps_warm):
                ms, _r = run(name, q, filters, sort)
                samples[name][label]["repeat"].append(ms)

    if "baseline" in modules:
        out["compare"] = {label: _compare(_result_repr(results["current"][label]),
                                          _result_repr(results["baseline"][label])) for label, *_ in QUERIES}
    for name in impls:
        out["impls"][name] = {"samples": samples[name],
                              "hits": {label: results[name][label].total for label, *_ in QUERIES}}

    if profile:
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        with apps["current"].app_context():
            for label, _kind, q, filters, sort in QUERIES:
                if profile != "all" and profile not in label:
                    continue
                for _ in range(3):
                    current_query._reset_for_tests()
                    prof.enable()
                    current_query.search(q, filters=filters, sort=sort)
                    prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(45)
        sys.stderr.write(buf.getvalue())
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shutil.rmtree(tmp, ignore_errors=True)
    return out


# Parent: orchestration and report ----------------------------------------------------------------------

def summarize(samples: dict, kind_filter, mode: str) -> list[float]:
    vals = []
    for label, kind, *_rest in QUERIES:
        if kind_filter(kind):
            vals += samples[label][mode]
    return vals


def report_size(size: int, idx: dict, old: dict | None, qr: dict, tok: dict,
                impls: list[str]) -> list[tuple]:
    print(f"\n=== {size:,} cases ===")
    print(f"corpus: generated in {idx['gen_s']:.1f} s (not part of index time); "
          f"{idx['chars_per_doc']:,.0f} chars/case in title+summary+body+meta")
    index_cps = idx["text_chars"] / idx["index_s"]
    print(f"index build (procs=2, multisegment=True): {idx['index_s']:.1f} s = {idx['docs_per_s']:,.0f} docs/s "
          f"= {index_cps / 1e3:,.0f}k chars/s; CPU {idx['cores_used']:.2f} cores; {idx['segments']} segments; "
          f"{mb(idx['bytes'])} on disk ({idx['bytes'] / size / 1e3:.1f} kB/case); "
          f"writer RSS {idx['rss_self_mb']:.0f} MB main / {idx['rss_children_mb']:.0f} MB largest worker")
    print(f"  raw tokenizer, 1 core: segment(search) {tok['segment_search']['chars_per_s'] / 1e3:,.0f}k chars/s; "
          f"index throughput on 2 cores is "
          f"{index_cps / tok['segment_search']['chars_per_s']:.2f}x the segmenter alone on 1 core")
    if old:
        print(f"  baseline layout (4 indexed text fields + `chars`, compound segments): {mb(old['bytes'])} on disk, "
              f"built in {old['index_s']:.1f} s ({old['docs_per_s']:,.0f} docs/s, CPU {old['cores_used']:.2f} cores) "
              f"-> today's index is {idx['bytes'] / old['bytes']:.2f}x the size, built in "
              f"{idx['index_s'] / old['index_s']:.2f}x the time")
    f = qr["first"]
    print(f"first search after process start: {f['since_spawn_s'] * 1e3:,.0f} ms from spawn "
          f"(imports {f['imports_s'] * 1e3:,.0f} ms, create_app incl. dictionary {f['create_app_s'] * 1e3:,.0f} ms, "
          f"first query incl. searcher+facet columns {f['first_query_s'] * 1e3:,.0f} ms)")
    for name in impls:
        s = qr["setup"][name]
        print(f"  [{name}] cold setup: open searcher {s['open_searcher_ms']:.1f} ms, "
              f"read facet columns {s['facet_columns_ms']:.1f} ms")
    print(f"peak RSS of the query process: {qr['rss_mb']:.0f} MB"
          + (" (this process also ran the baseline)" if len(impls) > 1 else ""))
    print(f"\n{'latency (ms)':40s}" + "".join(f"{name + ' median':>16s}{name + ' p95':>14s}{'n':>5s}" for name in impls)
          + ("   ratio p95" if len(impls) > 1 else ""))
    lines = [
        ("(a) whole mix, cold", lambda k: k in MIX_KINDS, "cold"),
        ("(b) selective, cold", lambda k: k == "selective", "cold"),
        ("(c) broad, cold", lambda k: k == "broad", "cold"),
        ("    whole mix, warm (result cache off)", lambda k: k in MIX_KINDS, "warm"),
        ("    selective, warm", lambda k: k == "selective", "warm"),
        ("    broad, warm", lambda k: k == "broad", "warm"),
    ]
    stats = {}
    for title, flt, mode in lines:
        cells = ""
        for name in impls:
            vals = summarize(qr["impls"][name]["samples"], flt, mode)
            stats[(name, title)] = (med(vals), p95(vals))
            cells += f"{med(vals):16.1f}{p95(vals):14.1f}{len(vals):5d}"
        if len(impls) > 1:
            cells += f"   {stats[(impls[1], title)][1] / stats[(impls[0], title)][1]:6.1f}x"
        print(f"{title:40s}{cells}")
    rep_label = next(label for label, _k, q, fl, _s in QUERIES if (q, fl) == REPEATED)
    cells = ""
    for name in impls:
        vals = qr["impls"][name]["samples"][rep_label]["repeat"]
        all_rep = summarize(qr["impls"][name]["samples"], lambda k: k in MIX_KINDS, "repeat")
        stats[(name, "repeat")] = (med(vals), p95(vals))
        stats[(name, "repeat_all")] = (med(all_rep), p95(all_rep))
        cells += f"{med(vals):16.3f}{p95(vals):14.3f}{len(vals):5d}"
    print(f"{'(d) repeated ' + repr(REPEATED[0]) + ' (cache hit)':40s}{cells}")
    cells = "".join(f"{stats[(n, 'repeat_all')][0]:16.3f}{stats[(n, 'repeat_all')][1]:14.3f}"
                    f"{len(summarize(qr['impls'][n]['samples'], lambda k: k in MIX_KINDS, 'repeat')):5d}"
                    for n in impls)
    print(f"{'    every mix query repeated (cache hit)':40s}{cells}")

    main = impls[0]
    smp = qr["impls"][main]["samples"]
    print(f"\nper query [{main}] (ms){'':14s}{'hits':>7s}{'cold med':>10s}{'cold max':>10s}{'warm med':>10s}"
          f"{'warm p95':>10s}{'repeat med':>11s}"
          + ("   baseline: cold med / warm med; same matches?; top-10 overlap" if len(impls) > 1 else ""))
    for label, kind, *_rest in QUERIES:
        if kind == "extra" and label == QUERIES[[k for _l, k, *_r in QUERIES].index("extra")][0]:
            print("  -- not in the issue's mix:")
        s = smp[label]
        extra = ""
        if len(impls) > 1:
            b = qr["impls"][impls[1]]["samples"][label]
            c = qr["compare"][label]
            same = "same matches" if c["same_matches"] else "MATCHES DIFFER"
            order = "same order" if c["same_order"] else f"{c['overlap']}/{c['shown']} shared"
            extra = f"   {med(b['cold']):8.1f} / {med(b['warm']):7.1f}  {same}; {order}"
        print(f"  {label:36s}{qr['impls'][main]['hits'][label]:7d}{med(s['cold']):10.1f}{max(s['cold']):10.1f}"
              f"{med(s['warm']):10.1f}{p95(s['warm']):10.1f}{med(s['repeat']):11.3f}{extra}")

    # Targets
    checks = []
    t = TARGETS_MS.get(size, {})
    if "mix_cold" in t:
        checks.append((f"{size // 1000}k: whole mix cold p95 <= {t['mix_cold']} ms",
                       stats[(main, lines[0][0])][1], t["mix_cold"], "ms"))
    if "selective_cold" in t:
        checks.append((f"{size // 1000}k: selective cold p95 <= {t['selective_cold']} ms",
                       stats[(main, lines[1][0])][1], t["selective_cold"], "ms"))
    if "repeated" in t:
        checks.append((f"{size // 1000}k: repeated query p95 <= {t['repeated']} ms",
                       stats[(main, "repeat_all")][1], t["repeated"], "ms"))
    if size == 10000:
        checks.append((f"10k: full reindex <= {REINDEX_10K_S} s (procs=2)", idx["index_s"], REINDEX_10K_S, "s"))
    return checks


def build(size: int, variant: str, reuse: bool, label: str, limitmb: int = WRITER_KWARGS["limitmb"]) -> dict:
    """Build (or with --reuse, reuse) one index in a child process; returns its numbers."""
    suffix = ("" if variant == "new" else f"-{variant}") + ("" if limitmb == WRITER_KWARGS["limitmb"] else f"-{limitmb}mb")
    base, meta_file = OUT / f"index-{size}{suffix}", OUT / f"index-{size}{suffix}.json"
    if reuse and meta_file.exists() and (base / "current").exists():
        return json.loads(meta_file.read_text())
    print(f"[building {size:,}-case index{label} …]", flush=True)
    res = run_child(["index", str(size), str(base), variant, str(limitmb)])
    meta_file.write_text(json.dumps(res))
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes (default 1000,10000)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--reps-cold", type=int, default=5, help="cold runs of each query (default 5; 3 above 10k)")
    ap.add_argument("--reps-warm", type=int, default=20, help="warm and repeated runs of each query (default 20)")
    ap.add_argument("--compare", action="store_true",
                    help="also build the baseline layout and run bench/baseline_query.py on it, side by side")
    ap.add_argument("--baseline-reps", type=int, default=3,
                    help="with --compare: cold and warm runs of each query for the (slow) baseline (default 3)")
    ap.add_argument("--reuse", action="store_true", help="reuse existing indexes in bench/out (skip building)")
    ap.add_argument("--limitmb", type=int, default=0,
                    help="also build each size with this writer limitmb (the CLI uses 128), to show its effect")
    ap.add_argument("--profile", help="cProfile the queries whose label contains this text ('all': every query)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        kind, *rest = args.child
        if kind == "index":
            res = child_index(int(rest[0]), Path(rest[1]), rest[2], args.seed, int(rest[3]))
        elif kind == "tokenizer":
            res = child_tokenizer(args.seed)
        else:
            bases = dict(item.split("=", 1) for item in rest[1].split(","))
            res = child_query({k: Path(v) for k, v in bases.items()}, float(rest[0]), args.reps_cold,
                              args.reps_warm, args.baseline_reps, args.profile)
        print(json.dumps(res, ensure_ascii=False))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    impls = ["current", "baseline"] if args.compare else ["current"]
    from importlib.metadata import version

    started = time.perf_counter()
    print(f"search benchmark {datetime.now():%Y-%m-%d %H:%M:%S} | nproc {os.cpu_count()} | "
          f"Python {platform.python_version()} | Whoosh-Reloaded {version('Whoosh-Reloaded')} | "
          f"rjieba {version('rjieba')} | {platform.machine()} | seed {args.seed}")
    print(f"sizes {sizes}; cold reps {args.reps_cold}, warm/repeated reps {args.reps_warm} per query; "
          f"{len(QUERIES)} queries; implementations: {', '.join(impls)}"
          + (f" (baseline: {args.baseline_reps} cold/warm reps)" if args.compare else ""))
    tok = run_child(["tokenizer"])
    print(f"raw tokenizer throughput (1 core, {tok['docs']} cases, {tok['chars']:,} chars): "
          f"segment(search=True) {tok['segment_search']['chars_per_s'] / 1e3:,.0f}k chars/s "
          f"({tok['segment_search']['tokens_per_char']:.2f} tokens/char), "
          f"segment(search=False) {tok['segment_default']['chars_per_s'] / 1e3:,.0f}k chars/s")
    checks = []
    OUT.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        print()
        idx = build(size, "new", args.reuse, "")
        old = build(size, "old", args.reuse, " in the baseline layout") if args.compare else None
        more_mb = build(size, "new", args.reuse, f" with limitmb={args.limitmb}", args.limitmb) if args.limitmb else None
        print(f"[querying {size:,} …]", flush=True)
        reps_cold = args.reps_cold if size <= 10000 else max(3, args.reps_cold // 2)
        bases = {"current": OUT / f"index-{size}"}
        if args.compare:
            bases["baseline"] = OUT / f"index-{size}-old"
        extra = ["--reps-cold", str(reps_cold), "--reps-warm", str(args.reps_warm),
                 "--baseline-reps", str(args.baseline_reps)]
        if args.profile:
            extra += ["--profile", args.profile]
        qargs = ["query", repr(time.time()), ",".join(f"{k}={v}" for k, v in bases.items())]
        cmd = [sys.executable, str(Path(__file__).resolve()), *extra, "--child", *qargs]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
        if proc.returncode != 0:
            raise SystemExit(f"query child failed: {proc.stdout[-2000:]}")
        qr = json.loads(proc.stdout.strip().splitlines()[-1])
        checks += report_size(size, idx, old, qr, tok, impls)
        if more_mb:
            print(f"  (index build with limitmb={args.limitmb} instead of {WRITER_KWARGS['limitmb']}: "
                  f"{more_mb['index_s']:.1f} s = {more_mb['docs_per_s']:,.0f} docs/s, CPU {more_mb['cores_used']:.2f} cores, "
                  f"writer RSS {more_mb['rss_self_mb']:.0f} MB main / {more_mb['rss_children_mb']:.0f} MB largest worker)")
    print("\n=== targets (issue; 2-core machine) ===")
    for title, value, limit, unit in checks:
        print(f"{'PASS' if value <= limit else 'FAIL'}  {title:45s} measured {value:.1f} {unit}")
    for size in TARGETS_MS:
        if size not in sizes:
            print(f"SKIP  {size // 1000}k targets (size not run; use --sizes …,{size})")
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
