"""Reading the package: the upload checked and opened with python-docx."""
from __future__ import annotations

import io
import zipfile

import docx

from portal.cases.docx_import.common import (
    MAX_UNCOMPRESSED_BYTES,
    MAX_XML_BYTES,
    MSG_EMPTY_FILE,
    MSG_LEGACY_DOC,
    MSG_PDF,
    MSG_TOO_BIG,
    MSG_UNREADABLE,
    MSG_XML_TOO_BIG,
    DocxImportError,
)

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
    if sum(max(info.file_size, 0) for info in infos
           if info.filename.lower().endswith((".xml", ".rels"))) > MAX_XML_BYTES:
        raise DocxImportError(MSG_XML_TOO_BIG)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("word/") for n in names):
        raise DocxImportError(MSG_UNREADABLE)
    try:
        stream.seek(0)
        return docx.Document(stream)
    except Exception as exc:  # PackageNotFoundError, KeyError, ValueError, XMLSyntaxError, ...
        raise DocxImportError(MSG_UNREADABLE) from exc
