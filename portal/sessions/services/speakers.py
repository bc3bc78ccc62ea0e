"""Speakers and attending organizations of a session."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.admin import audit
from portal.auth.models import User
from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.orgs.models import Organization, OrgStatus
from portal.sessions.models import SessionSpeaker, SharingSession, SpeakerRole
from portal.sessions.services.common import ROLE_LABELS, _require_manager, _text

# Speakers and attending organizations ------------------------------------------------------------

@dataclass
class SpeakerData:
    role: str
    name: str = ""
    affiliation: str = ""
    user_id: int | None = None  # an active reviewer: the name links to the expert directory


def expert_choices() -> list[User]:
    """Active reviewers a speaker may be linked to."""
    return list(db.session.scalars(
        select(User).where(permissions.active_expert_clause()).options(selectinload(User.reviewer_profile))
        .order_by(User.display_name, User.id)))


def _apply_speaker(speaker: SessionSpeaker, data: SpeakerData) -> None:
    if data.role not in {r.value for r in SpeakerRole}:
        raise ValidationError(_("请选择角色：主持、致辞、案例分享、点评或总结。"), "role")
    user = None
    if data.user_id:
        user = db.session.get(User, data.user_id)
        if user is None or not permissions.is_active_expert(user):
            raise ValidationError(_("只能关联在册的点评专家。"), "user_id")
    name = (data.name or "").strip() or (user.display_name if user else "")
    affiliation = (data.affiliation or "").strip() or (user.reviewer_profile.affiliation if user else "")
    speaker.role = data.role
    speaker.name = _text(name, 100, "name", _("姓名"), required=True)
    speaker.affiliation = _text(affiliation, 200, "affiliation", _("单位或职务"))
    speaker.user = user


def add_speaker(actor, session: SharingSession, data: SpeakerData) -> SessionSpeaker:
    _require_manager(actor)
    speaker = SessionSpeaker(position=max((s.position for s in session.speakers), default=0) + 1)
    _apply_speaker(speaker, data)
    session.speakers.append(speaker)
    db.session.flush()
    audit.record(actor, "session.speaker_add", session, f"{ROLE_LABELS[speaker.role]} {speaker.name}")
    return speaker


def update_speaker(actor, speaker: SessionSpeaker, data: SpeakerData) -> SessionSpeaker:
    _require_manager(actor)
    _apply_speaker(speaker, data)
    db.session.flush()
    audit.record(actor, "session.speaker_update", speaker.session, f"{ROLE_LABELS[speaker.role]} {speaker.name}")
    return speaker


def delete_speaker(actor, speaker: SessionSpeaker) -> None:
    _require_manager(actor)
    session = speaker.session
    audit.record(actor, "session.speaker_delete", session, f"{ROLE_LABELS.get(speaker.role, '')} {speaker.name}")
    session.speakers.remove(speaker)
    db.session.flush()


def get_speaker(session: SharingSession, speaker_id: int) -> SessionSpeaker:
    speaker = next((s for s in session.speakers if s.id == speaker_id), None)
    if speaker is None:
        raise NotFound(_("未找到该嘉宾。"))
    return speaker


def speakers_by_role(session: SharingSession) -> list[tuple[str, list[SessionSpeaker]]]:
    """[(role, speakers)] in the order 主持, 致辞, 案例分享, 点评, 总结; empty roles left out."""
    out = []
    for role in SpeakerRole:
        people = [s for s in session.speakers if s.role == role]
        if people:
            out.append((role.value, people))
    return out


def verified_orgs() -> list[Organization]:
    return list(db.session.scalars(select(Organization).where(Organization.status == OrgStatus.VERIFIED)
                                   .order_by(Organization.name)))


def set_attending_orgs(actor, session: SharingSession, org_ids: list[int]) -> None:
    """The verified units that attended (replaces the list)."""
    _require_manager(actor)
    ids = list(dict.fromkeys(int(i) for i in org_ids or []))
    orgs = list(db.session.scalars(select(Organization).where(Organization.id.in_(ids or [-1]))))
    if len(orgs) != len(ids) or any(o.status != OrgStatus.VERIFIED for o in orgs):
        raise ValidationError(_("只能选择已认证的成员单位。"), "org_ids")
    session.organizations = sorted(orgs, key=lambda o: o.name)
    db.session.flush()
    audit.record(actor, "session.orgs", session, _("参会单位 %(n)d 家", n=len(orgs)))
