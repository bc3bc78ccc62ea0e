"""Limits, labels, the permission check and the small validators shared by the session services."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from portal import permissions, uploads
from portal.cases.models import Theme
from portal.errors import PermissionDenied, ValidationError
from portal.extensions import db
from portal.sessions.models import AgendaKind, MaterialKind, SessionFormat, SessionStatus, SpeakerRole

MAX_INT = 2_147_483_647  # 32-bit INTEGER columns on PostgreSQL
MAX_DESCRIPTION = 20000
MAX_MINUTES = 50000
MAX_DURATION_MINUTES = 24 * 60
MAX_OFFSET_SECONDS = 24 * 3600 - 1

# Labels (Chinese msgids, translated where shown).
STATUS_LABELS = {SessionStatus.PLANNED: "即将举行", SessionStatus.HELD: "已举行", SessionStatus.ARCHIVED: "已归档"}
FORMAT_LABELS = {SessionFormat.ONLINE: "线上", SessionFormat.OFFLINE: "线下", SessionFormat.HYBRID: "线上线下结合"}
ROLE_LABELS = {SpeakerRole.HOST: "主持", SpeakerRole.REMARKS: "致辞", SpeakerRole.PRESENTER: "案例分享",
               SpeakerRole.COMMENTATOR: "点评", SpeakerRole.SUMMARY: "总结"}
AGENDA_KIND_LABELS = {AgendaKind.TALK: "发言", AgendaKind.CASE: "案例分享"}
MATERIAL_LABELS = {MaterialKind.SLIDES: "演示文稿", MaterialKind.DOCUMENT: "文档", MaterialKind.PHOTO: "照片",
                   MaterialKind.LINK: "链接"}
#: Which uploaded kinds each material kind accepts (same content checks as case attachments).
MATERIAL_FILE_KINDS = {MaterialKind.SLIDES: uploads.ATTACHMENT_KINDS, MaterialKind.DOCUMENT: uploads.ATTACHMENT_KINDS,
                       MaterialKind.PHOTO: uploads.IMAGE_KINDS}


# Permissions ------------------------------------------------------------------------------------

def _require_manager(actor) -> None:
    if not permissions.can_manage_sessions(actor):
        raise PermissionDenied(_("只有平台管理员可以管理分享会。"))


#: 403 unless ``actor`` organizes sessions: the organizer pages call it before showing anything.
require_manager = _require_manager


# Small validators -------------------------------------------------------------------------------

def _text(value: str | None, limit: int, field_name: str, label: str, *, required: bool = False) -> str:
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not value:
        raise ValidationError(_("请填写%(label)s。", label=label), field_name)
    if len(value) > limit:
        raise ValidationError(_("%(label)s不能超过 %(n)d 个字符（当前 %(m)d 个）。", label=label, n=limit, m=len(value)),
                              field_name)
    return value


def _count(value: int | None, field_name: str, label: str, *, maximum: int = MAX_INT) -> int | None:
    if value is None:
        return None
    if value < 0:
        raise ValidationError(_("%(label)s不能为负数。", label=label), field_name)
    if value > maximum:
        raise ValidationError(_("%(label)s不能超过 %(n)d。", label=label, n=maximum), field_name)
    return value


_URL_RE = re.compile(r"https?://[^\s<>\"']+\Z", re.IGNORECASE)


def _url(value: str | None, field_name: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError(_("请填写链接地址。"), field_name)
        return ""
    if len(value) > 500 or not _URL_RE.match(value):
        raise ValidationError(_("链接须以 http:// 或 https:// 开头，且不超过 500 个字符。"), field_name)
    return value


def _themes(theme_ids: list[int], current: list[Theme]) -> list[Theme]:
    ids = list(dict.fromkeys(int(i) for i in theme_ids or []))
    themes = list(db.session.scalars(select(Theme).where(Theme.id.in_(ids or [-1])).order_by(Theme.position)))
    if len(themes) != len(ids):
        raise ValidationError(_("所选主题不存在，请刷新页面后重新选择。"), "themes")
    if any(t.retired and t not in current for t in themes):
        raise ValidationError(_("不能选择已停用的主题。"), "themes")
    return themes
