"""Expert directory and expert commentary (专家点评), unit responses (回应) and the rubric admin."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from portal import permissions, uploads
from portal.cases import page as case_page
from portal.cases import services as case_services
from portal.cases.models import Case
from portal.extensions import db
from portal.forms import ActionForm
from portal.reviews import (
    models,  # noqa: F401 - registers the tables
    services,
)
from portal.reviews.forms import DimensionForm, ExpertProfileForm, ResponseForm, expert_comment_form
from portal.storage import upload_dir
from portal.urls import query_int
from portal.web import FAILED, run_action, run_form_action

bp = Blueprint("reviews", __name__)


@bp.record_once
def _add_to_case_page(state):
    case_page.register_panel(state.app, "expert-comments", order=30, template="reviews/_case_panel.html",
                             build=lambda case, user, listed: services.case_panel(user, case, listed=listed),
                             anchor="expert-comments",
                             toc=lambda c: _("专家点评") if c["expert_comments"] or c["expert_form"] else None,
                             summary="reviews/_case_summary.html", has=services.case_has_comments)


# Expert directory -------------------------------------------------------------------------------

@bp.route("/experts")
def experts():
    theme_id = request.args.get("theme", type=query_int)
    themes = case_services.active_themes()
    return render_template("reviews/experts.html", experts=services.list_experts(theme_id), themes=themes,
                           theme_id=theme_id, counts=services.published_comment_counts())


@bp.route("/experts/<int:user_id>")
def expert(user_id: int):
    profile = services.get_expert(user_id)
    return render_template("reviews/expert.html", profile=profile,
                           comments=services.expert_published_comments(profile))


@bp.route("/experts/me/edit", methods=["GET", "POST"])
@login_required
def edit_own_profile():
    return _edit_profile(services.own_profile_for_edit(current_user))


@bp.route("/experts/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit_profile(user_id: int):
    return _edit_profile(services.get_profile_for_edit(current_user, user_id))


def _edit_profile(profile):
    form = ExpertProfileForm(obj=profile)
    themes = case_services.active_themes() + [t for t in profile.themes if t.retired]
    form.themes.choices = [SelectChoice(t.id, t.name) for t in themes]
    if request.method == "GET":
        form.themes.data = [t.id for t in profile.themes]
    if form.validate_on_submit():
        upload = form.photo.data
        photo = (upload.filename or "", upload.read()) if upload and getattr(upload, "filename", "") else None
        data = services.ProfileData(title=form.title.data or "", affiliation=form.affiliation.data or "",
                                    expertise=form.expertise.data or "", bio=form.bio.data or "",
                                    theme_ids=list(form.themes.data or []), photo=photo,
                                    remove_photo=bool(form.remove_photo.data))
        if run_form_action(form, lambda: services.update_profile(current_user, profile, data),
                           _("专家资料已保存。")) is not FAILED:
            if permissions.is_active_expert(profile.user):
                return redirect(url_for(".expert", user_id=profile.user_id))
            return redirect(url_for(".edit_profile", user_id=profile.user_id))
    return render_template("reviews/profile_form.html", form=form, profile=profile), 422 if form.errors else 200


@bp.route("/experts/photos/<stored_name>")
def photo(stored_name: str):
    """An expert's photo, inline, as an image only (same safe headers as case images)."""
    services.photo_by_stored_name(stored_name)
    mime = "image/png" if stored_name.endswith(".png") else "image/jpeg"
    return uploads.send_stored(stored_name, upload_dir(), mimetype=mime, inline=True, public=True)


# Expert comments --------------------------------------------------------------------------------

def _case_or_404(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    return case


def _render_comment_form(form, case, comment=None, status=200):
    existing = None if comment else services.comment_of(current_user, case)
    return render_template("reviews/comment_form.html", form=form, case=case, comment=comment,
                           existing=existing), status


@bp.route("/cases/<int:case_id>/expert-comments", methods=["POST"])
@login_required
def post_comment(case_id: int):
    """Reviewers only (403 for everyone else); anonymous visitors are sent to the login page,
    like every other POST route. A refused input re-shows the form with what was typed (422)."""
    case = _case_or_404(case_id)
    services.require_may_comment(current_user, case)
    form = expert_comment_form(services.active_dimensions())
    if form.validate_on_submit():
        comment = run_form_action(form, lambda: services.post_comment(current_user, case, form.data_for_service()),
                                  _("专家点评已发表。"))
        if comment is not FAILED:
            return redirect(url_for("cases.show", case_id=case.id, _anchor=f"expert-comment-{comment.id}"))
    return _render_comment_form(form, case, status=422)


@bp.route("/expert-comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int):
    comment = services.get_comment(comment_id)
    services.require_may_edit_comment(current_user, comment)
    dimensions = services.active_dimensions()
    if request.method == "GET":
        form = expert_comment_form(dimensions, data=services.form_values(comment))
    else:
        form = expert_comment_form(dimensions)
    if form.validate_on_submit():
        if run_form_action(form, lambda: services.edit_comment(current_user, comment, form.data_for_service()),
                           _("点评已更新，原内容已保存在修改记录中。")) is not FAILED:
            return redirect(url_for("cases.show", case_id=comment.case_id, _anchor=f"expert-comment-{comment.id}"))
    return _render_comment_form(form, comment.case, comment, 422 if request.method == "POST" else 200)


@bp.route("/expert-comments/<int:comment_id>/revisions")
@login_required
def comment_revisions(comment_id: int):
    comment = services.get_comment(comment_id)
    revisions = services.revisions_for(current_user, comment)
    return render_template("reviews/revisions.html", comment=comment, revisions=revisions)


@bp.route("/expert-comments/<int:comment_id>/delete", methods=["POST"])
@login_required
def delete_comment(comment_id: int):
    comment = services.get_comment(comment_id)
    case_id = comment.case_id
    run_action(lambda: services.delete_comment(current_user, comment, request.form.get("reason", "")),
               _("专家点评已删除，已记入审计日志。"))
    return redirect(url_for("cases.show", case_id=case_id, _anchor="expert-comments"))


@bp.route("/expert-comments/<int:comment_id>/response", methods=["POST"])
@login_required
def respond(comment_id: int):
    comment = services.get_comment(comment_id)
    form = ResponseForm()
    form.validate()
    run_action(lambda: services.respond(current_user, comment, form.body.data or ""), _("回应已发布。"))
    return redirect(url_for("cases.show", case_id=comment.case_id, _anchor=f"expert-comment-{comment.id}"))


# Rubric admin ------------------------------------------------------------------------------------

@bp.route("/admin/rubric", methods=["GET", "POST"])
@login_required
def rubric():
    services.require_rubric_admin(current_user)
    form = DimensionForm()
    if form.validate_on_submit():
        if run_form_action(form, lambda: services.add_dimension(current_user, form.name.data,
                                                                form.description.data or ""),
                           _("评分维度已添加。")) is not FAILED:
            return redirect(url_for(".rubric"))
    return render_template("reviews/rubric.html", dimensions=services.all_dimensions(), form=form,
                           counts=services.score_counts(), action_form=ActionForm()), 422 if form.errors else 200


@bp.route("/admin/rubric/<int:dimension_id>", methods=["POST"])
@login_required
def update_dimension(dimension_id: int):
    services.require_rubric_admin(current_user)
    dimension = services.get_dimension(dimension_id)
    if "retired" in request.form:
        retired = request.form["retired"] == "1"
        run_action(lambda: services.set_dimension_retired(current_user, dimension, retired),
                   _("维度已停用：已有评分保留，新点评不再显示该维度。") if retired else _("维度已恢复。"))
    elif "move" in request.form:
        direction = request.form["move"]
        run_action(lambda: services.move_dimension(current_user, dimension, direction), _("顺序已调整。"))
    else:
        run_action(lambda: services.rename_dimension(current_user, dimension, request.form.get("name", "")),
                   _("维度已重命名，已有评分随之更新。"))
    return redirect(url_for(".rubric"))
