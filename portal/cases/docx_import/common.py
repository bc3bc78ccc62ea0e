"""Limits, the user-facing messages, :class:`DocxImportError` and the result types."""
from __future__ import annotations

from dataclasses import dataclass, field

#: Case sections in display order.
SECTIONS = ("background", "approach", "outcomes", "lessons", "problems")

#: Hard cap on the document's total text (characters), tables included.
MAX_TEXT_CHARS = 200_000
#: Hard cap on the sum of the uncompressed sizes of all package members (zip-bomb guard).
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
#: The XML parts together (text, styles, numbering ...): python-docx parses them into lxml trees of
#: several times their size, so this caps the worker's memory. A long case document's XML is a
#: few MB; a 370 KB file inflating to 99 MB of XML once cost 2.4 s and 700 MB before being refused.
#: zipfile never returns more than a member's declared size (the rest fails its CRC check), so
#: checking the declared sizes bounds what is actually inflated.
MAX_XML_BYTES = 8 * 1024 * 1024
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
MSG_XML_TOO_BIG = "文档的文字部分解压后体积异常（超过 8 MB），无法导入：请另存为新的 .docx 文件或拆分文档后再上传。"
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
