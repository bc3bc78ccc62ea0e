"""Search results as every backend returns them: :class:`SearchResult` and its :class:`Hit` s,
and the rules a backend follows to fill them (facet order, when partial matches are shown)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from portal.search.highlights import best_passages, mark
from portal.search.parsing import ParsedQuery


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
    missing: list[str] = field(default_factory=list)  # a partial hit: the query words it lacks


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    notes: list[str]
    terms: list[str]
    # Cases holding most but not all words of a plain multi-word query, shown after the strict
    # results (which are never mixed with them) when those are fewer than PARTIAL_BELOW.
    partial: list[Hit] = field(default_factory=list)
    # When nothing at all matched: queries to try instead (a word replaced by a close indexed word).
    suggestions: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# Fewer strict results than this: the closest partial matches follow them on the last page (a
# page's worth: strict AND alone found only 62 % of the clearly relevant stories in the top 50
# of the judged benchmark, bench/relevance.py).
PARTIAL_BELOW = 50


def document_hit(stored: dict, terms: list[str]) -> Hit:
    """A hit from a stored search document (see portal.search.documents), its title and best
    passages marked with ``terms``."""
    body, summary, title = stored.get("body", ""), stored.get("summary", ""), stored.get("title", "")
    highlights = best_passages(body, terms) or best_passages(summary, terms, count=1)
    return Hit(
        id=int(stored["id"]), title=title, summary=summary, highlights=highlights,
        title_html=mark(title, terms) if terms else Markup(escape(title)),
        themes=[t for t in stored.get("theme", "").split(",") if t], province=stored.get("province", ""),
        organization=stored.get("organization", ""), published_at=stored.get("published"),
        year=stored.get("year", ""),
    )


def ordered_facets(counts: Mapping[str, Counter]) -> dict[str, list[tuple[str, int]]]:
    """{facet: [(value, count)]} as shown: most frequent first (then by value), years newest first."""
    out = {}
    for name, bucket in counts.items():
        items = sorted(bucket.items(), key=lambda kv: (-kv[1], kv[0]))
        if name == "year":
            items = sorted(bucket.items(), key=lambda kv: kv[0], reverse=True)
        out[name] = items
    return out


def wants_partial(parsed: ParsedQuery, total: int, page: int, per_page: int) -> bool:
    """Whether a result also lists partial matches: a plain multi-word query with fewer than
    PARTIAL_BELOW strict results, on its last page of strict results."""
    return parsed.plain and total < PARTIAL_BELOW and page == max(1, -(-total // per_page))
