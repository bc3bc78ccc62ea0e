"""A search backend in memory, for the contract tests (tests/test_search_contract.py).

Simple but honest: it reads only what every backend gets (the neutral case documents, the
query plan of portal.search.planning, the segmenter and synonyms) and does what the contract in
portal/search/backend.py says, with none of the Whoosh backend's code: a dict of documents, each
segmented once when it is put; matching by term sets and positions; a plain tf-idf score. It
shows that the interface is enough to build a backend on, and that the contract tests test the
contract rather than Whoosh.

Importing this module registers it as SEARCH_BACKEND = "memory".
"""
from __future__ import annotations

import heapq
import math
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from portal.search.analysis import FIELD_SEP, segment
from portal.search.backend import ChangeSet, IndexBatch, IndexBusy, SearchBackend, SearchRequest, register_backend
from portal.search.documents import FACETS, MULTI_VALUED, term_counts
from portal.search.highlights import highlight_terms
from portal.search.parsing import Clause
from portal.search.planning import Variant
from portal.search.planning import variants as _variants
from portal.search.results import Hit, SearchResult, document_hit, ordered_facets, wants_partial

_EPOCH = datetime(1970, 1, 2)


@dataclass
class _Entry:
    """A document and what matching needs of it."""

    doc: dict
    parts: list[dict[str, set[int]]]  # per part of `all` (title, title, summary, body, meta): term -> positions
    tf: Counter  # term -> occurrences in `all`
    facets: dict[str, set[str]]
    order: int  # when it was first put (ties keep this order)


def _entry(doc: dict, order: int) -> _Entry:
    parts, tf = [], Counter()
    for text in (doc.get("all") or "").split(FIELD_SEP):
        positions: dict[str, set[int]] = {}
        for term, pos, _start, _end in segment(text, search=True):
            positions.setdefault(term, set()).add(pos)
            tf[term] += 1
        parts.append(positions)
    facets = {}
    for name in FACETS:
        raw = doc.get(name) or ""
        facets[name] = {v for v in raw.split(",") if v} if name in MULTI_VALUED else ({raw} if raw else set())
    return _Entry(doc, parts, tf, facets, order)


def _holds(entry: _Entry, v: Variant) -> bool:
    if v.phrase and len(v.terms) > 1:
        for part in entry.parts:
            if all(t in part for t in v.terms) and any(
                    all(p + i in part[t] for i, t in enumerate(v.terms)) for p in part[v.terms[0]]):
                return True
    elif all(t in entry.tf for t in v.terms):
        return True
    return bool(v.substring) and any(v.substring in term and term != v.substring for term in entry.tf)


def _holds_any(entry: _Entry, variants: list[Variant]) -> bool:
    return any(_holds(entry, v) for v in variants)


class MemoryBackend(SearchBackend):
    name = "memory"

    def __init__(self, app):
        super().__init__(app)
        self._entries: dict[str, _Entry] = {}  # replaced whole on each change: readers need no lock
        self._write = threading.Lock()
        self._order = 0
        self._generation = 0  # counts changes: the cache token of generation()

    # Writing -------------------------------------------------------------------------------

    def _acquire(self, timeout: float) -> None:
        if not self._write.acquire(timeout=timeout):
            raise IndexBusy(f"memory index busy for more than {timeout:g} s")

    @contextmanager
    def batch(self, timeout: float = 10.0) -> Iterator[IndexBatch]:
        self._acquire(timeout)
        try:
            batch = ChangeSet()
            yield batch
            if batch.changes:
                entries = dict(self._entries)
                for doc_id, doc in batch.changes.items():
                    if doc is None:
                        entries.pop(doc_id, None)
                    else:  # a replaced document goes to the end of the index order
                        self._order += 1
                        entries.pop(doc_id, None)
                        entries[doc_id] = _entry(doc, self._order)
                self._entries = entries
                self._generation += 1
        finally:
            self._write.release()

    def rebuild(self, documents: Iterable[dict], *, workers: int = 2) -> int:
        self._acquire(60)
        try:
            entries = {}
            for doc in documents:
                self._order += 1
                entries[str(doc["id"])] = _entry(doc, self._order)
            self._entries = entries
            self._generation += 1
            return len(entries)
        finally:
            self._write.release()

    # Reading -------------------------------------------------------------------------------

    def _score(self, entries: dict[str, _Entry], entry: _Entry, groups: list[list[Variant]]) -> float:
        """tf-idf of the best variant of each group (the title counts twice: it is twice in `all`)."""
        n = len(entries)
        total = 0.0
        for variants in groups:
            best = 0.0
            for v in variants:
                value = 0.0
                for t in v.terms:
                    if entry.tf[t]:
                        df = sum(1 for e in entries.values() if e.tf[t])
                        value += (1 + math.log(entry.tf[t])) * math.log(1 + n / df)
                best = max(best, value * v.weight)
            total += best
        return total

    def search(self, request: SearchRequest) -> SearchResult:
        entries = self._entries
        parsed, notes = request.parsed, list(request.notes)
        groups = None if parsed.empty else [vs for vs in ([v for c in g for v in _variants(c)] for g in parsed.groups) if vs]
        excluded = [v for c in parsed.excluded for v in _variants(c)]
        if parsed.groups and groups == []:
            notes.append(_("查询只包含“的”“和”这类常用虚词，无法据此搜索，请换用更具体的词语。"))

        def in_filters(e: _Entry) -> bool:
            return all(value in e.facets[name] for name, value in request.filters.items())

        scope = [e for e in entries.values() if in_filters(e)]
        matched = [e for e in scope if (groups is None or (groups and all(_holds_any(e, g) for g in groups)))
                   and not (excluded and _holds_any(e, excluded))]
        total = len(matched)
        counts = {name: Counter() for name in FACETS}
        for e in matched:
            for name in FACETS:
                counts[name].update(e.facets[name])
        terms = highlight_terms(parsed)
        if request.sort == "newest" or groups is None:
            ranked = sorted(matched, key=lambda e: (-(e.doc.get("published") or _EPOCH).timestamp(), e.order))
        else:
            ranked = sorted(matched, key=lambda e: (-self._score(entries, e, groups), e.order))
        offset = (request.page - 1) * request.per_page
        hits = [document_hit(e.doc, terms) for e in ranked[offset:offset + request.per_page]]
        partial = []
        if groups and wants_partial(parsed, total, request.page, request.per_page):
            partial = self._partial(entries, scope, set(map(id, matched)), parsed, groups, request.per_page, terms)
        return SearchResult(total=total, page=request.page, per_page=request.per_page, hits=hits,
                            facets=ordered_facets(counts), notes=notes, terms=terms, partial=partial)

    def _partial(self, entries, scope, strict: set[int], parsed, groups, limit: int, terms) -> list[Hit]:
        words = [(" OR ".join(c.text for c in g), vs) for g in parsed.groups if (vs := [v for c in g for v in _variants(c)])]
        if len(words) == 1 and len(words[0][1]) == 1 and len(words[0][1][0].terms) > 1:
            # One word the segmenter splits (老人吃饭难): its parts count as the words.
            words = [(t, _variants(Clause(t))) for t in words[0][1][0].terms if len(t) > 1]
        if len(words) < 2:
            return []
        held = {id(e): [text for text, vs in words if _holds_any(e, vs)] for e in scope if id(e) not in strict}
        best = max((len(h) for h in held.values()), default=0)
        if not best:
            return []
        need = min(best, -(-len(words) // 2))
        chosen = [e for e in scope if len(held.get(id(e), ())) >= need]
        top = heapq.nsmallest(limit, chosen, key=lambda e: (-len(held[id(e)]), -self._score(entries, e, groups), e.order))
        hits = []
        for e in top:
            hit = document_hit(e.doc, terms)
            hit.missing = [text for text, _vs in words if text not in held[id(e)]]
            hits.append(hit)
        return hits

    def similar(self, case_id: int, limit: int = 5) -> list[Hit]:
        entries = self._entries
        entry = entries.get(str(case_id))
        if entry is None:
            return []

        def idf(term: str) -> float:
            return math.log(1 + len(entries) / sum(1 for e in entries.values() if e.tf[term]))

        # The case's most distinctive words: its own text (title twice, summary, body), not the
        # meta, as counted when it was indexed (the document's terms).
        own = Counter({t: n for t, n in term_counts(entry.doc.get("terms")).items() if len(t) > 1})
        keys = heapq.nlargest(12, own, key=lambda t: own[t] * idf(t))
        themes = entry.facets["theme"]
        scored = []
        for e in entries.values():
            if e is not entry:
                score = sum(own[t] * idf(t) for t in keys if e.tf[t]) + len(themes & e.facets["theme"])
                if score:
                    scored.append((-score, e.order, e))
        return [document_hit(e.doc, []) for _s, _o, e in sorted(scored, key=lambda s: s[:2])[:limit]]

    def generation(self):
        return (id(self), self._generation)

    def indexed_stamps(self) -> dict[str, str | None]:
        return {doc_id: e.doc.get("stamp") for doc_id, e in self._entries.items()}


register_backend("memory", MemoryBackend)
