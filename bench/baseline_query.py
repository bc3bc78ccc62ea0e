# BENCHMARK BASELINE: a verbatim snapshot of portal/search/query.py as it was before the
# benchmark-driven changes (taken 2026-11-28 by the benchmark helper). search_bench.py --compare
# runs it against the same index as the current module to measure both in one run and to check
# that both return identical results. Not used by the application. One edit: the searcher is opened
# with whoosh.index.open_dir, which is what portal.search.index.open_index did at snapshot time, and
# SEARCH_FIELDS is defined here (schema.SEARCH_FIELDS has since become the combined field), and
# the imports follow the modules to where they live now (portal/search/whoosh/, documents.py).
"""Searching: user query syntax -> Whoosh query, facets, highlights, similar cases.

Syntax: words are ANDed; "quoted phrases"; -word excludes; OR between two items makes them
alternatives. Wildcards are not supported (they are removed), and the work per query is
bounded (query length, number of terms, pages).
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup, escape
from whoosh import query as Q
from whoosh.sorting import FieldFacet

from portal.search import synonyms
from portal.search.analysis import fold, segment
from portal.search.documents import FACETS, MULTI_VALUED
from portal.search.whoosh import index as search_index

SEARCH_FIELDS = ("title", "summary", "body", "meta")  # snapshot: schema.SEARCH_FIELDS then

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 12
MAX_PAGE = 100
MAX_PER_PAGE = 50
SHORT_CJK = 3  # CJK words up to this length also match as a run of single characters
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


class QueryError(ValueError):
    """Bad search parameters (shown to the user, or a 400 in the API)."""


@dataclass
class Clause:
    text: str
    phrase: bool = False
    negated: bool = False


@dataclass
class ParsedQuery:
    groups: list[list[Clause]] = field(default_factory=list)  # AND of OR-groups
    excluded: list[Clause] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups

    def positive_texts(self) -> list[str]:
        return [c.text for g in self.groups for c in g]


def clean(raw: str) -> tuple[str, list[str]]:
    notes = []
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in (raw or ""))
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"查询过长，只使用了前 {MAX_QUERY_CHARS} 个字符。")
    if "*" in text or "?" in text or "？" in text:
        text = text.replace("*", " ").replace("?", " ").replace("？", " ")
        notes.append("不支持通配符（* 和 ?），已忽略。")
    return fold(text).strip(), notes


def parse(raw: str) -> ParsedQuery:
    text, notes = clean(raw)
    parsed = ParsedQuery(notes=notes)
    pending_or = False
    for token in _TOKEN.findall(text):
        negated = token.startswith("-")
        body = token[1:] if negated else token
        if body == "OR" and not negated:
            pending_or = bool(parsed.groups)
            continue
        phrase = body.startswith('"')
        body = body.strip('"').strip()
        if not body or not any(ch.isalnum() for ch in body):
            continue
        clause = Clause(body, phrase=phrase, negated=negated)
        if negated:
            parsed.excluded.append(clause)
        elif pending_or:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        pending_or = False
        if len(parsed.groups) + len(parsed.excluded) >= MAX_CLAUSES:
            parsed.notes.append(f"查询词过多，只使用了前 {MAX_CLAUSES} 个。")
            break
    return parsed


def _text_query(text: str, phrase: bool) -> Q.Query | None:
    """One word or phrase (one synonym variant) across the searchable fields."""
    terms = [t for t, _pos, _s, _e in segment(text, search=False)]
    if not terms:
        return None
    per_field = []
    for name in SEARCH_FIELDS:
        if len(terms) == 1:
            per_field.append(Q.Term(name, terms[0]))
        elif phrase:
            per_field.append(Q.Phrase(name, terms))
        else:
            per_field.append(Q.And([Q.Term(name, t) for t in terms]))
    if not phrase and len(terms) > 1:
        # Unquoted: each word may sit in a different field.
        alternatives = [Q.And([Q.Or([Q.Term(f, t) for f in SEARCH_FIELDS]) for t in terms])]
    else:
        alternatives = per_field
    compact = text.replace(" ", "")
    if _CJK.search(compact) and len(compact) <= SHORT_CJK and compact.isalnum():
        # Substrings the segmenter keeps inside longer words: 五社 in 五社联动, 站 in 社工站.
        chars = [ch.lower() for ch in compact]
        alternatives.append(Q.Term("chars", chars[0]) if len(chars) == 1 else Q.Phrase("chars", chars))
    return Q.Or(alternatives)


def _clause_query(clause: Clause) -> Q.Query | None:
    variants = synonyms.expand(clause.text) if not clause.phrase else (clause.text,)
    parts = [q for q in (_text_query(v, clause.phrase or " " in v) for v in variants) if q is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Q.Or(parts)


def build(parsed: ParsedQuery) -> Q.Query:
    if parsed.empty:
        base: Q.Query = Q.Every()
    else:
        ands = []
        for group in parsed.groups:
            alts = [q for q in (_clause_query(c) for c in group) if q is not None]
            if alts:
                ands.append(alts[0] if len(alts) == 1 else Q.Or(alts))
        base = Q.And(ands) if ands else Q.NullQuery
    excluded = [q for q in (_clause_query(c) for c in parsed.excluded) if q is not None]
    if excluded:
        base = Q.AndNot(base, Q.Or(excluded))
    return base


def filter_query(filters: dict[str, str]) -> Q.Query | None:
    terms = [Q.Term(name, value) for name, value in filters.items() if value]
    return Q.And(terms) if terms else None


# Searchers and per-segment facet values ------------------------------------------------------

class _Searchers:
    """One searcher per process, refreshed when the index changes or is swapped."""

    def __init__(self):
        self.lock = threading.RLock()
        self.path: Path | None = None
        self.searcher = None
        self.facet_cache: dict[str, dict[str, list]] = {}

    def get(self):
        path = search_index.current_dir()
        if self.searcher is None or path != self.path:
            if self.searcher is not None:
                self.searcher.close()
            # (snapshot note: index.open_index was whoosh.index.open_dir at snapshot time)
            from whoosh import index as _whoosh_index
            self.searcher = _whoosh_index.open_dir(str(path)).searcher()
            self.path = path
            self.facet_cache.clear()
        else:
            self.searcher = self.searcher.refresh()
        return self.searcher

    def facet_values(self, searcher) -> list[tuple[int, dict[str, list]]]:
        """[(docbase, {facet: per-doc values})]: read once per immutable segment."""
        out = []
        live = set()
        for reader, base in searcher.reader().leaf_readers():
            key = reader.segment().segment_id() if hasattr(reader, "segment") and reader.segment() else str(id(reader))
            live.add(key)
            if key not in self.facet_cache:
                columns = {name: [] for name in FACETS}
                columns["_id"] = []
                for docnum in range(reader.doc_count_all()):
                    stored = reader.stored_fields(docnum) if not reader.is_deleted(docnum) else {}
                    for name in FACETS:
                        value = stored.get(name, "")
                        if name in MULTI_VALUED:
                            columns[name].append(tuple(v for v in value.split(",") if v) if value else ())
                        else:
                            columns[name].append(value)
                    columns["_id"].append(stored.get("id"))
                self.facet_cache[key] = columns
            out.append((base, self.facet_cache[key]))
        for stale in set(self.facet_cache) - live:
            del self.facet_cache[stale]
        return out


_searchers = _Searchers()


def _reset_for_tests() -> None:
    with _searchers.lock:
        if _searchers.searcher is not None:
            _searchers.searcher.close()
        _searchers.searcher = None
        _searchers.path = None
        _searchers.facet_cache.clear()
        _result_cache.clear()


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


_result_cache: OrderedDict = OrderedDict()
_CACHE_SIZE = 256


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
               searcher.doc_count_all(), q, tuple(sorted(filters.items())), sort, page, per_page)
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
    query = build(parsed)
    flt = filter_query(filters)
    full = Q.And([query, flt]) if flt is not None else query
    # One unscored pass gives the total and the facet counts (len(results) would re-run the query).
    matched = list(searcher.docs_for_query(full))
    facets = _count_facets(matched)
    total = len(matched)
    offset = (page - 1) * per_page
    hits: list[Hit] = []
    if offset < total:
        if sort == "newest" or parsed.empty:
            results = searcher.search(full, limit=offset + per_page, sortedby=FieldFacet("published", reverse=True))
        else:
            results = searcher.search(full, limit=offset + per_page)
        terms = highlight_terms(parsed)
        for hit in list(results)[offset:offset + per_page]:
            hits.append(_hit(hit, terms))
    return SearchResult(total=total, page=page, per_page=per_page, hits=hits, facets=facets, notes=notes,
                        terms=highlight_terms(parsed))


def _count_facets(matched: list[int]) -> dict[str, list[tuple[str, int]]]:
    segments = _searchers.facet_values(_searchers.searcher)
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    if not matched:
        return {name: [] for name in FACETS}
    # matched docnums are global; walk segments in order.
    bounds = [(base, base + len(cols["_id"]), cols) for base, cols in segments]
    for name in FACETS:
        bucket = counts[name]
        multi = name in MULTI_VALUED
        seg_i = 0
        for docnum in sorted(matched):
            while seg_i < len(bounds) - 1 and docnum >= bounds[seg_i][1]:
                seg_i += 1
            base, _end, cols = bounds[seg_i]
            value = cols[name][docnum - base]
            if multi:
                for v in value:
                    bucket[v] = bucket.get(v, 0) + 1
            elif value:
                bucket[value] = bucket.get(value, 0) + 1
    out = {}
    for name, bucket in counts.items():
        items = sorted(bucket.items(), key=lambda kv: (-kv[1], kv[0]))
        if name == "year":
            items = sorted(bucket.items(), key=lambda kv: kv[0], reverse=True)
        out[name] = items
    return out


# Highlights -------------------------------------------------------------------------------------

def highlight_terms(parsed: ParsedQuery) -> list[str]:
    """Strings to mark in snippets: the words as typed, their synonyms and their segmented parts."""
    terms: set[str] = set()
    for text in parsed.positive_texts():
        for variant in synonyms.expand(text):
            compact = variant.strip()
            if compact:
                terms.add(compact.lower())
            for term, _p, _s, _e in segment(variant, search=False):
                # Single characters from splitting a longer word would light up everywhere.
                if len(term) > 1 or len(compact) == 1:
                    terms.add(term)
    return sorted(terms, key=len, reverse=True)


def _spans(text_lower: str, terms: list[str]) -> list[tuple[int, int]]:
    spans = []
    for term in terms:
        start = text_lower.find(term)
        while start != -1 and len(spans) < 200:
            spans.append((start, start + len(term)))
            start = text_lower.find(term, start + len(term))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def mark(text: str, terms: list[str], spans: list[tuple[int, int]] | None = None) -> Markup:
    spans = _spans(fold(text).lower(), terms) if spans is None else spans
    out, last = [], 0
    for s, e in spans:
        out.append(escape(text[last:s]))
        out.append(Markup("<mark>%s</mark>") % text[s:e])
        last = e
    out.append(escape(text[last:]))
    return Markup("").join(out)


def best_passages(text: str, terms: list[str], width: int = 90, count: int = 2) -> list[Markup]:
    """The windows of ``text`` with the most distinct matched terms (not just the first lines)."""
    if not text:
        return []
    lowered = fold(text).lower()
    spans = _spans(lowered, terms)
    if not spans:
        return []
    candidates = []
    for i, (s, _e) in enumerate(spans):
        start = max(0, s - width // 4)
        end = min(len(text), start + width)
        inside = [(a, b) for a, b in spans[i:] if b <= end]
        distinct = len({lowered[a:b] for a, b in inside})
        candidates.append((distinct, len(inside), -start, start, end, inside))
    candidates.sort(reverse=True)
    chosen, used = [], []
    for _d, _n, _neg, start, end, inside in candidates:
        if any(not (end <= u0 or start >= u1) for u0, u1 in used):
            continue
        used.append((start, end))
        local = [(a - start, b - start) for a, b in inside]
        snippet = mark(text[start:end], terms, local)
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
        chosen.append(Markup(prefix) + snippet + Markup(suffix))
        if len(chosen) == count:
            break
    return chosen


def _hit(hit, terms: list[str]) -> Hit:
    stored = hit.fields()
    body, summary, title = stored.get("body", ""), stored.get("summary", ""), stored.get("title", "")
    highlights = best_passages(body, terms) or best_passages(summary, terms, count=1)
    return Hit(
        id=int(stored["id"]), title=title, summary=summary, highlights=highlights,
        title_html=mark(title, terms) if terms else Markup(escape(title)),
        themes=[t for t in stored.get("theme", "").split(",") if t], province=stored.get("province", ""),
        organization=stored.get("organization", ""), published_at=stored.get("published"),
    )


# Similar cases ---------------------------------------------------------------------------------

def similar(case_id: int, limit: int = 5) -> list[Hit]:
    """Published cases sharing the case's most distinctive terms (not just its themes)."""
    with _searchers.lock:
        searcher = _searchers.get()
        docnum = searcher.document_number(id=str(case_id))
        if docnum is None:
            return []
        stored = searcher.stored_fields(docnum)
        text = " ".join([stored.get("title", "")] * 2 + [stored.get("summary", ""), stored.get("body", "")])
        keys = searcher.key_terms_from_text("body", text, numterms=12)
        if not keys:
            return []
        q = Q.Or([Q.Term("body", word, boost=weight) for word, weight in keys]
                 + [Q.Term("theme", t) for t in stored.get("theme", "").split(",") if t])
        results = searcher.search(q, limit=limit + 1, mask=Q.Term("id", str(case_id)))
        return [_hit(h, []) for h in results][:limit]
