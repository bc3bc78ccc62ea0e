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

from portal.cases.docx_import.common import SECTIONS, DocxImportError, ImportedCase, ImportedImage
from portal.cases.docx_import.headings import match_section
from portal.cases.docx_import.importer import import_docx

__all__ = [
    "DocxImportError",
    "ImportedCase",
    "ImportedImage",
    "SECTIONS",
    "import_docx",
    "match_section",
]
