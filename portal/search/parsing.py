"""The user query syntax: limits, clauses, :func:`parse`."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _

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

    @property
    def plain(self) -> bool:
        """Words and nothing else (no OR, "phrase" or -exclusion): the query for which cases
        holding most, not all, of its words are worth showing after the strict results (a single
        clause counts when the segmenter splits it into several words: 老人吃饭难)."""
        return bool(self.groups) and not self.excluded and all(
            len(g) == 1 and not g[0].phrase for g in self.groups)


def _without_controls(raw: str) -> tuple[str, bool]:
    """The text with format characters dropped and other control characters made spaces, and
    whether it held a real control character (NUL, ESC; not a tab or a line break)."""
    chars, control = [], False
    for ch in raw:
        category = unicodedata.category(ch)
        if category == "Cf":  # zero-width and other format characters: drop, keep the word whole
            continue
        if category[0] == "C":  # control, surrogate, private-use, unassigned: a word break
            control = control or (category == "Cc" and ch not in "\t\n\r")
            ch = " "
        chars.append(ch)
    return "".join(chars), control


def printable(raw: str) -> str:
    """The query as a page may echo it (search box, title, links): what the search read."""
    return _without_controls(raw or "")[0].strip()


def clean(raw: str) -> tuple[str, list[str]]:
    notes = []
    raw = (raw or "")[:MAX_QUERY_CHARS * 5]  # the rest is cut anyway: no work for a huge query
    text, control = _without_controls(raw)
    if control:
        notes.append(_("已忽略查询中的控制字符。"))
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(_("查询过长，只使用了前 %(n)d 个字符。", n=MAX_QUERY_CHARS))
    if "*" in text or "?" in text or "？" in text:
        text = text.replace("*", " ").replace("?", " ").replace("？", " ")
        notes.append(_("不支持通配符（* 和 ?），已忽略。"))
    return fold(text).strip(), notes


def parse(raw: str) -> ParsedQuery:
    text, notes = clean(raw)
    parsed = ParsedQuery(notes=notes)
    pending_or = stray_or = False
    for token in _TOKEN.findall(text):
        negated = token.startswith("-")
        body = token[1:] if negated else token
        if body == "OR" and not negated:
            pending_or = bool(parsed.groups)
            stray_or = stray_or or not pending_or
            continue
        phrase = body.startswith('"')
        body = body.strip('"').strip()
        if not body or not any(ch.isalnum() for ch in body):
            continue
        if sum(len(g) for g in parsed.groups) + len(parsed.excluded) >= MAX_CLAUSES:
            # Counted over every clause, OR alternatives included: each costs a look-up per
            # synonym (100 OR terms took ten times as long as a normal query).
            parsed.notes.append(_("查询词过多，只使用了前 %(n)d 个。", n=MAX_CLAUSES))
            break
        clause = Clause(body, phrase=phrase, negated=negated)
        if negated:
            parsed.excluded.append(clause)
        elif pending_or:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        pending_or = False
    if parsed.empty and not parsed.excluded and text and not any(ch.isalnum() for ch in text):
        parsed.notes.append(_("查询中没有可以搜索的文字（只有标点或符号），以下显示全部案例。"))
    elif parsed.empty and not parsed.excluded and stray_or:
        parsed.notes.append(_("OR 要写在两个词语之间（例如：养老 OR 助餐），以下显示全部案例。"))
    return parsed
