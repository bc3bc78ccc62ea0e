"""Accounts: registration, authentication, passwords and reset tokens."""
from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from portal.admin import audit
from portal.auth.models import User
from portal.errors import ValidationError
from portal.extensions import db
from portal.mail import send_mail
from portal.models_base import new_token, utcnow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128


def normalize_email(email: str) -> str:
    """How every e-mail address is stored and looked up: trimmed, lower case. The database
    refuses other spellings in ``users.email`` (CHECK ck_users_email_normalized)."""
    return (email or "").strip().lower()


def get_user_by_email(email: str) -> User | None:
    """Stored addresses are normalised, so an ``==`` on the unique index finds the account."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def check_password_rules(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(_("密码至少需要 %(n)d 个字符。", n=MIN_PASSWORD_LENGTH), "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(_("密码不能超过 %(n)d 个字符。", n=MAX_PASSWORD_LENGTH), "password")
    if email and password.lower() == normalize_email(email):
        raise ValidationError(_("密码不能与邮箱相同。"), "password")


def register_user(email: str, display_name: str, password: str) -> User:
    """Create a practitioner account. Raises ValidationError if the e-mail is taken."""
    email = normalize_email(email)
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationError(_("请填写显示名称。"), "display_name")
    check_password_rules(password, email)
    if get_user_by_email(email) is not None:
        raise ValidationError(_("该邮箱已注册，请直接登录或找回密码。"), "email")
    user = User(email=email, display_name=display_name)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_user(email: str, name: str, password: str, *, admin: bool = False, reviewer: bool = False) -> User:
    """Used by the CLI: a ready account, optionally platform admin and/or reviewer."""
    from portal.admin.services import grant_reviewer

    user = register_user(email, name, password)
    user.is_admin = admin
    if reviewer:
        grant_reviewer(None, user, title="", affiliation="", expertise="")
    audit.record(None, "user.create", user, f"{user.email}{' admin' if admin else ''}{' reviewer' if reviewer else ''}")
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user when e-mail and password match an active account."""
    user = get_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so timing does not reveal which e-mails exist.
        _dummy_check(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


_DUMMY_HASH: str | None = None


def _dummy_check(password: str) -> None:
    global _DUMMY_HASH
    from werkzeug.security import check_password_hash, generate_password_hash

    if _DUMMY_HASH is None:
        _DUMMY_HASH = generate_password_hash("not-a-real-password")
    check_password_hash(_DUMMY_HASH, password)


def change_password(user: User, current: str, new: str) -> None:
    """Change the password and rotate the session token, which ends every other session."""
    if not user.check_password(current):
        raise ValidationError(_("当前密码不正确。"), "current_password")
    check_password_rules(new, user.email)
    _set_password(user, new)


def _set_password(user: User, new: str) -> None:
    user.set_password(new)
    user.session_token = new_token()


def update_profile(user: User, display_name: str) -> None:
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationError(_("请填写显示名称。"), "display_name")
    user.display_name = display_name


# Password reset ---------------------------------------------------------------

def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    # The current password hash is part of the token, so it works once only.
    return _reset_serializer().dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def request_password_reset(email: str) -> None:
    """Mail a reset link when the account exists; say nothing either way (no account probing)."""
    user = get_user_by_email(email)
    if user is None or not user.is_active:
        return
    link = _external_url("auth.reset_password", token=make_reset_token(user))
    hours = current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600
    body = _(
        "%(name)s，您好：\n\n有人（希望是您本人）请求重置社区治理案例共享平台的登录密码。"
        "请在 %(hours)d 小时内打开下面的链接设置新密码：\n\n%(link)s\n\n"
        "如果这不是您的操作，请忽略本邮件，您的密码不会改变。",
        name=user.display_name,
        hours=hours,
        link=link,
    )
    send_mail(user.email, _("重置密码"), body)


def user_for_reset_token(token: str) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise ValidationError(_("重置链接已过期，请重新申请。")) from None
    except BadSignature:
        raise ValidationError(_("重置链接无效。")) from None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.is_active or user.password_hash[-16:] != data.get("ph"):
        raise ValidationError(_("重置链接无效或已被使用。"))
    return user


def reset_password(token: str, new: str) -> User:
    user = user_for_reset_token(token)
    check_password_rules(new, user.email)
    _set_password(user, new)
    return user


def _external_url(endpoint: str, **values) -> str:
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
