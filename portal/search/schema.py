"""The Whoosh schema of the case index and how a case becomes a document."""
from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from portal.search.analysis import CharAnalyzer, ChineseAnalyzer

#: Facets shown on the search page, in display order: field -> label.
FACETS = {
    "theme": "主题",
    "province": "省份",
    "year": "年份",
    "community_type": "社区类型",
    "org_type": "单位类型",
    "session": "分享会",
}
MULTI_VALUED = frozenset({"theme", "session"})


def build_schema() -> Schema:
    text = ChineseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        stamp=STORED(),  # content fingerprint, compared by `search check`
        title=TEXT(analyzer=text, stored=True, field_boost=3.0),
        summary=TEXT(analyzer=text, stored=True, field_boost=1.5),
        body=TEXT(analyzer=text, stored=True),
        meta=TEXT(analyzer=text, field_boost=1.5),  # themes, tags, organization, places, sessions
        chars=TEXT(analyzer=CharAnalyzer()),  # single characters, for substrings the segmenter splits
        published=DATETIME(stored=True, sortable=True),
        # Facet values (stored: read once per segment into arrays for fast counting).
        theme=KEYWORD(stored=True, commas=True),
        province=ID(stored=True),
        year=ID(stored=True),
        community_type=ID(stored=True),
        org_type=ID(stored=True),
        organization=STORED(),
        session=KEYWORD(stored=True, commas=True),
    )


SEARCH_FIELDS = ("title", "summary", "body", "meta")
