"""Entry point: :func:`import_docx` distributes the body over the case's sections."""
from __future__ import annotations

from docx.oxml.ns import qn

from portal.cases.docx_import.body import (
    _iter_block_elements,
    _Para,
    _read_paragraph,
    _Styles,
    _table_markdown,
    _table_rows,
)
from portal.cases.docx_import.common import (
    MAX_TEXT_CHARS,
    MSG_CORRUPT,
    MSG_NO_TEXT,
    SECTIONS,
    TITLE_MAX_CHARS,
    DocxImportError,
    ImportedCase,
)
from portal.cases.docx_import.headings import match_section
from portal.cases.docx_import.images import _collect_images
from portal.cases.docx_import.package import _open_document
from portal.cases.docx_import.titles import (
    _fallback_title_ok,
    _heading_level,
    _inline_summary,
    _is_summary_heading,
    _strip_heading,
    _trim_summary,
)
from portal.text import strip_control_characters

# --------------------------------------------------------------------------------------------
# Entry point

class _Sections:
    """Collects Markdown blocks per section; consecutive list items form one tight list."""

    def __init__(self) -> None:
        self.blocks: dict[str, list[tuple[str, str]]] = {name: [] for name in SECTIONS}

    def add(self, section: str, kind: str, text: str) -> None:
        if text:
            self.blocks[section].append((kind, text))

    def has_content(self, section: str) -> bool:
        return bool(self.blocks[section])

    def render(self, section: str) -> str:
        out: list[str] = []
        previous = None
        for kind, text in self.blocks[section]:
            if out:
                out.append("\n" if kind == "list" and previous == "list" else "\n\n")
            out.append(text)
            previous = kind
        return "".join(out).strip()


def import_docx(data: bytes, max_paragraphs: int = 5000) -> ImportedCase:
    """Read a .docx upload and return a pre-filled :class:`ImportedCase`.

    Raises :class:`DocxImportError` (with a Chinese ``message``) for anything that cannot be
    imported: not a .docx, corrupt, too long, or without any text.
    """
    doc = _open_document(data)
    try:
        return _import_document(doc, max_paragraphs)
    except DocxImportError:
        raise
    except Exception as exc:  # lxml / python-docx surprises on odd but well-formed files
        raise DocxImportError(MSG_CORRUPT) from exc


def _import_document(doc, max_paragraphs: int) -> ImportedCase:
    body = doc.element.body
    paragraph_count = sum(1 for _ in body.iter(qn("w:p")))
    if paragraph_count > max_paragraphs:
        raise DocxImportError(f"文档过长：段落数超过 {max_paragraphs} 段，请删减或拆分后再导入。")

    p_tag = qn("w:p")
    styles = _Styles()
    total_chars = 0

    def count(text: str) -> None:
        nonlocal total_chars
        total_chars += len(text)
        if total_chars > MAX_TEXT_CHARS:
            raise DocxImportError(f"文档过长：文字超过 {MAX_TEXT_CHARS} 字，请删减或拆分后再导入。")

    # Read every top-level block once; paragraphs become _Para, tables lists of rows.
    blocks: list[tuple[str, object]] = []
    for element in _iter_block_elements(body):
        if element.tag == p_tag:
            para = _read_paragraph(element, doc, styles)
            count(para.plain)
            if para.plain:
                blocks.append(("p", para))
        else:
            rows = _table_rows(element, doc, styles)
            for row in rows:
                for cell in row:
                    count(cell)
            if any(cell for row in rows for cell in row):
                blocks.append(("tbl", rows))

    case = ImportedCase()

    # Title: the first Title-styled paragraph, else a short first paragraph.
    title_index: int | None = None
    for index, (kind, item) in enumerate(blocks):
        if kind == "p" and item.style_level == 0:
            title_index = index
            break
    if title_index is None and blocks and blocks[0][0] == "p" and _fallback_title_ok(blocks[0][1]):
        title_index = 0
    if title_index is not None:
        title = " ".join(blocks[title_index][1].plain.split())
        case.title = title[:TITLE_MAX_CHARS]

    sections = _Sections()
    current: str | None = None
    current_level: int | None = None
    awaiting_summary = False

    for index, (kind, item) in enumerate(blocks):
        if index == title_index:
            continue
        target = current or "approach"
        if kind == "tbl":
            awaiting_summary = False
            rows = item
            if len(rows) == 1 and len(rows[0]) == 1:
                sections.add(target, "p", rows[0][0])  # a one-cell "box" is just text
            else:
                sections.add(target, "table", _table_markdown(rows))
            continue

        para: _Para = item
        if not case.summary:
            inline = _inline_summary(para)
            if inline:
                case.summary = _trim_summary(inline)
                awaiting_summary = False
                continue
            if inline is not None or _is_summary_heading(para):  # "摘要：" alone, or a heading
                awaiting_summary = True
                continue

        level = _heading_level(para)
        if awaiting_summary:
            awaiting_summary = False
            if level is None:
                case.summary = _trim_summary(para.plain)
                continue

        if level is not None:
            section = match_section(para.plain)
            if section is not None and _opens_section(section, level, current, current_level):
                if section in case.matched_headings and sections.has_content(section):
                    sections.add(section, "heading", "### " + _strip_heading(para.plain))
                case.matched_headings.setdefault(section, para.plain)
                current, current_level = section, level
                continue
            sections.add(target, "heading", "### " + _strip_heading(para.plain))
            continue

        if para.is_list:
            lines = para.markdown.split("\n")
            sections.add(target, "list", "- " + "\n  ".join(lines))
        else:
            sections.add(target, "p", para.markdown)

    for name in SECTIONS:
        setattr(case, name, sections.render(name))
    # Word allows control characters in text runs; PostgreSQL refuses NUL, nobody means them.
    for name in ("title", "summary", *SECTIONS):
        if isinstance(getattr(case, name, None), str):
            setattr(case, name, strip_control_characters(getattr(case, name)))

    if not (case.title or case.summary or any(getattr(case, name) for name in SECTIONS)):
        raise DocxImportError(MSG_NO_TEXT)

    case.images = _collect_images(doc)
    return case


def _opens_section(section: str, level: int, current: str | None, current_level: int | None) -> bool:
    """Does a heading that matches ``section`` start that section here?

    Before any section everything opens. A heading for the section we are already in is a
    sub-heading. A heading nested deeper than the heading that opened the current section
    ("（三）扩大社会影响" under "二、主要做法") stays a sub-heading of the current section even
    if its words match another section.
    """
    if current is None:
        return True
    if section == current:
        return False
    if current_level is not None and level > current_level:
        return False
    return True
