"""Business rules for the discussion under published cases, reports (举报) and moderation.

Rules in one place:
- Any logged-in user comments on a published case (Markdown, cleaned by portal.text); posting on a
  case that is not published is answered 404, whoever asks, so unpublished cases never leak.
- Replies are one level deep: replying to a reply attaches the new comment to the thread's
  top-level comment (the person replied to is still told). Replying to a deleted, hidden or held
  comment, or inside a hidden thread, is refused with a Chinese message.
- Authors edit within COMMENT_EDIT_MINUTES (edits marked 已编辑) and delete their own comments;
  a deleted comment with replies stays as a stub "该评论已删除", otherwise it disappears.
- A comment with more than COMMENT_HOLD_MAX_LINKS links from an account younger than
  COMMENT_HOLD_ACCOUNT_HOURS is HELD: only its author and moderators see it until restored.
- Reports: anyone logged in but the author, once per comment; COMMENT_REPORT_THRESHOLD open
  reports from different users hide the comment until a moderator decides.
- Moderators (platform admins) hide, restore or delete with a reason; open reports are resolved
  with the decision, the audit log records it and the author (and reporters) are told.
- Who is told about a new visible comment: the author of the comment replied to and the thread's
  starter (COMMENT_REPLY), and, when the writer is not one of them, the members of the case's unit
  (CASE_DISCUSSION; each person once, never the writer). Held comments tell nobody until restored.
- The case's unit (admins and editors) and platform admins mark replies as 有帮助的回答, any
  number per thread, and take the mark back (permissions.can_mark_helpful).

Views commit; these functions only change the session.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal import permissions
from portal.admin import audit
from portal.auth.models import User
from portal.cases.models import Case, CaseStatus
from portal.discussion.models import Comment, CommentReport, CommentStatus
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.models_base import statement, utcnow
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.text import render_markdown
from portal.urls import site_path

S = CommentStatus
MAX_BODY = 2000
MAX_REASON = 300
ACTIONS = permissions.MODERATION_ACTIONS
_LINK = re.compile(r"<a\s", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def _config(key: str):
    return current_app.config[key]


def _case_url(comment: Comment) -> str:
    return site_path("cases.show", case_id=comment.case_id) + f"#comment-{comment.id}"


def _excerpt(text: str, size: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size] + "…"


# Looking things up --------------------------------------------------------------------------

def get_open_case(case_id: int) -> Case:
    """The case to post on: published, or 404 (the same answer for unknown and unpublished ids)."""
    case = db.session.get(Case, case_id)
    if case is None or case.status != CaseStatus.PUBLISHED:
        raise NotFound(_("未找到该案例。"))
    return case


def get_comment(user, comment_id: int) -> Comment:
    """404 for unknown comments, comments on cases the user may not open, and held comments
    of other people (only their author and moderators know they exist)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not permissions.can_view_case(user, comment.case):
        raise NotFound(_("未找到该评论。"))
    if comment.status == S.HELD and not permissions.can_see_comment_body(user, comment):
        raise NotFound(_("未找到该评论。"))
    return comment


# Posting ------------------------------------------------------------------------------------

def _clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("请填写评论内容。"), field="body")
    if len(body) > MAX_BODY:
        raise ValidationError(_("评论不能超过 %(n)d 个字符（当前 %(m)d 个）。", n=MAX_BODY, m=len(body)), field="body")
    html = str(render_markdown(body))
    if not _TAG.sub("", html).strip() and "<img" not in html:
        raise ValidationError(_("评论内容不能为空（HTML 标签会被过滤）。"), field="body")
    return body


def link_count(body: str) -> int:
    """Links in the cleaned HTML: Markdown links, bare URLs and bare domains all count."""
    return len(_LINK.findall(str(render_markdown(body))))


def should_hold(user: User, body: str) -> bool:
    """Many links from a brand-new account look like spam: hold for a moderator."""
    if permissions.can_moderate(user) or link_count(body) <= _config("COMMENT_HOLD_MAX_LINKS"):
        return False
    return utcnow() - user.created_at < timedelta(hours=_config("COMMENT_HOLD_ACCOUNT_HOURS"))


def _reply_target(case: Case, parent_id: int, user) -> tuple[Comment, Comment]:
    """(the comment replied to, the top-level comment the reply attaches to)."""
    parent = db.session.get(Comment, parent_id)
    if parent is None or parent.case_id != case.id or (
            parent.status == S.HELD and not permissions.can_see_comment_body(user, parent)):
        raise ValidationError(_("要回复的评论不存在。"))
    if parent.status == S.DELETED:
        raise ValidationError(_("该评论已删除，无法回复。"))
    if parent.status == S.HIDDEN:
        raise ValidationError(_("该评论已被隐藏，无法回复。"))
    if parent.status == S.HELD:
        raise ValidationError(_("该评论正在等待审核，通过后才能回复。"))
    top = parent.parent or parent
    if top.status in (S.HIDDEN, S.HELD):
        raise ValidationError(_("该讨论已被隐藏，无法回复。"))
    return parent, top


def post_comment(user, case: Case, body: str | None, parent_id: int | None = None) -> Comment:
    if not permissions.can_comment(user, case):
        raise PermissionDenied(_("登录后才能在已发布的案例下发表评论。"))
    body = _clean_body(body)
    replied_to = top = None
    if parent_id:
        replied_to, top = _reply_target(case, parent_id, user)
    comment = Comment(case=case, author_id=user.id, parent=top, body=body,
                      status=S.HELD if should_hold(user, body) else S.VISIBLE, created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    if comment.status == S.VISIBLE:
        _notify_new_comment(comment, [replied_to, top] if top is not None else [])
    return comment


def _notify_new_comment(comment: Comment, parents: list[Comment]) -> None:
    """Tell the people replied to, then the case's unit (see the module's rules)."""
    told = _notify_reply(comment, parents) if parents else set()
    _notify_unit(comment, exclude=told)


def _notify_reply(comment: Comment, parents: list[Comment]) -> set[int]:
    """COMMENT_REPLY to the authors of ``parents``; returns their user ids."""
    author = comment.author
    text = _("%(name)s 回复了您在《%(title)s》下的评论。", name=author.display_name if author else _("用户"),
             title=comment.case.title)
    recipients = [p.author for p in parents if p is not None and p.status != S.DELETED and p.author is not None]
    notify(recipients, Kind.COMMENT_REPLY, text,
           _case_url(comment), actor=author, email_subject=_("有人回复了您的评论"),
           email_body=text + "\n\n" + _excerpt(comment.body, 200))
    return {user.id for user in recipients}


def _notify_unit(comment: Comment, exclude: set[int]) -> None:
    """CASE_DISCUSSION to the case's unit, unless one of its own members wrote the comment."""
    case, author = comment.case, comment.author
    if author is None or permissions.is_case_unit_member(author, case):
        return
    members = [m.user for m in case.org.memberships if m.user_id not in exclude]
    title = _excerpt(case.title, 80)
    if comment.parent_id is None:
        text = _("%(name)s 在本单位案例《%(title)s》下发表了评论：%(excerpt)s", name=author.display_name,
                 title=title, excerpt=_excerpt(comment.body, 60))
        body = _("您好：\n\n%(name)s 在您所在单位“%(org)s”的案例《%(title)s》下发表了评论：\n\n%(body)s",
                 name=author.display_name, org=case.org.name, title=case.title, body=_excerpt(comment.body, 500))
    else:
        text = _("%(name)s 在本单位案例《%(title)s》的讨论中回复：%(excerpt)s", name=author.display_name,
                 title=title, excerpt=_excerpt(comment.body, 60))
        body = _("您好：\n\n%(name)s 在您所在单位“%(org)s”的案例《%(title)s》的讨论中回复：\n\n%(body)s",
                 name=author.display_name, org=case.org.name, title=case.title, body=_excerpt(comment.body, 500))
    notify(members, Kind.CASE_DISCUSSION, text, _case_url(comment), actor=author,
           email_subject=_("本单位案例有新评论：《%(title)s》", title=_excerpt(case.title, 60)), email_body=body)


# Editing and deleting one's own comment --------------------------------------------------------

def require_editable(user, comment: Comment) -> None:
    """The edit page and the edit itself: 403 for anyone but the author; for the author, the rule
    is permissions.can_edit_comment, and a refusal says why."""
    if not permissions.is_comment_author(user, comment):
        raise PermissionDenied(_("只能编辑自己的评论。"))
    if permissions.can_edit_comment(user, comment):
        return
    if comment.status == S.DELETED:
        raise ValidationError(_("该评论已删除，不能编辑。"))
    if comment.status == S.HIDDEN:
        raise ValidationError(_("该评论已被隐藏，不能编辑。"))
    raise ValidationError(_("评论发布超过 %(n)d 分钟后不能再编辑。", n=_config("COMMENT_EDIT_MINUTES")),
                          field="body")


def edit_comment(user, comment: Comment, body: str | None) -> Comment:
    require_editable(user, comment)
    body = _clean_body(body)
    if body == comment.body:
        return comment
    comment.body = body
    comment.edited_at = utcnow()
    if comment.status == S.VISIBLE and should_hold(user, body):
        comment.status = S.HELD
    return comment


def delete_comment(user, comment: Comment) -> Comment:
    if not permissions.is_comment_author(user, comment):
        raise PermissionDenied(_("只能删除自己的评论。"))
    if comment.status == S.DELETED:
        raise ValidationError(_("该评论已删除。"))
    comment.status = S.DELETED
    comment.deleted_at = utcnow()
    _resolve_reports(comment, "delete")
    return comment


# Reports ------------------------------------------------------------------------------------

def open_reports(comment: Comment) -> list[CommentReport]:
    return [r for r in comment.reports if r.is_open]


def report_comment(user, comment: Comment, reason: str | None) -> CommentReport:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("登录后才能举报评论。"))
    if permissions.is_comment_author(user, comment):
        raise ValidationError(_("不能举报自己的评论。"))
    if comment.status == S.DELETED:
        raise ValidationError(_("该评论已删除。"))
    if comment.status == S.HIDDEN:
        raise ValidationError(_("该评论已被隐藏，正在等待管理员审核。"))
    if comment.status == S.HELD:
        raise ValidationError(_("该评论正在等待审核。"))
    if any(r.reporter_id == user.id for r in comment.reports):
        raise ValidationError(_("您已经举报过这条评论，管理员会尽快处理。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写举报原因。"), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(_("举报原因不能超过 %(n)d 个字符。", n=MAX_REASON), field="reason")
    report = CommentReport(comment=comment, reporter_id=user.id, reason=reason, created_at=utcnow())
    db.session.add(report)
    db.session.flush()
    if len({r.reporter_id for r in open_reports(comment)}) >= _config("COMMENT_REPORT_THRESHOLD"):
        comment.status = S.HIDDEN
        comment.moderation_note = ""  # hidden by reports, not (yet) by a moderator
    return report


# Moderation ---------------------------------------------------------------------------------

def require_moderator(actor) -> None:
    """403 unless ``actor`` moderates (the queue page and every moderation action)."""
    if not permissions.can_moderate(actor):
        raise PermissionDenied(_("只有平台管理员可以处理举报和待审核评论。"))


def moderation_queue(actor) -> list[Comment]:
    """Held and hidden comments, and visible ones with open reports; oldest first."""
    from portal.cases.services import card_options

    require_moderator(actor)
    has_open = exists().where(CommentReport.comment_id == Comment.id, CommentReport.resolved_at.is_(None))
    query = (select(Comment)
             .where(Comment.status != S.DELETED,
                    or_(Comment.status.in_([S.HELD, S.HIDDEN]), has_open))
             .options(selectinload(Comment.reports).selectinload(CommentReport.reporter),
                      selectinload(Comment.author),
                      selectinload(Comment.case).options(*card_options(themes=False, org=False, strict=False)))
             .order_by(Comment.created_at, Comment.id))
    return list(db.session.scalars(query))


def _resolve_reports(comment: Comment, decision: str) -> list[CommentReport]:
    now = utcnow()
    resolved = open_reports(comment)
    for report in resolved:
        report.resolved_at = now
        report.decision = decision
    return resolved


def _check_action(actor, comment: Comment, action: str) -> None:
    """The rule is permissions.can_moderate_comment; a refusal says why."""
    if permissions.can_moderate_comment(actor, comment, action):
        return
    if action not in ACTIONS:
        raise ValidationError(_("未知的审核操作。"))
    if comment.status == S.DELETED:
        raise ValidationError(_("该评论已删除，无需处理。"))
    if action == "hide":
        raise ValidationError(_("该评论已被隐藏。"))
    raise ValidationError(_("该评论正常显示，没有待处理的举报。"))


DECISION_LABELS = {"hide": "已隐藏", "restore": "未发现违规，保持显示", "delete": "已删除"}


def moderate(actor, comment: Comment, action: str, reason: str | None) -> Comment:
    require_moderator(actor)
    _check_action(actor, comment, action)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写处理原因（会告知评论作者）。"), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(_("处理原因不能超过 %(n)d 个字符。", n=MAX_REASON), field="reason")
    was = comment.status
    if action == "hide":
        comment.status = S.HIDDEN
    elif action == "restore":
        comment.status = S.VISIBLE
    else:
        comment.status = S.DELETED
        comment.deleted_at = utcnow()
    comment.moderation_note = reason
    resolved = _resolve_reports(comment, action)
    title = comment.case.title
    audit.record(actor, f"comment.{action}", comment,
                 f"评论 #{comment.id}（案例《{title}》，作者 {comment.author.display_name if comment.author else '-'}）："
                 f"{reason}")
    _notify_decision(actor, comment, action, was, reason, resolved)
    if action == "restore" and was == S.HELD:
        _notify_new_comment(comment, [comment.parent] if comment.parent is not None else [])
    return comment


def _notify_decision(actor, comment: Comment, action: str, was: str, reason: str,
                     resolved: list[CommentReport]) -> None:
    title = comment.case.title
    if action == "hide":
        text = _("您在《%(title)s》下的评论已被管理员隐藏。原因：%(reason)s", title=title, reason=reason)
    elif action == "delete":
        text = _("您在《%(title)s》下的评论已被管理员删除。原因：%(reason)s", title=title, reason=reason)
    elif was == S.HELD:
        text = _("您在《%(title)s》下的评论已通过审核，现已公开显示。", title=title)
    else:
        text = _("您在《%(title)s》下的评论经审核恢复显示。说明：%(reason)s", title=title, reason=reason)
    notify([comment.author], Kind.REPORT_DECISION, text, _case_url(comment), actor=actor,
           email_subject=_("评论审核结果"))
    reporters = [r.reporter for r in resolved]
    if reporters:
        told = _("您举报的评论（案例《%(title)s》）已处理：%(decision)s。", title=title,
                 decision=_(DECISION_LABELS[action]))
        notify(reporters, Kind.REPORT_DECISION, told, _case_url(comment), actor=actor,
               email_subject=_("举报处理结果"))


# Helpful answers (有帮助的回答) --------------------------------------------------------------------

def set_helpful(user, comment: Comment, helpful: bool) -> Comment:
    """Mark a reply as 有帮助的回答 (``helpful``) or take the mark back; doing it twice changes
    nothing. The rule is permissions.can_mark_helpful; a refusal says why."""
    if not permissions.can_judge_answers(user, comment.case):
        raise PermissionDenied(_("只有发布该案例的单位和平台管理员可以标记有帮助的回答。"))
    if not permissions.can_mark_helpful(user, comment):
        if comment.parent_id is None:
            raise ValidationError(_("只能把回复标记为有帮助的回答。"))
        if comment.case.status != CaseStatus.PUBLISHED:
            raise ValidationError(_("案例未发布，不能标记回答。"))
        raise ValidationError(_("该回复未公开显示，不能标记。"))
    if helpful and comment.helpful_at is None:
        comment.helpful_at, comment.helpful_by_id = utcnow(), user.id
        # The answer's author hears of it once (taking the mark back and giving it again does
        # tell them again: rare, and true). Same kind as a reply: it is news about their comment.
        text = _("您在《%(title)s》下的回答被标记为有帮助的回答。", title=comment.case.title)
        notify([comment.author], Kind.COMMENT_REPLY, text, _case_url(comment), actor=user,
               email_subject=_("您的回答被标记为有帮助"), email_body=text + "\n\n" + _excerpt(comment.body, 200))
    elif not helpful:
        comment.helpful_at, comment.helpful_by_id = None, None
    return comment


# The case page --------------------------------------------------------------------------------

@dataclass
class Entry:
    """One comment as shown to one user: ``mode`` is "body" (the text), "held" (the text, with the
    waiting-for-review note), "hidden" (a stub; moderators and the author also see the text) or
    "deleted" (a stub kept for its replies)."""

    comment: Comment
    mode: str
    replies: list[Entry] = field(default_factory=list)


def _entry(user, comment: Comment) -> Entry | None:
    if comment.status == S.VISIBLE:
        return Entry(comment, "body")
    if comment.status == S.HELD:
        return Entry(comment, "held") if permissions.can_see_comment_body(user, comment) else None
    if comment.status == S.HIDDEN:
        return Entry(comment, "hidden")
    return Entry(comment, "deleted")


def threads(user, case: Case) -> list[Entry]:
    # The reports decide a moderator's buttons (permissions.can_moderate_comment); nobody else's
    # page reads them.
    comments = db.session.scalars(_threads_statement(permissions.can_moderate(user)),
                                  {"case_id": case.id}).unique().all()
    replies: dict[int, list[Comment]] = {}
    for c in comments:
        if c.parent_id is not None:
            replies.setdefault(c.parent_id, []).append(c)
    out = []
    for c in comments:
        if c.parent_id is not None:
            continue
        entry = _entry(user, c)
        if entry is None:
            continue
        entry.replies = [e for r in replies.get(c.id, []) if (e := _entry(user, r)) and e.mode != "deleted"]
        if entry.mode == "deleted" and not entry.replies:
            continue
        out.append(entry)
    return out


@statement
def _threads_statement(moderator: bool):
    options = [joinedload(Comment.author)]
    if moderator:
        options.append(selectinload(Comment.reports))
    return (select(Comment).where(Comment.case_id == bindparam("case_id")).options(*options)
            .order_by(Comment.created_at, Comment.id))


def case_has_comments(case_id):
    """For the case page (cases.page): whether the case has any discussion comment."""
    return select(Comment.id).where(Comment.case_id == case_id).exists()


def case_panel(user, case, *, listed: bool = True) -> dict:
    """Template variables for the case page (the discussion; ``listed=False``: nobody has
    commented yet, the form may still be offered)."""
    from portal.discussion.forms import CommentForm, ReportForm
    from portal.forms import ActionForm, LazyForm

    entries = threads(user, case) if listed else []
    if not entries and not case.is_published:
        return {"discussion_shown": False}
    count = sum((e.mode == "body") + sum(r.mode == "body" for r in e.replies) for e in entries)
    return {
        "discussion_shown": True,
        "discussion_threads": entries,
        "discussion_count": count,
        "discussion_can_post": permissions.can_comment(user, case),
        # Lazy: the anonymous see no form, and their page stays cacheable (portal/httpcache.py).
        "discussion_form": LazyForm(CommentForm, formdata=None),
        "discussion_report_form": LazyForm(ReportForm, formdata=None),
        "discussion_action_form": LazyForm(ActionForm, formdata=None),
        "discussion_max_chars": MAX_BODY,
        "discussion_edit_minutes": _config("COMMENT_EDIT_MINUTES"),
    }
