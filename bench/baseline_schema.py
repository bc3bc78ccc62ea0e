"""BENCHMARK BASELINE: the index layout before the benchmark-driven changes, for
``search_bench.py --compare`` (bench/baseline_query.py searches an index built with it).

Before: title, summary, body and meta were four separately indexed text fields (field boosts
3, 1.5, 1, 1.5) and there was no combined `all` field. The analyzers are today's
(portal.search.whoosh.analysis), so the comparison isolates the schema and query changes.
"""
from __future__ import annotations

import unicodedata

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from portal.search.analysis import FIELD_SEP, fold
from portal.search.whoosh.analysis import ChineseAnalyzer

# The `chars` field of the old layout: every character of the text with its position, so that
# a phrase of characters found substrings the segmenter splits differently. It cost 42 % of the
# index size and 1.8x the build time; the application now scans the word list instead.

def char_grams(text: str) -> list[tuple[str, int, int, int]]:
    """Single CJK characters and whole Latin/digit runs, with sequential positions: a
    phrase of characters then finds any substring, even one the dictionary splits
    differently (五社 inside 五社联动, 站 inside 社工站)."""
    folded = fold(text)
    out = []
    append = out.append
    pos = 0
    i, n = 0, len(folded)
    while i < n:
        ch = folded[i]
        if "\u4e00" <= ch <= "\u9fff":  # CJK ideographs (letters), the common case, first
            append((ch, pos, i, i + 1))
            pos += 1
        elif ch.isascii() and ch.isalnum():
            j = i
            while j < n and folded[j].isascii() and folded[j].isalnum():
                j += 1
            append((folded[i:j].lower(), pos, i, j))
            pos += 1
            i = j
            continue
        elif ch.isalnum() and unicodedata.category(ch).startswith("L"):
            append((ch, pos, i, i + 1))
            pos += 1
        elif ch.isdigit():
            append((ch, pos, i, i + 1))
            pos += 1
        i += 1
    return out


class CharTokenizer(Tokenizer):
    def __eq__(self, other):
        return isinstance(other, CharTokenizer)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for term, pos, start, end in char_grams(value):
            t.text = term
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t

    def term_positions(self, value: str, mode: str = "") -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for term, pos, _start, _end in char_grams(value):
            out.setdefault(term, []).append(pos)
        return out


def build_schema() -> Schema:
    text = ChineseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        stamp=STORED(),
        title=TEXT(analyzer=text, stored=True, field_boost=3.0),
        summary=TEXT(analyzer=text, stored=True, field_boost=1.5),
        body=TEXT(analyzer=text, stored=True),
        meta=TEXT(analyzer=text, field_boost=1.5),
        chars=TEXT(analyzer=CharTokenizer()),
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
    """Today's case_document() output in the old layout: `meta` instead of `all`, plus `chars`."""
    old = {k: v for k, v in doc.items() if k != "all"}
    old["meta"] = doc["all"].split(FIELD_SEP)[4]
    old["chars"] = "\n".join([doc["title"], doc["summary"], doc["body"], old["meta"]])
    return old
