"""Session materials: slides, documents and photos follow the case attachment rules (checked by
content, random stored names, downloads as attachments, only PNG/JPEG inline, safe headers);
links must be http(s); each material is public or members-only ("members": users of a verified
unit, experts and platform admins), and members-only ones are hidden from everyone else.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.test_case_permissions import make_png
from tests.test_sessions import PDF, build_world, state


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))



def upload(client, session_id, kind, name, data, **fields):
    form = {"kind": kind, "file": (io.BytesIO(data), name), **fields}
    return client.post(f"/admin/sessions/{session_id}/materials", data=form, content_type="multipart/form-data")


def materials(app, session_id):
    from portal.sessions import services

    with app.app_context():
        return [{"id": m.id, "kind": m.kind, "title": m.title, "stored": m.stored_name, "original": m.original_name,
                 "members_only": m.members_only, "file_kind": m.file_kind}
                for m in services.get_session(session_id).materials]


def stored_files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_uploads_follow_the_case_attachment_rules(app, client, auth, world):
    planned = world["ids"]["planned"]
    auth.login(world["emails"]["admin"])
    files_before, before = stored_files(app), state(app)
    for kind, name, data, message in (
            ("photo", "照片.png", PDF, "此处只接受 JPEG、PNG 文件（所传文件是 PDF）。"),
            ("slides", "讲稿.pdf", b"<html><script>alert(1)</script></html>", "无法识别的文件类型"),
            ("document", "空文件.pdf", b"", "文件是空的。"),
            ("link", "", b"", "链接须以 http:// 或 https:// 开头")):
        fields = {"url": "javascript:alert(1)", "title": "坏链接"} if kind == "link" else {}
        page = upload(client, planned, kind, name, data, **fields) if kind != "link" else \
            client.post(f"/admin/sessions/{planned}/materials", data={"kind": "link", **fields})
        assert page.status_code == 422, kind
        assert message in page.get_data(as_text=True), kind
    assert state(app) == before
    assert stored_files(app) == files_before, "a refused upload left a file behind"

    assert upload(client, planned, "slides", "../../第一阶段讲稿.pdf", PDF).status_code == 302
    assert upload(client, planned, "photo", "合影.png", make_png(), title="活动合影").status_code == 302
    rows = [m for m in materials(app, planned) if m["kind"] != "link"]
    assert [(m["title"], m["original"], m["file_kind"]) for m in rows] == \
        [("第一阶段讲稿.pdf", "第一阶段讲稿.pdf", "pdf"), ("活动合影", "合影.png", "png")]
    for m in rows:
        assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|png)", m["stored"])
        assert m["stored"] in stored_files(app)

    slides, photo = rows
    response = client.get(f"/sessions/{planned}/materials/{slides['id']}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # Only images are ever inline; a PDF asked for inline still downloads.
    assert client.get(f"/sessions/{planned}/materials/{slides['id']}?inline=1") \
        .headers["Content-Disposition"].startswith("attachment")
    inline = client.get(f"/sessions/{planned}/materials/{photo['id']}?inline=1")
    assert inline.headers["Content-Type"] == "image/png"
    assert inline.headers["Content-Disposition"].startswith("inline")
    page = client.get(f"/sessions/{planned}").get_data(as_text=True)
    assert f'src="/sessions/{planned}/materials/{photo["id"]}?inline=1"' in page


def test_deleting_a_material_removes_its_file_after_commit(app, client, auth, world):
    planned = world["ids"]["planned"]
    auth.login(world["emails"]["admin"])
    upload(client, planned, "document", "方案.pdf", PDF)
    doc = next(m for m in materials(app, planned) if m["kind"] == "document")
    assert doc["stored"] in stored_files(app)
    client.post(f"/admin/sessions/{planned}/materials/{doc['id']}/delete")
    assert doc["stored"] not in stored_files(app)
    assert client.get(f"/sessions/{planned}/materials/{doc['id']}").status_code == 404


def test_deleting_a_session_removes_its_files(app, client, auth, world):
    empty = world["ids"]["empty"]
    auth.login(world["emails"]["admin"])
    upload(client, empty, "slides", "讲稿.pdf", PDF)
    stored = materials(app, empty)[0]["stored"]
    client.post(f"/admin/sessions/{empty}/delete")
    assert stored not in stored_files(app)


@pytest.mark.parametrize(("who", "sees"), [
    ("anonymous", False), ("practitioner", False), ("pending_unit_admin", False),
    ("org_editor", True), ("org_admin", True), ("reviewer", True), ("admin", True),
])
def test_members_only_materials(app, client, auth, world, factory, who, sees):
    ids = world["ids"]
    archived = ids["archived"]
    if who == "pending_unit_admin":
        # Belonging to a unit that is not verified does not make a member.
        _id, email = factory.user("pending@example.org", "待审单位管理员")
        factory.org(email, name="尚未认证的社工站", status="pending")
        auth.login(email)
    elif who != "anonymous":
        auth.login(world["emails"][who])

    page = client.get(f"/sessions/{archived}").get_data(as_text=True)
    members_link = f'href="/sessions/{archived}/materials/{ids["members_file"]}"'
    assert f'href="/sessions/{archived}/materials/{ids["public_file"]}"' in page  # public: everyone
    assert "内部资料" in page  # the title is listed ...
    assert (members_link in page) is sees  # ... but the file only for members
    download = client.get(f"/sessions/{archived}/materials/{ids['members_file']}")
    if sees:
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert "（仅成员可见）" in page
    elif who == "anonymous":
        assert "登录后可见" in page
        assert download.status_code == 302 and "/auth/login" in download.headers["Location"]
    else:
        assert "仅成员可见" in page and "登录后可见" not in page
        assert download.status_code == 403
        assert "仅对成员单位的成员、点评专家和平台管理员开放" in download.get_data(as_text=True)


def test_members_predicate_is_one_rule(app, world, factory):
    from flask_login import AnonymousUserMixin

    from portal import permissions
    from portal.auth.services import get_user_by_email

    _id, pending_email = factory.user("p2@example.org", "待审")
    factory.org(pending_email, name="另一个待审单位", status="pending")
    with app.app_context():
        def member(email):
            return permissions.is_platform_member(get_user_by_email(email))

        emails = world["emails"]
        assert [member(emails[r]) for r in ("practitioner", "org_editor", "org_admin", "reviewer", "admin")] == \
            [False, True, True, True, True]
        assert member(pending_email) is False
        assert permissions.is_platform_member(AnonymousUserMixin()) is False


def test_link_materials_and_visibility_toggle(app, client, auth, world):
    planned = world["ids"]["planned"]
    auth.login(world["emails"]["admin"])
    response = client.post(f"/admin/sessions/{planned}/materials",
                           data={"kind": "link", "title": "会议回放（内部）", "url": "https://example.org/replay",
                                 "members_only": "y"})
    assert response.status_code == 302
    link = next(m for m in materials(app, planned) if m["title"] == "会议回放（内部）")
    assert link["members_only"] is True and link["stored"] is None
    auth.logout()
    page = client.get(f"/sessions/{planned}").get_data(as_text=True)
    assert "会议回放（内部）" in page and 'href="https://example.org/replay"' not in page
    assert 'href="https://example.org/notice"' in page  # the public link
    # A link has no file to download.
    assert client.get(f"/sessions/{planned}/materials/{link['id']}").status_code == 404
    auth.login(world["emails"]["admin"])
    client.post(f"/admin/sessions/{planned}/materials/{link['id']}/visibility", data={"members_only": "0"})
    auth.logout()
    assert 'href="https://example.org/replay"' in client.get(f"/sessions/{planned}").get_data(as_text=True)
