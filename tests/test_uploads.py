"""portal.uploads: content-based checks, safe names, atomic storage under random names."""
from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib

import pytest

from portal import uploads
from portal.errors import NotFound, ValidationError
from portal.uploads import (
    ATTACHMENT_KINDS,
    IMAGE_KINDS,
    KINDS,
    CheckedFile,
    check_upload,
    detect_kind,
    path_for,
    remove,
    safe_original_name,
    store,
)

MB = 1024 * 1024


# --------------------------------------------------------------------------- sample files


def make_pdf() -> bytes:
    return (
        b"%PDF-1.4\n"
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n"
        b"%%EOF\n"
    )


def make_png() -> bytes:
    def chunk(tag: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    raw = b"\x00" + b"\xff\x00\x00"  # filter byte + one red pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def make_jpeg() -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 16 + b"\xff\xd9"


def make_zip(members: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


CONTENT_TYPES = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def make_ooxml(main_part: str, **extra: bytes | str) -> bytes:
    members = {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": "<Relationships/>", main_part: "<x/>"}
    members.update(extra)
    return make_zip(members)


def make_docx() -> bytes:
    return make_ooxml("word/document.xml")


def make_xlsx() -> bytes:
    return make_ooxml("xl/workbook.xml", **{"xl/worksheets/sheet1.xml": "<worksheet/>"})


def make_pptx() -> bytes:
    return make_ooxml("ppt/presentation.xml", **{"ppt/slides/slide1.xml": "<p:sld/>"})


def make_real_docx() -> bytes:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("社区治理案例")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


SAMPLES = {
    "pdf": make_pdf,
    "png": make_png,
    "jpg": make_jpeg,
    "docx": make_docx,
    "xlsx": make_xlsx,
    "pptx": make_pptx,
}

ALL_LABELS_MESSAGE = (
    "无法识别的文件类型：只接受 PDF、Word、Excel、PowerPoint、JPEG、PNG 文件（按文件内容判断，不看扩展名）。"
)


def check(filename: str, data: bytes, **kwargs) -> CheckedFile:
    kwargs.setdefault("max_bytes", 20 * MB)
    return check_upload(filename, data, **kwargs)


# --------------------------------------------------------------------------- API shape


def test_kinds_table():
    assert set(KINDS) == {"pdf", "docx", "xlsx", "pptx", "jpg", "png"}
    assert ATTACHMENT_KINDS == frozenset(KINDS)
    assert IMAGE_KINDS == frozenset({"jpg", "png"})
    assert KINDS["jpg"] == ("jpg", "image/jpeg", "JPEG")
    assert uploads.MAX_ZIP_ENTRIES == 2000
    assert uploads.MAX_ZIP_UNCOMPRESSED == 200 * MB


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_detected(kind):
    assert detect_kind(SAMPLES[kind]()) == kind


def test_real_docx_from_python_docx_detected():
    assert detect_kind(make_real_docx()) == "docx"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"#!/bin/sh\nrm -rf /\n",
        b"just some plain text",
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,  # Windows executable
        b"\x7fELF\x02\x01\x01" + b"\x00" * 64,  # ELF executable
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,  # legacy .doc/.xls (OLE2)
        b"GIF89a\x01\x00\x01\x00",
        b" %PDF-1.4\n%%EOF",  # signature not at offset 0
        b"<html>%PDF-1.4\n%%EOF",
        b"\x89PNG",  # truncated signature
        b"\xff\xd8",  # truncated JPEG signature
        b"PK\x03\x04" + b"garbage" * 10,  # broken zip
    ],
    ids=[
        "empty", "html", "svg", "svg-xml", "script", "text", "exe", "elf", "ole2-doc", "gif",
        "pdf-not-at-0", "html-then-pdf", "short-png", "short-jpeg", "broken-zip",
    ],
)
def test_unrecognised_content_is_none(data):
    assert detect_kind(data) is None


def test_plain_zip_refused():
    assert detect_kind(make_zip({"readme.txt": "hello", "data/a.csv": "1,2"})) is None


def test_zip_with_content_types_but_no_main_part_refused():
    assert detect_kind(make_zip({"[Content_Types].xml": CONTENT_TYPES, "other/part.xml": "<x/>"})) is None


def test_zip_with_main_part_but_no_content_types_refused():
    assert detect_kind(make_zip({"word/document.xml": "<x/>"})) is None


def test_zip_claiming_several_kinds_refused():
    data = make_ooxml("word/document.xml", **{"xl/workbook.xml": "<x/>"})
    assert detect_kind(data) is None


def test_macro_enabled_package_refused():
    assert detect_kind(make_ooxml("word/document.xml", **{"word/vbaProject.bin": b"\x00" * 10})) is None


MACRO_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
DOCM_MAIN = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Override PartName="/word/document.xml" '
             'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>')


def test_macro_project_under_another_name_is_refused_by_its_declared_content_type():
    data = make_zip({"[Content_Types].xml": MACRO_TYPES, "_rels/.rels": "<Relationships/>",
                     "word/document.xml": "<x/>", "word/harmless.bin": b"\x00" * 10})
    assert detect_kind(data) is None


def test_macro_enabled_main_part_is_refused_even_without_a_macro_part():
    data = make_zip({"[Content_Types].xml": DOCM_MAIN, "_rels/.rels": "<Relationships/>", "word/document.xml": "<x/>"})
    assert detect_kind(data) is None


def test_relationship_to_a_vba_project_is_refused():
    rels = ('<Relationships><Relationship Id="rId1" Target="stuff.bin" '
            'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"/></Relationships>')
    data = make_ooxml("word/document.xml", **{"word/_rels/document.xml.rels": rels})
    assert detect_kind(data) is None


@pytest.mark.parametrize(("name", "mime", "expected"), [
    ("报告.pdf", "application/pdf", "报告.pdf"), ("报告.html", "application/pdf", "报告.pdf"),
    ("报告", "application/pdf", "报告.pdf"), ("photo.jpeg", "image/jpeg", "photo.jpeg"),
    ("photo.png", "image/jpeg", "photo.jpg"), ("第1.2版 方案", "application/pdf", "第1.2版 方案.pdf"),
    (None, "image/png", "附件.png"),
])
def test_download_names_carry_the_detected_extension(name, mime, expected):
    from portal.uploads import download_name_for

    assert download_name_for(name, mime) == expected


def test_zip_behind_a_prefix_refused():
    # A self-extracting style polyglot: zipfile would open it, but the signature is not at 0.
    assert detect_kind(b"MZ" + b"\x00" * 100 + make_docx()) is None


def test_zip_with_too_many_entries_refused():
    members = {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": "<x/>"}
    members.update({f"word/media/{i}.bin": b"" for i in range(uploads.MAX_ZIP_ENTRIES)})
    assert detect_kind(make_zip(members)) is None


def test_zip_at_entry_limit_accepted():
    members = {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": "<x/>"}
    members.update({f"word/media/{i}.bin": b"" for i in range(uploads.MAX_ZIP_ENTRIES - 2)})
    assert detect_kind(make_zip(members)) == "docx"


def test_zip_bomb_by_uncompressed_size_refused(monkeypatch):
    data = make_ooxml("word/document.xml", **{"word/media/big.bin": b"\x00" * 4096})
    assert detect_kind(data) == "docx"
    monkeypatch.setattr(uploads, "MAX_ZIP_UNCOMPRESSED", 4096)
    assert detect_kind(data) is None


# --------------------------------------------------------------------------- check_upload


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_check_upload_accepts_each_kind(kind):
    data = SAMPLES[kind]()
    checked = check(f"样例.{kind}", data)
    assert checked == CheckedFile(kind=kind, original_name=f"样例.{kind}", size=len(data),
                                  mime=KINDS[kind][1], data=data)


def test_checked_file_is_frozen():
    checked = check("a.pdf", make_pdf())
    with pytest.raises(AttributeError):
        checked.kind = "png"  # type: ignore[misc]


def refusal(filename: str, data: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        check(filename, data, **kwargs)
    assert excinfo.value.field == "file"
    return excinfo.value


def test_html_renamed_pdf_refused():
    err = refusal("报告.pdf", b"<html><body><script>alert(document.cookie)</script></body></html>")
    assert err.message == ALL_LABELS_MESSAGE


def test_svg_renamed_png_refused():
    err = refusal("封面.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    assert err.message == ALL_LABELS_MESSAGE


def test_script_refused():
    err = refusal("run.pdf", b"#!/bin/sh\necho pwned\n")
    assert err.message.startswith("无法识别的文件类型")


def test_plain_zip_upload_refused():
    err = refusal("材料.docx", make_zip({"a.txt": "x"}))
    assert err.message == ALL_LABELS_MESSAGE


def test_empty_file_refused():
    assert refusal("a.pdf", b"").message == "文件是空的。"


def test_oversize_file_refused_with_mb_message():
    data = make_pdf() + b"\x00" * MB
    err = refusal("big.pdf", data, max_bytes=1 * MB)
    assert err.message == "文件超过 1 MB 的上限。"


def test_file_exactly_at_limit_accepted():
    data = make_pdf()
    assert check("a.pdf", data, max_bytes=len(data)).size == len(data)


def test_mb_message_uses_configured_limit():
    assert refusal("a.pdf", b"x" * 100, max_bytes=50).message.startswith("文件超过 0.00")
    err = refusal("a.pdf", make_pdf() + b"\x00" * (2 * MB), max_bytes=int(1.5 * MB))
    assert err.message == "文件超过 1.5 MB 的上限。"
    assert uploads._format_mb(20 * MB) == "20"


def test_size_checked_before_content():
    # An oversized file gets the size message even if its content is not recognised.
    assert refusal("x.exe", b"MZ" * 100, max_bytes=10).message.startswith("文件超过")


def test_images_only_refuses_pdf():
    err = refusal("封面.pdf", make_pdf(), allowed=IMAGE_KINDS)
    assert err.message.startswith("此处只接受 JPEG、PNG 文件")
    assert "PDF" in err.message  # says what was sent


def test_images_only_unknown_content_lists_only_image_labels():
    err = refusal("封面.png", b"<svg/>", allowed=IMAGE_KINDS)
    assert err.message == "无法识别的文件类型：只接受 JPEG、PNG 文件（按文件内容判断，不看扩展名）。"


def test_images_only_accepts_images():
    assert check("封面.png", make_png(), allowed=IMAGE_KINDS).kind == "png"
    assert check("封面.jpg", make_jpeg(), allowed=IMAGE_KINDS).kind == "jpg"


def test_png_named_jpg_accepted_as_png():
    checked = check("照片.jpg", make_png(), allowed=IMAGE_KINDS)
    assert checked.kind == "png"
    assert checked.mime == "image/png"
    assert checked.original_name == "照片.jpg"


def test_pdf_named_exe_accepted_as_pdf():
    assert check("invoice.exe", make_pdf()).kind == "pdf"


def test_original_name_is_sanitised():
    assert check("../../etc/报告.pdf", make_pdf()).original_name == "报告.pdf"


def test_invalid_allowed_is_a_programming_error():
    with pytest.raises(ValueError):
        check("a.pdf", make_pdf(), allowed=frozenset({"gif"}))
    with pytest.raises(ValueError):
        check("a.pdf", make_pdf(), allowed=frozenset())


# --------------------------------------------------------------------------- safe_original_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../报告.pdf", "报告.pdf"),
        ("C:\\docs\\案例.docx", "案例.docx"),
        ("/etc/passwd", "passwd"),
        ("社区治理 案例 2024.pdf", "社区治理 案例 2024.pdf"),
        ("a\x00b\x07c\x1b.pdf", "abc.pdf"),
        ("报\u202egpj.exe", "报gpj.exe"),  # right-to-left override removed
        ("  多个   空格\t\n名称 .pdf  ", "多个 空格 名称 .pdf"),
        ("...hidden.pdf", "hidden.pdf"),
        (".bashrc", "bashrc"),
        ("", "附件"),
        ("   ", "附件"),
        ("../..", "附件"),
        ("dir/", "附件"),
        ("\x00\x01", "附件"),
    ],
)
def test_safe_original_name(raw, expected):
    assert safe_original_name(raw) == expected


def test_safe_original_name_truncates_long_names_keeping_extension():
    name = safe_original_name("很长的案例名称" * 40 + ".pdf")
    assert len(name) == 150
    assert name.endswith(".pdf")
    assert name.startswith("很长的案例名称")


def test_safe_original_name_truncates_without_extension():
    name = safe_original_name("a" * 400)
    assert name == "a" * 150


def test_safe_original_name_short_name_untouched():
    assert safe_original_name("案例.pdf") == "案例.pdf"


# --------------------------------------------------------------------------- store / path_for / remove

STORED_RE = re.compile(r"^[0-9a-f]{32}\.(pdf|docx|xlsx|pptx|jpg|png)$")


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_store_writes_under_random_name_with_detected_extension(tmp_path, kind):
    data = SAMPLES[kind]()
    stored = store(check(f"原始名称.{kind}", data), tmp_path)
    assert STORED_RE.match(stored)
    assert stored.endswith("." + KINDS[kind][0])
    assert (tmp_path / stored).read_bytes() == data


def test_store_uses_detected_extension_not_the_name(tmp_path):
    stored = store(check("照片.jpg", make_png()), tmp_path)
    assert stored.endswith(".png")


def test_store_two_stores_give_different_names(tmp_path):
    checked = check("a.pdf", make_pdf())
    first, second = store(checked, tmp_path), store(checked, tmp_path)
    assert first != second
    assert sorted(os.listdir(tmp_path)) == sorted([first, second])


def test_store_never_uses_original_name(tmp_path):
    store(check("../../秘密报告.pdf", make_pdf()), tmp_path)
    on_disk = [p.name for p in tmp_path.rglob("*")]
    assert len(on_disk) == 1
    assert not any("秘密" in name or "报告" in name for name in on_disk)
    assert not (tmp_path.parent / "秘密报告.pdf").exists()


def test_store_creates_directory_and_sets_mode(tmp_path):
    upload_dir = tmp_path / "instance" / "uploads"
    stored = store(check("a.png", make_png()), str(upload_dir))
    path = upload_dir / stored
    assert path.is_file()
    assert path.stat().st_mode & 0o777 == 0o640


def test_store_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(uploads.os, "replace", boom)
    with pytest.raises(OSError):
        store(check("a.pdf", make_pdf()), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_path_for_returns_path_without_existence_check(tmp_path):
    name = "0123456789abcdef0123456789abcdef.pdf"
    assert path_for(name, tmp_path) == tmp_path / name
    assert path_for(name, str(tmp_path)) == tmp_path / name


def test_path_for_round_trips_stored_name(tmp_path):
    data = make_jpeg()
    stored = store(check("a.jpg", data), tmp_path)
    assert path_for(stored, tmp_path).read_bytes() == data


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd",
        "x.html",
        "0123456789ABCDEF0123456789ABCDEF.pdf",  # uppercase hex
        "0123456789abcdef0123456789abcdef.PDF",  # uppercase extension
        "0123456789abcdef0123456789abcde.pdf",  # 31 hex digits
        "0123456789abcdef0123456789abcdef0.pdf",  # 33 hex digits
        "0123456789abcdef0123456789abcdef.html",
        "0123456789abcdef0123456789abcdef.pdf\n",
        "0123456789abcdef0123456789abcdef.pdf/",
        "../0123456789abcdef0123456789abcdef.pdf",
        "sub/0123456789abcdef0123456789abcdef.pdf",
        "/0123456789abcdef0123456789abcdef.pdf",
        "0123456789abcdef0123456789abcdef",
        "",
        None,
    ],
)
def test_path_for_refuses_bad_names(tmp_path, name):
    with pytest.raises(NotFound) as excinfo:
        path_for(name, tmp_path)
    assert excinfo.value.message == "文件不存在。"


def test_remove_deletes_and_is_idempotent(tmp_path):
    keep = store(check("b.pdf", make_pdf()), tmp_path)
    stored = store(check("a.pdf", make_pdf()), tmp_path)
    remove(stored, tmp_path)
    assert not (tmp_path / stored).exists()
    remove(stored, tmp_path)  # already gone: no error
    remove("0123456789abcdef0123456789abcdef.png", tmp_path / "missing-dir")
    assert (tmp_path / keep).exists()


def test_remove_validates_name(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    with pytest.raises(NotFound):
        remove("../victim.txt", tmp_path / "uploads")
    with pytest.raises(NotFound):
        remove("victim.txt", tmp_path)
    assert victim.exists()


def test_a_released_savepoint_neither_deletes_nor_keeps_files_for_the_outer_transaction(app):
    """SQLAlchemy 2.1 fires after_commit when a savepoint is released: a file marked for deletion
    must stay until the real commit (and stay for good when the transaction rolls back), and a
    file saved before the savepoint must still go when the transaction rolls back."""
    from portal import storage, uploads
    from portal.extensions import db

    with app.app_context():
        doomed = "a" * 32 + ".pdf"
        path = uploads.path_for(doomed, storage.upload_dir())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4 kept")
        storage.delete_on_commit(db.session, doomed)
        db.session.connection()
        with db.session.begin_nested():
            pass
        assert path.exists(), "deleted when a savepoint was released"
        db.session.rollback()
        assert path.exists()
        storage.delete_on_commit(db.session, doomed)
        db.session.connection()
        with db.session.begin_nested():
            pass
        db.session.commit()
        assert not path.exists()
        db.session.remove()
