"""The Whoosh schema of the case index (the documents themselves: portal.search.documents)."""
from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from portal.search.whoosh.analysis import FieldsAnalyzer, TermPositions

#: The indexed text of a case: title (twice, which is its boost), summary, body and meta (themes,
#: tags, organization, places, sessions), joined by FIELD_SEP. One field instead of four: a
#: word's documents and BM25 weight come from one posting list, not four.
TEXT_FIELD = "all"
SEARCH_FIELDS = (TEXT_FIELD,)
#: The four separately indexed text fields of indexes built before TEXT_FIELD existed; queries
#: still work on such an index (until `flask search reindex` rebuilds it).
LEGACY_SEARCH_FIELDS = ("title", "summary", "body", "meta")


def _text(analyzer) -> TEXT:
    field = TEXT(analyzer=analyzer)
    field.format = TermPositions(field_boost=field.format.field_boost)
    return field


def build_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        stamp=STORED(),  # content fingerprint, compared by `search check`
        title=STORED(),
        summary=STORED(),
        body=STORED(),
        all=_text(FieldsAnalyzer()),  # see TEXT_FIELD
        published=DATETIME(stored=True, sortable=True),
        # Facet values (read once per segment from their postings, for fast counting).
        theme=KEYWORD(stored=True, commas=True),
        province=ID(stored=True),
        year=ID(stored=True),
        community_type=ID(stored=True),
        org_type=ID(stored=True),
        organization=STORED(),
        session=KEYWORD(stored=True, commas=True),
        # Published awards (portal.calls). An index built before this field keeps working without
        # the facet (its writer drops fields it lacks) until `search reindex`.
        award=KEYWORD(stored=True, commas=True),
        # The case's own words and their counts (documents.own_terms), for similar cases. An
        # index built before this field existed still works: similar() segments the stored text
        # instead, and `search check` lists its cases as stale until `search reindex`.
        terms=STORED(),
    )
