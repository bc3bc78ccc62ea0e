"""Full-text search of published cases: everything the rest of the app calls.

* :func:`search` (with :func:`read_params` for a query string), :func:`facets`, :func:`similar`;
* the user query syntax: :func:`parse`, :class:`Clause`, :class:`QueryError` (also used by the
  session search, which runs the same syntax as SQL);
* for operators (`flask search ...`): :func:`reindex`, :func:`check`; the outbox drain is
  portal.search.sync;
* :func:`warm` and :func:`reset_for_tests` for this process's caches.

Syntax: words are ANDed; "quoted phrases"; -word excludes; OR between two items makes them
alternatives. Wildcards are not supported (they are removed), and the work per query is
bounded (query length, number of terms, OR alternatives included, pages). A plain multi-word
query (no OR, phrase or exclusion) with fewer than PARTIAL_BELOW results is followed by the cases
holding most of its words (SearchResult.partial, each Hit naming its missing words).

Which index answers is configuration (SEARCH_BACKEND, see portal.search.backend); nothing here
or in the callers depends on it.
"""
from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.search.backend import CheckReport, IndexBusy, SearchRequest, get_backend
from portal.search.documents import FACETS, case_document
from portal.search.parsing import MAX_PAGE, MAX_PER_PAGE, Clause, ParsedQuery, QueryError, parse
from portal.search.planning import compound_parts
from portal.search.results import PARTIAL_BELOW, Hit, SearchResult

__all__ = [
    "FACETS",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "PARTIAL_BELOW",
    "CheckReport",
    "Clause",
    "Hit",
    "IndexBusy",
    "ParsedQuery",
    "QueryError",
    "SearchResult",
    "check",
    "facets",
    "parse",
    "published_cases",
    "published_count",
    "read_params",
    "reindex",
    "reset_for_tests",
    "search",
    "similar",
    "similar_cache",
    "similar_ids",
    "warm",
]


# Reading ---------------------------------------------------------------------------------------

def _filters(filters: Mapping[str, str] | None) -> dict[str, str]:
    filters = {k: v for k, v in (filters or {}).items() if v}
    for name in filters:
        if name not in FACETS:
            raise QueryError(_("未知的筛选项：%(name)s", name=name))
    return filters


def search(q: str = "", filters: Mapping[str, str] | None = None, sort: str = "relevance",
           page: int = 1, per_page: int = 10) -> SearchResult:
    """A page of published cases for the query ``q`` within the facet ``filters``. Raises
    QueryError for parameters out of range (shown to the user, a 400 in the API)."""
    filters = _filters(filters)
    if sort not in ("relevance", "newest"):
        raise QueryError(_("排序方式只能是 relevance 或 newest"))
    if not (1 <= per_page <= MAX_PER_PAGE):
        raise QueryError(_("每页数量须在 1 到 %(n)d 之间", n=MAX_PER_PAGE))
    if page < 1:
        raise QueryError(_("页码须为正整数"))
    parsed = parse(q)
    notes = list(parsed.notes)
    capped = page > MAX_PAGE
    page = min(page, MAX_PAGE)
    result = get_backend().search(SearchRequest(q=q, parsed=parsed, filters=filters, sort=sort, page=page,
                                                per_page=per_page, notes=notes))
    if not result.total and not result.partial and page == 1 and parsed.plain:
        result = _closest_through_parts(result, parsed, filters, sort, per_page)
    if capped and result.pages > MAX_PAGE:  # (past the last page of fewer, the page says so itself)
        # (a copy: a backend may keep the result it returned in its cache)
        result = dataclasses.replace(result, notes=[*result.notes, _("最多显示前 %(n)d 页结果。", n=MAX_PAGE)])
    return result


def _closest_through_parts(result: SearchResult, parsed: ParsedQuery, filters: dict[str, str], sort: str,
                           per_page: int) -> SearchResult:
    """Nothing holds a plain query's compound word (居家养老) and nothing comes close: the cases
    holding its parts (居家 … 养老), shown as the closest results, each naming the whole word it
    lacks. Never an empty page when the parts are there (issue 11); the same on every backend."""
    words = [group[0].text for group in parsed.groups]
    parts = {word: compound_parts(word) for word in words}
    split = [word for word in words if parts[word]]
    if not split:
        return result
    q = " ".join(" ".join(parts[word]) if parts[word] else word for word in words)
    other = get_backend().search(SearchRequest(q=q, parsed=parse(q), filters=filters, sort=sort, page=1,
                                               per_page=per_page, notes=[]))
    found = [dataclasses.replace(hit, missing=[*split, *hit.missing]) for hit in [*other.hits, *other.partial]]
    if not found:
        return result
    return dataclasses.replace(result, partial=found[:per_page], terms=other.terms, suggestions=[])


def read_params(args) -> dict:
    """Search parameters from a query string; raises QueryError for malformed numbers."""
    def number(name, default):
        raw = args.get(name, "")
        if raw == "":
            return default
        if not raw.isdecimal():  # not isdigit(): int() rejects "²" and "①"
            raise QueryError(_("参数 %(name)s 须为正整数", name=name))
        return int(raw[:6])

    return {
        "q": args.get("q", ""),
        # (An award value is "<call title> · <level>": up to 183 characters.)
        "filters": {name: args.get(name, "").strip()[:200] for name in FACETS if args.get(name, "").strip()},
        "sort": args.get("sort", "relevance") or "relevance",
        "page": number("page", 1),
        "per_page": number("per_page", 10),
    }


def facets(filters: Mapping[str, str] | None = None) -> dict[str, list[tuple[str, int]]]:
    """{facet: [(value, count)]} over every published case (within ``filters``)."""
    return get_backend().facets(_filters(filters))


class SimilarCache:
    """Similar-case ids of this process (each gunicorn worker has its own), one list per (case,
    limit), each valid for the index generation it was computed on (backend.generation(), which
    any process's index commit changes): after an index change a list is recomputed on its next
    use. At most ``size`` lists (a few hundred bytes each), least recently used dropped first."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[tuple[int, int], tuple[Hashable, tuple[int, ...]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[int, int], generation: Hashable) -> list[int] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] != generation:
                return None
            self.entries.move_to_end(key)
            return list(entry[1])

    def put(self, key: tuple[int, int], generation: Hashable, ids: list[int]) -> None:
        with self.lock:
            if self.size <= 0:
                self.entries.clear()
                return
            self.entries[key] = (generation, tuple(ids))
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def similar_cache() -> SimilarCache:
    """The current app's cache of similar-case ids in this process."""
    app = current_app._get_current_object()
    cache = app.extensions.get("portal_similar_cache")
    if cache is None:
        cache = app.extensions.setdefault("portal_similar_cache", SimilarCache(app.config["SEARCH_SIMILAR_CACHE"]))
    cache.size = app.config["SEARCH_SIMILAR_CACHE"]  # a changed setting applies from the next list
    return cache


def similar(case_id: int, limit: int = 5) -> list[Hit]:
    """Published cases sharing the case's most distinctive terms (not just its themes), as the
    index holds them (computed on each call; the case page uses :func:`similar_ids`)."""
    return get_backend().similar(case_id, limit)


def similar_ids(case_id: int, limit: int = 5) -> list[int]:
    """The ids of :func:`similar`, most similar first, from this process's cache while the index
    is unchanged. As indexed: a case unpublished a moment ago may still be among them until the
    outbox reaches the index, so callers show only those published now."""
    backend = get_backend()
    try:
        generation = backend.generation()  # read before computing: a later change is never hidden
    except Exception:  # e.g. the index directory swapped while listed: just don't cache this one
        generation = None
    cache = similar_cache()
    key = (case_id, limit)
    if generation is not None and (cached := cache.get(key, generation)) is not None:
        return cached
    ids = [hit.id for hit in backend.similar(case_id, limit)]
    if generation is not None:
        cache.put(key, generation, ids)
    return ids


# Operators ---------------------------------------------------------------------------------------

def published_cases():
    """The published cases, in id order, with what their documents need loaded."""
    from portal.cases.models import Case, CaseStatus

    return (select(Case).where(Case.status == CaseStatus.PUBLISHED).order_by(Case.id)
            .options(selectinload(Case.themes), selectinload(Case.tags), selectinload(Case.org)))


def published_count() -> int:
    from portal.cases.models import Case, CaseStatus

    return db.session.scalar(select(func.count()).select_from(Case).where(Case.status == CaseStatus.PUBLISHED)) or 0


def _published_documents(progress: Callable[[int], object] | None) -> Iterator[dict]:
    for case in db.session.scalars(published_cases()).yield_per(500):
        yield case_document(case)
        if progress is not None:
            progress(1)


def reindex(workers: int = 2, progress: Callable[[int], object] | None = None) -> int:
    """Rebuild the index from the published cases (searches keep working meanwhile; see
    SearchBackend.rebuild). ``progress(1)`` is called after each case. Returns how many were
    indexed. Changes made meanwhile wait in the outbox: drain it afterwards (sync.drain)."""
    return get_backend().rebuild(_published_documents(progress), workers=workers)


def check() -> CheckReport:
    """The index compared with the published cases in the database."""
    expected = {str(c.id): case_document(c)["stamp"] for c in db.session.scalars(published_cases())}
    return get_backend().check(expected)


# This process ------------------------------------------------------------------------------------

def warm() -> None:
    """Prepare this process's searcher and caches after an index change (off the request path)."""
    get_backend().warm()


def reset_for_tests() -> None:
    """Forget this process's searchers and cached results (the index itself stays)."""
    get_backend().reset_for_tests()
    similar_cache().clear()
