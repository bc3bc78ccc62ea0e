"""New cases in followed themes, provinces and units, told in groups: never one message per case.

In the app, each follower has one notification per followed thing while it is unread; every
further case raises its count (a bulk import of 1,000 cases in a theme is one line,
主题“养老服务”新增 1000 个案例, linking to the filtered case list). By e-mail, a digest: daily or
weekly as each user chose (不发送 turns it off), sent by ``flask --app wsgi notifications
send-digests`` from cron.

Pending items, not a watermark per user: what is news for whom is decided when a case is
published, in that transaction, by the follows and preferences of that moment (DigestItem).
A watermark would rebuild it at send time from today's follows and cases: a theme followed this
morning would bring last week's cases, a case whose publication committed just after the
watermark moved would be skipped for good (its publication time lies before the watermark), and
an archived case restored later would be announced again. With items, the unique (user, case)
keeps every case to at most one digest per user, and claiming items with
``UPDATE … WHERE digest_id IS NULL`` keeps two overlapping runs from sending the same case twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.auth.models import User
from portal.extensions import db
from portal.mail import send_after_commit
from portal.models_base import utcnow
from portal.notifications.models import (
    DigestFrequency,
    DigestItem,
    Follow,
    FollowTarget,
    Kind,
    Notification,
    NotificationDigest,
    NotificationPreference,
)
from portal.timezones import utc_to_shanghai
from portal.urls import site_path

#: The most specific follow names a case: its unit, then one of its themes, then its province.
RANK = {FollowTarget.ORG: 0, FollowTarget.THEME: 1, FollowTarget.PROVINCE: 2}
#: Cases listed by title per followed thing in a digest; the rest are one link to the list.
TITLES_PER_GROUP = 10
_CACHE = "portal.followed_case_cache"


# Texts and links ---------------------------------------------------------------------------------

def _what(target_type: str) -> str:
    from portal.notifications.services import TARGET_LABELS

    return str(TARGET_LABELS[FollowTarget(target_type)])


def target_name(target_type: str, key: str) -> str:
    """The followed thing's current name (a theme or unit since deleted: its key)."""
    from portal.cases.models import Theme
    from portal.orgs.models import Organization

    if target_type == FollowTarget.PROVINCE:
        return key
    model = Theme if target_type == FollowTarget.THEME else Organization
    row = db.session.get(model, int(key)) if key.isdigit() else None
    return row.name if row is not None else key


def list_path(target_type: str, key: str) -> str:
    """The case list filtered to the followed thing (newest first)."""
    return site_path("cases.index", **{"org" if target_type == FollowTarget.ORG else str(target_type): key})


def group_text(target_type: str, name: str, count: int) -> str:
    return _("%(what)s“%(name)s”新增 %(n)d 个案例", what=_what(target_type), name=name, n=count)


def _single_text(target_type: str, name: str, title: str) -> str:
    from portal.notifications.services import _short

    return _("您关注的%(what)s“%(name)s”有新案例发布：《%(title)s》", what=_what(target_type), name=name,
             title=_short(title, 80))


# When a case is published ------------------------------------------------------------------------

def _reasons(case, exclude: set[int]) -> dict[int, tuple[str, str]]:
    """user id -> (target type, key) of the most specific thing they follow that names the case."""
    keys = [(FollowTarget.ORG, str(case.org_id))] + [(FollowTarget.THEME, str(t.id)) for t in case.themes]
    if case.province:
        keys.append((FollowTarget.PROVINCE, case.province))
    conditions = [(Follow.target_type == t) & (Follow.target_key == k) for t, k in keys]
    rows = db.session.execute(select(Follow.user_id, Follow.target_type, Follow.target_key)
                              .where(or_(*conditions)).order_by(Follow.id)).all()
    reasons: dict[int, tuple[str, str]] = {}
    for user_id, target_type, key in rows:
        current = reasons.get(user_id)
        if user_id not in exclude and (current is None or RANK[target_type] < RANK[current[0]]):
            reasons[user_id] = (target_type, key)
    return reasons


def record_new_case(actor, case, exclude: set[int] = frozenset(), *, restored: bool = False) -> int:
    """Called when ``case`` becomes published (first publication, or ``restored`` from the
    archive), inside that transaction: each follower (but ``exclude`` and the actor) gets the
    case counted in their grouped notification and/or queued for their digest, as they chose.
    Returns how many followers were told one way or the other."""
    reasons = _reasons(case, exclude)
    if not reasons:
        return 0
    cache = _transaction_cache()
    choices = _choices(cache, reasons)
    # Only a restored case can have been in someone's digest already.
    already_listed = set(db.session.scalars(select(DigestItem.user_id).where(DigestItem.case_id == case.id))) \
        if restored else set()
    queued: list[dict] = []
    told = 0
    for user_id, (target_type, key) in sorted(reasons.items()):
        in_app, email = choices.get(user_id, (False, False))
        if isinstance(actor, User) and actor.id == user_id:
            continue
        if in_app:
            if (target_type, key) not in cache["names"]:
                cache["names"][(target_type, key)] = target_name(target_type, key)
            _count_in_group(cache["groups"], user_id, target_type, key, cache["names"][(target_type, key)], case)
        if email and user_id not in already_listed:
            queued.append({"user_id": user_id, "case_id": case.id, "target_type": str(target_type),
                           "target_key": key, "created_at": utcnow()})
        told += in_app or email
    if queued:  # one statement, and no ORM objects piling up in a bulk import's session
        db.session.execute(insert(DigestItem), queued)
    return told


def _transaction_cache() -> dict:
    """What a bulk import would otherwise look up again for each case, kept for the current
    transaction only: "groups" ((user id, group key) -> the unread grouped notification),
    "choices" (user id -> (in-app, e-mail) for followed cases; both off for a disabled account)
    and "names" of followed things."""
    session = db.session()
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE)
    if cached is None or cached[0] is not transaction:
        cached = session.info[_CACHE] = (transaction, {"groups": {}, "choices": {}, "names": {}})
    return cached[1]


def _choices(cache: dict, user_ids) -> dict[int, tuple[bool, bool]]:
    known = cache["choices"]
    missing = [user_id for user_id in user_ids if user_id not in known]
    if missing:
        rows = db.session.execute(
            select(User.id, User.disabled_at, NotificationPreference.in_app, NotificationPreference.email)
            .outerjoin(NotificationPreference, (NotificationPreference.user_id == User.id)
                       & (NotificationPreference.kind == str(Kind.FOLLOWED_CASE)))
            .where(User.id.in_(missing)))
        for user_id, disabled_at, in_app, email in rows:
            active = disabled_at is None
            known[user_id] = (active and in_app is not False, active and email is not False)
    return known


def _unread_group(user_id: int, group: str) -> Notification | None:
    return db.session.scalar(select(Notification).where(
        Notification.user_id == user_id, Notification.group_key == group, Notification.read_at.is_(None)))


def _count_in_group(cache: dict, user_id: int, target_type: str, key: str, name: str, case) -> None:
    group = f"{target_type}:{key}"
    note = cache.get((user_id, group))
    if note is None or note not in db.session:  # not looked up yet, or dropped by a rolled-back savepoint
        note = _unread_group(user_id, group)
    if note is None:
        note = Notification(user_id=user_id, kind=str(Kind.FOLLOWED_CASE), group_key=group, count=1,
                            text=_single_text(target_type, name, case.title)[:300],
                            url=site_path("cases.show", case_id=case.id), created_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(note)
        except IntegrityError:  # another transaction opened this group meanwhile: count in theirs
            note = _unread_group(user_id, group)
            if note is None:
                raise
            _raise_count(note, target_type, key, name)
    else:
        _raise_count(note, target_type, key, name)
    cache[(user_id, group)] = note


def _raise_count(note: Notification, target_type: str, key: str, name: str) -> None:
    note.count += 1
    note.text = group_text(target_type, name, note.count)[:300]
    note.url = list_path(target_type, key)
    note.created_at = utcnow()  # the newest news: the row moves to the top of the list


def drop_pending(user: User, target_type: str, key: str) -> None:
    """Unfollowing: cases waiting for the next digest because of that follow are not sent."""
    db.session.execute(delete(DigestItem).where(
        DigestItem.user_id == user.id, DigestItem.digest_id.is_(None),
        DigestItem.target_type == target_type, DigestItem.target_key == key)
        .execution_options(synchronize_session=False))


# Sending digests ---------------------------------------------------------------------------------

def _local_date(value: datetime) -> date:
    return utc_to_shanghai(value).date()


def is_due(frequency: str, now: datetime, last_sent: datetime | None, oldest_waiting: datetime) -> bool:
    """Daily: at most one digest per calendar day (Asia/Shanghai), so a cron job that runs a
    little earlier or later each day still sends every day. Weekly: seven calendar days after
    the last digest, or, before the first one, after the oldest case waiting."""
    today = _local_date(now)
    if frequency == DigestFrequency.WEEKLY:
        return (today - _local_date(last_sent or oldest_waiting)).days >= 7
    return last_sent is None or _local_date(last_sent) < today


@dataclass
class DigestRun:
    sent: int = 0         # e-mails
    cases: int = 0        # cases listed in them
    not_due: int = 0      # users with cases waiting whose next digest is not due yet


def send_digests(now: datetime | None = None) -> DigestRun:
    """Send every digest that is due at ``now`` (naive UTC; default: the current time), one
    e-mail per user, committing user by user. Running it again sends nothing new."""
    now = now or utcnow()
    run = DigestRun()
    user_ids = db.session.scalars(select(DigestItem.user_id).where(DigestItem.digest_id.is_(None))
                                  .distinct().order_by(DigestItem.user_id)).all()
    for user_id in user_ids:
        _send_one(user_id, now, run)
        db.session.commit()
    return run


def _send_one(user_id: int, now: datetime, run: DigestRun) -> None:
    from portal.cases.models import Case, CaseStatus

    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return  # a disabled account keeps its items until it is enabled again
    pref = db.session.get(NotificationPreference, (user_id, str(Kind.FOLLOWED_CASE)))
    waiting = (DigestItem.user_id == user_id) & DigestItem.digest_id.is_(None)
    if pref is not None and not pref.email:  # switched to 不发送 after these were queued
        db.session.execute(delete(DigestItem).where(waiting).execution_options(synchronize_session=False))
        return
    frequency = pref.digest if pref is not None else DigestFrequency.DAILY
    last_sent = db.session.scalar(select(func.max(NotificationDigest.sent_at))
                                  .where(NotificationDigest.user_id == user_id))
    oldest = db.session.scalar(select(func.min(DigestItem.created_at)).where(waiting))
    if oldest is None:
        return
    if not is_due(frequency, now, last_sent, oldest):
        run.not_due += 1
        return
    # Archived since: no longer news (if restored, it is queued again then).
    db.session.execute(delete(DigestItem).where(
        waiting, DigestItem.case_id.in_(select(Case.id).where(Case.status != CaseStatus.PUBLISHED)))
        .execution_options(synchronize_session=False))
    ceiling, count = db.session.execute(select(func.max(DigestItem.id), func.count()).where(waiting)).one()
    if not count:
        return
    digest = NotificationDigest(user_id=user_id, frequency=str(frequency), sent_at=now, case_count=count)
    db.session.add(digest)
    db.session.flush()
    claimed = db.session.execute(update(DigestItem).where(waiting, DigestItem.id <= ceiling)
                                 .values(digest_id=digest.id).execution_options(synchronize_session=False))
    if claimed.rowcount != count:  # another run is sending this user's digest right now
        db.session.rollback()
        return
    items = db.session.scalars(select(DigestItem).where(DigestItem.digest_id == digest.id)
                              .options(selectinload(DigestItem.case))).all()
    subject, body = compose(frequency, items)
    send_after_commit(db.session, user.email, subject, body)
    run.sent += 1
    run.cases += count


def compose(frequency: str, items: list[DigestItem]) -> tuple[str, str]:
    """(subject, plain-text body): the cases grouped by the followed thing that brought them."""
    from portal.notifications.services import _absolute

    groups: dict[tuple[str, str], list] = {}
    for item in sorted(items, key=lambda i: (i.case.published_at or i.created_at, i.case_id), reverse=True):
        groups.setdefault((item.target_type, item.target_key), []).append(item.case)
    named = sorted(((RANK[FollowTarget(t)], target_name(t, k), t, k) for t, k in groups))
    total = len(items)
    if frequency == DigestFrequency.WEEKLY:
        subject = _("每周案例摘要：您关注的主题、省份和单位新增 %(n)d 个案例", n=total)
    else:
        subject = _("每日案例摘要：您关注的主题、省份和单位新增 %(n)d 个案例", n=total)
    lines = [_("您好："), "", _("自上次摘要以来，您关注的主题、省份和单位共新增 %(n)d 个案例。", n=total), ""]
    for _rank, name, target_type, key in named:
        cases = groups[(target_type, key)]
        lines.append(group_text(target_type, name, len(cases)) + "：")
        for case in cases[:TITLES_PER_GROUP]:
            lines.append(f"《{case.title}》 {_absolute(site_path('cases.show', case_id=case.id))}")
        if len(cases) > TITLES_PER_GROUP:
            lines.append(_("……另有 %(n)d 个，查看全部：%(url)s", n=len(cases) - TITLES_PER_GROUP,
                           url=_absolute(list_path(target_type, key))))
        lines.append("")
    lines.append(_("摘要频率（不发送、每日或每周）和关注的内容可以在“通知设置”中更改：%(url)s",
                   url=_absolute(site_path("notifications.preferences"))))
    return subject, "\n".join(lines)
