"""Business rules of calls for cases (案例征集与评选). Views commit; every function here checks
who may act first and refuses with a Chinese message, leaving nothing half-done.

The cycle: an admin drafts a call and announces it; verified units that fit it enter cases
until the deadline (withdraw or replace them until then); after the deadline admins assign
reviewers (automatically balanced by theme expertise and load, never a reviewer from the
entering unit or with a declared conflict; manual changes allowed), reviewers score every
dimension; :func:`aggregate` shows raw and reviewer-normalised means side by side and flags
disagreement; admins shortlist (into a session's running order in one step), decide awards
with reasons (audited) and publish the results.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.admin import audit
from portal.auth.models import ReviewerProfile, User
from portal.calls.models import (
    SCORE_MAX,
    SCORE_MIN,
    AwardLevel,
    CallAssignment,
    CallDimension,
    CallEntry,
    CallScore,
    CaseCall,
    EntryStatus,
    ReviewerConflict,
)
from portal.cases.models import SECTIONS, Case, CaseStatus, Theme
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.models_base import lock_row, statement, utcnow
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.orgs.models import Membership, Organization, OrgStatus, OrgType
from portal.regions import PROVINCES
from portal.timezones import shanghai_to_utc

MAX_TITLE = 150
MAX_TEXT = 20000
MAX_NOTE = 2000
MAX_REASON = 1000
MAX_DIMENSIONS = 12
MAX_LEVELS = 10
#: How long before the deadline units are reminded, and reviewers before their due date.
REMIND_BEFORE = timedelta(days=3)


class State:
    DRAFT, UPCOMING, OPEN, REVIEWING, CLOSED = "draft", "upcoming", "open", "reviewing", "closed"


STATE_LABELS = {State.DRAFT: _l("草稿（未发布）"), State.UPCOMING: _l("即将开始"), State.OPEN: _l("征集中"),
                State.REVIEWING: _l("评审中"), State.CLOSED: _l("结果已公布")}


def state(call: CaseCall, now: datetime | None = None) -> str:
    now = now or utcnow()
    if call.announced_at is None:
        return State.DRAFT
    if call.results_published_at is not None:
        return State.CLOSED
    if now < call.opens_at:
        return State.UPCOMING
    if now < call.closes_at:
        return State.OPEN
    return State.REVIEWING


def _when(value: datetime) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def _split(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def org_types(call: CaseCall) -> list[str]:
    return _split(call.org_types)


def provinces(call: CaseCall) -> list[str]:
    return _split(call.provinces)


def required_sections(call: CaseCall) -> list[str]:
    return [name for name in _split(call.required_sections) if name in SECTIONS]


# Who may see and manage ------------------------------------------------------------------------

def may_manage(user) -> bool:
    return permissions.can_manage_calls(user)


def require_manager(user) -> None:
    if not may_manage(user):
        raise PermissionDenied(_("只有平台管理员可以管理案例征集。"))


def visible_calls(user) -> list[CaseCall]:
    stmt = select(CaseCall).options(selectinload(CaseCall.themes)).order_by(CaseCall.closes_at.desc(), CaseCall.id.desc())
    if not may_manage(user):
        stmt = stmt.where(CaseCall.announced_at.is_not(None))
    return list(db.session.scalars(stmt))


def get_call(user, call_id: int) -> CaseCall:
    """A call anyone may read once announced; drafts are admins' only (404 for others)."""
    call = db.session.get(CaseCall, call_id)
    if call is None or (call.announced_at is None and not may_manage(user)):
        raise NotFound(_("未找到该征集。"))
    return call


def entry_counts(call_ids) -> dict[int, int]:
    ids = list(call_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        select(CallEntry.call_id, func.count()).where(CallEntry.call_id.in_(ids),
                                                     CallEntry.status == EntryStatus.ENTERED)
        .group_by(CallEntry.call_id)).all())


def active_entries(call: CaseCall) -> list[CallEntry]:
    return [e for e in call.entries if e.status == EntryStatus.ENTERED]


# Creating and editing a call ---------------------------------------------------------------------

@dataclass
class CallData:
    title: str
    description: str = ""
    opens_at: datetime | None = None      # Asia/Shanghai wall-clock, as typed
    closes_at: datetime | None = None
    review_due_on: date | None = None
    theme_ids: list[int] = field(default_factory=list)
    org_types: list[str] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)
    required_sections: list[str] = field(default_factory=list)
    min_attachments: int = 0
    max_entries_per_unit: int = 1
    reviewers_per_entry: int = 2
    blind: bool = False
    disagreement: float = 3.0
    dimensions: str = ""   # one per line: "创新性 30"
    levels: str = ""       # one per line: "一等奖 2"
    session_ids: list[int] = field(default_factory=list)


def _named_numbers(text: str, what: str, field_name: str, low: int, high: int, limit: int) -> list[tuple[str, int]]:
    """Lines of "名称 数字" (the number may be omitted: 1), each name once."""
    out: list[tuple[str, int]] = []
    for line in _split(text):
        name, _sep, number = line.replace("\u3000", " ").rpartition(" ")
        if not name.strip():
            name, number = number, "1"
        name = name.strip()
        if not number.strip().isdecimal() or not low <= int(number) <= high:
            raise ValidationError(_("“%(line)s”：%(what)s后面的数字应在 %(low)d 到 %(high)d 之间。",
                                    line=line[:40], what=what, low=low, high=high), field=field_name)
        if len(name) > 30:
            raise ValidationError(_("%(what)s名称不能超过 30 个字符：%(name)s", what=what, name=name[:40]),
                                  field=field_name)
        if name in {n for n, _w in out}:
            raise ValidationError(_("%(what)s“%(name)s”重复了。", what=what, name=name), field=field_name)
        out.append((name, int(number)))
    if not out:
        raise ValidationError(_("请至少填写一项%(what)s。", what=what), field=field_name)
    if len(out) > limit:
        raise ValidationError(_("%(what)s最多 %(n)d 项。", what=what, n=limit), field=field_name)
    return out


def parse_dimensions(text: str) -> list[tuple[str, int]]:
    return _named_numbers(text, _("评分维度"), "dimensions", 1, 100, MAX_DIMENSIONS)


def parse_levels(text: str) -> list[tuple[str, int]]:
    return _named_numbers(text, _("奖项"), "levels", 1, 500, MAX_LEVELS)


def dimensions_text(call: CaseCall) -> str:
    return "\n".join(f"{d.name} {d.weight}" for d in call.dimensions)


def levels_text(call: CaseCall) -> str:
    return "\n".join(f"{lv.name} {lv.places}" for lv in call.levels)


def _has_scores(call: CaseCall) -> bool:
    return call.id is not None and db.session.scalar(
        select(func.count()).select_from(CallScore).join(CallDimension).where(CallDimension.call_id == call.id)) > 0


def _check_call(data: CallData) -> tuple[datetime, datetime]:
    if not (data.title or "").strip():
        raise ValidationError(_("请填写征集标题。"), field="title")
    if len(data.title.strip()) > MAX_TITLE:
        raise ValidationError(_("标题不能超过 %(n)d 个字符。", n=MAX_TITLE), field="title")
    if len(data.description or "") > MAX_TEXT:
        raise ValidationError(_("说明不能超过 %(n)d 个字符。", n=MAX_TEXT), field="description")
    if data.opens_at is None or data.closes_at is None:
        raise ValidationError(_("请填写征集的开始和截止时间。"), field="closes_at")
    opens, closes = shanghai_to_utc(data.opens_at), shanghai_to_utc(data.closes_at)
    if closes <= opens:
        raise ValidationError(_("截止时间必须晚于开始时间。"), field="closes_at")
    if data.review_due_on is not None and data.review_due_on < data.closes_at.date():
        raise ValidationError(_("评审截止日期不能早于征集截止日期。"), field="review_due_on")
    if unknown := [t for t in data.org_types if t not in {o.value for o in OrgType}]:
        raise ValidationError(_("未知的单位类型：%(t)s", t="、".join(unknown)), field="org_types")
    if unknown := [p for p in data.provinces if p not in PROVINCES]:
        raise ValidationError(_("未知的省级行政区：%(p)s", p="、".join(unknown)), field="provinces")
    if unknown := [s for s in data.required_sections if s not in SECTIONS]:
        raise ValidationError(_("未知的案例部分：%(s)s", s="、".join(unknown)), field="required_sections")
    for name, value, low, high in (("min_attachments", data.min_attachments, 0, 10),
                                   ("max_entries_per_unit", data.max_entries_per_unit, 1, 10),
                                   ("reviewers_per_entry", data.reviewers_per_entry, 1, 7)):
        if value is None or not low <= value <= high:
            raise ValidationError(_("请填写 %(low)d 到 %(high)d 之间的整数。", low=low, high=high), field=name)
    if data.disagreement is None or not 0.5 <= data.disagreement <= 9:
        raise ValidationError(_("分歧阈值应在 0.5 到 9 分之间。"), field="disagreement")
    return opens, closes


def save_call(actor, call: CaseCall | None, data: CallData) -> CaseCall:
    """Create a call (a draft) or change one. Dimensions cannot change once scores exist."""
    require_manager(actor)
    opens, closes = _check_call(data)
    dimensions = parse_dimensions(data.dimensions)
    levels = parse_levels(data.levels)
    themes = list(db.session.scalars(select(Theme).where(Theme.id.in_(data.theme_ids or [0]))))
    from portal.sessions.models import SharingSession

    sessions = list(db.session.scalars(select(SharingSession).where(SharingSession.id.in_(data.session_ids or [0]))))
    created = call is None
    if created:
        call = CaseCall(created_by_id=actor.id, created_at=utcnow())
        db.session.add(call)
    elif [(d.name, d.weight) for d in call.dimensions] != dimensions and _has_scores(call):
        raise ValidationError(_("已有专家评分，不能再修改评分维度和权重。"), field="dimensions")
    call.title = data.title.strip()
    call.description = (data.description or "").strip()
    call.opens_at, call.closes_at = opens, closes
    call.review_due_on = data.review_due_on
    call.org_types = "\n".join(data.org_types)
    call.provinces = "\n".join(data.provinces)
    call.required_sections = "\n".join(data.required_sections)
    call.min_attachments = data.min_attachments
    call.max_entries_per_unit = data.max_entries_per_unit
    call.reviewers_per_entry = data.reviewers_per_entry
    call.blind = bool(data.blind)
    call.disagreement = float(data.disagreement)
    call.themes = themes
    call.sessions = sessions
    _sync_named(call.dimensions, dimensions, lambda name, n, pos: CallDimension(name=name, weight=n, position=pos),
                "weight")
    _check_awarded_levels(call, levels)
    _sync_named(call.levels, levels, lambda name, n, pos: AwardLevel(name=name, places=n, position=pos), "places")
    db.session.flush()
    audit.record(actor, "call.create" if created else "call.edit", call, call.title)
    return call


def _check_awarded_levels(call: CaseCall, levels: list[tuple[str, int]]) -> None:
    """A level that entries hold cannot go, nor drop below the places already given."""
    places = dict(levels)
    for level in call.levels:
        given = sum(1 for e in call.entries if e.award_level_id == level.id and e.status == EntryStatus.ENTERED)
        if not given:
            continue
        if level.name not in places:
            raise ValidationError(_("“%(level)s”已经授予 %(n)d 个案例，不能删除；请先更改这些案例的奖项。",
                                    level=level.name, n=given), field="levels")
        if places[level.name] < given:
            raise ValidationError(_("“%(level)s”已经授予 %(n)d 个案例，名额不能少于 %(n)d。", level=level.name, n=given),
                                  field="levels")


def _sync_named(rows: list, wanted: list[tuple[str, int]], make, number_attr: str) -> None:
    """Keep the rows whose name stays (their id, so scores and awards keep pointing at them)."""
    by_name = {row.name: row for row in rows}
    keep = []
    for position, (name, number) in enumerate(wanted):
        row = by_name.pop(name, None) or make(name, number, position)
        setattr(row, number_attr, number)
        row.position = position
        keep.append(row)
    rows[:] = keep


def announce(actor, call: CaseCall) -> int:
    """Publish a draft call; people who follow one of its themes are told. Returns how many."""
    require_manager(actor)
    if call.announced_at is not None:
        raise ValidationError(_("该征集已经发布。"))
    if call.closes_at <= utcnow():
        raise ValidationError(_("截止时间已过，请先修改征集时间再发布。"))
    call.announced_at = utcnow()
    audit.record(actor, "call.announce", call, call.title)
    from portal.notifications.models import Follow, FollowTarget

    theme_keys = [str(t.id) for t in call.themes]
    followers = db.session.scalars(select(User).join(Follow, Follow.user_id == User.id).where(
        Follow.target_type == FollowTarget.THEME, Follow.target_key.in_(theme_keys or ["-"])).distinct())
    return notify(followers, Kind.CALL_OPENED,
                  _("您关注的主题有新的案例征集：《%(title)s》，截止时间 %(when)s。", title=call.title, when=_when(call.closes_at)),
                  call_path(call), actor=actor, email_subject=_("案例征集：%(title)s", title=call.title[:60]))


def call_path(call: CaseCall) -> str:
    return f"/calls/{call.id}"


# Entries ----------------------------------------------------------------------------------------

def _fits(call: CaseCall, org: Organization) -> bool:
    return (org.status == OrgStatus.VERIFIED and (not org_types(call) or org.org_type in org_types(call))
            and (not provinces(call) or org.province in provinces(call)))


def user_units(user) -> list[Organization]:
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted((m.org for m in user.memberships), key=lambda o: o.id)


def eligible_units(user, call: CaseCall) -> list[Organization]:
    return [o for o in user_units(user) if _fits(call, o)]


def who_may_enter(call: CaseCall) -> str:
    parts = [_("已认证的成员单位")]
    if org_types(call):
        parts.append(_("单位类型：%(t)s", t="、".join(org_types(call))))
    if provinces(call):
        parts.append(_("地区：%(p)s", p="、".join(provinces(call))))
    return "；".join(parts)


def time_refusal(call: CaseCall, now: datetime | None = None) -> str | None:
    """Why an entry cannot be made or changed at ``now``, or None."""
    now = now or utcnow()
    current = state(call, now)
    if current in (State.DRAFT, State.UPCOMING):
        return _("征集尚未开始，将于 %(when)s 开始接收案例。", when=_when(call.opens_at))
    if current != State.OPEN:
        return _("征集已于 %(deadline)s 截止，您的操作时间为 %(now)s，已不能提交或修改参评案例。",
                 deadline=_when(call.closes_at), now=_when(now))
    return None


def entry_problems(call: CaseCall, case: Case) -> list[str]:
    """What a case still lacks for this call: the usual completeness list, the privacy check,
    the call's extra sections and attachments."""
    from portal.cases.services import missing_parts, privacy_findings

    problems = missing_parts(case)
    problems += [_(SECTIONS[name]) for name in required_sections(call) if not (getattr(case, name) or "").strip()
                 and _(SECTIONS[name]) not in problems]
    if call.min_attachments and len(case.attachments) < call.min_attachments:
        problems.append(_("至少 %(n)d 个附件", n=call.min_attachments))
    findings = privacy_findings(case)
    if findings:
        problems.append(_("隐私检查：%(n)d 处可能的个人信息待处理", n=len(findings)))
    return problems


def _active_entry_case_ids(call: CaseCall) -> set[int]:
    return set(db.session.scalars(select(CallEntry.case_id).where(CallEntry.call_id == call.id,
                                                                  CallEntry.status == EntryStatus.ENTERED)))


def enterable_cases(user, call: CaseCall) -> list[Case]:
    """The user's eligible units' cases that are not archived and not entered already."""
    unit_ids = [o.id for o in eligible_units(user, call)]
    if not unit_ids:
        return []
    taken = _active_entry_case_ids(call)
    cases = db.session.scalars(select(Case).where(Case.org_id.in_(unit_ids), Case.status != CaseStatus.ARCHIVED)
                               .order_by(Case.org_id, Case.updated_at.desc(), Case.id))
    return [c for c in cases if c.id not in taken]


def _lock(call: CaseCall) -> datetime:
    """Serialize entries of this call until the commit and return the time they are judged by:
    taken after the lock, so an entry waiting for another one is not let in after the deadline."""
    lock_row(call)
    return utcnow()


def require_eligible(user, call: CaseCall) -> list[Organization]:
    """The user's units that may enter this call; refuses anyone else."""
    units = eligible_units(user, call)
    if not units:
        raise PermissionDenied(_("只有符合条件的已认证成员单位的成员可以参加本次征集（%(who)s）。",
                                 who=who_may_enter(call)))
    return units


def _entry_case(user, call: CaseCall, case_id: int | None) -> Case:
    units = require_eligible(user, call)
    case = db.session.get(Case, case_id) if case_id else None
    if case is None:
        raise ValidationError(_("请选择要参评的案例。"), field="case_id")
    # The unit comes first, so nothing is said about another unit's case.
    if case.org_id not in {o.id for o in units}:
        raise ValidationError(_("只能提交本单位的案例，不能提交其他单位的案例。"), field="case_id")
    if case.status == CaseStatus.ARCHIVED:
        raise ValidationError(_("已归档的案例不能参评。"), field="case_id")
    problems = entry_problems(call, case)
    if problems:
        raise ValidationError(_("该案例还不符合征集要求，请先补全：%(p)s。", p="、".join(problems)), field="case_id")
    return case


def _presenter(value: str) -> str:
    presenter = " ".join((value or "").split())
    if len(presenter) > 100:
        raise ValidationError(_("分享人不能超过 100 个字符。"), field="presenter")
    return presenter


def enter(user, call: CaseCall, case_id: int | None, presenter: str = "") -> CallEntry:
    if call.announced_at is None:
        raise NotFound(_("未找到该征集。"))
    case = _entry_case(user, call, case_id)
    presenter = _presenter(presenter)
    now = _lock(call)
    if refusal := time_refusal(call, now):
        raise ValidationError(refusal, field="case_id")
    existing = db.session.scalar(select(CallEntry).where(CallEntry.call_id == call.id, CallEntry.case_id == case.id))
    if existing is not None and existing.status == EntryStatus.ENTERED:
        raise ValidationError(_("该案例已经参加本次征集。"), field="case_id")
    held = db.session.scalar(select(func.count()).select_from(CallEntry).where(
        CallEntry.call_id == call.id, CallEntry.org_id == case.org_id, CallEntry.status == EntryStatus.ENTERED))
    if held >= call.max_entries_per_unit:
        raise ValidationError(_("每个单位最多提交 %(n)d 个案例，贵单位已经提交了 %(held)d 个；可以先撤回或替换已提交的案例。",
                                n=call.max_entries_per_unit, held=held), field="case_id")
    entry = existing or CallEntry(call_id=call.id, case_id=case.id, org_id=case.org_id)
    entry.status = EntryStatus.ENTERED
    entry.entered_by_id = user.id
    entry.presenter = presenter
    entry.created_at = entry.updated_at = now
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        raise ValidationError(_("该案例已经参加本次征集。"), field="case_id") from None
    _tell_unit(user, entry, _("《%(case)s》已提交参加征集《%(call)s》，截止前可以撤回或替换。",
                              case=case.title, call=call.title))
    _tell_admins(user, call, _("%(org)s提交了参评案例《%(case)s》（征集《%(call)s》）。",
                               org=case.org.name, case=case.title, call=call.title))
    return entry


def get_entry(call: CaseCall, entry_id: int) -> CallEntry:
    entry = db.session.get(CallEntry, entry_id)
    if entry is None or entry.call_id != call.id:
        raise NotFound(_("未找到该参评案例。"))
    return entry


def _require_unit_member(user, entry: CallEntry) -> None:
    if not permissions.is_org_member(user, entry.org):
        raise PermissionDenied(_("只有参评单位的成员可以撤回或替换本单位的参评案例。"))


def withdraw(user, entry: CallEntry) -> None:
    _require_unit_member(user, entry)
    now = _lock(entry.call)
    db.session.refresh(entry)
    if entry.status != EntryStatus.ENTERED:
        raise ValidationError(_("该参评案例已经撤回。"))
    if refusal := time_refusal(entry.call, now):
        raise ValidationError(refusal)
    entry.status = EntryStatus.WITHDRAWN
    entry.updated_at = now
    _tell_unit(user, entry, _("《%(case)s》已撤回，不再参加征集《%(call)s》。", case=entry.case.title, call=entry.call.title))


def replace(user, entry: CallEntry, case_id: int | None) -> CallEntry:
    """The entry now stands for another of the unit's cases (same place in the unit's quota)."""
    _require_unit_member(user, entry)
    call = entry.call
    case = _entry_case(user, call, case_id)
    if case.org_id != entry.org_id:
        raise ValidationError(_("只能换成同一单位的案例。"), field="case_id")
    now = _lock(call)
    db.session.refresh(entry)
    if refusal := time_refusal(call, now):
        raise ValidationError(refusal)
    if entry.status != EntryStatus.ENTERED:
        raise ValidationError(_("已撤回的参评案例不能替换，请重新提交。"))
    if case.id == entry.case_id:
        raise ValidationError(_("这就是当前的参评案例。"), field="case_id")
    if case.id in _active_entry_case_ids(call):
        raise ValidationError(_("该案例已经参加本次征集。"), field="case_id")
    old = db.session.scalar(select(CallEntry).where(CallEntry.call_id == call.id, CallEntry.case_id == case.id))
    if old is not None:  # a withdrawn entry of that case: its row goes, the history stays in this one
        db.session.delete(old)
        db.session.flush()
    entry.case_id = case.id
    entry.updated_at = now
    db.session.flush()
    db.session.refresh(entry)
    _tell_unit(user, entry, _("征集《%(call)s》的参评案例已替换为《%(case)s》。", call=call.title, case=case.title))
    return entry


def unit_entries(user, call: CaseCall) -> list[CallEntry]:
    unit_ids = {o.id for o in user_units(user)}
    return [e for e in call.entries if e.org_id in unit_ids]


def entry_status(entry: CallEntry) -> str:
    """What the unit sees of its entry."""
    call = entry.call
    if entry.status == EntryStatus.WITHDRAWN:
        return _("已撤回")
    if call.results_published_at is not None:
        return _("获奖：%(level)s", level=entry.award.name) if entry.award else _("未获奖")
    if state(call) in (State.OPEN, State.UPCOMING):
        return _("已提交，截止前可撤回或替换")
    if entry.shortlisted:
        return _("已入围，等待结果公布")
    return _("评审中")


def _unit_people(org_id: int) -> list[User]:
    return list(db.session.scalars(select(User).join(Membership).where(Membership.org_id == org_id)))


def _admins() -> list[User]:
    return list(db.session.scalars(select(User).where(User.is_admin.is_(True))))


def _tell_unit(actor, entry: CallEntry, text: str) -> None:
    notify(_unit_people(entry.org_id), Kind.CALL_ENTRY, text, call_path(entry.call) + "#mine", actor=actor)


def _tell_admins(actor, call: CaseCall, text: str) -> None:
    notify(_admins(), Kind.CALL_ENTRY, text, call_path(call) + "/manage", actor=actor)


# Assigning reviewers ----------------------------------------------------------------------------

def _require_reviewing(call: CaseCall) -> None:
    if state(call) != State.REVIEWING:
        raise ValidationError(_("只能在征集截止后、结果公布前安排和进行评审。"))


def reviewer_pool() -> list[User]:
    return list(db.session.scalars(
        select(User).where(permissions.active_expert_clause())
        .options(selectinload(User.reviewer_profile).selectinload(ReviewerProfile.themes),
                 selectinload(User.memberships)).order_by(User.id)))


def _conflicts() -> set[tuple[int, int]]:
    return set(db.session.execute(select(ReviewerConflict.reviewer_id, ReviewerConflict.org_id)).all())


def assignment_refusal(reviewer: User, entry: CallEntry, conflicts: set[tuple[int, int]] | None = None) -> str | None:
    """Why this reviewer may never score this entry, or None."""
    if not permissions.is_active_expert(reviewer):
        return _("%(name)s不是在职的点评专家。", name=reviewer.display_name)
    if any(m.org_id == entry.org_id for m in reviewer.memberships):
        return _("%(name)s是参评单位的成员，不能评审本单位的案例。", name=reviewer.display_name)
    if (reviewer.id, entry.org_id) in (conflicts if conflicts is not None else _conflicts()):
        return _("%(name)s已申报与参评单位有利益冲突。", name=reviewer.display_name)
    return None


def reviewer_options(call: CaseCall) -> dict[int, list[User]]:
    """Per entry: the experts an admin may still add by hand."""
    pool = reviewer_pool()
    conflicts = _conflicts()
    return {e.id: [r for r in pool if assignment_refusal(r, e, conflicts) is None
                   and r.id not in {a.reviewer_id for a in e.assignments}] for e in active_entries(call)}


def _load(call: CaseCall) -> dict[int, int]:
    """Assignments per reviewer in this call."""
    return dict(db.session.execute(
        select(CallAssignment.reviewer_id, func.count()).join(CallEntry)
        .where(CallEntry.call_id == call.id, CallEntry.status == EntryStatus.ENTERED)
        .group_by(CallAssignment.reviewer_id)).all())


def assign_automatically(actor, call: CaseCall) -> tuple[int, list[str]]:
    """Give every entry its number of reviewers: eligible experts whose fields of expertise share
    most themes with the case come first, then those with the fewest entries so far in this call.
    Entries with the fewest possible reviewers are served first. Returns how many assignments
    were added and the titles of entries still short of reviewers."""
    require_manager(actor)
    _require_reviewing(call)
    lock_row(call)
    candidates = reviewer_options(call)
    load = defaultdict(int, _load(call))
    expertise = {r.id: {t.id for t in r.reviewer_profile.themes} for rs in candidates.values() for r in rs}
    entries = active_entries(call)
    added = 0
    short: list[str] = []
    told: dict[int, tuple[User, int]] = {}
    for entry in sorted(entries, key=lambda e: (len(candidates[e.id]), e.id)):
        themes = {t.id for t in entry.case.themes}
        wanted = call.reviewers_per_entry - len(entry.assignments)
        ranked = sorted(candidates[entry.id], key=lambda r: (-len(expertise[r.id] & themes), load[r.id], r.id))
        for reviewer in ranked[:max(wanted, 0)]:
            entry.assignments.append(CallAssignment(reviewer_id=reviewer.id, assigned_by_id=actor.id, automatic=True))
            load[reviewer.id] += 1
            added += 1
            told[reviewer.id] = (reviewer, told.get(reviewer.id, (reviewer, 0))[1] + 1)
        if wanted > len(ranked):
            short.append(entry.case.title)
    for reviewer, count in told.values():  # once per reviewer, not once per entry
        _tell_reviewer(actor, call, reviewer, count)
    db.session.flush()
    audit.record(actor, "call.assign_auto", call, _("自动分配 %(n)d 项评审任务", n=added))
    return added, short


def assign(actor, entry: CallEntry, reviewer_id: int | None) -> CallAssignment:
    require_manager(actor)
    call = entry.call
    _require_reviewing(call)
    if entry.status != EntryStatus.ENTERED:
        raise ValidationError(_("该参评案例已经撤回。"))
    reviewer = db.session.get(User, reviewer_id) if reviewer_id else None
    if reviewer is None:
        raise ValidationError(_("请选择专家。"), field="reviewer_id")
    if refusal := assignment_refusal(reviewer, entry):
        raise ValidationError(refusal, field="reviewer_id")
    if any(a.reviewer_id == reviewer.id for a in entry.assignments):
        raise ValidationError(_("%(name)s已经在评审该案例。", name=reviewer.display_name), field="reviewer_id")
    assignment = CallAssignment(reviewer_id=reviewer.id, assigned_by_id=actor.id, automatic=False)
    entry.assignments.append(assignment)
    db.session.flush()
    audit.record(actor, "call.assign", assignment, f"{entry.case.title}：{reviewer.display_name}")
    _tell_reviewer(actor, call, reviewer)
    return assignment


def unassign(actor, assignment: CallAssignment) -> None:
    require_manager(actor)
    entry = assignment.entry
    _require_reviewing(entry.call)
    audit.record(actor, "call.unassign", assignment,
                 f"{entry.case.title}：{assignment.reviewer.display_name}" + ("（已评分）" if assignment.scored_at else ""))
    db.session.delete(assignment)


def _tell_reviewer(actor, call: CaseCall, reviewer: User, count: int = 1) -> None:
    due = _("，请在 %(d)s 前完成", d=call.review_due_on.isoformat()) if call.review_due_on else ""
    notify([reviewer], Kind.CALL_REVIEW, _("您被安排评审征集《%(call)s》的 %(n)d 个参评案例%(due)s。",
                                           call=call.title, n=count, due=due),
           call_path(call) + "/review", actor=actor)


def get_assignment(assignment_id: int) -> CallAssignment:
    assignment = db.session.get(CallAssignment, assignment_id)
    if assignment is None:
        raise NotFound(_("未找到该评审任务。"))
    return assignment


def require_own_assignment(user, assignment: CallAssignment) -> None:
    """Only the assigned reviewer (who is still an active expert and not of the entering unit)."""
    if not getattr(user, "is_authenticated", False) or assignment.reviewer_id != user.id:
        raise PermissionDenied(_("只有被安排的专家可以评审这个参评案例。"))
    if refusal := assignment_refusal(user, assignment.entry):
        raise PermissionDenied(refusal)


def my_assignments(user, call: CaseCall) -> list[CallAssignment]:
    return list(db.session.scalars(
        select(CallAssignment).join(CallEntry).where(CallEntry.call_id == call.id, CallAssignment.reviewer_id == user.id,
                                                     CallEntry.status == EntryStatus.ENTERED)
        .options(selectinload(CallAssignment.scores)).order_by(CallEntry.id)))


def require_assignments(user, call: CaseCall) -> list[CallAssignment]:
    """The user's assignments in this call; refuses someone who has none."""
    assignments = my_assignments(user, call) if getattr(user, "is_authenticated", False) else []
    if not assignments:
        raise PermissionDenied(_("您没有本次征集的评审任务。"))
    return assignments


def score(user, assignment: CallAssignment, scores: dict[int, object], note: str = "") -> None:
    """Score every dimension (whole numbers SCORE_MIN..SCORE_MAX); the note is for admins only."""
    require_own_assignment(user, assignment)
    call = assignment.entry.call
    _require_reviewing(call)
    clean: dict[int, int] = {}
    for dimension in call.dimensions:
        raw = scores.get(dimension.id)
        text = str(raw).strip() if raw is not None else ""
        if not text:
            raise ValidationError(_("请为“%(d)s”打分。", d=dimension.name), field=f"score_{dimension.id}")
        if not text.lstrip("-").isdecimal() or not SCORE_MIN <= int(text) <= SCORE_MAX:
            raise ValidationError(_("“%(d)s”的分数应是 %(low)d 到 %(high)d 之间的整数。",
                                    d=dimension.name, low=SCORE_MIN, high=SCORE_MAX), field=f"score_{dimension.id}")
        clean[dimension.id] = int(text)
    if unknown := set(scores) - {d.id for d in call.dimensions}:
        raise ValidationError(_("本次征集没有这个评分维度（%(ids)s）。", ids=", ".join(map(str, sorted(unknown)))))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError(_("评审意见不能超过 %(n)d 个字符。", n=MAX_NOTE), field="note")
    by_dimension = {s.dimension_id: s for s in assignment.scores}
    for dimension_id, value in clean.items():
        if dimension_id in by_dimension:
            by_dimension[dimension_id].score = value
        else:
            assignment.scores.append(CallScore(dimension_id=dimension_id, score=value))
    first = assignment.scored_at is None
    assignment.note = note
    assignment.scored_at = utcnow()
    db.session.flush()
    entry = assignment.entry
    if first and all(a.scored_at for a in entry.assignments) and len(entry.assignments) >= call.reviewers_per_entry:
        notify(_admins(), Kind.CALL_REVIEW, _("征集《%(call)s》的参评案例《%(case)s》已完成全部评分。",
                                              call=call.title, case=entry.case.title),
               call_path(call) + "/manage", actor=user)


def declare_conflict(user, assignment: CallAssignment, note: str) -> None:
    """The reviewer declares a tie to the entering unit: the assignment goes, the conflict stays
    (never assigned that unit again) and admins are told to find someone else."""
    if not getattr(user, "is_authenticated", False) or assignment.reviewer_id != user.id:
        raise PermissionDenied(_("只有被安排的专家可以申报利益冲突。"))
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("请简要说明利益关系（例如：曾在该单位任职）。"), field="note")
    if len(note) > 300:
        raise ValidationError(_("说明不能超过 300 个字符。"), field="note")
    entry = assignment.entry
    if db.session.scalar(select(ReviewerConflict).where(ReviewerConflict.reviewer_id == user.id,
                                                        ReviewerConflict.org_id == entry.org_id)) is None:
        db.session.add(ReviewerConflict(reviewer_id=user.id, org_id=entry.org_id, note=note))
    audit.record(user, "call.conflict", assignment, f"{entry.case.title}：{note}")
    db.session.delete(assignment)
    notify(_admins(), Kind.CALL_REVIEW, _("%(name)s申报了利益冲突，退出评审《%(case)s》，请另行安排专家。",
                                          name=user.display_name, case=entry.case.title),
           call_path(entry.call) + "/manage", actor=user)


@dataclass
class Progress:
    reviewer: User
    assigned: int
    scored: int
    reminded_at: datetime | None


def progress(call: CaseCall) -> list[Progress]:
    rows: dict[int, Progress] = {}
    for entry in active_entries(call):
        for a in entry.assignments:
            row = rows.setdefault(a.reviewer_id, Progress(a.reviewer, 0, 0, None))
            row.assigned += 1
            row.scored += a.scored_at is not None
            if a.reminded_at and (row.reminded_at is None or a.reminded_at > row.reminded_at):
                row.reminded_at = a.reminded_at
    return sorted(rows.values(), key=lambda p: (p.scored - p.assigned, p.reviewer.id))


def remind_reviewers(actor, call: CaseCall, now: datetime | None = None) -> int:
    """Remind every reviewer with unscored entries in this call, once per call of this function."""
    if actor is not None:
        require_manager(actor)
    now = now or utcnow()
    waiting: dict[int, list[CallAssignment]] = defaultdict(list)
    for entry in active_entries(call):
        for a in entry.assignments:
            if a.scored_at is None:
                waiting[a.reviewer_id].append(a)
    for assignments in waiting.values():
        for a in assignments:
            a.reminded_at = now
        due = _("截止日期 %(d)s", d=call.review_due_on.isoformat()) if call.review_due_on else _("请尽快完成")
        notify([assignments[0].reviewer], Kind.CALL_REVIEW,
               _("提醒：征集《%(call)s》还有 %(n)d 个参评案例等待您评分，%(due)s。", call=call.title, n=len(assignments), due=due),
               call_path(call) + "/review", actor=actor)
    return len(waiting)


def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """For cron (``flask calls remind``): units of calls closing within three days that have not
    entered yet, and reviewers whose due date is within three days; each told once."""
    now = now or utcnow()
    told = {"units": 0, "reviewers": 0}
    closing = db.session.scalars(select(CaseCall).where(
        CaseCall.announced_at.is_not(None), CaseCall.closing_reminded_at.is_(None),
        CaseCall.opens_at <= now, CaseCall.closes_at > now, CaseCall.closes_at <= now + REMIND_BEFORE))
    for call in closing:
        call.closing_reminded_at = now
        entered = {e.org_id for e in active_entries(call)}
        people = db.session.scalars(
            select(User).join(Membership).join(Organization).where(Organization.status == OrgStatus.VERIFIED,
                                                                   Organization.id.not_in(entered or {0})).distinct())
        people = [u for u in people if any(_fits(call, m.org) and m.org_id not in entered for m in u.memberships)]
        told["units"] += notify(people, Kind.CALL_ENTRY, _("征集《%(call)s》将于 %(when)s 截止，贵单位尚未提交案例。",
                                                          call=call.title, when=_when(call.closes_at)), call_path(call))
    due = db.session.scalars(select(CaseCall).where(
        CaseCall.results_published_at.is_(None), CaseCall.closes_at <= now, CaseCall.review_due_on.is_not(None),
        CaseCall.review_due_on <= (now + REMIND_BEFORE).date()))
    for call in due:
        if any(a.reminded_at is None and a.scored_at is None for e in active_entries(call) for a in e.assignments):
            told["reviewers"] += remind_reviewers(None, call, now)
    return told


# Aggregation -----------------------------------------------------------------------------------

def weighted(scores: dict[int, int], weights: dict[int, int]) -> float:
    """The weighted mean of one reviewer's scores of one entry."""
    total = sum(weights.values())
    return sum(weights[d] * scores[d] for d in weights) / total


@dataclass
class Aggregate:
    """One entry's figures. ``normalised``: the mean of its reviewers' z-scores (each reviewer's
    weighted scores standardised over the entries that reviewer scored), ``adjusted`` the same on
    the score scale (call mean + z * call spread) so the two columns read alike."""
    entry_id: int
    scores: dict[int, float]            # reviewer id -> weighted score
    raw_mean: float | None
    normalised: float | None
    adjusted: float | None
    spread: float | None
    disagree: bool
    rank: int | None = None
    tied: bool = False


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def _sd(values) -> float:
    values = list(values)
    m = _mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / len(values))


def aggregate_scores(table: dict[int, dict[int, float]], threshold: float) -> list[Aggregate]:
    """``table``: entry id -> {reviewer id: weighted score}. Pure arithmetic (see the class).
    A reviewer who scored one entry only, or gave every entry the same score, contributes z = 0."""
    per_reviewer: dict[int, list[float]] = defaultdict(list)
    for scores in table.values():
        for reviewer, value in scores.items():
            per_reviewer[reviewer].append(value)
    stats = {r: (_mean(v), _sd(v)) for r, v in per_reviewer.items()}
    everything = [v for values in per_reviewer.values() for v in values]
    overall = (_mean(everything), _sd(everything)) if everything else (0.0, 0.0)
    out = []
    for entry_id, scores in table.items():
        if not scores:
            out.append(Aggregate(entry_id, {}, None, None, None, None, False))
            continue
        z = [(v - stats[r][0]) / stats[r][1] if stats[r][1] > 0 else 0.0 for r, v in scores.items()]
        normalised = _mean(z)
        spread = max(scores.values()) - min(scores.values()) if len(scores) > 1 else None
        out.append(Aggregate(entry_id, dict(scores), _mean(scores.values()), normalised,
                             overall[0] + normalised * overall[1], spread,
                             spread is not None and spread >= threshold - 1e-9))
    ranked = sorted((a for a in out if a.normalised is not None),
                    key=lambda a: (-round(a.normalised, 6), -round(a.raw_mean, 6), a.entry_id))
    for position, item in enumerate(ranked, start=1):
        item.rank = position
    for a, b in zip(ranked, ranked[1:], strict=False):
        if round(a.normalised, 6) == round(b.normalised, 6) and round(a.raw_mean, 6) == round(b.raw_mean, 6):
            a.tied = b.tied = True
    return sorted(out, key=lambda a: (a.rank is None, a.rank or 0, a.entry_id))


@dataclass
class EntryRow:
    entry: CallEntry
    figures: Aggregate
    scored: int
    required: int

    @property
    def complete(self) -> bool:
        return self.scored >= self.required


def aggregate(call: CaseCall) -> list[EntryRow]:
    weights = {d.id: d.weight for d in call.dimensions}
    entries = {e.id: e for e in active_entries(call)}
    table: dict[int, dict[int, float]] = {}
    for entry in entries.values():
        table[entry.id] = {}
        for a in entry.assignments:
            given = {s.dimension_id: s.score for s in a.scores}
            if a.scored_at is not None and set(weights) <= set(given):
                table[entry.id][a.reviewer_id] = weighted(given, weights)
    return [EntryRow(entries[f.entry_id], f, len(f.scores), call.reviewers_per_entry)
            for f in aggregate_scores(table, call.disagreement)]


# Decisions, shortlist and results -----------------------------------------------------------------

def decide(actor, entry: CallEntry, *, shortlisted: bool, level_id: int | None, reason: str) -> None:
    """Shortlist and award level of one entry, with the reason (required for any change)."""
    require_manager(actor)
    call = entry.call
    if state(call) not in (State.REVIEWING, State.CLOSED):
        raise ValidationError(_("征集截止后才能确定入围和奖项。"))
    if entry.status != EntryStatus.ENTERED:
        raise ValidationError(_("该参评案例已经撤回。"))
    level = next((lv for lv in call.levels if lv.id == level_id), None) if level_id else None
    if level_id and level is None:
        raise ValidationError(_("本次征集没有这个奖项。"), field="level_id")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请写明决定的理由（会记入操作日志）。"), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(_("理由不能超过 %(n)d 个字符。", n=MAX_REASON), field="reason")
    if level is not None:
        taken = sum(1 for e in active_entries(call) if e.award_level_id == level.id and e.id != entry.id)
        if taken >= level.places:
            raise ValidationError(_("“%(level)s”共 %(n)d 个名额，已经用完。", level=level.name, n=level.places),
                                  field="level_id")
    if call.results_published_at is not None and (level.id if level else None) != entry.award_level_id:
        raise ValidationError(_("结果已经公布，不能再更改奖项。"), field="level_id")
    before = (entry.shortlisted, entry.award.name if entry.award else "")
    newly_shortlisted = shortlisted and not entry.shortlisted
    entry.shortlisted = bool(shortlisted)
    entry.award_level_id = level.id if level else None
    entry.decision_reason = reason
    db.session.flush()
    db.session.refresh(entry)
    after = (entry.shortlisted, entry.award.name if entry.award else "")
    if before == after:
        raise ValidationError(_("没有需要保存的变化。"))
    audit.record(actor, "call.decide", entry,
                 _("《%(case)s》：入围 %(a)s→%(b)s，奖项 %(c)s→%(d)s；理由：%(r)s", case=entry.case.title,
                   a=_("是") if before[0] else _("否"), b=_("是") if after[0] else _("否"),
                   c=before[1] or "—", d=after[1] or "—", r=reason)[:500])
    if newly_shortlisted:
        _tell_unit(actor, entry, _("贵单位的案例《%(case)s》已入围征集《%(call)s》。", case=entry.case.title, call=call.title))


def shortlist_to_session(actor, call: CaseCall, session_id: int | None) -> int:
    """Every shortlisted entry not yet on that session becomes an accepted proposal at the end of its
    running order (the sessions' own rules: planned session, published case, not on it yet);
    the units are told. Returns how many were added."""
    require_manager(actor)
    from portal.sessions import participation
    from portal.sessions.models import CaseProposal, ProposalStatus

    sharing = next((s for s in call.sessions if s.id == session_id), None) if session_id else None
    if sharing is None:
        raise ValidationError(_("请选择本次征集对接的分享会。"), field="session_id")
    entries = [e for e in active_entries(call) if e.shortlisted]
    if not entries:
        raise ValidationError(_("还没有入围的参评案例。"))
    unpublished = [e.case.title for e in entries if e.case.status != CaseStatus.PUBLISHED]
    if unpublished:
        raise ValidationError(_("以下入围案例尚未公开发布，不能列入分享会议程：%(t)s", t="、".join(unpublished)))
    existing = {p.case_id: p for p in sharing.proposals}
    added = 0
    for entry in entries:
        proposal = existing.get(entry.case_id)
        if proposal is not None and proposal.status == ProposalStatus.ACCEPTED:
            entry.proposal_id = proposal.id
            continue
        if proposal is None:
            proposal = CaseProposal(session_id=sharing.id, case_id=entry.case_id, org_id=entry.org_id,
                                    proposed_by_id=actor.id, presenter=entry.presenter or entry.org.name,
                                    note=_("征集《%(call)s》入围案例", call=call.title), status=ProposalStatus.PENDING,
                                    created_at=utcnow())
            db.session.add(proposal)
            db.session.flush()
        participation.accept_proposal(actor, proposal)
        entry.proposal_id = proposal.id
        added += 1
    audit.record(actor, "call.to_session", call, _("%(n)d 个入围案例列入分享会《%(s)s》", n=added, s=sharing.title))
    return added


def missing_scores(call: CaseCall) -> list[str]:
    return [row.entry.case.title for row in aggregate(call) if not row.complete]


def publish_results(actor, call: CaseCall, override_reason: str = "") -> None:
    require_manager(actor)
    if call.results_published_at is not None:
        raise ValidationError(_("结果已经公布。"))
    if state(call) != State.REVIEWING:
        raise ValidationError(_("征集截止后才能公布结果。"))
    awarded = [e for e in active_entries(call) if e.award_level_id]
    if not awarded:
        raise ValidationError(_("还没有确定任何奖项，不能公布结果。"))
    unpublished = [e.case.title for e in awarded if e.case.status != CaseStatus.PUBLISHED]
    if unpublished:
        raise ValidationError(_("以下获奖案例尚未公开发布，请先发布案例：%(t)s", t="、".join(unpublished)))
    missing = missing_scores(call)
    override_reason = (override_reason or "").strip()
    if missing and not override_reason:
        raise ValidationError(_("还有 %(n)d 个参评案例没有达到规定的评分人数（%(t)s）。如确需公布，请填写理由。",
                                n=len(missing), t="、".join(missing[:5])), field="override")
    if len(override_reason) > MAX_REASON:
        raise ValidationError(_("理由不能超过 %(n)d 个字符。", n=MAX_REASON), field="override")
    call.results_published_at = utcnow()
    call.results_override = override_reason if missing else ""
    audit.record(actor, "call.results", call, call.title + (_("（评分未齐，理由：%(r)s）", r=override_reason)
                                                            if missing else ""))
    for entry in active_entries(call):
        text = (_("祝贺！贵单位的案例《%(case)s》在征集《%(call)s》中获评“%(level)s”。",
                  case=entry.case.title, call=call.title, level=entry.award.name) if entry.award
                else _("征集《%(call)s》的评选结果已公布，感谢贵单位参与。", call=call.title))
        notify(_unit_people(entry.org_id), Kind.CALL_ENTRY, text, call_path(call) + "/results", actor=actor)


@dataclass
class Awarded:
    level: AwardLevel
    entries: list[CallEntry]


def results(call: CaseCall) -> list[Awarded]:
    by_level = defaultdict(list)
    for entry in active_entries(call):
        if entry.award_level_id:
            by_level[entry.award_level_id].append(entry)
    return [Awarded(level, sorted(by_level[level.id], key=lambda e: e.id)) for level in call.levels if by_level[level.id]]


def require_results(user, call: CaseCall) -> None:
    if call.results_published_at is None and not may_manage(user):
        raise NotFound(_("本次征集的结果尚未公布。"))


def require_certificate(user, entry: CallEntry) -> None:
    """An awarded entry's certificate: for its unit's members and admins, once results are out."""
    if entry.status != EntryStatus.ENTERED or entry.award is None or entry.call.results_published_at is None:
        raise NotFound(_("该参评案例没有获奖证书。"))
    if not (may_manage(user) or permissions.is_org_member(user, entry.org)):
        raise PermissionDenied(_("获奖证书只提供给获奖单位的成员。"))


def certificate_pdf(entry: CallEntry) -> bytes:
    """One A4 landscape page, laid out by WeasyPrint like the compilations."""
    import weasyprint
    from flask import render_template

    from portal.timezones import utc_to_shanghai

    html = render_template("calls/certificate.html", entry=entry, call=entry.call,
                           issued=utc_to_shanghai(entry.call.results_published_at).date())
    return weasyprint.HTML(string=html).write_pdf()


def case_has_entries(case_id):
    """For the case page (cases.page): whether the case was entered in any call (its awards come
    from those entries)."""
    return select(CallEntry.id).where(CallEntry.case_id == case_id).exists()


def case_awards(case_ids) -> dict[int, list[tuple[CaseCall, AwardLevel]]]:
    """Published awards per case (for badges): one query for any number of cases."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = db.session.execute(_awards_statement(), {"case_ids": ids}).all()
    out: dict[int, list] = defaultdict(list)
    for case_id, call, level in rows:
        out[case_id].append((call, level))
    return dict(out)


@statement
def _awards_statement():
    return (select(CallEntry.case_id, CaseCall, AwardLevel).join(CaseCall, CaseCall.id == CallEntry.call_id)
            .join(AwardLevel, AwardLevel.id == CallEntry.award_level_id)
            .where(CallEntry.case_id.in_(bindparam("case_ids", expanding=True)),
                   CallEntry.status == EntryStatus.ENTERED, CaseCall.results_published_at.is_not(None))
            .order_by(CaseCall.results_published_at.desc(), AwardLevel.position))
