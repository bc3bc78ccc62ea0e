"""Searching: user query syntax -> Whoosh query, facets, highlights, similar cases.

Syntax: words are ANDed; "quoted phrases"; -word excludes; OR between two items makes them
alternatives. Wildcards are not supported (they are removed), and the work per query is
bounded (query length, number of terms, OR alternatives included, pages). A plain multi-word
query (no OR, phrase or exclusion) with fewer than PARTIAL_BELOW results is followed by the cases
holding most of its words (SearchResult.partial, each Hit naming its missing words).
"""
from __future__ import annotations

from portal.search.highlights import best_passages, highlight_terms, mark
from portal.search.parsing import (
    MAX_CLAUSES,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY_CHARS,
    SHORT_CJK,
    Clause,
    ParsedQuery,
    QueryError,
    clean,
    parse,
)
from portal.search.results import PARTIAL_BELOW, Hit, SearchResult
from portal.search.service import reset_for_tests as _reset_for_tests
from portal.search.service import search, similar, warm
from portal.search.whoosh.matching import _lexicon

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_CLAUSES",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "PARTIAL_BELOW",
    "SHORT_CJK",
    "QueryError",
    "Clause",
    "ParsedQuery",
    "clean",
    "parse",
    "_lexicon",
    "warm",
    "_reset_for_tests",
    "Hit",
    "SearchResult",
    "search",
    "highlight_terms",
    "mark",
    "best_passages",
    "similar",
]
