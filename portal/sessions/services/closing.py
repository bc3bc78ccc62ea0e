"""Closing a session and its archive record (minutes, numbers, recording)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from portal.admin import audit
from portal.auth.models import User
from portal.errors import ValidationError
from portal.extensions import db
from portal.models_base import utcnow
from portal.regions import PROVINCES
from portal.sessions.models import Registration, RegistrationStatus, SessionStatus, SharingSession
from portal.sessions.services.common import MAX_MINUTES, _count, _require_manager, _text, _url
from portal.sessions.services.sessions import lock_session
from portal.timezones import utc_to_shanghai

# Closing and the archive record --------------------------------------------------------------------

@dataclass
class RecordData:
    minutes: str = ""  # Markdown, shown cleaned
    participants: int | None = None
    provinces_count: int | None = None
    orgs_count: int | None = None
    recording_url: str = ""


def _apply_record(session: SharingSession, data: RecordData) -> None:
    minutes = _text(data.minutes, MAX_MINUTES, "minutes", _("会议纪要"))
    participants = _count(data.participants, "participants", _("参会人数"))
    provinces = _count(data.provinces_count, "provinces_count", _("覆盖省份数"), maximum=len(PROVINCES))
    orgs = _count(data.orgs_count, "orgs_count", _("参会单位数"))
    recording = _url(data.recording_url, "recording_url")
    session.minutes, session.participants = minutes, participants
    session.provinces_count, session.orgs_count, session.recording_url = provinces, orgs, recording


def close_session(actor, session: SharingSession, data: RecordData) -> int:
    """Record minutes, numbers and the recording; held (or planned) -> archived; tell the
    registrants the archive is ready. Returns how many registrants were told. Closing twice is refused."""
    _require_manager(actor)
    lock_session(session)
    db.session.refresh(session, ["status"])
    if session.status == SessionStatus.ARCHIVED:
        raise ValidationError(_("该场次已于 %(d)s 归档，不能重复关闭；如需修改纪要或数据，请使用“修改归档记录”。",
                                d=utc_to_shanghai(session.closed_at).strftime("%Y-%m-%d %H:%M")
                                if session.closed_at else ""))
    _apply_record(session, data)
    session.status = SessionStatus.ARCHIVED
    session.closed_at = utcnow()
    session.registration_open = False
    db.session.flush()
    audit.record(actor, "session.close", session, session.title)
    return _notify_archived(actor, session)


def _notify_archived(actor, session: SharingSession) -> int:
    from portal.notifications.models import Kind
    from portal.notifications.services import notify
    from portal.urls import site_path

    registrants = list(db.session.scalars(
        select(User).join(Registration, Registration.user_id == User.id)
        .where(Registration.session_id == session.id, Registration.status == RegistrationStatus.REGISTERED)
        .order_by(Registration.id)))
    text = _("您报名的分享会《%(t)s》已归档，可以回看议程、分享案例、纪要和资料。", t=session.title)
    return notify(registrants, Kind.SESSION_ARCHIVED, text, site_path("sessions.show", session_id=session.id),
                  actor=actor, email_subject=_("分享会《%(t)s》已归档，可以回看", t=session.title[:60]),
                  email_body=text)


def update_record(actor, session: SharingSession, data: RecordData) -> None:
    """Correct the archive record of a closed session (no new notification)."""
    _require_manager(actor)
    if session.status != SessionStatus.ARCHIVED:
        raise ValidationError(_("该场次尚未归档，请先关闭场次。"))
    _apply_record(session, data)
    db.session.flush()
    audit.record(actor, "session.record", session, session.title)
