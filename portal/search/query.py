"""Searching: user query syntax -> Whoosh query, facets, highlights, similar cases.

Syntax: words are ANDed; "quoted phrases"; -word excludes; OR between two items makes them
alternatives. Wildcards are not supported (they are removed), and the work per query is
bounded (query length, number of terms, pages).
"""
from __future__ import annotations

import heapq
import re
import struct
import threading
import unicodedata
from bisect import bisect_right
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from pickle import loads

from markupsafe import Markup, escape
from whoosh import query as Q
from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import byte_to_length

from portal.search import index as search_index
from portal.search import synonyms
from portal.search.analysis import fold, is_word, segment
from portal.search.schema import FACETS, LEGACY_SEARCH_FIELDS, TEXT_FIELD

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 12
MAX_PAGE = 100
MAX_PER_PAGE = 50
SHORT_CJK = 3  # CJK queries up to this length also match longer indexed words that contain them
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


# Matching -----------------------------------------------------------------------------------------
#
# A query is evaluated with set algebra over posting lists, segment by segment, rather than as
# a Whoosh query tree. The documents found are the same as with the equivalent Whoosh query
# (a word in any searchable field, an exact phrase, the single-character substring fallback,
# AND between groups, OR within a group, exclusions, facet filters); what changes is the cost:
#
# * the substring fallback (indexed words that contain a short CJK query, found by scanning the
#   segment's word list, cached per segment) only adds documents the words have not already
#   matched, and a phrase is checked only where all its words occur;
# * the total and the facet counts come from the same pass as the ranking;
# * ranking is BM25 over the word fields (Whoosh's BM25F formula and parameters), computed
#   from the posting lists directly instead of through a tree of matchers per document.
#   Cases found only through the substring fallback score 0 and follow, oldest index entry
#   first (Whoosh's own tie order).

@dataclass
class _Variant:
    """One synonym variant of a clause: its words, and the text of the substring fallback
    (None when the variant is not a short CJK word)."""
    terms: list[str]
    phrase: bool
    substring: str | None


@dataclass
class _Plan:
    groups: list[list[_Variant]] | None  # AND of OR-groups; None: every case; []: none
    excluded: list[_Variant]
    filters: list[tuple[str, str]]

    def score_terms(self) -> list[str]:
        return list(dict.fromkeys(t for g in self.groups or () for v in g for t in v.terms))


def _variants(clause: Clause) -> list[_Variant]:
    texts = synonyms.expand(clause.text) if not clause.phrase else (clause.text,)
    out = []
    for text in texts:
        terms = [t for t, _pos, _s, _e in segment(text, search=False)]
        if not terms:
            continue
        compact = text.replace(" ", "")
        substring = None
        if _CJK.search(compact) and len(compact) <= SHORT_CJK and compact.isalnum() \
                and (len(compact) == 1 or not is_word(compact)):
            # Parts the segmenter keeps inside longer words: 五社 in 五社联动, 站 in 社工站. A
            # dictionary word of two or three characters needs no such help: search-mode
            # segmentation indexes it inside every longer word that contains it.
            substring = compact.lower()
        out.append(_Variant(terms, clause.phrase or " " in text, substring))
    return out


def _plan(parsed: ParsedQuery, filters: dict[str, str]) -> _Plan:
    groups = None
    if not parsed.empty:
        groups = [vs for vs in ([v for c in group for v in _variants(c)] for group in parsed.groups) if vs]
    excluded = [v for c in parsed.excluded for v in _variants(c)]
    return _Plan(groups, excluded, [(name, value) for name, value in filters.items() if value])


def _word_fields(searcher) -> tuple[str, ...]:
    """The indexed text fields: the combined field, or the four fields of an index built before
    it existed (such an index keeps working until `search reindex`)."""
    return (TEXT_FIELD,) if TEXT_FIELD in searcher.schema else LEGACY_SEARCH_FIELDS


class _SegmentMatch:
    """Evaluates a plan in one segment; document numbers are segment-local."""

    def __init__(self, reader, fields: tuple[str, ...], cache: dict):
        self.reader = reader
        self.fields = fields
        self.cache = cache
        self.memo: dict[tuple[str, str], set[int]] = {}
        self.lists: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        self.size = reader.doc_count_all()
        self.deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()

    def live(self) -> set[int]:
        docs = set(range(self.size))
        return docs - self.deleted if self.deleted else docs

    def has(self, field: str, text: str) -> bool:
        return (field, text) in self.reader

    def postings(self, field: str, text: str) -> tuple[list[int], list[float]]:
        """A term's documents and weights, read once per query (matching and scoring share them)."""
        key = (field, text)
        if key not in self.lists:
            self.lists[key] = _postings(self.reader, field, text, weights=True) if self.has(field, text) else ([], [])
        return self.lists[key]

    def docs(self, field: str, text: str) -> set[int]:
        key = (field, text)
        if key not in self.memo:
            self.memo[key] = set(self.postings(field, text)[0])
        return self.memo[key]

    def match(self, plan: _Plan) -> set[int]:
        scope: set[int] | None = None  # None: every live document
        for name, value in plan.filters:
            docs = self.docs(name, value)
            scope = docs if scope is None else scope & docs
        if plan.groups is None:
            result = self.live() if scope is None else set(scope)
        elif not plan.groups:
            return set()
        else:
            result = scope
            for group in plan.groups:
                result = self.group(group, result)
                if not result:
                    return set()
        if plan.excluded and result:
            result = result - self.group(plan.excluded, result)
        return result

    def group(self, variants: list[_Variant], scope: set[int] | None) -> set[int]:
        """Documents within scope matching any of the variants."""
        found: set[int] = set()
        for v in variants:
            found |= self.words(v, scope)
        if scope is not None:
            found &= scope
        for v in variants:
            if v.substring:
                found |= self.substring(v.substring, scope, found)
        return found

    def words(self, v: _Variant, scope: set[int] | None) -> set[int]:
        if len(v.terms) == 1:
            return set().union(*(self.docs(f, v.terms[0]) for f in self.fields))
        if v.phrase:
            return set().union(*(self.adjacent(f, v.terms, self.candidates(f, v.terms, scope)) for f in self.fields))
        # Unquoted words: each may sit in a different field.
        out = None
        for t in v.terms:
            docs = set().union(*(self.docs(f, t) for f in self.fields))
            out = docs if out is None else out & docs
        return out

    def candidates(self, field: str, terms: list[str], scope: set[int] | None, skip: set[int] | None = None,
                   ) -> list[int]:
        """Sorted documents within scope (and not in skip) that may hold every term: those that
        do, or, when fewer, simply every such document (adjacent() reads the terms anyway)."""
        if not all(self.has(field, t) for t in terms):
            return []
        pool = None
        if scope is not None or skip:
            pool = (scope if scope is not None else self.live()) - (skip or set())
            rarest = min(self.reader.doc_frequency(field, t) for t in terms)
            if len(pool) <= rarest:
                return sorted(pool)  # fewer to check than to read; adjacent() checks the terms
        docs = None
        for t in sorted(set(terms), key=lambda t: self.reader.doc_frequency(field, t)):
            docs = set(self.docs(field, t)) if docs is None else docs & self.docs(field, t)
        return sorted(docs & pool if pool is not None else docs)

    def substring(self, text: str, scope: set[int] | None, skip: set[int]) -> set[int]:
        """Documents within scope, not in skip, holding an indexed word that contains text (a
        longer word: the word itself was matched by words())."""
        out: set[int] = set()
        for field in self.fields:
            for term in _lexicon(self.reader, field, self.cache):
                if text in term and term != text:
                    out |= self.docs(field, term)
        out -= skip
        return out & scope if scope is not None else out

    def adjacent(self, field: str, terms: list[str], candidates) -> set[int]:
        """The candidates where the terms occur at consecutive positions (the positions are read
        a block at a time, only for candidate documents)."""
        wanted = set(candidates)
        if not wanted or not all(self.has(field, t) for t in terms):
            return set()
        fmt = self.reader.schema[field].format
        values: dict[str, dict[int, bytes]] = {}
        for t in sorted(set(terms), key=lambda t: self.reader.doc_frequency(field, t)):
            values[t] = _term_values(self.reader, field, t, wanted)
            wanted &= values[t].keys()  # a document without the term drops out
            if not wanted:
                return set()
        out = set()
        for doc in wanted:
            positions = [_decode_positions(fmt, values[t][doc]) for t in terms]
            # Anchor on the term with the fewest positions; the others must follow in order.
            k = min(range(len(terms)), key=lambda i: len(positions[i]))
            others = [(i - k, set(p)) for i, p in enumerate(positions) if i != k]
            if any(all(q + shift in later for shift, later in others) for q in positions[k]):
                out.add(doc)
        return out

    def scores(self, searcher, terms: list[str], matched: set[int]) -> dict[int, float]:
        """BM25 (Whoosh's BM25F with its default B and K1) of the matched documents."""
        weighting = searcher.weighting
        b, k1 = getattr(weighting, "B", 0.75), getattr(weighting, "K1", 1.2)
        scores: dict[int, float] = {}
        get = scores.get
        for fname in self.fields:
            avgfl = searcher.avg_field_length(fname) or 1
            lengths = None
            for t in terms:
                if not self.has(fname, t):
                    continue
                if lengths is None:
                    lengths = _field_lengths(self.reader, fname, self.cache)
                idf = searcher.idf(fname, t)
                c1, c2 = k1 * (1 - b), k1 * b / avgfl
                ids, weights = self.postings(fname, t)
                for doc, w in zip(ids, weights):
                    if doc in matched:
                        scores[doc] = get(doc, 0.0) + idf * (w * (k1 + 1)) / (w + c1 + c2 * lengths[doc])
        return scores


def _postings(reader, field: str, text: str, weights: bool = False) -> tuple[list[int], list[float]]:
    """A term's live document numbers (and weights), read a block at a time where possible."""
    m = reader.postings(field, text)
    deleted = None
    if isinstance(m, FilterMatcher):  # the segment has deletions
        deleted = reader.deleted_docs_set
        m = m.child
    ids: list[int] = []
    ws: list[float] = []
    if all(hasattr(m, a) for a in ("_read_data", "_read_weights", "_next_block", "_data", "_ids", "_weights")):
        # Whoosh 3 codec: one pickled block of up to 128 postings at a time, not a call per posting.
        while m.is_active():
            if m._ids is None:
                if m._data is None:
                    m._read_data()
                # The block stores deltas; accumulate() decodes them at C speed (Whoosh's
                # delta_decode is a Python generator).
                m._ids = m._data[0] if m._byteids else tuple(accumulate(m._data[0]))
            ids.extend(m._ids[m._i:])
            if weights:
                if m._weights is None:
                    m._read_weights()
                ws.extend(m._weights[m._i:])
            m._next_block()
    else:
        while m.is_active():
            ids.append(m.id())
            if weights:
                ws.append(m.weight())
            m.next()
    if deleted:
        keep = [i for i, doc in enumerate(ids) if doc not in deleted]
        ids = [ids[i] for i in keep]
        ws = [ws[i] for i in keep] if weights else ws
    return ids, ws


def _term_values(reader, field: str, text: str, wanted: set[int]) -> dict[int, bytes]:
    """{docnum: raw posting value} of a term, for the wanted documents only (live ones)."""
    m = reader.postings(field, text)
    if isinstance(m, FilterMatcher):  # deletions: wanted holds live documents only
        m = m.child
    out: dict[int, bytes] = {}
    order = sorted(wanted)
    if all(hasattr(m, a) for a in ("_read_data", "_read_values", "_next_block", "_data", "_ids", "_values",
                                   "block_max_id")):
        j = 0
        while m.is_active() and j < len(order):
            top = m.block_max_id()
            if order[j] <= top:  # this block may hold wanted documents: read it
                if m._ids is None:
                    if m._data is None:
                        m._read_data()
                    m._ids = m._data[0] if m._byteids else tuple(accumulate(m._data[0]))
                if m._values is None:
                    m._read_values()
                for doc, value in zip(m._ids, m._values):
                    if doc in wanted:
                        out[doc] = value
                j = bisect_right(order, top, j)
            m._next_block()
    else:
        for doc in order:
            if not m.is_active():
                break
            if m.id() < doc:
                m.skip_to(doc)
                if not m.is_active():
                    break
            if m.id() == doc:
                out[doc] = m.value()
    return out


def _decode_positions(fmt, value: bytes) -> list[int]:
    """Positions from a posting value; Whoosh's encoding (a count, then pickled deltas) decoded
    with C-level loads and accumulate instead of a Python loop."""
    if isinstance(fmt, Positions) and type(fmt).decode_positions is Positions.decode_positions:
        body = value[_INT_SIZE:]
        return list(accumulate(loads(body if body.endswith(b".") else body + b".")))
    return fmt.decode_positions(value)


_BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]


def _field_lengths(reader, field: str, cache: dict) -> list[int]:
    """Per-document length of a field as Whoosh's scorer sees it (byte-quantized), per segment."""
    key = "lengths:" + field
    if key not in cache:
        n = reader.doc_count_all()
        lengths = None
        try:  # the whole column at once (a byte a document), not a file read per document
            from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

            col = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            count = min(n, col._count)
            raw = col._dbfile.get(col._basepos, count)
            if len(raw) == count:
                lengths = [_BYTE_TO_LENGTH[b] for b in raw] + [0] * (n - count)
        except Exception:  # noqa: BLE001 - another codec: ask per document
            lengths = None
        if lengths is None:
            lengths = [reader.doc_field_length(d, field, 0) or 0 for d in range(n)]
        cache[key] = lengths
    return cache[key]


def _lexicon(reader, field: str, cache: dict) -> list[str]:
    """Every indexed word of a field in one segment, read once per segment and kept while the
    segment lives. The raw term index is read in one piece (about 20 ms for the 45,000 words
    of a 5,000-case segment, against 95 ms through reader.lexicon()); scanning the list for a
    substring then takes about 1 ms."""
    key = ("lexicon", field)
    if key not in cache:
        try:
            raw = _raw_terms(reader, field)
        except Exception:  # noqa: BLE001 - another codec: the public (slower) iterator
            raw = list(reader.lexicon(field)) if field in reader.schema else []
        cache[key] = b"\n".join(raw).decode("utf-8").split("\n") if raw else []
    return cache[key]


_KEY_LENGTHS = struct.Struct("!ii")  # whoosh.filedb.filetables: key length, value length


def _raw_terms(reader, field: str) -> list[bytes]:
    """The field's terms straight from a Whoosh 3 segment's ordered term file: the keys are
    sorted (2-byte field number + term bytes), so the field's keys are one run of records."""
    terms = reader._terms
    if field not in terms._fieldmap:
        return []
    tindex = terms._tindex
    prefix = struct.pack("!H", terms._fieldmap[field])
    start = next((keypos - _KEY_LENGTHS.size for keypos, *_ in tindex.ranges_from(prefix)), None)
    if start is None:
        return []
    buf = tindex.dbfile.get(start, tindex.endofdata - start)
    unpack = _KEY_LENGTHS.unpack_from
    pos, end, out = 0, len(buf), []
    while pos < end:
        keylen, datalen = unpack(buf, pos)
        k = pos + _KEY_LENGTHS.size
        if buf[k:k + 2] != prefix:
            break
        out.append(buf[k + 2:k + keylen])
        pos = k + keylen + datalen
    return out


def _published(reader, cache: dict) -> list:
    """Per-document sort key of `published` (the raw column value), per segment."""
    if "published" not in cache:
        n = reader.doc_count_all()
        values = None
        cr = reader.column_reader("published", translate=False)
        try:  # the whole column at once, not a file read per document
            count = min(n, cr._count)
            raw = cr._dbfile.get(cr._basepos, cr._fixedlen * count)
            values = list(struct.unpack(f"!{count}{cr._typecode}", raw)) + [cr._default] * (n - count)
        except Exception:  # noqa: BLE001 - another column type: read per document
            values = None
        if values is None:
            values = [cr[d] for d in range(n)]
        cache["published"] = values
    return cache["published"]


# Searchers and per-segment facet values ------------------------------------------------------

class _Searchers:
    """One searcher per process, refreshed when the index changes or is swapped."""

    def __init__(self):
        self.lock = threading.RLock()
        self.path: Path | None = None
        self.ix = None
        self.searcher = None
        self.facet_cache: dict[str, dict] = {}  # segment id -> what segments() caches

    def get(self):
        path = search_index.current_dir()
        if self.searcher is None or path != self.path:
            if self.searcher is not None:
                self.searcher.close()
            self.ix = search_index.open_index(path)
            self.searcher = self.ix.searcher()
            self.path = path
            self.facet_cache.clear()
        elif self.ix.latest_generation() != self.searcher.reader().generation():
            # A fresh searcher, not Searcher.refresh(): Whoosh-Reloaded 2.7.5 matches reusable
            # segment readers by segment id only, so a segment whose deletions changed kept its
            # old reader (archived, deleted and edited cases stayed findable), and segments that
            # a merge had removed were added back (duplicate hits).
            self.searcher.close()
            self.searcher = self.ix.searcher()
        return self.searcher

    def segments(self, searcher) -> list[tuple[object, int, dict]]:
        """[(segment reader, docbase, cache)]. The cache holds what is read once per immutable
        segment: facet values ("facets"), field lengths and publication dates."""
        out = []
        live = set()
        for reader, base in searcher.reader().leaf_readers():
            if not reader.doc_count_all():
                continue
            key = reader.segment().segment_id() if hasattr(reader, "segment") and reader.segment() else str(id(reader))
            live.add(key)
            if key not in self.facet_cache:
                self.facet_cache[key] = {"facets": _segment_facets(reader)}
            out.append((reader, base, self.facet_cache[key]))
        for stale in set(self.facet_cache) - live:
            del self.facet_cache[stale]
        return out

    def facet_values(self, searcher) -> list[tuple[int, int, dict[str, dict[str, list[int]]]]]:
        """[(docbase, doc_count_all, {facet: {value: segment-local docnums}})].

        Built from the facet fields' postings (a few terms per field), not from the stored
        fields: reading every stored document (title, summary and body included) cost about
        60 µs a case, i.e. 0.6 s on the first search after every index change at 10k cases.
        """
        return [(base, reader.doc_count_all(), cache["facets"]) for reader, base, cache in self.segments(searcher)]


def _segment_facets(reader) -> dict[str, dict[str, list[int]]]:
    """{facet: {value: documents}} of one segment, from the facet fields' postings (lists, not
    sets: set.intersection() counts against a list as fast, and building sets cost the first
    search after an index change a third of this function's time)."""
    return {name: {value: _postings(reader, name, value)[0] for value in reader.field_terms(name) if value}
            for name in FACETS}


_searchers = _Searchers()


def warm() -> None:
    """Open the current index and read what each new segment needs (facet values, word list),
    so that the first search after an index change does not pay for it. Called by the
    indexer thread of every process (off the request path) after each pass."""
    with _searchers.lock:
        searcher = _searchers.get()
        for reader, _base, cache in _searchers.segments(searcher):
            if TEXT_FIELD in reader.schema:
                _lexicon(reader, TEXT_FIELD, cache)


def _reset_for_tests() -> None:
    with _searchers.lock:
        if _searchers.searcher is not None:
            _searchers.searcher.close()
        _searchers.searcher = None
        _searchers.ix = None
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


def _hit(stored: dict, terms: list[str]) -> Hit:
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
        field = TEXT_FIELD if TEXT_FIELD in searcher.schema else "body"
        keys = searcher.key_terms_from_text(field, text, numterms=12)
        if not keys:
            return []
        q = Q.Or([Q.Term(field, word, boost=weight) for word, weight in keys]
                 + [Q.Term("theme", t) for t in stored.get("theme", "").split(",") if t])
        results = searcher.search(q, limit=limit + 1, mask=Q.Term("id", str(case_id)))
        return [_hit(h.fields(), []) for h in results][:limit]
