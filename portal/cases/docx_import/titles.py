"""Headings, title, summary: which paragraphs are headings, the title and the summary."""
from __future__ import annotations

import re

from portal.cases.docx_import.body import _Para
from portal.cases.docx_import.common import HEADING_MAX_CHARS, SUMMARY_MAX_CHARS, TITLE_FALLBACK_MAX_CHARS
from portal.cases.docx_import.headings import (
    _ALL_KEYWORDS,
    _BRACKETED_RE,
    _CHINESE_NUMBERING,
    _INNER_PUNCT_RE,
    _NUMBERING_LEVELS,
    _SENTENCE_END,
    _SUMMARY_HEADINGS,
    _SUMMARY_INLINE_RE,
    _TRAILING_COLON_RE,
    _heading_core,
    _nfkc,
    _split_numbering,
    match_section,
)

# --------------------------------------------------------------------------------------------
# Headings, title, summary

def _heading_level(para: _Para) -> int | None:
    """Heading level (smaller = higher) if ``para`` is a heading, else None.

    Levels: styles give 1..9 (Title 0); "一、"/"第一部分" 1, "（一）" 2, "1." 3, "（1）" 4;
    an un-numbered bold or keyword-only line is 9 ("some sub-heading").
    """
    if para.style_level is not None:
        return max(para.style_level, 1) if para.style_level == 0 else para.style_level
    text = para.plain
    if not text or len(text) > HEADING_MAX_CHARS or "\n" in text:
        return None
    norm = _nfkc(text).strip()
    if norm.endswith(_SENTENCE_END):
        return None
    kind, rest = _split_numbering(norm)
    rest = rest.strip()
    if para.is_list:
        # Auto-numbered lists are often used for headings: accept only bold keyword lines.
        if match_section(text) and (para.all_bold or _is_keyword_line(norm)):
            return _NUMBERING_LEVELS.get(kind, 9) if kind else 9
        return None
    if kind is not None and rest:
        if kind in _CHINESE_NUMBERING:
            return _NUMBERING_LEVELS[kind]
        # "1. xxx" is just as often a list item in the text; require more evidence.
        if para.all_bold or match_section(rest):
            return _NUMBERING_LEVELS[kind]
        return None
    if _BRACKETED_RE.match(norm) and match_section(norm):
        return 9
    if para.all_bold:
        return 9
    if _is_keyword_line(norm) and match_section(norm):
        return 9
    return None


def _is_keyword_line(norm: str) -> bool:
    """A very short un-formatted line that reads like a heading: "主要做法：" or "项目背景".

    It must end with a colon or with a section keyword, so that "背景内容" or "成效显著"
    stay ordinary text.
    """
    core = _TRAILING_COLON_RE.sub("", norm)
    if not 0 < len(core) <= 10 or _INNER_PUNCT_RE.search(core):
        return False
    if core != norm.rstrip():
        return True
    compact = re.sub(r"\s+", "", core)
    return compact.endswith(_ALL_KEYWORDS) or compact in _SUMMARY_HEADINGS


def _strip_heading(text: str) -> str:
    return _TRAILING_COLON_RE.sub("", " ".join(text.split()))


def _is_summary_heading(para: _Para) -> bool:
    return len(para.plain) <= 12 and _heading_core(para.plain) in _SUMMARY_HEADINGS


def _inline_summary(para: _Para) -> str | None:
    m = _SUMMARY_INLINE_RE.match(para.plain)
    if not m:
        return None
    return m.group("rest").strip()


def _trim_summary(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > SUMMARY_MAX_CHARS:
        text = text[: SUMMARY_MAX_CHARS - 1].rstrip() + "…"
    return text


def _fallback_title_ok(para: _Para) -> bool:
    text = para.plain
    if not text or len(text) > TITLE_FALLBACK_MAX_CHARS or "\n" in text or para.is_list:
        return False
    norm = _nfkc(text).strip()
    if norm.endswith(_SENTENCE_END) or _split_numbering(norm)[0] is not None:
        return False
    if match_section(text) or _is_summary_heading(para) or _inline_summary(para) is not None:
        return False
    return True
