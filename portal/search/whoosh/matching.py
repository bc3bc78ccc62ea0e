"""Matching: a parsed query evaluated over the posting lists of each index segment."""
from __future__ import annotations

import struct
from bisect import bisect_right
from itertools import accumulate
from pickle import loads

from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import byte_to_length

from portal.search.planning import BM25_B, BM25_K1, group_idf, strongest  # noqa: F401 (BM25_*: whoosh.similar)
from portal.search.planning import Plan as _Plan
from portal.search.planning import Variant as _Variant
from portal.search.planning import plan as _plan  # noqa: F401 (used by whoosh.results)
from portal.search.planning import variants as _variants  # noqa: F401 (used by whoosh.results)
from portal.search.whoosh.index import read_beside, write_beside
from portal.search.whoosh.schema import LEGACY_SEARCH_FIELDS, TEXT_FIELD

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

    def scope(self, filters: list[tuple[str, str]]) -> set[int] | None:
        """The documents passing the facet filters; None: every live document."""
        scope: set[int] | None = None
        for name, value in filters:
            docs = self.docs(name, value)
            scope = docs if scope is None else scope & docs
        return scope

    def match(self, plan: _Plan) -> set[int]:
        scope = self.scope(plan.filters)  # None: every live document
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

    def whole(self, compounds: list[list[str]], docs: set[int]) -> dict[int, int]:
        """document -> how many of the split query words it holds whole (their parts side by
        side: 社区工作者, not 社区 here and 工作者 there); such cases rank first."""
        count: dict[int, int] = {}
        for terms in compounds:
            for doc in set().union(*(self.adjacent(f, terms, self.candidates(f, terms, docs)) for f in self.fields)):
                count[doc] = count.get(doc, 0) + 1
        return count

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

    def scores(self, searcher, groups: list[list[_Variant]], matched: set[int]) -> dict[int, float]:
        """BM25 (Whoosh's BM25F formula) of the matched documents, each OR-group scored as one
        word (as Lucene's SynonymQuery): the group's frequency in a document is its variants'
        frequencies added up, each times the variant's weight, saturated once; its idf is the
        mean of its words' idf, weighted like them (planning.group_idf). So a story that says
        养老机构 five times outranks one that mentions 养老院 once in passing, where scoring each
        variant apart let the rarer word win; and a variant never adds to another's credit twice
        (养老机构 as an expansion of 敬老院 earns 养老 nothing more)."""
        b, k1 = BM25_B, BM25_K1
        scores: dict[int, float] = {}
        get = scores.get
        for fname in self.fields:
            c1, c2 = k1 * (1 - b), k1 * b / (searcher.avg_field_length(fname) or 1)
            lengths = None
            for group in groups:
                freq, idf = self.frequency(searcher, fname, group, matched)
                if not freq:
                    continue
                if lengths is None:
                    lengths = _field_lengths(self.reader, fname, self.cache)
                for doc, tf in freq.items():
                    scores[doc] = get(doc, 0.0) + idf * (tf * (k1 + 1)) / (tf + c1 + c2 * lengths[doc])
        return scores

    def frequency(self, searcher, fname: str, group: list[_Variant], matched: set[int]) -> tuple[dict[int, float], float]:
        """(document -> the group's weighted frequency, the group's idf times its strongest
        weight) in one field. A variant of several words counts as often as its rarest word
        occurs in the document (all must). Which variants make the idf is decided over the whole
        index, not this segment, so a case scores the same whichever segment holds it."""
        freq: dict[int, float] = {}
        get = freq.get
        held: list[tuple[float, float]] = []  # (weight, idf) of each word of the indexed variants
        top = strongest(group)
        for v in group:
            terms = list(dict.fromkeys(v.terms))
            if not all(searcher.doc_frequency(fname, t) for t in terms):
                continue
            held += [(v.weight, searcher.idf(fname, t)) for t in terms]
            if not all(self.has(fname, t) for t in terms):
                continue  # (in other segments only)
            weight = v.weight / top
            lists = [self.postings(fname, t) for t in terms]
            if len(lists) == 1:
                for doc, w in zip(*lists[0]):
                    if doc in matched:
                        freq[doc] = get(doc, 0.0) + weight * w
                continue
            tables = sorted(({d: w for d, w in zip(ids, ws) if d in matched} for ids, ws in lists), key=len)
            for doc, w in tables[0].items():
                if all(doc in t for t in tables[1:]):
                    freq[doc] = get(doc, 0.0) + weight * min(w, *(t[doc] for t in tables[1:]))
        return freq, top * group_idf(held)


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
        except Exception:  # another codec: ask per document
            lengths = None
        if lengths is None:
            lengths = [reader.doc_field_length(d, field, 0) or 0 for d in range(n)]
        cache[key] = lengths
    return cache[key]


def _lexicon(reader, field: str, cache: dict) -> list[str]:
    """Every indexed word of a field in one segment, read once per segment and kept while the
    segment lives. The raw term index is read in one piece (about 20 ms for the 45,000 words
    of a 5,000-case segment, against 95 ms through reader.lexicon()) and the list saved beside
    the segment (index.write_beside): another process, or this one after a restart, reads it
    back in about 2 ms. Scanning the list for a substring then takes about 1 ms."""
    key = ("lexicon", field)
    if key not in cache:
        name = f"lexicon_{field}"
        words = _saved_words(read_beside(reader, name))
        if words is None:
            try:
                raw = _raw_terms(reader, field)
            except Exception:  # another codec: the public (slower) iterator
                raw = list(reader.lexicon(field)) if field in reader.schema else []
            words = b"\n".join(raw).decode("utf-8").split("\n") if raw else []
            write_beside(reader, name, f"{len(words)}\n".encode() + "\n".join(words).encode("utf-8"))
        cache[key] = words
    return cache[key]


def _saved_words(data: bytes | None) -> list[str] | None:
    """A saved word list (its first line: how many words follow), or None when there is none
    or it is not whole."""
    try:
        count, _, text = (data or b"").decode("utf-8").partition("\n")
    except UnicodeDecodeError:
        return None
    words = text.split("\n") if text else []
    return words if count.isdigit() and int(count) == len(words) else None


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
        except Exception:  # another column type: read per document
            values = None
        if values is None:
            values = [cr[d] for d in range(n)]
        cache["published"] = values
    return cache["published"]
