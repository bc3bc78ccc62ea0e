"""The session archive's rules: events, series and sessions, their people, running order,
numbers, materials, closing a session, and the archive listings.

Views, the demo seeding and the participation module (registrations, proposals) call these
functions; each checks permissions itself (portal.permissions, "Sessions" section) and leaves
the commit to the caller (one commit per request).

Times: every datetime handed to these functions is either timezone-aware (converted to UTC) or
naive UTC, and is stored naive UTC. Forms take Asia/Shanghai local times and convert with
:func:`shanghai_to_utc`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal import permissions, storage, uploads
from portal.admin import audit
from portal.auth.models import User
from portal.cases.models import Case, CaseStatus, Theme
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.models_base import utcnow
from portal.orgs.models import Organization, OrgStatus
from portal.regions import PROVINCES
from portal.sessions.models import (
    AgendaItem,
    AgendaKind,
    Event,
    MaterialKind,
    Registration,
    RegistrationStatus,
    SessionFormat,
    SessionMaterial,
    SessionSpeaker,
    SessionStatus,
    Series,
    SharingSession,
    SpeakerRole,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
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


# Times and numbers -----------------------------------------------------------------------------

def shanghai_to_utc(value: datetime | None) -> datetime | None:
    """A naive Asia/Shanghai wall-clock time (as typed in a form) -> naive UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_shanghai(value: datetime | None) -> datetime | None:
    """Naive UTC (as stored) -> naive Asia/Shanghai wall-clock time (for form fields)."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(SHANGHAI).replace(tzinfo=None)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 25 -> 二十五, 100 -> 一百; digits beyond 999, and digits
    when the page is not in Chinese (第%(n)s期 becomes "No. 2", not "No. 二")."""
    from flask_babel import get_locale

    locale = get_locale()
    if n <= 0 or n > 999 or (locale is not None and locale.language != "zh"):
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _DIGITS[hundreds] + "百"
        if rest and tens == 0:
            return out + "零" + _DIGITS[ones]
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        out += _DIGITS[ones]
    return out


def series_label(number: int | None) -> str:
    """第一期, 第二期 ... (empty without a number)."""
    return _("第%(n)s期", n=chinese_number(number)) if number else ""


def parse_offset(value) -> int | None:
    """A recording offset: seconds (int), "" / None, "mm:ss" or "h:mm:ss" -> seconds."""
    if value is None:
        return None
    if isinstance(value, int):
        seconds = value
    else:
        text = str(value).strip().replace("：", ":")
        if not text:
            return None
        parts = text.split(":")
        if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            raise ValidationError(_("录像时间点请写成“分:秒”（如 12:30）或“时:分:秒”（如 1:05:00）。"),
                                  "recording_offset")
        numbers = [int(p) for p in parts]
        if any(n >= 60 for n in numbers[1:]):
            raise ValidationError(_("录像时间点中的分和秒须小于 60。"), "recording_offset")
        seconds = 0
        for n in numbers:
            seconds = seconds * 60 + n
    if seconds < 0 or seconds > MAX_OFFSET_SECONDS:
        raise ValidationError(_("录像时间点须在 0:00 到 23:59:59 之间。"), "recording_offset")
    return seconds


def format_offset(seconds: int | None) -> str:
    """Seconds -> "mm:ss" (under an hour) or "h:mm:ss"."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def watch_url(session: SharingSession, item: AgendaItem) -> str:
    """The recording link opened at the item's offset ("" without a recording or an offset):
    ``&t=<seconds>`` when the link already has a query string, ``#t=<seconds>`` otherwise."""
    url = (session.recording_url or "").strip()
    if not url or item.recording_offset is None:
        return ""
    base, _hash, _fragment = url.partition("#")
    joiner = "&" if "?" in base else "#"
    return f"{base}{joiner}t={int(item.recording_offset)}"


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


# Events -----------------------------------------------------------------------------------------

@dataclass
class EventData:
    title: str
    organizer: str = ""
    co_organizers: str = ""  # one per line
    description: str = ""   # Markdown
    theme_ids: list[int] = field(default_factory=list)


def _apply_event(event: Event, data: EventData) -> None:
    event.title = _text(data.title, 150, "title", _("活动名称"), required=True)
    event.organizer = _text(data.organizer, 200, "organizer", _("主办单位"))
    lines = [line.strip() for line in (data.co_organizers or "").replace("\r", "\n").split("\n") if line.strip()]
    event.co_organizers = _text("\n".join(dict.fromkeys(lines)), 500, "co_organizers", _("协办单位"))
    event.description = _text(data.description, MAX_DESCRIPTION, "description", _("活动介绍"))
    event.themes = _themes(data.theme_ids, list(event.themes))


def create_event(actor, data: EventData) -> Event:
    _require_manager(actor)
    event = Event()
    _apply_event(event, data)
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "session.event_create", event, event.title)
    return event


def update_event(actor, event: Event, data: EventData) -> Event:
    _require_manager(actor)
    _apply_event(event, data)
    db.session.flush()
    audit.record(actor, "session.event_update", event, event.title)
    return event


def get_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(_("未找到该活动。"))
    return event


def all_events() -> list[Event]:
    return list(db.session.scalars(select(Event).order_by(Event.created_at.desc(), Event.id.desc())))


def co_organizer_list(event: Event) -> list[str]:
    return [line for line in (event.co_organizers or "").split("\n") if line.strip()]


# Series -----------------------------------------------------------------------------------------

@dataclass
class SeriesData:
    title: str
    description: str = ""


def _apply_series(series: Series, data: SeriesData) -> None:
    title = _text(data.title, 150, "title", _("系列名称"), required=True)
    clash = db.session.scalar(select(Series).where(Series.title == title))
    if clash is not None and clash is not series:
        raise ValidationError(_("已有同名系列。"), "title")
    series.title = title
    series.description = _text(data.description, MAX_DESCRIPTION, "description", _("系列介绍"))


def create_series(actor, data: SeriesData) -> Series:
    _require_manager(actor)
    series = Series()
    _apply_series(series, data)
    db.session.add(series)
    db.session.flush()
    audit.record(actor, "session.series_create", series, series.title)
    return series


def update_series(actor, series: Series, data: SeriesData) -> Series:
    _require_manager(actor)
    _apply_series(series, data)
    db.session.flush()
    audit.record(actor, "session.series_update", series, series.title)
    return series


def get_series(series_id: int) -> Series:
    series = db.session.get(Series, series_id)
    if series is None:
        raise NotFound(_("未找到该系列。"))
    return series


def all_series() -> list[Series]:
    return list(db.session.scalars(select(Series).order_by(Series.title)))


def next_series_number(series: Series) -> int:
    return (db.session.scalar(select(func.max(SharingSession.series_number))
                              .where(SharingSession.series_id == series.id)) or 0) + 1


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


def get_session(session_id: int) -> SharingSession:
    session = db.session.get(SharingSession, session_id)
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
        select(User).where(permissions.active_expert_clause()).order_by(User.display_name, User.id)))


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


# Running order ----------------------------------------------------------------------------------

@dataclass
class AgendaData:
    kind: str = AgendaKind.TALK
    title: str = ""  # a case item defaults to the case's title
    case_id: int | None = None  # a PUBLISHED case (kind "case")
    org_id: int | None = None  # presenting unit; a case item defaults to the case's unit
    presenter: str = ""
    duration_minutes: int | None = None
    recording_offset: int | str | None = None  # seconds, or "mm:ss" / "h:mm:ss"
    notes: str = ""


def ordered_agenda(session: SharingSession) -> list[AgendaItem]:
    return sorted(session.agenda, key=lambda item: (item.position, item.id or 0))


def _renumber(session: SharingSession, items: list[AgendaItem]) -> None:
    """Positions 1..n in the given order."""
    for position, item in enumerate(items, start=1):
        item.position = position
    session.agenda = list(items)


def _check_offsets(items: list[AgendaItem]) -> None:
    """Recording offsets must increase strictly with the running order (no overlap, no duplicates)."""
    previous = None
    for item in items:
        if item.recording_offset is None:
            continue
        if previous is not None and item.recording_offset <= previous.recording_offset:
            raise ValidationError(_(
                "录像时间点必须随议程顺序递增且不能重复：“%(b)s”的 %(ob)s 不能早于或等于它前面的“%(a)s”的 %(oa)s。",
                a=previous.title, oa=format_offset(previous.recording_offset),
                b=item.title, ob=format_offset(item.recording_offset)), "recording_offset")
        previous = item


def _apply_agenda(session: SharingSession, item: AgendaItem, data: AgendaData) -> None:
    if data.kind not in {k.value for k in AgendaKind}:
        raise ValidationError(_("议程类型须为发言或案例分享。"), "kind")
    case = org = None
    if data.kind == AgendaKind.CASE:
        if not data.case_id:
            raise ValidationError(_("案例分享须选择一个已发布的案例。"), "case_id")
        case = db.session.get(Case, data.case_id)
        if case is None:
            raise ValidationError(_("未找到编号为 %(id)s 的案例。", id=data.case_id), "case_id")
        if case.status != CaseStatus.PUBLISHED:
            raise ValidationError(_("只能把已发布的案例加入议程（该案例尚未发布或已归档）。"), "case_id")
        duplicate = next((i for i in session.agenda if i.case_id == case.id and i is not item), None)
        if duplicate is not None:
            raise ValidationError(_("该案例已在本场议程中（第 %(n)d 项）。", n=duplicate.position), "case_id")
    org_id = data.org_id or (case.org_id if case is not None else None)
    if org_id:
        org = db.session.get(Organization, org_id)
        if org is None or org.status != OrgStatus.VERIFIED:
            raise ValidationError(_("分享单位须为已认证的成员单位。"), "org_id")
    title = (data.title or "").strip() or (case.title[:150] if case is not None else "")
    item.title = _text(title, 150, "title", _("议程标题"), required=True)
    item.kind = data.kind
    item.case = case
    item.org = org
    item.presenter = _text(data.presenter, 100, "presenter", _("分享人"))
    item.duration_minutes = _count(data.duration_minutes, "duration_minutes", _("计划时长"),
                                   maximum=MAX_DURATION_MINUTES) or None
    item.recording_offset = parse_offset(data.recording_offset)
    item.notes = _text(data.notes, 2000, "notes", _("备注"))


def add_agenda_item(actor, session: SharingSession, data: AgendaData, *, position: int | None = None) -> AgendaItem:
    """Add an item at the end (or at ``position``, 1-based); positions stay 1..n."""
    _require_manager(actor)
    items = ordered_agenda(session)
    item = AgendaItem()
    with db.session.no_autoflush:
        _apply_agenda(session, item, data)
        index = len(items) if position is None else min(max(int(position), 1), len(items) + 1) - 1
        items.insert(index, item)
        _check_offsets(items)
    _renumber(session, items)
    db.session.flush()
    audit.record(actor, "session.agenda_add", session, item.title)
    return item


def update_agenda_item(actor, item: AgendaItem, data: AgendaData) -> AgendaItem:
    _require_manager(actor)
    session = item.session
    with db.session.no_autoflush:
        _apply_agenda(session, item, data)
        _check_offsets(ordered_agenda(session))
    db.session.flush()
    audit.record(actor, "session.agenda_update", session, item.title)
    return item


def delete_agenda_item(actor, item: AgendaItem) -> None:
    _require_manager(actor)
    session = item.session
    items = [i for i in ordered_agenda(session) if i is not item]
    audit.record(actor, "session.agenda_delete", session, item.title)
    session.agenda.remove(item)
    _renumber(session, items)
    db.session.flush()


def move_agenda_item(actor, item: AgendaItem, direction: str) -> None:
    """Swap with the neighbour above ("up") or below ("down")."""
    _require_manager(actor)
    if direction not in ("up", "down"):
        raise ValidationError(_("未知操作。"))
    items = ordered_agenda(item.session)
    index = items.index(item)
    if direction == "up" and index == 0:
        raise ValidationError(_("已经是第一项，无法上移。"))
    if direction == "down" and index == len(items) - 1:
        raise ValidationError(_("已经是最后一项，无法下移。"))
    return set_agenda_position(actor, item, index + (0 if direction == "up" else 2))


def set_agenda_position(actor, item: AgendaItem, position: int) -> None:
    """Move the item to ``position`` (1..n); the others shift, positions stay 1..n."""
    _require_manager(actor)
    session = item.session
    items = ordered_agenda(session)
    if position is None or not 1 <= int(position) <= len(items):
        raise ValidationError(_("位置须在 1 到 %(n)d 之间。", n=len(items)), "position")
    items.remove(item)
    items.insert(int(position) - 1, item)
    try:
        _check_offsets(items)
    except ValidationError as exc:
        raise ValidationError(_("调整后录像时间点将不再随议程顺序递增，请先修改或清空相关议程的录像时间点。")
                              + " " + exc.message) from None
    _renumber(session, items)
    db.session.flush()
    audit.record(actor, "session.agenda_move", session, _("“%(t)s” 移到第 %(n)d 项", t=item.title, n=int(position)))


def get_agenda_item(session: SharingSession, item_id: int) -> AgendaItem:
    item = next((i for i in session.agenda if i.id == item_id), None)
    if item is None:
        raise NotFound(_("未找到该议程项。"))
    return item


def case_from_reference(text: str) -> int | None:
    """A case id from "12", "#12" or a case page link ".../cases/12"."""
    text = (text or "").strip()
    if not text:
        return None
    match = re.search(r"/cases/(\d+)", text) or re.fullmatch(r"[#＃]?\s*(\d+)", text)
    if not match:
        raise ValidationError(_("请填写案例编号或案例页面链接（如 /cases/12）。"), "case_id")
    return int(match.group(1))


def agenda_comments(session: SharingSession) -> dict[int, list]:
    """Expert comments given in this session, per agenda item id (published cases only)."""
    from portal.reviews.models import ExpertComment

    case_items = {i.case_id: i.id for i in session.agenda if i.case_id}
    if not case_items or session.id is None:
        return {}
    comments = db.session.scalars(
        select(ExpertComment).join(Case, Case.id == ExpertComment.case_id)
        .where(ExpertComment.session_id == session.id, ExpertComment.case_id.in_(list(case_items)),
               Case.status == CaseStatus.PUBLISHED)
        .order_by(ExpertComment.created_at, ExpertComment.id))
    out: dict[int, list] = {}
    for comment in comments:
        out.setdefault(case_items[comment.case_id], []).append(comment)
    return out


def excerpt(markdown_text: str, limit: int = 120) -> str:
    """Plain-text start of a Markdown text (for comment excerpts)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown_text or "")
    text = re.sub(r"^\s{0,3}(?:#{1,6}|>|[-+*]|\d+\.)\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"[*_`~|]+", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def sessions_presenting(case: Case) -> list[AgendaItem]:
    """The agenda items in which ``case`` was (or will be) presented, by session date."""
    return list(db.session.scalars(
        select(AgendaItem).join(SharingSession, SharingSession.id == AgendaItem.session_id)
        .where(AgendaItem.case_id == case.id).order_by(SharingSession.starts_at, AgendaItem.id)))


def case_sessions_panel(user, case) -> dict:
    """Template variables for the case page: the sessions where the case was presented."""
    if case is None or case.id is None:
        return {"case_sessions": []}
    return {"case_sessions": sessions_presenting(case)}


def comment_session_choices(case: Case) -> list[SharingSession]:
    """Sessions an expert comment on ``case`` may say it was given in: those presenting the case."""
    return [item.session for item in sessions_presenting(case)]


def check_comment_session(case: Case, session_id: int | None) -> int | None:
    """For portal.reviews: the session of an expert comment must be one that presented the case."""
    if not session_id:
        return None
    if session_id not in {s.id for s in comment_session_choices(case)}:
        raise ValidationError(_("只能选择分享过该案例的分享会。"), "session_id")
    return int(session_id)


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
    text = _("您报名的分享会“%(t)s”已归档，可以回看议程、分享案例、纪要和资料。", t=session.title)
    return notify(registrants, Kind.SESSION_ARCHIVED, text, site_path("sessions.show", session_id=session.id),
                  actor=actor, email_subject=_("分享会“%(t)s”已归档，可以回看", t=session.title[:60]),
                  email_body=text)


def update_record(actor, session: SharingSession, data: RecordData) -> None:
    """Correct the archive record of a closed session (no new notification)."""
    _require_manager(actor)
    if session.status != SessionStatus.ARCHIVED:
        raise ValidationError(_("该场次尚未归档，请先关闭场次。"))
    _apply_record(session, data)
    db.session.flush()
    audit.record(actor, "session.record", session, session.title)


# Numbers ----------------------------------------------------------------------------------------

def cases_presented(session: SharingSession) -> int:
    return sum(1 for item in session.agenda if item.kind == AgendaKind.CASE and item.case_id)


def session_numbers(session: SharingSession) -> dict:
    """participants / provinces / orgs as recorded when closing (None: not recorded), cases
    presented counted from the running order."""
    return {"participants": session.participants, "provinces": session.provinces_count,
            "orgs": session.orgs_count, "cases": cases_presented(session)}


def event_numbers(event: Event) -> dict:
    """Over the event's phases: participants and cases presented are summed (participants are
    person-times: someone at both phases counts twice); provinces and organizations are the
    largest figure of any phase (the same provinces and units usually attend every phase, so a
    sum would overstate them) — or, for organizations, the number of distinct linked attending
    units when that is larger. None when no phase recorded the figure."""
    phases = list(event.sessions)

    def recorded(name):
        return [getattr(s, name) for s in phases if getattr(s, name) is not None]

    participants, provinces, orgs = recorded("participants"), recorded("provinces_count"), recorded("orgs_count")
    distinct_orgs = len({o.id for s in phases for o in s.organizations})
    org_figure = max(orgs + ([distinct_orgs] if distinct_orgs else []), default=None)
    return {"participants": sum(participants) if participants else None,
            "provinces": max(provinces) if provinces else None,
            "orgs": org_figure,
            "cases": sum(cases_presented(s) for s in phases),
            "phases": len(phases)}


# Listings ---------------------------------------------------------------------------------------

@dataclass
class SessionFilters:
    q: str = ""
    theme: int | None = None


def _filtered(filters: SessionFilters):
    stmt = select(SharingSession)
    if filters.theme:
        stmt = stmt.where(or_(SharingSession.themes.any(Theme.id == filters.theme),
                              SharingSession.event.has(Event.themes.any(Theme.id == filters.theme))))
    q = (filters.q or "").strip()[:100]
    if q:
        from portal.sessions.search import condition  # the site search's syntax and synonyms

        where = condition(q)
        if where is not None:
            stmt = stmt.where(where)
    return stmt


def upcoming_sessions(filters: SessionFilters | None = None, now: datetime | None = None) -> list[SharingSession]:
    """Planned sessions that have not started, soonest first."""
    now = now or utcnow()
    stmt = _filtered(filters or SessionFilters()).where(
        SharingSession.status == SessionStatus.PLANNED, SharingSession.starts_at >= now)
    return list(db.session.scalars(stmt.order_by(SharingSession.starts_at, SharingSession.id)))


def archive_by_year(filters: SessionFilters | None = None,
                    now: datetime | None = None) -> list[tuple[int, list[SharingSession]]]:
    """Every other session (held, archived, or planned but already begun), newest first,
    grouped by the year (Asia/Shanghai) it took place."""
    now = now or utcnow()
    stmt = _filtered(filters or SessionFilters()).where(
        or_(SharingSession.status != SessionStatus.PLANNED, SharingSession.starts_at < now))
    groups: dict[int, list[SharingSession]] = {}
    for session in db.session.scalars(stmt.order_by(SharingSession.starts_at.desc(), SharingSession.id.desc())):
        groups.setdefault(utc_to_shanghai(session.starts_at).year, []).append(session)
    return list(groups.items())


def all_sessions() -> list[SharingSession]:
    """For the admin list: newest first."""
    return list(db.session.scalars(select(SharingSession).order_by(SharingSession.starts_at.desc(),
                                                                   SharingSession.id.desc())))


def session_themes_in_use() -> list[Theme]:
    """Themes worth offering in the /sessions filter: active ones."""
    return list(db.session.scalars(select(Theme).where(Theme.retired.is_(False)).order_by(Theme.position, Theme.id)))
