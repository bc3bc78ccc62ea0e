"""Images: the embedded PNG/JPEG pictures."""
from __future__ import annotations

import hashlib
import posixpath
import re

from docx.oxml.ns import qn

from portal.cases.docx_import.common import ImportedImage

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
