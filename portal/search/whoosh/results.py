"""Results from the Whoosh index: :func:`search`, its pages, ranking and facet counts."""
from __future__ import annotations

import heapq
from collections import Counter

from flask_babel import get_locale
from flask_babel import gettext as _

from portal.search import synonyms
from portal.search.backend import SearchRequest
from portal.search.documents import FACETS, term_counts
from portal.search.highlights import highlight_terms
from portal.search.parsing import _CJK, ParsedQuery
from portal.search.planning import Variant, close_enough, partial_units
from portal.search.results import (
    FEEDBACK_DOCS,
    RELATED_SHARE,
    RERANK_DEPTH,
    Hit,
    SearchResult,
    document_hit,
    feedback_candidates,
    feedback_terms,
    ordered_facets,
    related_wanted,
    rerank,
    wants_partial,
)
from portal.search.whoosh.matching import _lexicon, _plan, _published, _SegmentMatch, _variants, _word_fields
from portal.search.whoosh.schema import TEXT_FIELD
from portal.search.whoosh.searchers import _CACHE_SIZE, _result_cache, _searchers

# Results ----------------------------------------------------------------------------------------

# A case holding a split query word whole (社区工作者, not 社区 here and 工作者 there) scores this
# much more per such word (bench/relevance.py: neutral at 0.15, 0.004 lower at 0.3, 0.011 lower
# when ranked first as a tier).
WHOLE_BONUS = 0.15


def search(request: SearchRequest) -> SearchResult:
    """A page of results for a request validated by portal.search.service (see
    SearchBackend.search), from this process's result cache when the index has not changed."""
    q, parsed, filters, sort, page, per_page = (request.q, request.parsed, request.filters, request.sort,
                                                request.page, request.per_page)
    notes = list(request.notes)
    with _searchers.lock:
        searcher = _searchers.get()
        key = (str(_searchers.path), searcher.reader().generation() if hasattr(searcher.reader(), "generation") else 0,
               searcher.doc_count_all(), synonyms.version(), str(get_locale()), q, tuple(sorted(filters.items())), sort, page, per_page)
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
    if parsed.groups and plan.groups == []:  # every word was dropped by the analyzer
        notes.append(_("查询只包含“的”“和”这类常用虚词，无法据此搜索，请换用更具体的词语。"))
    facets = _count_facets([(seg.cache["facets"], matched) for seg, _base, matched in parts])
    terms = highlight_terms(parsed)
    offset = (page - 1) * per_page
    hits: list[Hit] = []
    stored: dict[int, dict] = {}  # docnum -> stored fields, read for the reranking
    feedback: list[int] = []  # the best strict results by score (for the related cases)
    if offset < total:
        wanted = offset + per_page
        if sort == "newest" or plan.groups is None:
            # Newest first; equal dates in index order (as Whoosh's sorting collector does).
            keyed = []
            for seg, base, matched in parts:
                published = _published(seg.reader, seg.cache)
                keyed.extend((-published[d], base + d) for d in matched)
            ranked = [docnum for _key, docnum in heapq.nsmallest(wanted, keyed)]
            feedback = ranked[:FEEDBACK_DOCS]
        else:
            scored, per_segment = [], []
            for seg, base, matched in parts:
                scores = seg.scores(searcher, plan.groups, matched)
                whole = seg.whole(plan.compounds, matched) if plan.compounds else {}
                scored.extend((-score * (1 + WHOLE_BONUS * whole.get(d, 0)), base + d) for d, score in scores.items())
                per_segment.append((base, matched, scores))
            depth = max(wanted, RERANK_DEPTH)
            ranked = [key[-1] for key in heapq.nsmallest(depth, scored)]
            if len(ranked) < depth:  # then the cases found only through the substring fallback
                unscored = (base + d for base, matched, scores in per_segment for d in matched if d not in scores)
                ranked += heapq.nsmallest(depth - len(ranked), unscored)
            feedback = ranked[:FEEDBACK_DOCS]  # (by score, as on every backend)
            if offset < RERANK_DEPTH:
                stored = {d: searcher.stored_fields(d) for d in ranked[:RERANK_DEPTH]}
                order = rerank([stored[d] for d in ranked[:RERANK_DEPTH]], plan.groups)
                ranked = [ranked[i] for i in order] + ranked[RERANK_DEPTH:]
        for docnum in ranked[offset:wanted]:
            hits.append(document_hit(stored.get(docnum) or searcher.stored_fields(docnum), terms))
    partial: list[Hit] = []
    if wants_partial(parsed, total, page, per_page):
        partial = _partial(searcher, parsed, plan, parts, per_page, terms)
    related: list[Hit] = []
    room = related_wanted(parsed, sort, total, page, per_page, len(hits) + len(partial))
    if room and TEXT_FIELD in searcher.schema:  # (an index from before TEXT_FIELD: none)
        related = _related(searcher, plan, parts, feedback, {h.id for h in partial}, room, terms)
    suggestions: list[str] = []
    if not total and not partial and page == 1 and parsed.groups:
        suggestions = _corrections(searcher, parsed, plan, parts)
    return SearchResult(total=total, page=page, per_page=per_page, hits=hits, facets=facets, notes=notes,
                        terms=terms, partial=partial, suggestions=suggestions, related=related)


def _related(searcher, plan, parts, top: list[int], shown: set[int], limit: int, terms: list[str]) -> list[Hit]:
    """Up to ``limit`` cases like the ``top`` strict results (see results.feedback_terms),
    within the filters, neither strict results nor in ``shown`` (the partial matches)."""
    counts = [term_counts(searcher.stored_fields(d).get("terms")) for d in top]
    pooled = feedback_candidates(counts)
    df = {t: searcher.doc_frequency(TEXT_FIELD, t) for t in pooled}
    expansion = feedback_terms(pooled, searcher.doc_count_all(), df)
    if not expansion:
        return []
    groups = [[Variant([t], False, None, weight)] for t, weight in expansion]
    scored, own = [], []
    for seg, base, strict in parts:
        docs = set().union(*(seg.docs(TEXT_FIELD, t) for t, _w in expansion)) - strict
        scope = seg.scope(plan.filters)
        if scope is not None:
            docs &= scope
        mine = {d - base for d in top if base <= d < base + seg.size}
        for d, score in seg.scores(searcher, groups, docs | mine).items():
            if d in mine:
                own.append(score)
            else:
                scored.append((-score, base + d))
    least = RELATED_SHARE * min(own, default=0.0)
    hits: list[Hit] = []
    for score, docnum in heapq.nsmallest(limit + len(shown), scored):
        if -score < least:
            break
        stored = searcher.stored_fields(docnum)
        if int(stored["id"]) not in shown:
            hits.append(document_hit(stored, terms))
            if len(hits) == limit:
                break
    return hits


def _corrections(searcher, parsed: ParsedQuery, plan, parts) -> list[str]:
    """Queries to try when nothing matched: each query word that no case holds replaced by the
    indexed words closest to it (most characters in common, in order; then the most common),
    e.g. 社工占 -> 社工站, 养老员 -> 养老院. At most MAX_CORRECTIONS."""
    clauses = [c for group in parsed.groups for c in group]
    texts = [c.text for c in clauses]
    out: list[str] = []
    for i, clause in enumerate(clauses):
        word = clause.text.lower()
        if not _CJK.search(word) or not 2 <= len(word) <= 8:
            continue
        variants = _variants(clause)
        if any(seg.group(variants, None) for seg, _base, _m in parts):
            continue  # this word is found; another one is the problem
        for candidate in _close_words(searcher, word, parts):
            out.append(" ".join(texts[:i] + [candidate] + texts[i + 1:]))
            if len(out) >= MAX_CORRECTIONS:
                return out
    return out


MAX_CORRECTIONS = 3


def _close_words(searcher, word: str, parts) -> list[str]:
    scored: dict[str, tuple] = {}
    for seg, _base, _m in parts:
        for fname in seg.fields:
            for term in _lexicon(seg.reader, fname, seg.cache):
                shared = close_enough(word, term)
                if not shared:
                    continue
                freq = seg.reader.doc_frequency(fname, term)
                best = scored.get(term)
                scored[term] = (shared, abs(len(term) - len(word)), (best[2] if best else 0) + freq)
    # Most characters in common, then the same length as the word typed, then the most common.
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[1][1], -kv[1][2], kv[0]))
    return [term for term, _score in ranked[:MAX_CORRECTIONS]]


def _partial(searcher, parsed: ParsedQuery, plan, parts: list[tuple[_SegmentMatch, int, set[int]]], limit: int,
             terms: list[str]) -> list[Hit]:
    """Cases holding some but not all of a plain query's words (a synonym counts as the word),
    within the filters: those with at least half the words (or, when none has that many, those
    with the most), most words first, then by score (reranked: results.rerank); each names the
    words it lacks.

    A word the segmenter split (垃圾分类 -> 垃圾 分类) counts by the share of its parts a case
    holds; a query of one such word (老人吃饭难) counts its parts as words, except single
    characters (难), which would let almost any case count."""
    units = partial_units(plan)  # query word -> [(part, variants)]
    if not units:
        return []
    found = []  # (segment, docbase, {word: [documents holding each part]}, {document: words held}, strict)
    for seg, base, strict in parts:
        scope = seg.scope(plan.filters)
        held = {word: [seg.group(variants, scope) for _part, variants in pieces] for word, pieces in units.items()}
        credit: Counter = Counter()
        for sets in held.values():
            for docs in sets:
                for doc in docs:
                    credit[doc] += 1 / len(sets)
        found.append((seg, base, held, credit, strict))
    # Not a strict result: a case can hold every counted word and still lack a single character.
    best = max((n for *_rest, credit, strict in found for doc, n in credit.items() if doc not in strict), default=0)
    if not best:
        return []
    need = min(best, max(1, -(-len(units) // 2))) - 1e-9
    ranked = []
    for seg, base, held, credit, strict in found:
        docs = {doc for doc, n in credit.items() if need <= n and doc not in strict}
        scores = seg.scores(searcher, plan.groups, docs) if docs else {}
        for doc in docs:
            missing = []
            for word, sets in held.items():
                lacking = [part for (part, _v), docs_ in zip(units[word], sets) if doc not in docs_]
                missing += [word] if len(lacking) == len(sets) else lacking
            ranked.append((-round(credit[doc], 6), -scores.get(doc, 0.0), base + doc, missing))
    best = heapq.nsmallest(limit, ranked, key=lambda r: r[:3])
    stored = [searcher.stored_fields(docnum) for _n, _score, docnum, _missing in best]
    hits = []
    for i in rerank(stored, plan.groups, [n for n, *_rest in best]):  # (most words first still)
        hit = document_hit(stored[i], terms)
        hit.missing = best[i][-1]
        hits.append(hit)
    return hits


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
    return ordered_facets(counts)
