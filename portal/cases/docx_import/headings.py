"""Heading text -> section (:func:`match_section`)."""
from __future__ import annotations

import re
import unicodedata

# --------------------------------------------------------------------------------------------
# Heading text -> section

# Two tiers: strong keywords decide first ("实施成效" is 成效, not 实施); within a tier the
# keyword that occurs earliest in the heading wins ("做法与成效" -> approach).
_STRONG_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("problems", ("问题与展望", "不足", "展望", "挑战", "困难", "下一步", "存在问题", "存在的问题")),
    ("background", ("背景", "缘起", "基本情况", "项目概况", "问题提出", "问题的提出", "概况", "简介")),
    ("approach", ("做法", "措施", "举措", "服务内容", "主要工作")),
    ("outcomes", ("成效", "成果", "效果", "成绩")),
    ("lessons", ("经验", "启示", "体会", "启发")),
)
_WEAK_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("approach", ("实施", "过程", "路径", "方法")),
    ("outcomes", ("影响",)),
    ("lessons", ("反思", "思考")),
)

_ALL_KEYWORDS = tuple(kw for tier in (_STRONG_KEYWORDS, _WEAK_KEYWORDS) for _, kws in tier for kw in kws)

_CN_DIGITS = "一二三四五六七八九十百零〇两"
# Applied to NFKC-normalised text, so full-width （）．：１ are already ASCII here.
_NUMBERING_RE = re.compile(
    r"^\s*(?:"
    rf"(?P<part>第[{_CN_DIGITS}\d]+(?:部分|章|节|篇))"
    rf"|(?P<paren_cn>\([{_CN_DIGITS}]+\))"
    rf"|(?P<cn>[{_CN_DIGITS}]+\s*[、.,，])"
    r"|(?P<paren_num>\(\d+\))"
    r"|(?P<circled>[\u2460-\u2473])"
    r"|(?P<multi>\d+(?:\.\d+)+(?!\d)[、.]?)"
    r"|(?P<num>\d+\s*[、.)](?!\d))"
    r")\s*[、.:]?\s*"
)
_NUMBERING_LEVELS = {
    "part": 1, "cn": 1, "paren_cn": 2, "num": 3, "multi": 3, "paren_num": 4, "circled": 4,
}
_CHINESE_NUMBERING = {"part", "cn", "paren_cn"}
_BRACKETED_RE = re.compile(r"^[【\[](.+)[】\]]$")
_TRAILING_COLON_RE = re.compile(r"[:：\s]+$")
# A line ending like a sentence is content, not a heading.
_SENTENCE_END = tuple("。.！!？?；;，,、")
_SUMMARY_INLINE_RE = re.compile(r"^[【\[]?(?:内容摘要|案例摘要|摘要|提要)[】\]]?\s*[:：]\s*(?P<rest>.*)$", re.S)
_SUMMARY_HEADINGS = {"摘要", "内容摘要", "案例摘要", "提要"}
_INNER_PUNCT_RE = re.compile(r"[，,。.；;！!？?、“”\"'（）()]")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _split_numbering(text: str) -> tuple[str | None, str]:
    """Return (numbering kind or None, text without the numbering) for NFKC text."""
    m = _NUMBERING_RE.match(text)
    if not m:
        return None, text
    kind = next(name for name, value in m.groupdict().items() if value is not None)
    return kind, text[m.end():]


def _heading_core(heading_text: str) -> str:
    """Heading text without numbering, brackets, trailing colons and whitespace (NFKC)."""
    text = _nfkc(heading_text or "").strip()
    for _ in range(2):  # "一、（一）xxx" happens
        kind, text = _split_numbering(text)
        if kind is None:
            break
    m = _BRACKETED_RE.match(text.strip())
    if m:
        text = m.group(1)
    text = re.sub(r"\s+", "", text)
    return text.rstrip(":：")


def match_section(heading_text: str) -> str | None:
    """Map a heading such as "一、项目背景" to a section name, or None."""
    core = _heading_core(heading_text)
    if not core:
        return None
    if "问题" in core and "展望" in core:
        return "problems"
    for tier in (_STRONG_KEYWORDS, _WEAK_KEYWORDS):
        best: tuple[int, str] | None = None
        for section, keywords in tier:
            for keyword in keywords:
                pos = core.find(keyword)
                if pos >= 0 and (best is None or pos < best[0]):
                    best = (pos, section)
        if best is not None:
            return best[1]
    return None
