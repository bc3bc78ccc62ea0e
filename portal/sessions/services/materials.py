"""Session materials: uploaded files and links, members-only downloads."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from portal import permissions, storage, uploads
from portal.admin import audit
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.sessions.models import MaterialKind, SessionMaterial, SharingSession
from portal.sessions.services.common import MATERIAL_FILE_KINDS, _require_manager, _text, _url

# Materials --------------------------------------------------------------------------------------

def _max_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def add_material_file(actor, session: SharingSession, kind: str, filename: str, data: bytes, *,
                      title: str = "", members_only: bool = False) -> SessionMaterial:
    """Slides, a document or a photo: checked by content like case attachments (photos PNG or
    JPEG only), stored under a random name."""
    _require_manager(actor)
    if kind not in MATERIAL_FILE_KINDS:
        raise ValidationError(_("请选择资料类型：演示文稿、文档或照片。"), "kind")
    checked = uploads.check_upload(filename, data, max_bytes=_max_bytes(), allowed=MATERIAL_FILE_KINDS[kind])
    original = uploads.safe_original_name(checked.original_name)
    title = _text(title or original, 150, "title", _("资料名称"), required=True)
    stored = storage.save(db.session, checked)
    material = SessionMaterial(kind=kind, title=title, original_name=original, stored_name=stored,
                               file_kind=checked.kind, mime=checked.mime, size=checked.size,
                               members_only=bool(members_only), uploaded_by_id=getattr(actor, "id", None))
    session.materials.append(material)
    db.session.flush()
    audit.record(actor, "session.material_add", session, title)
    return material


def add_material_link(actor, session: SharingSession, title: str, url: str, *,
                      members_only: bool = False) -> SessionMaterial:
    _require_manager(actor)
    url = _url(url, "url", required=True)
    title = _text(title, 150, "title", _("资料名称"), required=True)
    material = SessionMaterial(kind=MaterialKind.LINK, title=title, url=url, members_only=bool(members_only),
                               uploaded_by_id=getattr(actor, "id", None))
    session.materials.append(material)
    db.session.flush()
    audit.record(actor, "session.material_add", session, title)
    return material


def set_material_members_only(actor, material: SessionMaterial, members_only: bool) -> None:
    _require_manager(actor)
    material.members_only = bool(members_only)
    db.session.flush()
    audit.record(actor, "session.material_update", material.session,
                 f"{material.title}: " + (_("仅成员可见") if members_only else _("公开")))


def delete_material(actor, material: SessionMaterial) -> None:
    _require_manager(actor)
    session = material.session
    if material.stored_name:
        storage.delete_on_commit(db.session, material.stored_name)
    audit.record(actor, "session.material_delete", session, material.title)
    session.materials.remove(material)
    db.session.flush()


def get_material(session: SharingSession, material_id: int) -> SessionMaterial:
    material = next((m for m in session.materials if m.id == material_id), None)
    if material is None:
        raise NotFound(_("未找到该资料。"))
    return material


def material_for_download(user, session: SharingSession, material_id: int) -> SessionMaterial:
    """A stored file the user may open; members-only files refuse non-members (403)."""
    material = get_material(session, material_id)
    if not material.stored_name:
        raise NotFound(_("该资料是外部链接，没有可下载的文件。"))
    if not permissions.can_view_session_material(user, material):
        raise PermissionDenied(_("该资料仅对成员单位的成员、点评专家和平台管理员开放。"))
    return material
