"""Similar cases: published cases sharing a case's most distinctive terms."""
from __future__ import annotations

import heapq

from whoosh import classify
from whoosh import query as Q

from portal.search.documents import term_counts
from portal.search.results import Hit, document_hit
from portal.search.whoosh.matching import BM25_B, BM25_K1, _field_lengths, _postings
from portal.search.whoosh.schema import TEXT_FIELD
from portal.search.whoosh.searchers import _searchers

# Similar cases ---------------------------------------------------------------------------------

def similar(case_id: int, limit: int = 5) -> list[Hit]:
    """Published cases sharing the case's most distinctive terms (not just its themes)."""
    try:
        return _similar(case_id, limit)
    except Exception:
        # Another process's writer can merge away the segment files this searcher was reading
        # (seen under four gunicorn workers publishing at once): reopen the index and retry once.
        with _searchers.lock:
            if _searchers.searcher is not None:
                _searchers.searcher.close()
            _searchers.searcher = None
        return _similar(case_id, limit)


def _similar(case_id: int, limit: int) -> list[Hit]:
    with _searchers.lock:
        searcher = _searchers.get()
        docnum = searcher.document_number(id=str(case_id))
        if docnum is None:
            return []
        stored = searcher.stored_fields(docnum)
        field = TEXT_FIELD if TEXT_FIELD in searcher.schema else "body"
        keys = _key_terms(searcher, field, stored)
        if not keys:
            return []
        themes = [t for t in stored.get("theme", "").split(",") if t]
        if field == TEXT_FIELD:
            ranked = _ranked(searcher, keys, themes, docnum, limit + 1)
        else:  # an index from before TEXT_FIELD: Whoosh's own query
            q = Q.Or([Q.Term(field, word, boost=weight) for word, weight in keys] + [Q.Term("theme", t) for t in themes])
            ranked = [h.docnum for h in searcher.search(q, limit=limit + 1, mask=Q.Term("id", str(case_id)))]
        # A hit's stored fields can be None when another process's writer deleted the case
        # while this searcher read it (seen under four gunicorn workers): skip such a hit.
        return [document_hit(fields, []) for d in ranked if (fields := searcher.stored_fields(d))][:limit]


def _ranked(searcher, keys: list[tuple[str, float]], themes: list[str], own: int, limit: int) -> list[int]:
    """The ``limit`` best document numbers (not ``own``) for Whoosh's query Or(Term(TEXT_FIELD,
    word, boost=weight) for the key words, Term("theme", t) for the themes), scored the same way
    (BM25F per word times its weight; 1 per shared theme, an unscored field), computed from the
    posting lists as portal.search.whoosh.matching does (the same documents in the same order
    as Whoosh's search at 2,000 generated cases, in a third of the time)."""
    b, k1 = BM25_B, BM25_K1
    avgfl = searcher.avg_field_length(TEXT_FIELD) or 1
    c1, c2 = k1 * (1 - b), k1 * b / avgfl
    idf = {word: searcher.idf(TEXT_FIELD, word) for word, _weight in keys}
    scores: dict[int, float] = {}
    get = scores.get
    for reader, base, cache in _searchers.segments(searcher):
        lengths = None
        for word, weight in keys:
            if (TEXT_FIELD, word) not in reader:
                continue
            if lengths is None:
                lengths = _field_lengths(reader, TEXT_FIELD, cache)
            factor = weight * idf[word] * (k1 + 1)
            ids, weights = _postings(reader, TEXT_FIELD, word, weights=True)
            for doc, w in zip(ids, weights):
                scores[base + doc] = get(base + doc, 0.0) + factor * w / (w + c1 + c2 * lengths[doc])
        for theme in themes:
            if ("theme", theme) in reader:
                ids, weights = _postings(reader, "theme", theme, weights=True)
                for doc, w in zip(ids, weights):
                    scores[base + doc] = get(base + doc, 0.0) + w
    scores.pop(own, None)
    return [doc for _score, doc in heapq.nsmallest(limit, ((-score, doc) for doc, score in scores.items()))]


KEY_TERMS = 12


def _key_terms(searcher, field: str, stored: dict) -> list[tuple[str, float]]:
    """The case's KEY_TERMS most distinctive words with their weights (Whoosh's Bo1 model, as
    Searcher.key_terms_from_text), from the word counts stored at indexing time."""
    counts = term_counts(stored.get("terms"))
    if not counts:  # indexed before documents carried their terms: segment the stored text
        text = " ".join([stored.get("title", "")] * 2 + [stored.get("summary", ""), stored.get("body", "")])
        return searcher.key_terms_from_text(field, text, numterms=KEY_TERMS)
    expander = classify.Expander(searcher.reader(), field)
    expander.add(counts.items())
    return expander.expanded_terms(KEY_TERMS)
