"""The per-process searcher, per-segment facet values and the result cache."""
from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from pathlib import Path

from portal.search.documents import FACETS
from portal.search.whoosh import index as search_index
from portal.search.whoosh.index import read_beside, write_beside
from portal.search.whoosh.matching import _field_lengths, _lexicon, _postings, _published
from portal.search.whoosh.schema import TEXT_FIELD

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
            if path != self.path:  # reopened after release() or a fork: keep what was read
                self.facet_cache.clear()
            self.path = path
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
    search after an index change a third of this function's time). Saved beside the segment
    (index.write_beside; 20 ms to read from the postings at 5,000 cases, 3 ms as JSON). A
    document deleted later stays in the lists: every count intersects them with live documents."""
    saved = read_beside(reader, "facets")
    if saved is not None:
        try:
            facets = json.loads(saved)
            if isinstance(facets, dict) and set(facets) == set(FACETS):
                return facets
        except ValueError:  # not whole: worked out again below
            pass
    facets = {name: {value: _postings(reader, name, value)[0] for value in reader.field_terms(name) if value}
              for name in FACETS}
    write_beside(reader, "facets", json.dumps(facets, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return facets


_searchers = _Searchers()


_result_cache: OrderedDict = OrderedDict()
_CACHE_SIZE = 256


def warm() -> None:
    """Open the current index and read what each new segment needs (facet values, word list,
    field lengths for ranking, publication dates for sorting), so that the first search after
    an index change does not pay for it. Called by the indexer thread of every process (off the
    request path) after each pass, and before serving (portal.search.warm_up)."""
    with _searchers.lock:
        searcher = _searchers.get()
        for reader, _base, cache in _searchers.segments(searcher):
            if TEXT_FIELD in reader.schema:
                _lexicon(reader, TEXT_FIELD, cache)
                _field_lengths(reader, TEXT_FIELD, cache)
            if "published" in reader.schema:
                _published(reader, cache)


def release() -> None:
    """Close this process's searcher (its open files) and keep what was read from each segment:
    the next search reopens the files (a few milliseconds) and reuses the rest. Called by the
    gunicorn master after warming up, before it forks the workers."""
    with _searchers.lock:
        if _searchers.searcher is not None:
            _searchers.searcher.close()
        _searchers.searcher = None


def _after_fork_in_child() -> None:
    # A forked worker must not read through its parent's open files: both processes would share
    # each file's offset, so one's seek moves the other's read. Drop them (without closing
    # anything the parent may still use) and keep the segment caches, which are plain data. The
    # lock is new too: another thread of the parent may have held it at the fork.
    _searchers.lock = threading.RLock()
    _searchers.searcher = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def _reset_for_tests() -> None:
    with _searchers.lock:
        if _searchers.searcher is not None:
            _searchers.searcher.close()
        _searchers.searcher = None
        _searchers.ix = None
        _searchers.path = None
        _searchers.facet_cache.clear()
        _result_cache.clear()
