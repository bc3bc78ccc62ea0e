"""BENCHMARK BASELINE: the index layout before the benchmark-driven changes, for
``search_bench.py --compare`` (bench/baseline_query.py searches an index built with it).

Before: title, summary, body and meta were four separately indexed text fields (field boosts
3, 1.5, 1, 1.5) and there was no combined `all` field. The analyzers are today's
(portal.search.analysis), so the comparison isolates the schema and query changes.
"""
from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from portal.search.analysis import FIELD_SEP, CharAnalyzer, ChineseAnalyzer


def build_schema() -> Schema:
    text = ChineseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        stamp=STORED(),
        title=TEXT(analyzer=text, stored=True, field_boost=3.0),
        summary=TEXT(analyzer=text, stored=True, field_boost=1.5),
        body=TEXT(analyzer=text, stored=True),
        meta=TEXT(analyzer=text, field_boost=1.5),
        chars=TEXT(analyzer=CharAnalyzer()),
        published=DATETIME(stored=True, sortable=True),
        theme=KEYWORD(stored=True, commas=True),
        province=ID(stored=True),
        year=ID(stored=True),
        community_type=ID(stored=True),
        org_type=ID(stored=True),
        organization=STORED(),
        session=KEYWORD(stored=True, commas=True),
    )


def old_document(doc: dict) -> dict:
    """Today's case_document() output in the old layout: `meta` instead of `all`."""
    old = {k: v for k, v in doc.items() if k != "all"}
    old["meta"] = doc["all"].split(FIELD_SEP)[4]
    return old
