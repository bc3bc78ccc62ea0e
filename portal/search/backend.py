"""One interface for every full-text search backend, and the registry that picks one.

The app reaches search only through :mod:`portal.search.service`, which validates and parses
what the user typed and then calls the configured backend (config ``SEARCH_BACKEND``, env
``PORTAL_SEARCH_BACKEND``; default ``"whoosh"``). A backend deals in neutral things only:

* documents: the plain dicts of :func:`portal.search.documents.case_document`, identified by
  their ``id`` (a string);
* queries: :class:`SearchRequest`, holding the :class:`~portal.search.parsing.ParsedQuery`;
* results: :class:`~portal.search.results.SearchResult` and :class:`~portal.search.results.Hit`.

A new backend (e.g. PostgreSQL full text) subclasses :class:`SearchBackend`, is registered with
:func:`register_backend` (or an entry in ``_REGISTRY``) and chosen by ``SEARCH_BACKEND``; no
caller changes. ``tests/test_search_contract.py`` runs the same tests against every backend.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from flask import Flask, current_app

from portal.config import ConfigError
from portal.search.parsing import ParsedQuery, parse
from portal.search.results import Hit, SearchResult

DEFAULT = "whoosh"
EXTENSION = "portal_search_backend"


class IndexBusy(Exception):
    """Another writer kept the index past the timeout. Nothing is lost: the changes stay in the
    outbox and a later drain applies them."""


class UnknownSearchBackend(ConfigError):
    """``SEARCH_BACKEND`` names no registered backend: the app refuses to start."""


@dataclass
class SearchRequest:
    """A validated search, as :func:`portal.search.service.search` hands it to a backend."""

    q: str  # the query as typed (a backend may key a cache on it)
    parsed: ParsedQuery  # what it means: an AND of OR-groups of clauses, and exclusions
    filters: dict[str, str]  # facet name (from documents.FACETS) -> value; no empty values
    sort: str = "relevance"  # "relevance" or "newest"
    page: int = 1  # 1 .. parsing.MAX_PAGE
    per_page: int = 10  # 1 .. parsing.MAX_PER_PAGE
    notes: list[str] = field(default_factory=list)  # for the user, so far; the result carries them


@dataclass
class CheckReport:
    """The index compared with the published cases, by document id and ``stamp``."""

    indexed: int  # documents in the index
    expected: int  # published cases
    missing: list[str]  # published, not in the index
    stale: list[str]  # in the index with another stamp than the case's current one
    extra: list[str]  # in the index, not published

    @property
    def consistent(self) -> bool:
        return not (self.missing or self.stale or self.extra)


class IndexBatch(ABC):
    """The changes of one :meth:`SearchBackend.batch`, applied together when the block ends."""

    @abstractmethod
    def put(self, document: dict) -> None:
        """Add ``document``, replacing the document with the same ``id`` if there is one."""

    @abstractmethod
    def delete(self, doc_id: str) -> None:
        """Remove the document with this ``id``; nothing happens if there is none."""


class ChangeSet(IndexBatch):
    """A batch that only collects its changes (id -> document, or None for a deletion), for a
    backend that applies them all at once when the block ends."""

    def __init__(self):
        self.changes: dict[str, dict | None] = {}

    def put(self, document: dict) -> None:
        self.changes[str(document["id"])] = document

    def delete(self, doc_id: str) -> None:
        self.changes[str(doc_id)] = None


class SearchBackend(ABC):
    """A full-text index of case documents. One instance per app (:func:`get_backend`); methods
    run inside an app context and may be called from several threads and processes at once."""

    name = ""
    #: True: the index is written inside each case's own transaction (write_in_transaction)
    #: instead of through the search outbox.
    transactional = False

    def __init__(self, app: Flask):
        self.app = app

    def write_in_transaction(self, session, case_ids: set[int]) -> None:
        """(transactional backends) Bring these cases' index entries up to date inside
        ``session``'s transaction, just before it commits: published cases are written, the
        others removed. Called by portal.search.sync, which calls :meth:`bump` after the commit
        when this set ``session.info["portal_search_written"]``."""
        raise NotImplementedError

    def bump(self) -> None:
        """(transactional backends) A committed transaction changed the index: advance
        :meth:`generation`."""
        raise NotImplementedError

    # Writing -------------------------------------------------------------------------------

    @abstractmethod
    def batch(self, timeout: float = 10.0) -> AbstractContextManager[IndexBatch]:
        """``with backend.batch() as batch:`` exclusive write access for one set of changes.

        Waits up to ``timeout`` seconds for other writers (in any process, a :meth:`rebuild`
        included), then raises :class:`IndexBusy`. While the block runs no one else writes, so
        a caller may read the database inside it and write that current state (the outbox drain
        does: changes can then never be applied out of order). When the block ends normally,
        its changes become visible to searches together; if it raises, none is applied. A
        block without changes leaves the index untouched.
        """

    def index_documents(self, documents: Iterable[dict], timeout: float = 10.0) -> int:
        """Add or replace ``documents`` in one batch; returns how many."""
        count = 0
        with self.batch(timeout) as batch:
            for document in documents:
                batch.put(document)
                count += 1
        return count

    def delete_documents(self, doc_ids: Iterable[str], timeout: float = 10.0) -> int:
        """Remove the documents with these ids in one batch; returns how many ids were given."""
        count = 0
        with self.batch(timeout) as batch:
            for doc_id in doc_ids:
                batch.delete(str(doc_id))
                count += 1
        return count

    @abstractmethod
    def rebuild(self, documents: Iterable[dict], *, workers: int = 2) -> int:
        """Replace the whole index with ``documents`` (read once, e.g. streamed from the
        database); returns how many were indexed.

        Searches keep answering from the previous content until the new one is complete, then
        switch to it at once (no search sees a half-built index). Batches wait meanwhile, or
        give up with :class:`IndexBusy`, and write to the new content afterwards: changes made
        during a rebuild stay in the outbox until a drain after it. ``workers`` is how many
        processes the backend may use (a hint). Raises :class:`IndexBusy` when another writer
        keeps the index for long.
        """

    # Reading -------------------------------------------------------------------------------

    @abstractmethod
    def search(self, request: SearchRequest) -> SearchResult:
        """One page of results for a validated request.

        * Matching: a document matches when it matches every group of ``request.parsed.groups``
          (a group: any of its clauses; a clause: its text or one of its expansions
          (synonyms.weighted: synonyms, related words, numerals; they rank below the word as
          typed), as words found anywhere in the document's ``all`` text; a phrase
          clause: its words adjacent, within one part of ``all``, without synonyms; a CJK
          clause of up to parsing.SHORT_CJK characters that is not a dictionary word also
          matches longer indexed words containing it; a lone unquoted word the segmenter splits,
          老人吃饭难, matches where each of its parts does), none of ``parsed.excluded``, and every
          filter (a MULTI_VALUED facet matches any of its values). No group: every document.
          A group whose clauses analyse to no words (stop words only) is left out; when every
          group is, nothing matches and a note says why.
        * ``total``: how many match. ``hits``: the requested page of them, most relevant first
          (``sort="relevance"``; the title counts more than the body; documents that match only
          through the substring rule come last; the first results.RERANK_DEPTH by score are then
          reordered by results.rerank, the same on every page) or newest first (``"newest"``,
          and always for an empty query), built by results.document_hit with highlighting ``terms``
          (highlights.highlight_terms(parsed)).
        * ``facets``: for every name in documents.FACETS, results.ordered_facets of the value
          counts over all matching documents (not just the page).
        * ``notes``: ``request.notes`` followed by the backend's own.
        * ``partial``: only when results.wants_partial(...): up to ``per_page`` documents, within
          the filters and not among the strict results, holding some of the query's words:
          those with at least half of them, or when none has that many, those with the most;
          most words first, then most relevant (reordered within as many words by
          results.rerank); each Hit's ``missing`` names the words it lacks
          (as typed; a word the segmenter splits, 垃圾分类 -> 垃圾 分类, may count by the share
          of its parts held, and a query of one such word by its parts).
        * ``related``: only when results.related_wanted(...) leaves room: up to that many
          documents like the best strict results (the words of the FEEDBACK_DOCS first, chosen
          and weighted by results.feedback_terms, ranked by BM25 as the query's words are),
          within the filters, neither strict results nor partial matches; best first.
        * ``suggestions``: optional; when nothing matched at all, queries to try instead (the
          query with a word replaced by a close indexed word). [] is always allowed.
        """

    def facets(self, filters: Mapping[str, str] | None = None) -> dict[str, list[tuple[str, int]]]:
        """Facet counts over every document (within ``filters``), as in a result's ``facets``."""
        return self.search(SearchRequest(q="", parsed=parse(""), filters=dict(filters or {}))).facets

    @abstractmethod
    def similar(self, case_id: int, limit: int = 5) -> list[Hit]:
        """Up to ``limit`` other documents sharing the case's most distinctive words (and its
        themes), most similar first, without highlights; [] when the case is not indexed. Never
        the case itself."""

    def generation(self) -> Hashable | None:
        """A token that changes whenever the index content changes, in any process (a batch
        committed, a rebuild swapped in); cheap to read. Results derived from the index (similar
        cases) are cached per process under it. None (the default): unknown, nothing is cached."""
        return None

    @abstractmethod
    def indexed_stamps(self) -> dict[str, str | None]:
        """{id: stamp} of every document in the index (what :meth:`check` compares)."""

    def check(self, expected: Mapping[str, str]) -> CheckReport:
        """The index compared with ``expected``, the {id: stamp} of the published cases
        (documents.case_document's ``stamp``); ids sorted as numbers."""
        indexed = self.indexed_stamps()

        def ordered(ids) -> list[str]:
            return sorted(ids, key=lambda i: (not i.isdigit(), int(i) if i.isdigit() else 0, i))

        return CheckReport(
            indexed=len(indexed), expected=len(expected),
            missing=ordered(set(expected) - set(indexed)),
            stale=ordered(i for i in expected if i in indexed and indexed[i] != expected[i]),
            extra=ordered(set(indexed) - set(expected)),
        )

    # This process --------------------------------------------------------------------------

    def warm(self) -> None:
        """Prepare this process for fast searches after an index change (open the index, read
        what the first search would). Called by each process's indexer thread, off the request
        path, and before serving (portal.search.warm_up); cheap when nothing changed. Default:
        nothing to prepare."""
        return None

    def release(self) -> None:
        """Close what this process holds open (files, connections) but keep what it has read,
        so that a process forked next (a gunicorn worker after ``--preload``) shares nothing that
        must not be shared; the next call reopens them. Default: nothing held."""
        return None

    def forget_results(self) -> None:
        """Forget cached results only, keeping what was read to answer them (a benchmark's warm
        query). Default: reset_for_tests()."""
        self.reset_for_tests()

    def reset_for_tests(self) -> None:
        """Forget what this process keeps between calls (open searchers, cached results), so the
        next call reads the index afresh. The indexed documents stay. Default: nothing kept."""
        return None


#: name -> backend class, or "module:Class" imported on first use (an unused backend costs nothing).
_REGISTRY: dict[str, str | type[SearchBackend]] = {
    "whoosh": "portal.search.whoosh:WhooshBackend",
    "postgres": "portal.search.postgres:PostgresBackend",
}


def register_backend(name: str, backend: str | type[SearchBackend]) -> None:
    """Make ``backend`` selectable as ``SEARCH_BACKEND = name``."""
    _REGISTRY[name] = backend


def backend_names() -> list[str]:
    return sorted(_REGISTRY)


def _backend_class(name: str) -> type[SearchBackend]:
    target = _REGISTRY[name]
    if isinstance(target, str):
        module, _, attribute = target.partition(":")
        target = getattr(importlib.import_module(module), attribute)
    return target


def init_app(app: Flask) -> None:
    """Create the configured backend; an unknown name stops the app with one clear line."""
    name = app.config.get("SEARCH_BACKEND") or DEFAULT
    if name not in _REGISTRY:
        choices = ", ".join(backend_names())
        raise UnknownSearchBackend(
            f"未知的搜索后端 SEARCH_BACKEND={name!r}（可选：{choices}）。"
            f" Unknown search backend {name!r}: set PORTAL_SEARCH_BACKEND (or SEARCH_BACKEND) to one of: {choices}.")
    app.extensions[EXTENSION] = _backend_class(name)(app)


def get_backend(app: Flask | None = None) -> SearchBackend:
    """The backend of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]
