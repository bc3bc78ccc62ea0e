"""Similar cases: published cases sharing a case's most distinctive terms."""
from __future__ import annotations

from whoosh import classify
from whoosh import query as Q

from portal.search.documents import term_counts
from portal.search.results import Hit, document_hit
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
        q = Q.Or([Q.Term(field, word, boost=weight) for word, weight in keys]
                 + [Q.Term("theme", t) for t in stored.get("theme", "").split(",") if t])
        results = searcher.search(q, limit=limit + 1, mask=Q.Term("id", str(case_id)))
        # A hit's stored fields can be None when another process's writer deleted the case
        # while this searcher read it (seen under four gunicorn workers): skip such a hit.
        return [document_hit(fields, []) for h in results if (fields := h.fields())][:limit]


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
