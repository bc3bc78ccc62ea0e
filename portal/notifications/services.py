"""Notifications: who is told what, in the app and by e-mail, respecting each user's choices.

Other features call :func:`notify` inside their own transaction; the in-app rows commit with
the change and e-mails go out only after the commit (portal.mail.send_after_commit).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal import permissions
from portal.auth.models import User
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.mail import send_after_commit
from portal.models_base import paginate, utcnow
from portal.notifications.models import DigestFrequency, Follow, FollowTarget, Kind, Notification, NotificationPreference
from portal.regions import PROVINCES
from portal.urls import safe_next_url, site_path

#: Every kind with its label on the preferences page, in display order.
KIND_LABELS = {
    Kind.EXPERT_COMMENT: _l("本单位案例收到新的专家点评"),
    Kind.COMMENT_REPLY: _l("有人回复了我的评论"),
    Kind.CASE_DISCUSSION: _l("本单位案例下有新的评论或回复"),
    Kind.REVIEW_ASSIGNMENT: _l("我被指派点评案例"),
    Kind.CASE_WORKFLOW: _l("本单位案例的审核状态变化"),
    Kind.REPORT_DECISION: _l("举报处理结果"),
    Kind.FOLLOWED_CASE: _l("我关注的主题、省份或单位有新案例发布"),
    Kind.SESSION_ARCHIVED: _l("我报名的分享会已归档，可以回看"),
    Kind.SESSION_REGISTRATION: _l("分享会候补转为正式报名"),
    Kind.SESSION_PROPOSAL: _l("分享会案例推荐：新的推荐和处理结果"),
    Kind.CALL_OPENED: _l("我关注的主题有新的案例征集"),
    Kind.CALL_ENTRY: _l("案例征集：本单位参评案例的进展、截止提醒和评选结果"),
    Kind.CALL_REVIEW: _l("案例征集评审：评审任务、提醒和评分进度"),
}

#: The e-mail choice for FOLLOWED_CASE: new cases are never mailed one by one, only in digests.
DIGEST_CHOICES = {"never": _l("不发送"), DigestFrequency.DAILY.value: _l("每日摘要"),
                  DigestFrequency.WEEKLY.value: _l("每周摘要")}


def preference(user: User, kind: str) -> tuple[bool, bool]:
    """(in_app, email) for one kind; both on unless the user turned them off."""
    row = db.session.get(NotificationPreference, (user.id, str(kind)))
    return (row.in_app, row.email) if row else (True, True)


def notify(recipients: Iterable[User], kind: Kind, text: str, url: str = "", *,
           actor: User | None = None, email_subject: str | None = None, email_body: str | None = None) -> int:
    """Tell each recipient once (never the actor, never a disabled account), in the app
    and/or by e-mail as they chose. ``text`` is one line; ``url`` a path on this site.
    Returns how many users were told one way or the other."""
    told = 0
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.id in seen or (actor is not None and user.id == actor.id) or not user.is_active:
            continue
        seen.add(user.id)
        in_app, email = preference(user, kind)
        if in_app:
            db.session.add(Notification(user_id=user.id, kind=str(kind), text=text[:300], url=url[:300]))
        if email:
            link = _absolute(url) if url else ""
            body = (email_body or text) + (f"\n\n{link}" if link else "")
            send_after_commit(db.session, user.email, email_subject or text[:80], body)
        told += in_app or email
    return told


def _absolute(path: str) -> str:
    from portal.urls import absolute_url

    return absolute_url(path)


def unread_count(user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


# The notification centre ---------------------------------------------------------------------

PER_PAGE = 20


def list_for(user: User, page: int = 1, per_page: int = PER_PAGE):
    """The user's own notifications, newest first, paginated."""
    stmt = (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return paginate(stmt, page=page, per_page=per_page, count_by=Notification.id)


def get_own(user: User, notification_id: int) -> Notification:
    """One of the user's notifications; anyone else's is "not found" (it does not exist for them)."""
    note = db.session.get(Notification, notification_id)
    if note is None or not permissions.can_see_notification(user, note):
        raise NotFound(_("未找到该通知。"))
    return note


def open_notification(user: User, notification_id: int) -> str:
    """Mark it read and return where it points (a path on this site; the centre otherwise)."""
    note = get_own(user, notification_id)
    if note.read_at is None:
        note.read_at = utcnow()
    return safe_next_url(note.url) or ""


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return result.rowcount or 0


# Preferences ----------------------------------------------------------------------------------

def preferences(user: User) -> dict[str, tuple[bool, bool]]:
    """(in_app, email) for every kind, in KIND_LABELS order."""
    rows = {row.kind: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    return {str(kind): ((rows[kind].in_app, rows[kind].email) if kind in rows else (True, True))
            for kind in KIND_LABELS}


def digest_choice(user: User) -> str:
    """"never", "daily" (the default) or "weekly": how new cases in followed things are e-mailed."""
    row = db.session.get(NotificationPreference, (user.id, str(Kind.FOLLOWED_CASE)))
    if row is None:
        return DigestFrequency.DAILY.value
    return row.digest if row.email else "never"


def save_preferences(user: User, choices: dict[str, tuple[bool, bool]], digest: str | None = None) -> None:
    """Store the user's choice for every kind; a kind left out of ``choices`` is turned off.
    ``digest`` ("never", "daily", "weekly") is the e-mail choice for followed cases and
    replaces that kind's e-mail flag when given. The default (both channels on, daily digest)
    is kept as no row at all."""
    if not permissions.can_follow(user):
        raise PermissionDenied(_("请先登录。"))
    unknown = set(choices) - {str(k) for k in KIND_LABELS}
    if unknown:
        raise ValidationError(_("未知的通知类型。"))
    if digest is not None and digest not in DIGEST_CHOICES:
        raise ValidationError(_("未知的邮件摘要频率。"))
    for kind in KIND_LABELS:
        in_app, email = choices.get(str(kind), (False, False))
        row = db.session.get(NotificationPreference, (user.id, str(kind)))
        frequency = row.digest if row is not None else DigestFrequency.DAILY.value
        if kind == Kind.FOLLOWED_CASE and digest is not None:
            email = digest != "never"
            frequency = digest if email else frequency
        if in_app and email and frequency == DigestFrequency.DAILY:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=str(kind))
            db.session.add(row)
        row.in_app, row.email, row.digest = bool(in_app), bool(email), str(frequency)
    db.session.flush()


# Follows --------------------------------------------------------------------------------------

TARGET_LABELS = {FollowTarget.THEME: _l("主题"), FollowTarget.PROVINCE: _l("省份"), FollowTarget.ORG: _l("单位")}


@dataclass(frozen=True)
class FollowItem:
    target_type: str
    key: str
    label: str        # what is followed: the theme's, province's or unit's name
    url: str          # the filtered case list, or the unit's page


def _int_key(key: str) -> int | None:
    key = (key or "").strip()
    return int(key) if key.isdigit() and len(key) < 10 else None


def _resolve_target(target_type: str, key: str, *, for_following: bool) -> tuple[str, str]:
    """Check a follow target; returns (normalised key, name). Unknown or unfollowable targets
    raise a Chinese ValidationError (a pending unit is "not found", so its name does not leak)."""
    from portal.cases.models import Theme
    from portal.orgs.models import Organization

    if target_type == FollowTarget.THEME:
        theme = db.session.get(Theme, _int_key(key)) if _int_key(key) is not None else None
        if theme is None:
            raise ValidationError(_("未找到该主题，无法关注。"))
        if for_following and theme.retired:
            raise ValidationError(_("主题“%(name)s”已停用，不能再关注。", name=theme.name))
        return str(theme.id), theme.name
    if target_type == FollowTarget.PROVINCE:
        key = (key or "").strip()
        if key not in PROVINCES:
            raise ValidationError(_("未知的省级行政区，无法关注。"))
        return key, key
    if target_type == FollowTarget.ORG:
        org = db.session.get(Organization, _int_key(key)) if _int_key(key) is not None else None
        if org is None or not org.is_verified:
            raise ValidationError(_("只能关注已认证的成员单位。"))
        return str(org.id), org.name
    raise ValidationError(_("未知的关注类型。"))


def _follow_row(user: User, target_type: str, key: str) -> Follow | None:
    return db.session.scalar(select(Follow).where(
        Follow.user_id == user.id, Follow.target_type == target_type, Follow.target_key == key))


def follow(user: User, target_type: str, key: str) -> str:
    """Follow a theme (by id), a province (by name) or a verified unit (by id); following
    twice changes nothing. Returns the followed thing's name."""
    if not permissions.can_follow(user):
        raise PermissionDenied(_("请先登录。"))
    key, name = _resolve_target(target_type, key, for_following=True)
    if _follow_row(user, target_type, key) is None:
        try:
            with db.session.begin_nested():  # a double click racing itself: the first one wins
                db.session.add(Follow(user_id=user.id, target_type=str(target_type), target_key=key))
        except IntegrityError:
            pass
    return name


def unfollow(user: User, target_type: str, key: str) -> None:
    """Stop following; harmless if the user was not following it (or it no longer exists)."""
    if not permissions.can_follow(user):
        raise PermissionDenied(_("请先登录。"))
    if target_type not in {t.value for t in FollowTarget}:
        raise ValidationError(_("未知的关注类型。"))
    row = _follow_row(user, target_type, (key or "").strip())
    if row is not None:
        from portal.notifications.digests import drop_pending

        drop_pending(user, row.target_type, row.target_key)
        db.session.delete(row)
        db.session.flush()


def follow_keys(user) -> set[tuple[str, str]]:
    """(target_type, key) of everything the user follows; empty for anonymous visitors."""
    if not permissions.can_follow(user):
        return set()
    return {(t, k) for t, k in db.session.execute(
        select(Follow.target_type, Follow.target_key).where(Follow.user_id == user.id))}


def follows_of(user: User) -> list[FollowItem]:
    """What the user follows, for the preferences page (themes, then provinces, then units)."""

    from portal.cases.models import Theme
    from portal.orgs.models import Organization

    order = {FollowTarget.THEME: 0, FollowTarget.PROVINCE: 1, FollowTarget.ORG: 2}
    rows = sorted(db.session.scalars(select(Follow).where(Follow.user_id == user.id)),
                  key=lambda f: (order.get(f.target_type, 9), f.created_at, f.id))
    items = []
    for row in rows:
        if row.target_type == FollowTarget.THEME:
            theme = db.session.get(Theme, _int_key(row.target_key) or 0)
            label = theme.name if theme else _("（已删除的主题）")
            url = site_path("cases.index", theme=row.target_key) if theme else ""
        elif row.target_type == FollowTarget.PROVINCE:
            label, url = row.target_key, site_path("cases.index", province=row.target_key)
        else:
            org = db.session.get(Organization, _int_key(row.target_key) or 0)
            visible = org is not None and org.is_verified
            label = org.name if visible else _("（该单位已不可见）")
            url = site_path("orgs.show", org_id=org.id) if visible else ""
        items.append(FollowItem(row.target_type, row.target_key, label, url))
    return items


# Hooks called by the case workflow --------------------------------------------------------------

#: action -> the one-line text unit members get (title filled in)
WORKFLOW_TEXTS = {
    "submit": _l("案例《%(title)s》已提交审核"),
    "withdraw": _l("案例《%(title)s》已撤回提交，回到草稿"),
    "start_review": _l("案例《%(title)s》已进入审核"),
    "publish": _l("案例《%(title)s》已发布"),
    "return": _l("案例《%(title)s》被退回修改（原因：%(reason)s）"),
    "archive": _l("案例《%(title)s》已归档"),
    "restore": _l("案例《%(title)s》已恢复发布"),
}


def _case_path(case) -> str:
    """The case page's path; also outside a request (CLI imports, demo data)."""
    return site_path("cases.show", case_id=case.id)


def _short(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def case_transitioned(actor, case, action: str, reason: str = "", *, tell_unit: bool = True) -> None:
    """Called at the end of portal.cases.services.transition(), inside its transaction.

    CASE_WORKFLOW: every member of the case's unit except the one who acted (unless
    ``tell_unit`` is off: a bulk import tells the unit once, see bulk_imported).
    FOLLOWED_CASE: when the case becomes published (first publication or restore), the users
    following one of its themes, its province or its unit, once each, grouped and in digests
    (portal.notifications.digests). The unit's own members are left out: they already get the
    CASE_WORKFLOW message about their own case."""
    from portal.notifications import digests

    url = _case_path(case)
    members = [m.user for m in case.org.memberships]
    template = WORKFLOW_TEXTS.get(action) if tell_unit else None
    if template is not None:
        text = str(template) % {"title": _short(case.title, 80), "reason": _short(reason, 120)}
        body = _("您好：\n\n您所在单位“%(org)s”的%(text)s。", org=case.org.name,
                 text=str(template) % {"title": case.title, "reason": reason})
        if action == "return":
            body = _("您好：\n\n您所在单位“%(org)s”的案例《%(title)s》被退回修改。\n\n需要修改的地方：\n%(reason)s",
                     org=case.org.name, title=case.title, reason=reason)
        notify(members, Kind.CASE_WORKFLOW, text, url, actor=actor if isinstance(actor, User) else None,
               email_subject=_short(text, 80), email_body=body)
    if case.status == "published" and action in ("publish", "restore"):
        digests.record_new_case(actor, case, exclude={m.id for m in members}, restored=action == "restore")


def bulk_imported(org, created: int, updated: int, published: int) -> None:
    """One CASE_WORKFLOW message to each member of a unit after a bulk import into it, instead
    of one per case and step."""
    text = _("批量导入：本单位新增 %(created)d 个案例，更新 %(updated)d 个，其中 %(published)d 个已发布",
             created=created, updated=updated, published=published)
    notify([m.user for m in org.memberships], Kind.CASE_WORKFLOW, text, site_path("cases.mine"),
           email_subject=_("批量导入完成：“%(org)s”", org=org.name),
           email_body=_("您好：\n\n%(text)s。", text=text))


__all__ = ["KIND_LABELS", "Kind", "notify", "preference", "unread_count", "list_for", "get_own",
           "open_notification", "mark_all_read", "preferences", "save_preferences", "follow", "unfollow",
           "follow_keys", "follows_of", "case_transitioned", "bulk_imported", "digest_choice", "DIGEST_CHOICES"]
