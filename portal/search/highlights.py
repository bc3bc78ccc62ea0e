"""Highlights: the words to mark and the best passages of a text."""
from __future__ import annotations

from markupsafe import Markup, escape

from portal.search import synonyms
from portal.search.analysis import fold, segment
from portal.search.parsing import ParsedQuery
from portal.search.planning import whole_only

# Highlights -------------------------------------------------------------------------------------

def highlight_terms(parsed: ParsedQuery) -> list[str]:
    """Strings to mark in snippets: the words as typed, their synonyms and their segmented parts."""
    terms: set[str] = set()
    for text in parsed.positive_texts():
        for variant in synonyms.expand(text):
            compact = variant.strip()
            if compact:
                terms.add(compact.lower())
            parts = [term for term, _p, _s, _e in segment(variant, search=False)]
            # An expansion (or a word with expansions) of words and a lone character is matched
            # only whole (为老服务: planning.whole_only), so its 服务 alone matched nothing. A lone
            # word without expansions is searched part by part (老人吃饭难), and its parts are marked.
            if whole_only(parts) and (variant.lower() != text.lower() or text.lower() in synonyms.table()):
                continue
            for term in parts:
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


def _word_edge(text: str, at: int, step: int, most: int = 12) -> int:
    """``at`` moved out of a run of Latin letters or digits (755 cut to "75…", a word cut in
    two), by at most ``most`` characters: backwards for a start (step -1), forwards for an end."""
    def inside(i: int) -> bool:
        return 0 < i < len(text) and all(c.isascii() and c.isalnum() for c in (text[i - 1], text[i]))
    for _ in range(most):
        if not inside(at):
            break
        at += step
    return at


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
        start = _word_edge(text, max(0, s - width // 4), -1)
        end = _word_edge(text, min(len(text), start + width), 1)
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
