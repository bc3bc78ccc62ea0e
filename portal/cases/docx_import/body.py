"""Walking the body: paragraphs and tables in document order, styles, inline Markdown."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run

# --------------------------------------------------------------------------------------------
# Walking the body

# Containers whose w:r children are part of the visible text of a paragraph.
_RUN_CONTAINERS = ("w:hyperlink", "w:ins", "w:smartTag", "w:fldSimple", "w:sdt", "w:sdtContent",
                   "w:customXml", "w:moveTo", "w:dir", "w:bdo")
# Containers whose w:p / w:tbl children are body blocks.
_BLOCK_CONTAINERS = ("w:sdt", "w:sdtContent", "w:customXml")


def _iter_block_elements(container) -> Iterator:
    """w:p and w:tbl children of a body/cell in document order (content controls unwrapped)."""
    p_tag, tbl_tag = qn("w:p"), qn("w:tbl")
    containers = {qn(name) for name in _BLOCK_CONTAINERS}
    for child in container.iterchildren():
        if child.tag == p_tag or child.tag == tbl_tag:
            yield child
        elif child.tag in containers:
            yield from _iter_block_elements(child)


def _iter_run_elements(element) -> Iterator:
    r_tag = qn("w:r")
    containers = {qn(name) for name in _RUN_CONTAINERS}
    for child in element.iterchildren():
        if child.tag == r_tag:
            yield child
        elif child.tag in containers:
            yield from _iter_run_elements(child)


def _style_bold(style) -> bool | None:
    seen = 0
    while style is not None and seen < 20:
        bold = style.font.bold
        if bold is not None:
            return bold
        style = style.base_style
        seen += 1
    return None


@dataclass
class _Para:
    plain: str              # text, whitespace-trimmed
    markdown: str           # inline Markdown (bold kept)
    style_name: str
    all_bold: bool
    is_list: bool
    style_level: int | None  # heading level from the style / outline level, 0 = Title


@dataclass
class _StyleInfo:
    name: str
    bold: bool | None        # bold set on the style or its base styles
    name_level: int | None   # 0 = Title, n = "Heading n" / "标题 n"
    outline_level: int | None  # w:outlineLvl on the style chain, as 1..9


class _Styles:
    """Style look-ups cached per style id: python-docx resolves them slowly (O(styles))."""

    def __init__(self) -> None:
        self.paragraph: dict[str | None, _StyleInfo] = {}
        self.character: dict[str | None, bool | None] = {}

    def for_paragraph(self, paragraph: Paragraph) -> _StyleInfo:
        key = paragraph._p.style
        info = self.paragraph.get(key)
        if info is None:
            try:
                style = paragraph.style
                name = (style.name or "") if style is not None else ""
            except Exception:
                style, name = None, ""
            info = _StyleInfo(name=name, bold=_safe(_style_bold, style),
                              name_level=_name_level(name),
                              outline_level=_safe(_style_outline_level, style))
            self.paragraph[key] = info
        return info

    def character_bold(self, run: Run) -> bool | None:
        key = run._r.style
        if key is None:
            return None
        if key not in self.character:
            self.character[key] = _safe(lambda: _style_bold(run.style))
        return self.character[key]


def _safe(func, *args):
    try:
        return func(*args)
    except Exception:
        return None


def _read_paragraph(p_el, doc, styles: _Styles) -> _Para:
    paragraph = Paragraph(p_el, doc)
    info = styles.for_paragraph(paragraph)

    segments: list[tuple[str, bool]] = []
    for r_el in _iter_run_elements(p_el):
        run = Run(r_el, paragraph)
        text = run.text
        if not text:
            continue
        bold = _safe(lambda run=run: run.bold)
        if bold is None:
            bold = styles.character_bold(run)
        if bold is None:
            bold = info.bold
        segments.append((text, bool(bold)))

    plain = "".join(text for text, _ in segments).strip()
    visible = [(t, b) for t, b in segments if t.strip()]
    all_bold = bool(visible) and all(b for _, b in visible)

    pPr = p_el.pPr
    has_numpr = pPr is not None and pPr.find(qn("w:numPr")) is not None
    level = info.name_level
    if level is None:  # direct formatting wins over the style's outline level
        level = _outline_level(pPr)
        if level is None:
            level = info.outline_level

    return _Para(
        plain=plain,
        markdown=_inline_markdown(segments),
        style_name=info.name,
        all_bold=all_bold,
        is_list="list" in info.name.lower() or has_numpr,
        style_level=level,
    )


def _name_level(style_name: str) -> int | None:
    name = style_name.strip()
    lower = name.lower()
    if lower in ("title", "标题"):
        return 0
    if lower.startswith("heading") or name.startswith("标题"):
        digits = re.search(r"\d+", name)
        return int(digits.group()) if digits else 1
    return None


def _outline_level(pPr) -> int | None:
    """w:outlineLvl 0..8 as heading level 1..9 (custom heading styles like "一级标题")."""
    if pPr is None:
        return None
    lvl = pPr.find(qn("w:outlineLvl"))
    if lvl is None:
        return None
    try:
        value = int(lvl.get(qn("w:val")))
    except (TypeError, ValueError):
        return None
    return value + 1 if 0 <= value <= 8 else None


def _style_outline_level(style) -> int | None:
    depth = 0
    while style is not None and depth < 20:
        pPr = style.element.pPr
        if pPr is not None and pPr.find(qn("w:outlineLvl")) is not None:
            return _outline_level(pPr)
        style = style.base_style
        depth += 1
    return None


def _inline_markdown(segments: list[tuple[str, bool]]) -> str:
    """Runs -> one Markdown paragraph: bold runs become **x**, lines are trimmed."""
    merged: list[list] = []
    for text, bold in segments:
        if bold and not text.strip():
            bold = False
        if merged and merged[-1][1] == bold:
            merged[-1][0] += text
        else:
            merged.append([text, bold])
    out: list[str] = []
    for text, bold in merged:
        if not bold:
            out.append(text)
            continue
        pieces = []
        for piece in text.split("\n"):
            core = piece.strip()
            if not core:
                pieces.append(piece)
                continue
            lead = piece[: len(piece) - len(piece.lstrip())]
            trail = piece[len(piece.rstrip()):]
            pieces.append(f"{lead}**{core}**{trail}")
        out.append("\n".join(pieces))
    # Leading whitespace (Chinese documents indent with U+3000) would make a code block.
    lines = [line.strip() for line in "".join(out).split("\n")]
    return "\n".join(line for line in lines if line)


def _cell_text(tc_el, doc, styles: _Styles) -> str:
    parts: list[str] = []
    p_tag = qn("w:p")
    for block in _iter_block_elements(tc_el):
        if block.tag == p_tag:
            text = _read_paragraph(block, doc, styles).plain
        else:
            text = " ".join(_cell_text(tc, doc, styles)  # nested table, flattened
                           for tr in block.iterchildren(qn("w:tr"))
                           for tc in tr.iterchildren(qn("w:tc")))
        if text:
            parts.append(text)
    return " ".join(" ".join(parts).split())


def _table_rows(tbl_el, doc, styles: _Styles) -> list[list[str]]:
    rows: list[list[str]] = []
    tc_tag = qn("w:tc")
    for tr in tbl_el.iterchildren(qn("w:tr")):
        row: list[str] = []
        try:
            row.extend([""] * max(int(tr.grid_before or 0), 0))
        except Exception:
            pass
        for tc in tr.iterchildren(tc_tag):
            row.append(_cell_text(tc, doc, styles))
            try:
                span = int(tc.grid_span or 1)
            except Exception:
                span = 1
            row.extend([""] * max(min(span, 64) - 1, 0))
        rows.append(row)
    return rows


def _table_markdown(rows: list[list[str]]) -> str:
    """GitHub-style table; the first row is the header, ragged rows are padded."""
    rows = [row for row in rows if row]
    if not rows:
        return ""
    width = max(len(row) for row in rows)

    def line(cells: list[str]) -> str:
        cells = [cell.replace("|", "\\|") for cell in cells] + [""] * (width - len(cells))
        return "| " + " | ".join(cells) + " |"

    out = [line(rows[0]), "| " + " | ".join(["---"] * width) + " |"]
    out.extend(line(row) for row in rows[1:])
    return "\n".join(out)
