"""The running order (agenda items, recording offsets) and the cases presented in sessions."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload, load_only

from portal.admin import audit
from portal.auth.models import User
from portal.cases.models import Case, CaseStatus
from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models_base import statement
from portal.orgs.models import Organization, OrgStatus
from portal.sessions.models import AgendaItem, AgendaKind, SharingSession
from portal.sessions.services.common import MAX_DURATION_MINUTES, _count, _require_manager, _text
from portal.sessions.services.times import format_offset, parse_offset

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
    case_items = {i.case_id: i.id for i in session.agenda if i.case_id}
    if not case_items or session.id is None:
        return {}
    comments = db.session.scalars(_agenda_comments_statement(),
                                  {"session_id": session.id, "case_ids": list(case_items)})
    out: dict[int, list] = {}
    for comment in comments:
        out.setdefault(case_items[comment.case_id], []).append(comment)
    return out


@statement
def _agenda_comments_statement():
    from portal.reviews.models import ExpertComment

    return (select(ExpertComment).join(Case, Case.id == ExpertComment.case_id)
            .where(ExpertComment.session_id == bindparam("session_id"),
                   ExpertComment.case_id.in_(bindparam("case_ids", expanding=True)),
                   Case.status == CaseStatus.PUBLISHED)
            .options(joinedload(ExpertComment.author).joinedload(User.reviewer_profile))
            .order_by(ExpertComment.created_at, ExpertComment.id))


def excerpt(markdown_text: str, limit: int = 120) -> str:
    """Plain-text start of a Markdown text (for comment excerpts)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown_text or "")
    text = re.sub(r"^\s{0,3}(?:#{1,6}|>|[-+*]|\d+\.)\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"[*_`~|]+", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def sessions_presenting(case: Case) -> list[AgendaItem]:
    """The agenda items in which ``case`` was (or will be) presented, by session date, each with
    its session and the session's title parts, in one query."""
    return list(db.session.scalars(_presenting_statement(), {"case_id": case.id}))


@statement
def _presenting_statement():
    return (select(AgendaItem).join(AgendaItem.session)
            .where(AgendaItem.case_id == bindparam("case_id"))
            .options(contains_eager(AgendaItem.session).options(
                joinedload(SharingSession.event), joinedload(SharingSession.series)))
            .order_by(SharingSession.starts_at, AgendaItem.id))


def case_items_of(session_ids) -> dict[int, list[AgendaItem]]:
    """Session id -> its case items in running order, for the links to neighbouring cases: each
    item's title and case, of the case only what says who may open it (status, unit). One query
    for all the sessions; no section text, no themes."""
    out: dict[int, list[AgendaItem]] = {session_id: [] for session_id in session_ids}
    if not out:
        return out
    for item in db.session.scalars(_case_items_statement(), {"session_ids": list(out)}):
        out[item.session_id].append(item)
    return out


@statement
def _case_items_statement():
    return (select(AgendaItem)
            .where(AgendaItem.session_id.in_(bindparam("session_ids", expanding=True)),
                   AgendaItem.kind == AgendaKind.CASE)
            .options(load_only(AgendaItem.session_id, AgendaItem.position, AgendaItem.kind, AgendaItem.title,
                               AgendaItem.case_id),
                     joinedload(AgendaItem.case).load_only(Case.status, Case.org_id))
            .order_by(AgendaItem.session_id, AgendaItem.position, AgendaItem.id))


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
