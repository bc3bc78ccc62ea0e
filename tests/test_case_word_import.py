"""Word import through the web: /cases/import turns an uploaded .docx into a draft case."""
from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib

import pytest
from docx import Document
from sqlalchemy import func, select

from portal.cases.models import Attachment, Case, CaseStatus
from portal.extensions import db as _db

# -- sample files --------------------------------------------------------------------------------

def tiny_png() -> bytes:
    """A valid 2x2 truecolour PNG."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x20\x80\xc0" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


PNG = tiny_png()


def case_docx() -> bytes:
    doc = Document()
    doc.add_heading("“五社联动”破解老旧小区养老难题", level=0)
    doc.add_paragraph("摘要：以社区为平台，联动社会组织、社工、志愿者和慈善资源，为独居老人提供支持。")
    doc.add_heading("一、项目背景", level=1)
    doc.add_paragraph("阳光社区建成于上世纪八十年代，60 岁以上老人占比 32%。")
    doc.add_heading("二、主要做法", level=1)
    doc.add_paragraph("组建居民议事会，开展入户需求调查。")
    table = doc.add_table(rows=3, cols=2)
    for row, (a, b) in zip(table.rows, [("活动", "场次"), ("议事会", "12"), ("入户探访", "240")]):
        row.cells[0].text, row.cells[1].text = a, b
    doc.add_heading("三、服务成效", level=1)
    doc.add_paragraph("服务居民 1200 人次，满意度 95%。")
    doc.add_picture(io.BytesIO(PNG))
    doc.add_heading("四、经验启示", level=1)
    doc.add_paragraph("坚持需求导向，发挥居民主体作用。")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def fake_ooxml() -> bytes:
    """Looks like a .docx from the outside (zip with word/document.xml) but is not a document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types '
                         'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<x/>")
    return buffer.getvalue()


# -- fixtures and helpers --------------------------------------------------------------------------

@pytest.fixture
def editor(factory):
    """An editor (not the admin) of a verified unit: (org id, e-mail)."""
    _, admin_email = factory.user("admin@example.org", "单位管理员")
    org_id = factory.org(admin_email, name="花溪区阳光社会工作服务中心")
    _, email = factory.user("editor@example.org", "编辑小李")
    factory.member(org_id, email, role="editor")
    return org_id, email


def upload(client, data: bytes, filename: str, **extra):
    return client.post("/cases/import", data={"file": (io.BytesIO(data), filename), **extra},
                       content_type="multipart/form-data")


def case_count(app) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count(Case.id)))


def stored_files(app) -> list[str]:
    folder = app.config["UPLOAD_DIR"]
    return [name for _, _, names in os.walk(folder) for name in names] if os.path.isdir(folder) else []


CHINESE = re.compile(r"[\u4e00-\u9fff]")


# -- tests -----------------------------------------------------------------------------------------

def test_import_page_shows_the_upload_form(client, auth, editor):
    auth.login(editor[1])
    response = client.get("/cases/import")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "从 Word 文档导入" in page
    assert 'name="file"' in page and 'enctype="multipart/form-data"' in page


def test_editor_imports_a_docx_as_a_new_draft(app, client, auth, editor):
    org_id, email = editor
    auth.login(email)

    response = upload(client, case_docx(), "阳光社区案例.docx")

    assert response.status_code == 302
    match = re.fullmatch(r"/cases/(\d+)/edit", response.headers["Location"])
    assert match, response.headers["Location"]
    case_id = int(match.group(1))
    with app.app_context():
        case = _db.session.get(Case, case_id)
        assert case.status == CaseStatus.DRAFT
        assert case.org_id == org_id
        assert case.created_by.email == email
        assert case.title == "“五社联动”破解老旧小区养老难题"
        assert case.summary.startswith("以社区为平台")
        assert case.background == "阳光社区建成于上世纪八十年代，60 岁以上老人占比 32%。"
        assert case.approach.startswith("组建居民议事会，开展入户需求调查。")
        table = [line.strip() for line in case.approach.splitlines() if line.strip().startswith("|")]
        assert len(table) == 4  # header, separator, two rows
        assert [c.strip() for c in table[0].strip("|").split("|")] == ["活动", "场次"]
        assert re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|){2}", table[1].replace(" ", ""))
        assert [c.strip() for c in table[3].strip("|").split("|")] == ["入户探访", "240"]
        assert "服务居民 1200 人次" in case.outcomes
        assert case.lessons == "坚持需求导向，发挥居民主体作用。"
        assert case.problems == ""
        assert case.themes == [] and case.transitions == []
        [attachment] = case.attachments
        assert attachment.kind == "png" and attachment.mime == "image/png"
        assert attachment.original_name.endswith(".png")
        assert attachment.size == len(PNG)
        stored_name = attachment.stored_name
    assert stored_name in stored_files(app)

    # The edit page opens with the flash, the sections filled in and the image listed.
    page = client.get(f"/cases/{case_id}/edit").get_data(as_text=True)
    assert "已从 Word 文档生成草稿" in page
    assert "阳光社区建成于上世纪八十年代" in page
    assert "| 议事会 | 12 |" in page or re.search(r"\|\s*议事会\s*\|\s*12\s*\|", page)
    assert f"/uploads/{stored_name}" in page
    # The table renders as a real table on the case page; the image downloads.
    shown = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "<table>" in shown and "<td>入户探访</td>" in shown
    with app.app_context():
        attachment_id = _db.session.scalar(select(Attachment.id).where(Attachment.case_id == case_id))
    image = client.get(f"/cases/{case_id}/attachments/{attachment_id}?inline=1")
    assert image.status_code == 200 and image.data == PNG


def test_import_goes_to_the_chosen_unit_only_if_the_user_belongs_to_it(app, client, auth, factory, editor):
    first_org, email = editor
    _, other_admin = factory.user("other@example.org", "另一单位")
    second_org = factory.org(other_admin, name="云岩区邻里社会工作服务中心")
    foreign_org = factory.org(other_admin, name="不相干的机构")
    factory.member(second_org, email, role="editor")
    auth.login(email)

    assert upload(client, case_docx(), "a.docx", org_id=str(second_org)).status_code == 302
    assert upload(client, case_docx(), "b.docx", org_id=str(foreign_org)).status_code == 302

    with app.app_context():
        orgs = [c.org_id for c in _db.session.scalars(select(Case).order_by(Case.id))]
    assert orgs == [second_org, first_org]  # a unit the user is not in falls back to their first


BROKEN = {
    "random-bytes": (os.urandom(4096), "x.docx"),
    "pdf-renamed": (pdf_bytes(), "report.docx"),
    "zip-without-document": (fake_ooxml(), "fake.docx"),
    "truncated-docx": (case_docx()[:2000], "cut.docx"),
    "empty": (b"", "empty.docx"),
    "png-renamed": (PNG, "photo.docx"),
}


@pytest.mark.parametrize("data, filename", BROKEN.values(), ids=BROKEN.keys())
def test_broken_docx_is_refused_with_a_chinese_error(app, client, auth, editor, data, filename):
    auth.login(editor[1])

    response = upload(client, data, filename)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="file-error">(.*?)</p>', page, re.S)
    assert error, "the file field shows no error"
    message = error.group(1)
    assert CHINESE.search(message), message
    assert "Traceback" not in page and "Error" not in message
    assert case_count(app) == 0
    assert stored_files(app) == []
    assert 'aria-invalid="true"' in page


def test_pdf_renamed_docx_names_the_real_type(client, auth, editor):
    auth.login(editor[1])
    page = upload(client, pdf_bytes(), "report.docx").get_data(as_text=True)
    assert "PDF" in page


def test_post_without_a_file_is_refused(app, client, auth, editor):
    auth.login(editor[1])
    response = client.post("/cases/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "请选择要上传的文件。" in response.get_data(as_text=True)
    assert case_count(app) == 0


def test_practitioner_without_a_unit_is_redirected(app, client, auth, factory):
    _, email = factory.user("solo@example.org", "独立社工")
    auth.login(email)

    for response in (client.get("/cases/import"), upload(client, case_docx(), "a.docx")):
        assert response.status_code == 302
        assert response.headers["Location"] == "/orgs/mine"
    page = client.get("/orgs/mine").get_data(as_text=True)
    assert "只有已认证单位的成员可以发布案例" in page
    assert case_count(app) == 0


def test_member_of_an_unverified_unit_is_redirected(app, client, auth, factory):
    _, email = factory.user("pending@example.org", "待认证")
    factory.org(email, status="pending")
    auth.login(email)

    response = upload(client, case_docx(), "a.docx")

    assert response.status_code == 302 and response.headers["Location"] == "/orgs/mine"
    assert case_count(app) == 0


def test_anonymous_visitor_is_sent_to_login(app, client):
    response = upload(client, case_docx(), "a.docx")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert case_count(app) == 0
