"""Sessions: create, update, delete, mark held, seats and titles."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal import storage
from portal.admin import audit
from portal.auth.models import User
from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models_base import loader_options
from portal.sessions.models import (
    AgendaItem,
    Event,
    Registration,
    RegistrationStatus,
    Series,
    SessionFormat,
    SessionSpeaker,
    SessionStatus,
    SharingSession,
)
from portal.sessions.services.common import MAX_DESCRIPTION, MAX_INT, _count, _require_manager, _text, _themes
from portal.sessions.services.events import next_series_number
from portal.sessions.services.times import _as_utc, series_label

# Sessions ---------------------------------------------------------------------------------------

@dataclass
class SessionData:
    title: str
    starts_at: datetime | None = None  # naive UTC or timezone-aware
    ends_at: datetime | None = None
    format: str = SessionFormat.ONLINE
    venue: str = ""  # platform (腾讯会议 ...) or address
    host: str = ""
    description: str = ""
    event_id: int | None = None
    series_id: int | None = None
    series_number: int | None = None  # None: the next number of the series
    capacity: int | None = None  # None: no limit
    registration_open: bool = True
    theme_ids: list[int] = field(default_factory=list)


@loader_options
def page_options() -> tuple:
    """What the session page shows, one query per kind: its event or series, themes, attending
    units, materials, speakers (with their expert profiles) and running order (with each item's
    case and unit)."""
    from portal.cases.services import card_options

    return (joinedload(SharingSession.event), joinedload(SharingSession.series),
            selectinload(SharingSession.themes), selectinload(SharingSession.organizations),
            selectinload(SharingSession.materials),
            selectinload(SharingSession.speakers).joinedload(SessionSpeaker.user).joinedload(User.reviewer_profile),
            selectinload(SharingSession.agenda).options(
                joinedload(AgendaItem.org),
                joinedload(AgendaItem.case).options(*card_options(themes=False, org=False, strict=False))))


def get_session(session_id: int, *, page: bool = False) -> SharingSession:
    """The session (``page``: with what its page shows loaded, see :func:`page_options`)."""
    session = db.session.get(SharingSession, session_id, options=page_options() if page else None)
    if session is None:
        raise NotFound(_("未找到该分享会。"))
    return session


def registered_count(session: SharingSession) -> int:
    """Registrations that hold a seat (status registered; the waiting list does not count)."""
    if session.id is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.session_id == session.id, Registration.status == RegistrationStatus.REGISTERED)) or 0


def lock_session(session: SharingSession) -> None:
    """Serialize changes to the session's seats until commit, so capacity changes, sign-ups and
    closing do not race (the row lock on PostgreSQL, the write lock on SQLite: see
    participation.lock_session)."""
    if session.id is not None:
        from portal.sessions import participation

        participation.lock_session(session)


def _apply_session(session: SharingSession, data: SessionData) -> None:
    title = _text(data.title, 150, "title", _("标题"), required=True)
    starts_at, ends_at = _as_utc(data.starts_at), _as_utc(data.ends_at)
    if starts_at is None:
        raise ValidationError(_("请填写开始时间。"), "starts_at")
    if ends_at is None:
        raise ValidationError(_("请填写结束时间。"), "ends_at")
    if ends_at <= starts_at:
        raise ValidationError(_("结束时间必须晚于开始时间。"), "ends_at")
    if data.format not in {f.value for f in SessionFormat}:
        raise ValidationError(_("形式须为线上、线下或线上线下结合。"), "format")
    venue = _text(data.venue, 200, "venue", _("平台或地点"))
    host = _text(data.host, 100, "host", _("主持人"))
    description = _text(data.description, MAX_DESCRIPTION, "description", _("介绍"))

    event = series = None
    if data.event_id and data.series_id:
        raise ValidationError(_("一个场次只能属于一个活动或一个系列，不能同时属于两者。"), "series_id")
    if data.event_id:
        event = db.session.get(Event, data.event_id)
        if event is None:
            raise ValidationError(_("所选活动不存在。"), "event_id")
    number = None
    if data.series_id:
        series = db.session.get(Series, data.series_id)
        if series is None:
            raise ValidationError(_("所选系列不存在。"), "series_id")
        if data.series_number is not None:
            number = _count(data.series_number, "series_number", _("期数"), maximum=9999)
            if number == 0:
                raise ValidationError(_("期数须从 1 开始。"), "series_number")
        elif session.series_id == series.id and session.series_number:
            number = session.series_number
        else:
            number = next_series_number(series)
        clash = db.session.scalar(select(SharingSession).where(
            SharingSession.series_id == series.id, SharingSession.series_number == number))
        if clash is not None and clash is not session:
            raise ValidationError(_("该系列已有%(label)s：“%(t)s”。", label=series_label(number), t=clash.title),
                                  "series_number")

    capacity = data.capacity
    if capacity is not None:
        if capacity < 1:
            raise ValidationError(_("容量须至少为 1 人；不限人数请留空。"), "capacity")
        if capacity > MAX_INT:
            raise ValidationError(_("容量过大。"), "capacity")
        lock_session(session)
        taken = registered_count(session)
        if capacity < taken:
            raise ValidationError(_("容量不能少于已报名人数（当前已有 %(n)d 人报名）。", n=taken), "capacity")
    themes = _themes(data.theme_ids, list(session.themes))

    session.title, session.starts_at, session.ends_at = title, starts_at, ends_at
    session.format, session.venue, session.host, session.description = data.format, venue, host, description
    session.event, session.series, session.series_number = event, series, number
    session.capacity, session.registration_open = capacity, bool(data.registration_open)
    session.themes = themes


def create_session(actor, data: SessionData) -> SharingSession:
    _require_manager(actor)
    session = SharingSession(status=SessionStatus.PLANNED)
    _apply_session(session, data)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "session.create", session, session.title)
    return session


def update_session(actor, session: SharingSession, data: SessionData) -> SharingSession:
    from portal.sessions import participation

    _require_manager(actor)
    _apply_session(session, data)
    db.session.flush()
    participation.fill_seats(session, actor)  # a raised (or removed) limit lets the waiting list in
    audit.record(actor, "session.update", session, session.title)
    return session


def delete_session(actor, session: SharingSession) -> None:
    """Only a session nobody signed up for (registrations are people's plans: close
    registration instead)."""
    _require_manager(actor)
    active = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.session_id == session.id, Registration.status != RegistrationStatus.CANCELLED)) or 0
    if active:
        raise ValidationError(_("已有 %(n)d 人报名或候补，不能删除该场次；可以关闭报名。", n=active))
    for material in session.materials:
        if material.stored_name:
            storage.delete_on_commit(db.session, material.stored_name)
    audit.record(actor, "session.delete", session, session.title)
    db.session.delete(session)
    db.session.flush()


def mark_held(actor, session: SharingSession) -> None:
    """planned -> held (the session took place; the archive record comes when it is closed)."""
    _require_manager(actor)
    if session.status != SessionStatus.PLANNED:
        raise ValidationError(_("只有“即将举行”的场次可以标记为已举行。"))
    session.status = SessionStatus.HELD
    audit.record(actor, "session.held", session, session.title)
    db.session.flush()


def display_title(session: SharingSession) -> str:
    """The title with its place: "系列 · 第二期 · 标题" / "活动 · 标题" / "标题"."""
    if session.series is not None and session.series_number:
        return f"{session.series.title} · {series_label(session.series_number)} · {session.title}"
    if session.event is not None:
        return f"{session.event.title} · {session.title}"
    return session.title
