"""The user query syntax: limits, clauses, :func:`parse`."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from portal.search.analysis import fold

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 12
MAX_PAGE = 100
MAX_PER_PAGE = 50
SHORT_CJK = 3  # CJK queries up to this length also match longer indexed words that contain them
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


class QueryError(ValueError):
    """Bad search parameters (shown to the user, or a 400 in the API)."""


@dataclass
class Clause:
    text: str
    phrase: bool = False
    negated: bool = False


@dataclass
class ParsedQuery:
    groups: list[list[Clause]] = field(default_factory=list)  # AND of OR-groups
    excluded: list[Clause] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups

    def positive_texts(self) -> list[str]:
        return [c.text for g in self.groups for c in g]


def clean(raw: str) -> tuple[str, list[str]]:
    notes = []
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in (raw or ""))
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"查询过长，只使用了前 {MAX_QUERY_CHARS} 个字符。")
    if "*" in text or "?" in text or "？" in text:
        text = text.replace("*", " ").replace("?", " ").replace("？", " ")
        notes.append("不支持通配符（* 和 ?），已忽略。")
    return fold(text).strip(), notes


def parse(raw: str) -> ParsedQuery:
    text, notes = clean(raw)
    parsed = ParsedQuery(notes=notes)
    pending_or = False
    for token in _TOKEN.findall(text):
        negated = token.startswith("-")
        body = token[1:] if negated else token
        if body == "OR" and not negated:
            pending_or = bool(parsed.groups)
            continue
        phrase = body.startswith('"')
        body = body.strip('"').strip()
        if not body or not any(ch.isalnum() for ch in body):
            continue
        clause = Clause(body, phrase=phrase, negated=negated)
        if negated:
            parsed.excluded.append(clause)
        elif pending_or:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        pending_or = False
        if len(parsed.groups) + len(parsed.excluded) >= MAX_CLAUSES:
            parsed.notes.append(f"查询词过多，只使用了前 {MAX_CLAUSES} 个。")
            break
    return parsed
