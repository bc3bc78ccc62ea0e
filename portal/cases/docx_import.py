"""Turn an uploaded Word ``.docx`` into a pre-filled governance case.

The entry point is :func:`import_docx`. It reads the document with python-docx, walks the
body in document order (paragraphs *and* tables), recognises section headings such as
"一、项目背景" or "（二）主要做法", and distributes the content over the case's Markdown
sections (背景 / 做法 / 成效 / 经验启示 / 问题与展望). Title, summary and embedded PNG/JPEG
images are extracted as well.

Everything that goes wrong while reading an uploaded file is reported as
:class:`DocxImportError`, whose ``message`` is a Simplified Chinese sentence that can be shown
to the user as is. No other exception escapes :func:`import_docx` for bad input.

The module only depends on python-docx (and lxml through it); it does not touch Flask or the
database, so the caller decides what to do with the result (show a pre-filled form, store the
images as uploads, ...).
"""
from __future__ import annotations

import hashlib
import io
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Iterator

import docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run

__all__ = [
    "DocxImportError",
    "ImportedCase",
    "ImportedImage",
    "SECTIONS",
    "import_docx",
    "match_section",
]

#: Case sections in display order.
SECTIONS = ("background", "approach", "outcomes", "lessons", "problems")

#: Hard cap on the document's total text (characters), tables included.
MAX_TEXT_CHARS = 200_000
#: Hard cap on the sum of the uncompressed sizes of all package members (zip-bomb guard).
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
#: A plain (non-styled) paragraph longer than this is never a heading.
HEADING_MAX_CHARS = 30
#: The fallback title (first paragraph) must not be longer than this.
TITLE_FALLBACK_MAX_CHARS = 60
#: Hard cap on the title length (a Title-styled paragraph could be anything).
TITLE_MAX_CHARS = 120
#: The summary is trimmed to this many characters.
SUMMARY_MAX_CHARS = 300

MSG_UNREADABLE = "无法读取该文件：请上传 Word 2007 及以上版本的 .docx 文档。"
MSG_EMPTY_FILE = "上传的文件是空的，请选择一个 .docx 文档。"
MSG_LEGACY_DOC = "该文件是旧版 Word（.doc）格式或已加密，请在 Word 中另存为未加密的 .docx 文档后再上传。"
MSG_PDF = "该文件是 PDF 文档，无法导入：请上传 Word 2007 及以上版本的 .docx 文档。"
MSG_CORRUPT = "文档内容无法解析，文件可能已损坏：请在 Word 中重新保存为 .docx 文档后再上传。"
MSG_TOO_BIG = "文档解压后体积过大，无法导入：请删除部分图片或拆分文档后再上传。"
MSG_NO_TEXT = "文档中没有可导入的文字。"


class DocxImportError(Exception):
    """The upload cannot be imported; ``message`` is a user-facing Chinese sentence."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


@dataclass
class ImportedImage:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ImportedCase:
    title: str = ""
    summary: str = ""
    background: str = ""
    approach: str = ""
    outcomes: str = ""
    lessons: str = ""
    problems: str = ""
    images: list[ImportedImage] = field(default_factory=list)
    matched_headings: dict[str, str] = field(default_factory=dict)


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


# --------------------------------------------------------------------------------------------
# Reading the package

def _open_document(data: bytes):
    """python-docx Document for ``data`` or DocxImportError."""
    if not data:
        raise DocxImportError(MSG_EMPTY_FILE)
    head = bytes(data[:8])
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .doc, or an encrypted .docx
        raise DocxImportError(MSG_LEGACY_DOC)
    if head.lstrip().startswith(b"%PDF"):
        raise DocxImportError(MSG_PDF)
    stream = io.BytesIO(data)
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
    except Exception as exc:  # BadZipFile, LargeZipFile, ValueError, OSError, ...
        raise DocxImportError(MSG_UNREADABLE) from exc
    if sum(max(info.file_size, 0) for info in infos) > MAX_UNCOMPRESSED_BYTES:
        raise DocxImportError(MSG_TOO_BIG)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("word/") for n in names):
        raise DocxImportError(MSG_UNREADABLE)
    try:
        stream.seek(0)
        return docx.Document(stream)
    except Exception as exc:  # PackageNotFoundError, KeyError, ValueError, XMLSyntaxError, ...
        raise DocxImportError(MSG_UNREADABLE) from exc


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
        bold = _safe(lambda: run.bold)
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


# --------------------------------------------------------------------------------------------
# Images

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def _sniff_image(data: bytes) -> tuple[str, str] | None:
    if data.startswith(_PNG_MAGIC):
        return "image/png", ".png"
    if data.startswith(_JPEG_MAGIC):
        return "image/jpeg", ".jpg"
    return None


def _collect_images(doc) -> list[ImportedImage]:
    related = doc.part.related_parts
    ordered: list = []
    seen_parts: set[int] = set()

    def add(part) -> None:
        if part is not None and id(part) not in seen_parts:
            seen_parts.add(id(part))
            ordered.append(part)

    # Document order first: DrawingML blips (inline and floating) and legacy VML images.
    body = doc.element.body
    embed_attr, rid_attr = qn("r:embed"), qn("r:id")
    for blip in body.iter(qn("a:blip")):
        add(related.get(blip.get(embed_attr)))
    for imagedata in body.iter("{urn:schemas-microsoft-com:vml}imagedata"):
        add(related.get(imagedata.get(rid_attr)))
    # Then any other image part the document refers to.
    for _rid, part in sorted(related.items(), key=lambda item: str(item[1].partname)):
        content_type = getattr(part, "content_type", "") or ""
        if content_type.startswith("image/") or "/media/" in str(part.partname):
            add(part)

    images: list[ImportedImage] = []
    hashes: set[str] = set()
    names: set[str] = set()
    for part in ordered:
        try:
            blob = part.blob
        except Exception:
            continue
        if not isinstance(blob, (bytes, bytearray)):
            continue
        sniffed = _sniff_image(bytes(blob[:8]))
        if sniffed is None:
            continue
        digest = hashlib.sha256(blob).hexdigest()
        if digest in hashes:
            continue
        hashes.add(digest)
        content_type, ext = sniffed
        filename = _image_filename(str(part.partname), ext, names)
        images.append(ImportedImage(filename, content_type, bytes(blob)))
    return images


def _image_filename(partname: str, ext: str, taken: set[str]) -> str:
    base = posixpath.basename(partname)
    stem, old_ext = posixpath.splitext(base)
    stem = _SAFE_NAME_RE.sub("_", stem).strip("._") or "image"
    # Keep the package's extension when it agrees with the bytes, otherwise use the real one.
    if old_ext.lower() in ((".jpg", ".jpeg") if ext == ".jpg" else (".png",)):
        ext = old_ext.lower()
    name = f"{stem}{ext}"
    counter = 2
    while name in taken:
        name = f"{stem}-{counter}{ext}"
        counter += 1
    taken.add(name)
    return name


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
