from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from portal import permissions
from portal.admin.services import update_own_reviewer_profile
from portal.auth import services
from portal.auth.forms import (
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    ReviewerProfileForm,
)
from portal.auth.throttle import LoginThrottle
from portal.errors import ValidationError, error_response
from portal.extensions import db, limiter
from portal.forms import ActionForm, apply_service_error
from portal.urls import safe_next_url
from portal.web import FAILED, run_form_action

bp = Blueprint("auth", __name__, url_prefix="/auth")
bp.add_app_template_filter(services.describe_user_agent, "user_agent_label")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_CEILING"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        throttle = LoginThrottle(form.email.data, get_remote_address())
        if (refusal := throttle.account_locked()) is not None:
            return error_response(429, refusal)
        address_blocked = throttle.address_blocked_for_failures()
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            throttle.failed()
            if address_blocked:
                return error_response(429, throttle.address_message())
        if user is not None:
            _sign_in(user, remember=form.remember.data)
            db.session.commit()
            flash(_("欢迎回来，%(name)s。", name=user.display_name), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
        form.password.errors.append(_("邮箱或密码不正确，或账号已停用。"))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


def _sign_in(user, *, remember: bool) -> None:
    services.start_session(user, remembered=remember, user_agent=request.user_agent.string,
                           address=get_remote_address() or "")
    login_user(user, remember=remember)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        services.end_session(current_user)
        db.session.commit()
    logout_user()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("main.index"))


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    """End one sign-in from the account page's list (another browser, or this one)."""
    current = next((row.id for row, is_current in services.sessions_of(current_user) if is_current), None)
    services.end_session_by_id(current_user, session_id)
    db.session.commit()
    if session_id == current:
        logout_user()
        flash(_("您已退出登录。"), "info")
        return redirect(url_for("main.index"))
    flash(_("已让该设备退出登录。"), "success")
    return redirect(url_for(".account") + "#sessions")


@bp.route("/sessions/end-all", methods=["POST"])
@login_required
def end_all_sessions():
    """Log out everywhere, this browser included."""
    services.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("已在所有设备上退出登录。"), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"],
               deduct_when=lambda r: r.status_code == 302)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(form.email.data, form.display_name.data, form.password.data)
        except ValidationError as exc:
            apply_service_error(form, exc) or flash(exc.message, "error")
        else:
            _sign_in(user, remember=False)
            db.session.commit()
            flash(_("注册成功，欢迎加入社区治理案例共享平台。"), "success")
            return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(current_user, form.display_name.data)
        db.session.commit()
        flash(_("资料已保存。"), "success")
        return redirect(url_for(".account"))
    reviewer_form = None
    if permissions.is_active_expert(current_user):
        reviewer_form = ReviewerProfileForm(obj=current_user.reviewer_profile, prefix="expert")
    return _account_page(form, reviewer_form)


def _account_page(form, reviewer_form, status: int = 200):
    return render_template("auth/account.html", form=form, reviewer_form=reviewer_form,
                           sessions=services.sessions_of(current_user), action_form=ActionForm()), status


@bp.route("/account/expert", methods=["POST"])
@login_required
def expert_profile():
    form = ReviewerProfileForm(prefix="expert")
    if form.validate_on_submit():
        update_own_reviewer_profile(current_user, title=form.title.data, affiliation=form.affiliation.data,
                                    expertise=form.expertise.data, bio=form.bio.data)
        db.session.commit()
        flash(_("专家资料已保存。"), "success")
        return redirect(url_for(".account"))
    return _account_page(ProfileForm(obj=current_user), form, 422)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if run_form_action(form, lambda: services.change_password(current_user, form.current_password.data,
                                                                  form.password.data),
                           _("密码已修改，其他设备上的登录已失效。")) is not FAILED:
            # Re-issue this session's cookie with the new token; every other session is now invalid.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(current_user, remember=remembered)
            return redirect(url_for(".account"))
    return render_template("auth/change_password.html", form=form), 422 if form.errors else 200


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()  # the reset mail is queued in this transaction
        flash(_("如果该邮箱已注册，我们已发送一封包含重置链接的邮件，请查收。"), "info")
        return redirect(url_for(".login"))
    return render_template("auth/reset_request.html", form=form), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if run_form_action(form, lambda: services.reset_password(token, form.password.data),
                           _("密码已重置，请用新密码登录。")) is not FAILED:
            return redirect(url_for(".login"))
    return render_template("auth/reset_password.html", form=form), 422 if form.errors else 200
