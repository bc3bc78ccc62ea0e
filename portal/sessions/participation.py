"""Before a session: registrations (报名, capacity and waiting list), calendar entries (ICS) and
case proposals by member units.

Registration rules: a logged-in user registers for a planned session whose registration is open
and which has not started. When ``capacity`` is set and every seat is taken the user joins the
waiting list. Cancelling a registration frees the seat and the oldest waitlisted registrant is
promoted (and told). Seats are counted with the session row locked (PostgreSQL: SELECT ... FOR
UPDATE; SQLite: BEGIN IMMEDIATE), so two people taking the last seat at once never both get it.

Proposals: a member of a verified unit proposes one of its own published cases for an upcoming
planned session; platform admins accept it (the case is appended to the running order) or
decline it with a reason; the unit is told either way.

Every function checks its permissions (portal.permissions, "Sessions"); views commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import permissions, timezones
from portal.auth.models import User
from portal.cases.models import Case, CaseStatus
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.models_base import lock_row, utcnow
from portal.sessions.models import (
    AgendaItem,
    AgendaKind,
    CaseProposal,
    ProposalStatus,
    Registration,
    RegistrationStatus,
    SessionFormat,
    SessionStatus,
    SharingSession,
)
from portal.timezones import as_shanghai
from portal.urls import site_path

MAX_PRESENTER = 100
MAX_NOTE = 2000
MAX_REASON = 1000

REGISTRATION_LABELS = {
    RegistrationStatus.REGISTERED: _l("已报名"),
    RegistrationStatus.WAITLISTED: _l("候补中"),
    RegistrationStatus.CANCELLED: _l("已取消"),
}
PROPOSAL_LABELS = {
    ProposalStatus.PENDING: _l("待处理"),
    ProposalStatus.ACCEPTED: _l("已接受"),
    ProposalStatus.DECLINED: _l("已婉拒"),
}
FORMAT_LABELS = {
    SessionFormat.ONLINE: _l("线上"),
    SessionFormat.OFFLINE: _l("线下"),
    SessionFormat.HYBRID: _l("线上线下结合"),
}
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED)


def get_session(session_id: int) -> SharingSession:
    sharing = db.session.get(SharingSession, session_id)
    if sharing is None:
        raise NotFound(_("未找到该分享会。"))
    return sharing


def session_path(sharing: SharingSession) -> str:
    return site_path("sessions.show", session_id=sharing.id)


def _when(sharing: SharingSession) -> str:
    return format_datetime(sharing.starts_at, "yyyy-MM-dd HH:mm")


def _logged_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


# Locking ---------------------------------------------------------------------------------------

def lock_session(sharing: SharingSession) -> SharingSession:
    """Serialize every change to this session's seats and running order until the commit, and
    reload the session's own columns (capacity, status ...) as they are now (models_base.lock_row)."""
    return lock_row(sharing)


# Registration ----------------------------------------------------------------------------------

def not_started(sharing: SharingSession) -> bool:
    """Planned and not started: until then people may register, cancel and propose cases. (It
    stays *upcoming*, listed and in the calendar feed, until it ends: services.upcoming.)"""
    return sharing.status == SessionStatus.PLANNED and sharing.starts_at > utcnow()


def registration_over(sharing: SharingSession) -> bool:
    """Held, archived or ended: registration is history. The session page then shows nobody a
    sign-up panel (no "已报名 0 人" on an archive page); organizers still see who had registered."""
    return sharing.status != SessionStatus.PLANNED or sharing.closed_at is not None or sharing.ends_at <= utcnow()


def registration_refusal(sharing: SharingSession) -> str | None:
    """Why nobody can register now (a Chinese sentence), or None when registration is open."""
    if sharing.status != SessionStatus.PLANNED or sharing.closed_at is not None:
        return _("本场分享会已经结束，不能再报名。")
    if sharing.starts_at <= utcnow():
        return _("本场分享会已经开始，报名已截止。")
    if not sharing.registration_open:
        return _("本场分享会暂未开放报名或报名已关闭。")
    return None


def registration_of(user, sharing: SharingSession) -> Registration | None:
    """The user's registration row (any status, cancelled included), read fresh."""
    if not _logged_in(user):
        return None
    return db.session.execute(
        select(Registration).where(Registration.session_id == sharing.id, Registration.user_id == user.id)
        .execution_options(populate_existing=True)).scalar_one_or_none()


def count(sharing: SharingSession, status: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.session_id == sharing.id, Registration.status == status)) or 0


def counts(sharing: SharingSession) -> dict[str, int]:
    """Registrations per status (missing: none), in one query."""
    return dict(db.session.execute(select(Registration.status, func.count()).where(
        Registration.session_id == sharing.id).group_by(Registration.status)).all())


def seats_left(sharing: SharingSession, registered: int | None = None) -> int | None:
    """Free seats, or None when the session has no capacity limit (``registered``: the count of
    seats taken, when the caller has it)."""
    if sharing.capacity is None:
        return None
    if registered is None:
        registered = count(sharing, RegistrationStatus.REGISTERED)
    return max(sharing.capacity - registered, 0)


def register(user, sharing: SharingSession) -> Registration:
    """Register ``user``; on the waiting list when every seat is taken. Returns the row
    (status registered or waitlisted)."""
    if not _logged_in(user):
        raise PermissionDenied(_("请先登录后再报名。"))
    lock_session(sharing)
    refusal = registration_refusal(sharing)
    if refusal:
        raise ValidationError(refusal)
    existing = registration_of(user, sharing)
    if existing is not None and existing.status == RegistrationStatus.REGISTERED:
        raise ValidationError(_("您已报名本场分享会，无需重复报名。"))
    if existing is not None and existing.status == RegistrationStatus.WAITLISTED:
        raise ValidationError(_("您已在本场分享会的候补名单中，无需重复报名。有空位时会通知您。"))
    # Seats freed by a larger capacity go to the waiting list first, in order.
    fill_seats(sharing, actor=user)
    left = seats_left(sharing)
    status = RegistrationStatus.WAITLISTED if left == 0 else RegistrationStatus.REGISTERED
    now = utcnow()
    if existing is None:
        existing = Registration(session_id=sharing.id, user_id=user.id, created_at=now)
        db.session.add(existing)
    else:  # registering again after cancelling: to the back of the queue
        existing.created_at = now
    existing.status = status
    existing.updated_at = now
    db.session.flush()
    return existing


def cancel(user, sharing: SharingSession) -> list[Registration]:
    """Cancel the user's registration (or waiting-list place). A freed seat goes to the oldest
    waitlisted registrant, who is told. Returns the registrations promoted."""
    if not _logged_in(user):
        raise PermissionDenied(_("请先登录。"))
    lock_session(sharing)
    existing = registration_of(user, sharing)
    if existing is None or existing.status not in ACTIVE:
        raise ValidationError(_("您没有报名本场分享会，无需取消。"))
    if not not_started(sharing):
        raise ValidationError(_("本场分享会已经开始或结束，不能再取消报名。"))
    was_registered = existing.status == RegistrationStatus.REGISTERED
    existing.status = RegistrationStatus.CANCELLED
    existing.updated_at = utcnow()
    db.session.flush()
    return fill_seats(sharing, actor=user) if was_registered else []


def fill_seats(sharing: SharingSession, actor=None) -> list[Registration]:
    """Promote waitlisted registrants, oldest first, into the free seats of an upcoming session
    and tell each of them. Call with the session locked (lock_session); the sessions service may
    call it after raising the capacity. Returns the promoted registrations."""
    if not not_started(sharing):
        return []
    left = seats_left(sharing)
    query = (select(Registration).where(Registration.session_id == sharing.id,
                                        Registration.status == RegistrationStatus.WAITLISTED)
             .order_by(Registration.created_at, Registration.id).options(selectinload(Registration.user)))
    if left is not None:
        if left <= 0:
            return []
        query = query.limit(left)
    promoted = list(db.session.scalars(query))
    now = utcnow()
    for reg in promoted:
        reg.status = RegistrationStatus.REGISTERED
        reg.updated_at = now
    db.session.flush()
    if promoted:
        _notify_promoted(sharing, [r.user for r in promoted], actor)
    return promoted


def _notify_promoted(sharing: SharingSession, users: list[User], actor) -> None:
    from portal.notifications.models import Kind
    from portal.notifications.services import notify

    text = _("有名额空出，您已从候补名单转为正式报名：分享会《%(title)s》（%(when)s）。",
             title=sharing.title, when=_when(sharing))
    notify(users, Kind.SESSION_REGISTRATION, text, session_path(sharing), actor=actor,
           email_subject=_("您已报名成功：%(title)s", title=sharing.title[:60]),
           email_body=text + "\n\n" + _("如果不能参加，请在分享会页面取消报名，把名额留给其他人。"))


def registrants(sharing: SharingSession, status: str) -> list[Registration]:
    """Registrations in one status, in order of registration (the waiting list's order)."""
    return list(db.session.scalars(
        select(Registration).where(Registration.session_id == sharing.id, Registration.status == status)
        .order_by(Registration.created_at, Registration.id)
        .options(selectinload(Registration.user).selectinload(User.memberships))))


def list_registrations(user, sharing: SharingSession) -> dict:
    if not permissions.can_see_session_registrations(user, sharing):
        raise PermissionDenied(_("只有平台管理员可以查看报名名单。"))
    return {"registered": registrants(sharing, RegistrationStatus.REGISTERED),
            "waitlisted": registrants(sharing, RegistrationStatus.WAITLISTED)}


# Calendar (ICS) --------------------------------------------------------------------------------

def _base_url() -> str:
    from portal.urls import absolute_url

    return absolute_url("")


def _uid(sharing: SharingSession) -> str:
    host = urlsplit(_base_url()).hostname or "localhost"
    return f"sharing-session-{sharing.id}@{host}"


def _location(sharing: SharingSession) -> str:
    label = str(FORMAT_LABELS.get(sharing.format, ""))
    if sharing.venue and label:
        return f"{sharing.venue}（{label}）"
    return sharing.venue or label


def _vevent(sharing: SharingSession, *, waitlisted: bool = False, stamp: datetime | None = None):
    from icalendar import Event as VEvent

    url = _base_url() + session_path(sharing)
    lines = []
    if waitlisted:
        lines.append(_("您目前在候补名单中，转为正式报名后会通知您。"))
    if sharing.event is not None:
        lines.append(_("所属活动：%(title)s", title=sharing.event.title))
    if sharing.host:
        lines.append(_("主持人：%(name)s", name=sharing.host))
    if sharing.description:
        lines.append(sharing.description.strip())
    lines.append(_("分享会页面：%(url)s", url=url))

    event = VEvent()
    event.add("uid", _uid(sharing))
    # The public feed stamps each event with a stored time so that the feed's ETag stays the same
    # between two requests and calendar clients can revalidate with 304.
    event.add("dtstamp", (stamp or datetime.now(UTC)).replace(microsecond=0, tzinfo=UTC))
    event.add("dtstart", as_shanghai(sharing.starts_at))
    event.add("dtend", as_shanghai(sharing.ends_at))
    event.add("summary", sharing.title)
    event.add("description", "\n\n".join(lines))
    location = _location(sharing)
    if location:
        event.add("location", location)
    event.add("url", url)
    event.add("status", "TENTATIVE" if waitlisted else "CONFIRMED")
    return event


def _calendar(name: str, events) -> bytes:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", "-//社区治理案例共享平台//分享会//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezones.NAME)
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def session_calendar(user, sharing: SharingSession) -> bytes:
    """One session as an ICS file, for its registrants (and platform admins)."""
    if not permissions.can_download_session_calendar(user, sharing):
        raise PermissionDenied(_("报名本场分享会后才能下载日历文件。"))
    registration = registration_of(user, sharing)
    waitlisted = registration is not None and registration.status == RegistrationStatus.WAITLISTED
    return _calendar(sharing.title, [_vevent(sharing, waitlisted=waitlisted)])


def upcoming_calendar() -> bytes:
    """The public feed of every upcoming session."""
    from portal.sessions.services import upcoming_sessions

    return _calendar(_("社区治理案例共享平台 · 近期分享会"), [_vevent(s, stamp=s.created_at) for s in upcoming_sessions(cards=False)])


# Case proposals --------------------------------------------------------------------------------

@dataclass
class ProposalData:
    case_id: int | None
    presenter: str
    note: str = ""


def proposal_units(user) -> list:
    return sorted(permissions.session_proposal_units(user), key=lambda o: o.id)


def _agenda_case_ids(sharing: SharingSession) -> set[int]:
    return set(db.session.scalars(select(AgendaItem.case_id).where(
        AgendaItem.session_id == sharing.id, AgendaItem.case_id.is_not(None))))


def _proposed_case_ids(sharing: SharingSession) -> set[int]:
    return set(db.session.scalars(select(CaseProposal.case_id).where(CaseProposal.session_id == sharing.id)))


def proposable_cases(user, sharing: SharingSession) -> list[Case]:
    """The published cases of the user's verified units not yet proposed for (or on the
    running order of) this session."""
    unit_ids = [o.id for o in proposal_units(user)]
    if not unit_ids:
        return []
    taken = _agenda_case_ids(sharing) | _proposed_case_ids(sharing)
    cases = db.session.scalars(select(Case).where(Case.org_id.in_(unit_ids), Case.status == CaseStatus.PUBLISHED)
                               .order_by(Case.org_id, Case.title, Case.id))
    return [c for c in cases if c.id not in taken]


def sessions_open_to(user, case: Case) -> list[tuple[SharingSession, CaseProposal | None]]:
    """For the case page's "推荐到分享会": upcoming sessions, each with this case's proposal if any."""
    if not permissions.can_offer_case_to_sessions(user, case):
        raise PermissionDenied(_("只有本单位成员可以把已发布的案例推荐到分享会。"))
    from portal.sessions.services import upcoming_sessions

    sessions = [s for s in upcoming_sessions() if not_started(s)]
    proposals = {p.session_id: p for p in db.session.scalars(
        select(CaseProposal).where(CaseProposal.case_id == case.id))}
    return [(s, proposals.get(s.id)) for s in sessions]


def require_may_propose(user, sharing: SharingSession) -> list:
    """The user's units that may propose; refuses anyone else, and sessions that are not upcoming."""
    if not _logged_in(user):
        raise PermissionDenied(_("请先登录。"))
    units = proposal_units(user)
    if not units:
        raise PermissionDenied(_("只有已认证成员单位的成员可以推荐案例。"))
    if not not_started(sharing):
        raise ValidationError(_("只能为尚未举行的分享会推荐案例，本场分享会已经开始或结束。"))
    return units


def propose(user, sharing: SharingSession, data: ProposalData) -> CaseProposal:
    units = require_may_propose(user, sharing)
    case = db.session.get(Case, data.case_id) if data.case_id else None
    if case is None:
        raise ValidationError(_("请选择要推荐的案例。"), field="case_id")
    # The unit check comes first, so nothing is said about another unit's unpublished case.
    if case.org_id not in {o.id for o in units}:
        raise ValidationError(_("只能推荐本单位的案例，不能推荐其他单位的案例。"), field="case_id")
    if case.status != CaseStatus.PUBLISHED:
        raise ValidationError(_("只能推荐已发布的案例，草稿或未公开的案例不能推荐。"), field="case_id")
    if case.id in _proposed_case_ids(sharing):
        raise ValidationError(_("该案例已推荐到本场分享会，不能重复推荐。"), field="case_id")
    if case.id in _agenda_case_ids(sharing):
        raise ValidationError(_("该案例已在本场分享会的议程中。"), field="case_id")
    presenter = " ".join((data.presenter or "").split())
    if not presenter:
        raise ValidationError(_("请填写分享人姓名。"), field="presenter")
    if len(presenter) > MAX_PRESENTER:
        raise ValidationError(_("分享人不能超过 %(n)d 个字符。", n=MAX_PRESENTER), field="presenter")
    note = (data.note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError(_("推荐说明不能超过 %(n)d 个字符。", n=MAX_NOTE), field="note")
    proposal = CaseProposal(session_id=sharing.id, case_id=case.id, org_id=case.org_id, proposed_by_id=user.id,
                            presenter=presenter, note=note, status=ProposalStatus.PENDING, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(proposal)
    except IntegrityError:  # the same case proposed by a colleague at the same moment
        raise ValidationError(_("该案例已推荐到本场分享会，不能重复推荐。"), field="case_id") from None
    _notify_admins(user, sharing, proposal)
    return proposal


def _notify_admins(actor, sharing: SharingSession, proposal: CaseProposal) -> None:
    from portal.notifications.models import Kind
    from portal.notifications.services import notify

    admins = db.session.scalars(select(User).where(User.is_admin.is_(True)))
    text = _("%(org)s推荐案例《%(case)s》到分享会《%(title)s》，等待处理。",
             org=proposal.org.name, case=proposal.case.title, title=sharing.title)
    notify(admins, Kind.SESSION_PROPOSAL, text, session_path(sharing) + "#proposals", actor=actor,
           email_subject=_("新的分享会案例推荐：%(case)s", case=proposal.case.title[:60]))


def get_proposal(proposal_id: int) -> CaseProposal:
    proposal = db.session.get(CaseProposal, proposal_id)
    if proposal is None:
        raise NotFound(_("未找到该推荐。"))
    return proposal


def require_decider(actor, proposal: CaseProposal) -> None:
    if not permissions.can_manage_sessions(actor):
        raise PermissionDenied(_("只有平台管理员可以处理案例推荐。"))
    if not permissions.can_decide_case_proposal(actor, proposal):
        raise ValidationError(_("该推荐已经处理过了。"))


def _append_case(actor, sharing: SharingSession, proposal: CaseProposal) -> AgendaItem:
    """The case goes to the end of the running order, through the sessions service (which checks
    the case is published and not on the agenda yet, and writes the audit entry)."""
    from portal.sessions.services import AgendaData, add_agenda_item

    return add_agenda_item(actor, sharing, AgendaData(
        kind=AgendaKind.CASE, title=proposal.case.title[:150], case_id=proposal.case_id,
        org_id=proposal.case.org_id, presenter=proposal.presenter))


def accept_proposal(actor, proposal: CaseProposal) -> AgendaItem:
    require_decider(actor, proposal)
    sharing = lock_session(proposal.session)
    db.session.refresh(proposal)
    if proposal.status != ProposalStatus.PENDING:
        raise ValidationError(_("该推荐已经处理过了。"))
    if sharing.status != SessionStatus.PLANNED:
        raise ValidationError(_("分享会已经举行或归档，不能再接受推荐。"))
    case = proposal.case
    if case.status != CaseStatus.PUBLISHED:
        raise ValidationError(_("该案例目前没有公开发布，不能加入议程。"))
    if case.id in _agenda_case_ids(sharing):
        raise ValidationError(_("该案例已在本场分享会的议程中。"))
    item = _append_case(actor, sharing, proposal)
    proposal.status = ProposalStatus.ACCEPTED
    proposal.decided_by_id = actor.id
    proposal.decided_at = utcnow()
    from portal.admin.audit import record

    record(actor, "session.proposal_accept", proposal, f"{sharing.title}：{case.title}（{proposal.org.name}）")
    _notify_unit(actor, proposal, _("贵单位推荐的案例《%(case)s》已被分享会《%(title)s》接受，列入议程，分享人：%(who)s。",
                                    case=case.title, title=sharing.title, who=proposal.presenter))
    return item


def decline_proposal(actor, proposal: CaseProposal, reason: str) -> None:
    require_decider(actor, proposal)
    lock_session(proposal.session)
    db.session.refresh(proposal)
    if proposal.status != ProposalStatus.PENDING:
        raise ValidationError(_("该推荐已经处理过了。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写婉拒的原因，推荐单位会看到这段说明。"), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(_("原因不能超过 %(n)d 个字符。", n=MAX_REASON), field="reason")
    proposal.status = ProposalStatus.DECLINED
    proposal.decision_reason = reason
    proposal.decided_by_id = actor.id
    proposal.decided_at = utcnow()
    from portal.admin.audit import record

    sharing = proposal.session
    record(actor, "session.proposal_decline", proposal,
           f"{sharing.title}：{proposal.case.title}（{proposal.org.name}）：{reason}")
    _notify_unit(actor, proposal, _("贵单位推荐到分享会《%(title)s》的案例《%(case)s》未被接受。原因：%(reason)s",
                                    title=sharing.title, case=proposal.case.title, reason=reason))


def _notify_unit(actor, proposal: CaseProposal, text: str) -> None:
    from portal.notifications.models import Kind
    from portal.notifications.services import notify

    members = [m.user for m in proposal.org.memberships]
    notify(members, Kind.SESSION_PROPOSAL, text, session_path(proposal.session) + "#proposals", actor=actor,
           email_subject=_("分享会案例推荐的处理结果：%(case)s", case=proposal.case.title[:60]))


def unit_proposals(user, sharing: SharingSession) -> list[CaseProposal]:
    """The proposals the user's units made for this session."""
    unit_ids = [o.id for o in proposal_units(user)]
    if not unit_ids:
        return []
    return list(db.session.scalars(
        select(CaseProposal).where(CaseProposal.session_id == sharing.id, CaseProposal.org_id.in_(unit_ids))
        .order_by(CaseProposal.created_at, CaseProposal.id)))


def all_proposals(sharing: SharingSession) -> list[CaseProposal]:
    return list(db.session.scalars(
        select(CaseProposal).where(CaseProposal.session_id == sharing.id)
        .order_by(CaseProposal.created_at, CaseProposal.id)
        .options(selectinload(CaseProposal.case), selectinload(CaseProposal.org),
                 selectinload(CaseProposal.proposed_by))))


# The session page ------------------------------------------------------------------------------

@dataclass
class Panel:
    """What the registration and proposal panel on the session page shows."""

    session: SharingSession
    registration: Registration | None
    registered_count: int
    waitlisted_count: int
    capacity: int | None
    seats_left: int | None
    refusal: str | None                  # why registration is closed, if it is
    can_register: bool
    can_cancel: bool
    can_download_calendar: bool
    can_see_registrations: bool
    registered: list[Registration] = field(default_factory=list)
    waitlisted: list[Registration] = field(default_factory=list)
    can_propose: bool = False
    own_proposals: list[CaseProposal] = field(default_factory=list)
    proposals: list[CaseProposal] = field(default_factory=list)   # admins: every proposal
    can_decide: bool = False
    waitlist_position: int | None = None
    over: bool = False                   # registration_over: shown to organizers only, as a record
    show_registration: bool = True       # whether the page shows the registration section at all

    @property
    def pending(self) -> list[CaseProposal]:
        return [p for p in self.proposals if p.status == ProposalStatus.PENDING]

    @property
    def decided(self) -> list[CaseProposal]:
        return [p for p in self.proposals if p.status != ProposalStatus.PENDING]


def session_panel(user, session) -> dict:
    """Template variables for the session page (registration and proposals)."""
    from portal.forms import ActionForm, LazyForm
    from portal.sessions.participation_forms import DeclineForm

    sharing = session
    reg = registration_of(user, sharing)
    if reg is not None and reg.status == RegistrationStatus.CANCELLED:
        reg = None
    refusal = registration_refusal(sharing)
    admin = permissions.can_see_session_registrations(user, sharing)
    over = registration_over(sharing)
    show_registration = admin or not over
    # Past sessions, most of the archive, show their registrations to the organizers only.
    by_status = counts(sharing) if show_registration else {}
    registered = by_status.get(RegistrationStatus.REGISTERED, 0)
    panel = Panel(
        session=sharing, registration=reg,
        registered_count=registered,
        waitlisted_count=by_status.get(RegistrationStatus.WAITLISTED, 0),
        capacity=sharing.capacity, seats_left=seats_left(sharing, registered), refusal=refusal,
        can_register=reg is None and refusal is None and not over,
        can_cancel=reg is not None and not_started(sharing),
        can_download_calendar=permissions.can_download_session_calendar(user, sharing) and not over,
        can_see_registrations=admin,
        can_propose=permissions.can_propose_case(user, sharing),
        own_proposals=unit_proposals(user, sharing),
        can_decide=admin,
        over=over,
        show_registration=show_registration,
    )
    if admin:
        panel.registered = registrants(sharing, RegistrationStatus.REGISTERED)
        panel.waitlisted = registrants(sharing, RegistrationStatus.WAITLISTED)
        panel.proposals = all_proposals(sharing)
    if reg is not None and reg.status == RegistrationStatus.WAITLISTED:
        panel.waitlist_position = 1 + (db.session.scalar(select(func.count()).select_from(Registration).where(
            Registration.session_id == sharing.id, Registration.status == RegistrationStatus.WAITLISTED,
            (Registration.created_at < reg.created_at)
            | ((Registration.created_at == reg.created_at) & (Registration.id < reg.id)))) or 0)
    return {"participation": panel, "participation_form": LazyForm(ActionForm), "decline_form": LazyForm(DeclineForm),
            "registration_labels": REGISTRATION_LABELS, "proposal_labels": PROPOSAL_LABELS}
