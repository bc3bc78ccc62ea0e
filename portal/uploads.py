"""Checking and storing uploaded files (case attachments, covers, session materials).

Files are identified by their CONTENT (magic bytes / OOXML package structure), never by the
name or the browser-sent MIME type. Stored files get a random name with the extension of the
detected kind; the user's file name is only kept (sanitised) for display and downloads.

Typical use in a view::

    checked = uploads.check_upload(f.filename, f.read(), max_bytes=20 * 1024 * 1024)
    stored_name = uploads.store(checked, upload_dir)
    # save stored_name, checked.original_name, checked.kind, checked.size, checked.mime
"""
from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from portal.errors import NotFound, ValidationError

# kind -> (extension, mime type, label)
KINDS = {
    "pdf": ("pdf", "application/pdf", "PDF"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
    "pptx": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint"),
    "jpg": ("jpg", "image/jpeg", "JPEG"),
    "png": ("png", "image/png", "PNG"),
}
IMAGE_KINDS = frozenset({"jpg", "png"})
ATTACHMENT_KINDS = frozenset(KINDS)

# Zip-bomb guard for OOXML packages (checked on the central directory, nothing is inflated).
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024

DEFAULT_NAME = "附件"
MAX_NAME_LENGTH = 150
_MAX_EXT_LENGTH = 10  # longer "extensions" are not treated as extensions when truncating

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_PDF_SIGNATURE = b"%PDF-"
_ZIP_SIGNATURE = b"PK\x03\x04"

# OOXML main part -> kind ("[Content_Types].xml" is required as well).
_OOXML_PARTS = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}

_STORED_NAME_RE = re.compile(r"[0-9a-f]{32}\.(?:pdf|docx|xlsx|pptx|jpg|png)")
_MB = 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    original_name: str
    size: int
    mime: str
    data: bytes


# --------------------------------------------------------------------------- detection


def detect_kind(data: bytes) -> str | None:
    """Return the kind ("pdf", "docx", "xlsx", "pptx", "jpg", "png") of ``data``, or None.

    Signatures must be at offset 0 (no leading junk, so no EXE/ZIP or HTML/PDF polyglots with a
    prefix). Anything unrecognised — HTML, SVG, scripts, text, executables, legacy .doc/.xls —
    gives None.
    """
    if not data:
        return None
    head = bytes(data[:8])
    if head.startswith(_PDF_SIGNATURE):
        return "pdf"
    if head.startswith(_PNG_SIGNATURE):
        return "png"
    if head.startswith(_JPEG_SIGNATURE):
        return "jpg"
    if head.startswith(_ZIP_SIGNATURE):
        return _detect_ooxml(data)
    return None


def _detect_ooxml(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            KeyError, NotImplementedError, RuntimeError):
        return None
    if len(infos) > MAX_ZIP_ENTRIES:
        return None
    if sum(info.file_size for info in infos) > MAX_ZIP_UNCOMPRESSED:
        return None
    # OPC part names compare case-insensitively.
    names = {info.filename.lower() for info in infos}
    if "[content_types].xml" not in names:
        return None
    # Macro-enabled packages (.docm/.xlsm/.pptm renamed) are not accepted: recognised by what the
    # package declares (its content types), whatever its parts are called, and by the usual name.
    if any(name.rsplit("/", 1)[-1] == "vbaproject.bin" for name in names) or _declares_macros(data, infos):
        return None
    found = {kind for part, kind in _OOXML_PARTS.items() if part in names}
    if len(found) != 1:  # none, or an ambiguous package claiming several kinds
        return None
    return found.pop()


#: Content types of macro projects and macro-enabled main parts (e.g. application/vnd.ms-office.vbaProject,
#: application/vnd.ms-word.document.macroEnabled.main+xml, ...ms-excel.sheet.macroEnabled...).
_MACRO_CONTENT_TYPE = re.compile(rb"vbaproject|macroenabled|vnd\.ms-office\.activex|vnd\.ms-excel\.intl-?macrosheet",
                                 re.IGNORECASE)
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024


def _declares_macros(data: bytes, infos) -> bool:
    """True when [Content_Types].xml (read with a size cap, never parsed as XML) declares a macro
    project or a macro-enabled part, or when any part's relationships point at a vbaProject."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in infos:
                name = info.filename.lower()
                if name == "[content_types].xml" or name.endswith(".rels"):
                    if info.file_size > _MAX_CONTENT_TYPES_BYTES:
                        return True  # no honest package has a megabyte of declarations
                    with archive.open(info) as part:
                        text = part.read(_MAX_CONTENT_TYPES_BYTES + 1)
                    if len(text) > _MAX_CONTENT_TYPES_BYTES or _MACRO_CONTENT_TYPE.search(text):
                        return True
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, NotImplementedError, RuntimeError):
        return True  # unreadable declarations: not a package we accept
    return False


# --------------------------------------------------------------------------- names


def safe_original_name(name: str) -> str:
    """A display-safe version of the user's file name.

    Keeps Chinese (and other) characters; drops directory parts (``/`` and ``\\``), control and
    invisible formatting characters (e.g. right-to-left override), leading dots; collapses
    whitespace; limits the length to 150 characters while keeping the extension.
    Returns "附件" when nothing is left.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"\s+", " ", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    name = re.sub(r"\s+", " ", name)
    name = name.lstrip(". ").rstrip(". ")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= _MAX_EXT_LENGTH and " " not in ext:
            keep = MAX_NAME_LENGTH - len(ext) - 1
            name = stem[:keep].rstrip(". ") + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH].rstrip(". ")
    return name or DEFAULT_NAME


# --------------------------------------------------------------------------- checking


def _labels(kinds: frozenset[str] | set[str]) -> str:
    return "、".join(label for kind, (_ext, _mime, label) in KINDS.items() if kind in kinds)


def _format_mb(max_bytes: int) -> str:
    mb = max_bytes / _MB
    text = f"{mb:.2f}".rstrip("0").rstrip(".")
    if text == "0":  # absurdly small limits (tests): show enough digits to be non-zero
        text = f"{mb:.6f}".rstrip("0").rstrip(".")
    return text


def check_upload(filename: str, data: bytes, *, max_bytes: int,
                 allowed: frozenset[str] = ATTACHMENT_KINDS) -> CheckedFile:
    """Check an upload by content; raise ValidationError(message, "file") when refused."""
    allowed = frozenset(allowed)
    if not allowed or not allowed <= ATTACHMENT_KINDS:
        raise ValueError(f"allowed must be a non-empty subset of {sorted(KINDS)}, got {sorted(allowed)}")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("data must be bytes")
    data = bytes(data)

    if not data:
        raise ValidationError("文件是空的。", "file")
    if len(data) > max_bytes:
        raise ValidationError(f"文件超过 {_format_mb(max_bytes)} MB 的上限。", "file")

    kind = detect_kind(data)
    if kind is None:
        raise ValidationError(
            f"无法识别的文件类型：只接受 {_labels(allowed)} 文件（按文件内容判断，不看扩展名）。", "file"
        )
    if kind not in allowed:
        raise ValidationError(
            f"此处只接受 {_labels(allowed)} 文件（所传文件是 {KINDS[kind][2]}）。", "file"
        )
    return CheckedFile(
        kind=kind,
        original_name=safe_original_name(filename),
        size=len(data),
        mime=KINDS[kind][1],
        data=data,
    )


# --------------------------------------------------------------------------- storage


def store(checked: CheckedFile, upload_dir: str | Path) -> str:
    """Write the file atomically under a random name; return that stored name."""
    if checked.kind not in KINDS:
        raise ValueError(f"unknown kind {checked.kind!r}")
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o750)
    stored_name = f"{secrets.token_hex(16)}.{KINDS[checked.kind][0]}"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o640)
            fh.write(checked.data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / stored_name)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)
    return stored_name


def _fsync_dir(directory: Path) -> None:
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def path_for(stored_name: str, upload_dir: str | Path) -> Path:
    """Path of a stored file; refuses anything that is not a name ``store()`` could produce."""
    if not isinstance(stored_name, str) or not _STORED_NAME_RE.fullmatch(stored_name):
        raise NotFound("文件不存在。")
    return Path(upload_dir) / stored_name


#: Sent with every stored file: browsers must not sniff it into another type nor run it as a page.
DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


def download_name_for(name: str | None, mimetype: str) -> str:
    """The name a download is saved under: the user's name with the extension of the detected
    type (a PNG uploaded as ``x.html`` downloads as ``x.png``; ``报告`` as ``报告.pdf``)."""
    ext = next((e for e, mime, _label in KINDS.values() if mime == mimetype), None)
    name = safe_original_name(name or DEFAULT_NAME)
    if ext is None:
        return name
    stem, dot, current = name.rpartition(".")
    if dot and stem and current.lower() in ({ext, "jpeg"} if ext == "jpg" else {ext}):
        return name
    if dot and stem and 0 < len(current) <= _MAX_EXT_LENGTH and " " not in current:
        name = stem  # a wrong extension is replaced, not kept in front of the right one
    return f"{name}.{ext}"


def send_stored(stored_name: str, upload_dir: str | Path, *, mimetype: str, public: bool, inline: bool = False,
                download_name: str | None = None, max_age: int = 3600):
    """The response for a stored file (404 when it is gone), as a download unless ``inline``,
    with :data:`DOWNLOAD_HEADERS`. The caller has already checked that the user may see it, and
    says whether everyone may (``public``): only then may browsers and proxies keep a copy;
    anything else is ``private, no-store``."""
    from flask import abort, send_file

    path = path_for(stored_name, upload_dir)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=mimetype, as_attachment=not inline,
                         download_name=download_name_for(download_name, mimetype), max_age=max_age if public else None)
    response.headers.update(DOWNLOAD_HEADERS)
    if not public:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def remove(stored_name: str, upload_dir: str | Path) -> None:
    """Delete a stored file; a missing file is not an error."""
    path = path_for(stored_name, upload_dir)
    try:
        path.unlink()
    except FileNotFoundError:
        pass
