"""Search results as every backend returns them: :class:`SearchResult` and its :class:`Hit` s,
and the rules a backend follows to fill them (facet order, when partial matches are shown)."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from portal.search.analysis import fold
from portal.search.highlights import best_passages, mark
from portal.search.parsing import ParsedQuery
from portal.search.planning import strongest


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
    # Cases like the best strict results (pseudo-relevance feedback, see feedback_terms) filling
    # the last page after the strict and partial ones, when the query found few.
    related: list[Hit] = field(default_factory=list)

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


# Related cases (pseudo-relevance feedback) --------------------------------------------------------
#
# When a plain query finds fewer than PARTIAL_BELOW cases, the words of its best results find
# more: the judged stories of 低保 that say 最低生活保障, those of 乡村医生 that say 村卫生室.
# Rocchio's feedback with tf-idf weights (Salton & Buckley 1990; RM3 and Terrier's Bo1 are the
# same idea): the FEEDBACK_DOCS best strict results, each word's share of each one's words
# averaged, times its idf; the FEEDBACK_TERMS best words, each weighted by that (the best 1),
# rank every other case within the filters by BM25, those scoring at least RELATED_SHARE of the
# least of the feedback results' own scores (a case sharing one common word with them is not
# like them). Such cases only fill the last page after the
# strict and partial matches, so they never move a result that holds the query's words
# (bench/relevance.py: recall@50 of the clearly relevant +0.034, nDCG@10 and P@5 unchanged).

FEEDBACK_DOCS = 10
FEEDBACK_TERMS = 20
RELATED_SHARE = 0.5
FEEDBACK_CANDIDATES = 100  # per query, the words read for their idf: the most frequent in the feedback


def related_wanted(parsed: ParsedQuery, sort: str, total: int, page: int, per_page: int, shown: int) -> int:
    """How many related cases a result lists (0: none): for a plain query sorted by relevance
    with at least one and fewer than PARTIAL_BELOW strict results, on its last page of them,
    the room left on that page by the ``shown`` strict and partial hits."""
    if not parsed.plain or sort != "relevance" or not 0 < total < PARTIAL_BELOW \
            or page != max(1, -(-total // per_page)):
        return 0
    return max(0, per_page - shown)


def feedback_candidates(counts: list[dict[str, int]]) -> dict[str, float]:
    """{word: its share of each feedback document's words, averaged}, for the FEEDBACK_CANDIDATES
    words with the largest (ties: in word order); single characters do not count."""
    pooled: dict[str, float] = {}
    for doc in counts:
        words = {t: n for t, n in doc.items() if len(t) > 1}
        size = sum(words.values())
        for t, n in words.items():
            pooled[t] = pooled.get(t, 0.0) + n / size / len(counts)
    best = sorted(pooled, key=lambda t: (-pooled[t], t))[:FEEDBACK_CANDIDATES]
    return {t: pooled[t] for t in best}


def feedback_terms(pooled: dict[str, float], n: int, df: Mapping[str, int]) -> list[tuple[str, float]]:
    """The FEEDBACK_TERMS words of highest pooled share times idf (as BM25 counts it, over n
    documents), with that weight over the largest: [(word, weight in (0, 1])]."""
    weighted = {t: share * idf(n, df.get(t, 0)) for t, share in pooled.items() if df.get(t, 0)}
    best = sorted(weighted, key=lambda t: (-weighted[t], t))[:FEEDBACK_TERMS]
    top = weighted[best[0]] if best else 1.0
    return [(t, weighted[t] / top) for t in best]


def idf(n: int, df: int) -> float:
    """BM25's idf as Whoosh's BM25F scorer computes it: log(N / (df + 1)) + 1."""
    return math.log(n / (df + 1)) + 1 if n else 1.0


# Reranking the best results by where the query's words stand ---------------------------------------
#
# BM25 counts how often a word occurs, not where. In news and case write-ups a text is about what
# its title names and what its opening says; a long report that mentions the word once, deep in,
# is not. The first RERANK_DEPTH results of each list (the strict results; the partial matches)
# are reordered by their rank plus three signals read from the stored text, the same for every
# backend: how many query words the title holds, how early the text first says them, and how
# densely. Measured on bench/relevance.py (48 judged queries; weights chosen with each query left
# out scored the same): nDCG@10 0.770 -> 0.781; each signal alone helps less.

RERANK_DEPTH = 30  # (20: 0.790, 30 and 50: 0.791, 100: 0.791)
TITLE_WEIGHT = 3.0  # all query words in the title
EARLY_WEIGHT = 1.5  # all query words at the very start of the text
DENSITY_WEIGHT = 0.25  # times log(1 + weighted occurrences per 1,000 characters)


def rerank(docs: list[dict], groups, tiers: list | None = None) -> list[int]:
    """The new order of ``docs`` (stored search documents, best first), as their indexes: the
    first RERANK_DEPTH each score -log(rank + 2) plus the weighted signals above, the others
    keep their place; ``groups`` are the query's OR-groups of variants (planning.Plan.groups), a
    variant counting its weight relative to the group's strongest. With ``tiers`` (a sortable
    key per document, in order: the partial matches' words held), documents move only within
    their tier."""
    head = range(min(len(docs), RERANK_DEPTH))
    if groups and len(head) > 1:
        words = [[(v.weight / strongest(group), list(dict.fromkeys(v.terms))) for v in group] for group in groups]
        # Folding the stored text costs more than the rest together; only Latin letters and
        # digits have full-width forms to fold (the query's words are folded already).
        latin = any(ch.isascii() and ch.isalnum() for group in words for _w, terms in group for t in terms for ch in t)
        signals = [_signals(docs[i], words, latin) - math.log(i + 2) for i in head]
        head = sorted(head, key=lambda i: (tiers[i] if tiers else 0, -signals[i], i))
    return [*head, *range(len(head), len(docs))]


def _signals(doc: dict, words: list[list[tuple[float, list[str]]]], latin: bool) -> float:
    title, text = doc.get("title", ""), doc.get("summary", "") + "\n" + doc.get("body", "")
    if latin:
        title, text = fold(title).lower(), fold(text).lower()
    size = len(text) or 1
    in_title = early = occurrences = 0.0
    for group in words:
        best_title, first = 0.0, 1.0
        for weight, terms in group:
            if all(t in title for t in terms):
                best_title = max(best_title, weight)
            where = [text.find(t) for t in terms]
            if min(where) >= 0:
                first = min(first, max(where) / size)
                occurrences += weight * min(text.count(t) for t in terms)
        in_title += best_title
        early += 1 - first
    n = len(words)
    return (TITLE_WEIGHT * in_title / n + EARLY_WEIGHT * early / n
            + DENSITY_WEIGHT * math.log1p(occurrences * 1000 / size))
