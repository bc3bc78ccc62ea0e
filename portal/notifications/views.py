"""Notification centre, preferences and follows."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from portal.errors import ValidationError
from portal.extensions import db
from portal.forms import ActionForm
from portal.notifications import (
    models,  # noqa: F401 - registers the tables
    services,
)
from portal.notifications.forms import FollowForm, preferences_form
from portal.urls import query_int, safe_next_url
from portal.web import run_action

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def notification_globals():
    """``notification_unread()`` for the nav badge and ``following(type, key)`` for the follow
    buttons; both are lazy, so pages that do not show them run no query.

    The badge stays one COUNT on the user's id index per page of a signed-in user (0.4 ms on
    PostgreSQL for a user with 2,000 notifications), not a cached number: those pages are
    private and never cached, an in-process cache would be wrong across workers, and a counter
    column would need every writer of notifications to keep it right."""
    cache: dict = {}

    def unread() -> int:
        if not current_user.is_authenticated:
            return 0
        if "unread" not in cache:
            try:
                cache["unread"] = services.unread_count(current_user)
            except SQLAlchemyError:  # an error page must still render when the database is down
                cache["unread"] = 0
        return cache["unread"]

    def following(target_type: str, key) -> bool:
        if "follows" not in cache:
            cache["follows"] = services.follow_keys(current_user)
        return (str(target_type), str(key)) in cache["follows"]

    return {"notification_unread": unread, "following": following}


@bp.route("/notifications")
@login_required
def index():
    page = services.list_for(current_user, page=request.args.get("page", 1, type=query_int))
    return render_template("notifications/index.html", page=page, action_form=ActionForm(),
                           unread=services.unread_count(current_user))


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id: int):
    target = services.open_notification(current_user, notification_id)
    db.session.commit()
    return redirect(target or url_for(".index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    run_action(lambda: services.mark_all_read(current_user), _("已全部标为已读。"))
    return redirect(url_for(".index"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = preferences_form(services.preferences(current_user), services.digest_choice(current_user))
    if form.validate_on_submit():
        if run_action(lambda: services.save_preferences(current_user, form.choices(), form.digest()),
                      _("通知设置已保存。")):
            return redirect(url_for(".preferences"))
    return render_template("notifications/preferences.html", form=form, follows=services.follows_of(current_user),
                           follow_form=FollowForm(formdata=None)), 422 if form.errors else 200


def _back(form: FollowForm) -> str:
    return safe_next_url(form.next.data) or url_for(".preferences")


@bp.route("/follow", methods=["POST"])
@login_required
def follow():
    form = FollowForm()
    form.validate()
    try:
        name = services.follow(current_user, form.target_type.data or "", form.key.data or "")
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("已关注“%(name)s”。有新案例发布时会通知您，可在“通知设置”中管理。", name=name), "success")
    return redirect(_back(form))


@bp.route("/unfollow", methods=["POST"])
@login_required
def unfollow():
    form = FollowForm()
    form.validate()
    run_action(lambda: services.unfollow(current_user, form.target_type.data or "", form.key.data or ""),
               _("已取消关注。"))
    return redirect(_back(form))
