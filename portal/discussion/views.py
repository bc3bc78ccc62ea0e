"""Discussion under cases, reports and the moderation queue."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from portal import permissions
from portal.cases import page as case_page
from portal.discussion import (
    models,  # noqa: F401 - registers the tables
    services,
)
from portal.discussion.forms import CommentForm, ModerationForm, ReportForm
from portal.discussion.models import Comment, CommentStatus
from portal.errors import ValidationError
from portal.extensions import db, limiter
from portal.forms import apply_service_error
from portal.web import run_action

bp = Blueprint("discussion", __name__)


@bp.record_once
def _add_to_case_page(state):
    case_page.register_panel(state.app, "discussion", order=50, template="discussion/_case_panel.html",
                             build=lambda case, user, listed: services.case_panel(user, case, listed=listed),
                             anchor="discussion", toc=lambda c: _("讨论") if c["discussion_shown"] else None,
                             has=services.case_has_comments)


def _poster_key() -> str:
    """Rate-limit per user (per address for the anonymous, who are sent to the login page)."""
    if current_user.is_authenticated:
        return f"comment-user:{current_user.id}"
    return get_remote_address()


def _run(form, action) -> object | None:
    """Run a service call behind a validated form: commit and return its result, or roll back,
    put the message next to its field (or flash it) and return None."""
    try:
        result = action()
    except ValidationError as exc:
        db.session.rollback()
        apply_service_error(form, exc) or flash(exc.message, "error")
        return None
    db.session.commit()
    return result


def _thread_url(comment: Comment) -> str:
    return url_for("cases.show", case_id=comment.case_id, _anchor=f"comment-{comment.id}")


@bp.route("/cases/<int:case_id>/comments", methods=["POST"])
@limiter.limit(lambda: current_app.config["COMMENT_RATE_LIMIT"], key_func=_poster_key,
               deduct_when=lambda response: response.status_code == 302)
@login_required
def post(case_id: int):
    case = services.get_open_case(case_id)
    form = CommentForm()
    if form.validate_on_submit():
        comment = _run(form, lambda: services.post_comment(current_user, case, form.body.data, form.parent_id.data))
        if comment is not None:
            if comment.status == CommentStatus.HELD:
                flash(_("评论已提交。因包含较多链接，需管理员审核后才会公开显示。"), "info")
            else:
                flash(_("回复已发表。") if comment.parent_id else _("评论已发表。"), "success")
            return redirect(_thread_url(comment))
    parent = db.session.get(Comment, form.parent_id.data) if form.parent_id.data else None
    if parent is not None and (parent.case_id != case.id or not permissions.can_see_comment_body(current_user, parent)):
        parent = None
    return render_template("discussion/compose.html", case=case, form=form, parent=parent), 422


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: int):
    comment = services.get_comment(current_user, comment_id)
    try:
        services.require_editable(current_user, comment)  # 403 for anyone but the author
    except ValidationError as exc:
        if request.method == "GET":  # too late, or hidden or deleted: back to the thread, saying why
            flash(exc.message, "error")
            return redirect(_thread_url(comment))
        # a POST is refused by services.edit_comment below, next to the text that was typed
    form = CommentForm(obj=comment)
    if form.validate_on_submit():
        if _run(form, lambda: services.edit_comment(current_user, comment, form.body.data)) is not None:
            flash(_("评论已修改。"), "success")
            return redirect(_thread_url(comment))
    return render_template("discussion/edit.html", comment=comment, form=form), 422 if form.errors else 200


@bp.route("/comments/<int:comment_id>/delete", methods=["POST"])
@login_required
def delete(comment_id: int):
    comment = services.get_comment(current_user, comment_id)
    run_action(lambda: services.delete_comment(current_user, comment), _("评论已删除。"))
    return redirect(url_for("cases.show", case_id=comment.case_id, _anchor="discussion"))


@bp.route("/comments/<int:comment_id>/helpful", methods=["POST"])
@login_required
def helpful(comment_id: int):
    """Mark a reply as 有帮助的回答 (helpful=1) or take the mark back (helpful=0)."""
    comment = services.get_comment(current_user, comment_id)
    mark = request.form.get("helpful") == "1"
    run_action(lambda: services.set_helpful(current_user, comment, mark),
               _("已标记为有帮助的回答。") if mark else _("已取消“有帮助的回答”标记。"))
    return redirect(_thread_url(comment))


@bp.route("/comments/<int:comment_id>/report", methods=["GET", "POST"])
@login_required
def report(comment_id: int):
    comment = services.get_comment(current_user, comment_id)
    form = ReportForm()
    if form.validate_on_submit():
        if _run(form, lambda: services.report_comment(current_user, comment, form.reason.data)) is not None:
            flash(_("感谢您的举报，管理员会尽快处理。"), "success")
            return redirect(url_for("cases.show", case_id=comment.case_id, _anchor="discussion"))
        return render_template("discussion/report.html", comment=comment, form=form), 422
    if request.method == "POST":
        return render_template("discussion/report.html", comment=comment, form=form), 422
    return render_template("discussion/report.html", comment=comment, form=form)


# Moderation queue (platform admins) ------------------------------------------------------------

@bp.route("/admin/moderation")
@login_required
def moderation():
    return render_template("discussion/moderation.html", comments=services.moderation_queue(current_user),
                           open_reports=services.open_reports, form=ModerationForm(formdata=None))


@bp.route("/admin/moderation/<int:comment_id>", methods=["POST"])
@login_required
def moderate(comment_id: int):
    services.require_moderator(current_user)
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        from portal.errors import NotFound

        raise NotFound(_("未找到该评论。"))
    form = ModerationForm()
    action = request.form.get("action", "")
    done = {"hide": _("评论已隐藏，作者已收到通知。"), "restore": _("评论已恢复显示，作者已收到通知。"),
            "delete": _("评论已删除，作者已收到通知。")}
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
    else:
        run_action(lambda: services.moderate(current_user, comment, action, form.reason.data),
                   done.get(action, ""))
    return redirect(url_for(".moderation", _anchor=f"comment-{comment.id}"))
