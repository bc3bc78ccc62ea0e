"""Results: :func:`search`, its pages, ranking and facet counts."""
from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass

from markupsafe import Markup, escape

from portal.search import synonyms
from portal.search.query.highlights import best_passages, highlight_terms, mark
from portal.search.query.matching import _plan, _published, _SegmentMatch, _word_fields
from portal.search.query.parsing import MAX_PAGE, MAX_PER_PAGE, QueryError, parse
from portal.search.query.searchers import _CACHE_SIZE, _result_cache, _searchers
from portal.search.schema import FACETS

# Results ----------------------------------------------------------------------------------------

@dataclass
class Hit:
    id: int
    title: str
    summary: str
    highlights: list[Markup]
    title_html: Markup
    themes: list[str]
    province: str
    organization: str
    published_at: object
    year: str = ""  # Case.year, as indexed


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    notes: list[str]
    terms: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(q: str = "", filters: dict[str, str] | None = None, sort: str = "relevance",
           page: int = 1, per_page: int = 10) -> SearchResult:
    filters = {k: v for k, v in (filters or {}).items() if v}
    for name in filters:
        if name not in FACETS:
            raise QueryError(f"未知的筛选项：{name}")
    if sort not in ("relevance", "newest"):
        raise QueryError("排序方式只能是 relevance 或 newest")
    if not (1 <= per_page <= MAX_PER_PAGE):
        raise QueryError(f"每页数量须在 1 到 {MAX_PER_PAGE} 之间")
    if page < 1:
        raise QueryError("页码须为正整数")
    parsed = parse(q)
    notes = list(parsed.notes)
    if page > MAX_PAGE:
        notes.append(f"最多显示前 {MAX_PAGE} 页结果。")
        page = MAX_PAGE
    with _searchers.lock:
        searcher = _searchers.get()
        key = (str(_searchers.path), searcher.reader().generation() if hasattr(searcher.reader(), "generation") else 0,
               searcher.doc_count_all(), synonyms.version(), q, tuple(sorted(filters.items())), sort, page, per_page)
        cached = _result_cache.get(key)
        if cached is not None:
            _result_cache.move_to_end(key)
            return cached
        result = _run(searcher, parsed, filters, sort, page, per_page, notes)
        _result_cache[key] = result
        if len(_result_cache) > _CACHE_SIZE:
            _result_cache.popitem(last=False)
        return result


def _run(searcher, parsed, filters, sort, page, per_page, notes) -> SearchResult:
    plan = _plan(parsed, filters)
    fields = _word_fields(searcher)
    parts = []  # (segment match, docbase, matched segment-local docnums)
    for reader, base, cache in _searchers.segments(searcher):
        seg = _SegmentMatch(reader, fields, cache)
        parts.append((seg, base, seg.match(plan)))
    total = sum(len(matched) for _seg, _base, matched in parts)
    facets = _count_facets([(seg.cache["facets"], matched) for seg, _base, matched in parts])
    terms = highlight_terms(parsed)
    offset = (page - 1) * per_page
    hits: list[Hit] = []
    if offset < total:
        wanted = offset + per_page
        if sort == "newest" or plan.groups is None:
            # Newest first; equal dates in index order (as Whoosh's sorting collector does).
            keyed = []
            for seg, base, matched in parts:
                published = _published(seg.reader, seg.cache)
                keyed.extend((-published[d], base + d) for d in matched)
            ranked = [docnum for _key, docnum in heapq.nsmallest(wanted, keyed)]
        else:
            score_terms = plan.score_terms()
            scored, per_segment = [], []
            for seg, base, matched in parts:
                scores = seg.scores(searcher, score_terms, matched)
                scored.extend((-score, base + d) for d, score in scores.items())
                per_segment.append((base, matched, scores))
            ranked = [docnum for _key, docnum in heapq.nsmallest(wanted, scored)]
            if len(ranked) < wanted:  # then the cases found only through the substring fallback
                unscored = (base + d for base, matched, scores in per_segment for d in matched if d not in scores)
                ranked += heapq.nsmallest(wanted - len(ranked), unscored)
        for docnum in ranked[offset:wanted]:
            hits.append(_hit(searcher.stored_fields(docnum), terms))
    return SearchResult(total=total, page=page, per_page=per_page, hits=hits, facets=facets, notes=notes,
                        terms=terms)


def _count_facets(parts: list[tuple[dict[str, dict[str, list[int]]], set[int]]],
                  ) -> dict[str, list[tuple[str, int]]]:
    """Facet counts over the matched documents: [(per-segment {facet: {value: docs}}, matched)]."""
    counts: dict[str, Counter] = {name: Counter() for name in FACETS}
    for table, matched in parts:
        if not matched:
            continue
        for name in FACETS:
            bucket = counts[name]
            for value, docs in table[name].items():
                n = len(matched.intersection(docs))
                if n:
                    bucket[value] += n
    out = {}
    for name, bucket in counts.items():
        items = sorted(bucket.items(), key=lambda kv: (-kv[1], kv[0]))
        if name == "year":
            items = sorted(bucket.items(), key=lambda kv: kv[0], reverse=True)
        out[name] = items
    return out


def _hit(stored: dict, terms: list[str]) -> Hit:
    body, summary, title = stored.get("body", ""), stored.get("summary", ""), stored.get("title", "")
    highlights = best_passages(body, terms) or best_passages(summary, terms, count=1)
    return Hit(
        id=int(stored["id"]), title=title, summary=summary, highlights=highlights,
        title_html=mark(title, terms) if terms else Markup(escape(title)),
        themes=[t for t in stored.get("theme", "").split(",") if t], province=stored.get("province", ""),
        organization=stored.get("organization", ""), published_at=stored.get("published"),
        year=stored.get("year", ""),
    )
