"""Accounts: registration, authentication, passwords and reset tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload, selectinload

from portal.admin import audit
from portal.auth.models import LoginSession, User
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
    """New password: a new account token and no sign-in left but the current one (if any)."""
    user.set_password(new)
    user.session_token = new_token()
    end_other_sessions(user)


# Sign-ins (one LoginSession per browser) ------------------------------------------------------

#: How often a sign-in's "last seen" time is written: not on every request.
LAST_SEEN_EVERY = timedelta(minutes=10)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(user: User, *, remembered: bool, user_agent: str = "", address: str = "") -> LoginSession:
    """Record a new sign-in and give ``user`` its secret (which get_id() puts in the cookies)."""
    secret = secrets.token_urlsafe(24)
    row = LoginSession(user_id=user.id, secret_hash=_hash_secret(secret), remembered=remembered,
                       user_agent=(user_agent or "")[:200], address=(address or "")[:45])
    db.session.add(row)
    user.login_secret = secret
    return row


def user_for_cookie(cookie_id: str) -> User | None:
    """The user a session or remember-me cookie stands for, if that sign-in still exists: the
    user is active, the account token matches (no password change since) and its LoginSession
    row is there (no log-out since). One query."""
    uid, _, rest = (cookie_id or "").partition(":")
    token, _, secret = rest.partition(":")
    if not uid.isdigit() or not token or not secret or len(uid) > 10:
        return None
    # Only commit the "last seen" time when this query starts the request's transaction: a
    # commit here must never carry along a view's unfinished changes.
    may_commit = not db.session().in_transaction()
    from portal.orgs.models import Membership

    # Every page's header asks for the user's units and reviewer status: loaded with the user
    # (two statements in all, not one per unit).
    found = db.session.execute(
        select(User, LoginSession).join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == int(uid), LoginSession.secret_hash == _hash_secret(secret))
        .options(joinedload(User.reviewer_profile), selectinload(User.memberships).joinedload(Membership.org))
    ).first()
    if found is None:
        return None
    user, row = found
    if not user.is_active or not secrets.compare_digest(user.session_token, token):
        return None
    user.login_secret = secret
    if may_commit and utcnow() - row.last_seen_at > LAST_SEEN_EVERY:
        row.last_seen_at = utcnow()
        db.session.commit()
    return user


def _current_hash(user: User) -> str | None:
    return _hash_secret(user.login_secret) if user.login_secret else None


def end_session(user: User) -> None:
    """Log-out: this browser's sign-in ends on the server; copies of its cookies are worthless."""
    if (current := _current_hash(user)) is not None:
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                                      LoginSession.secret_hash == current))


def end_session_by_id(user: User, session_id: int) -> None:
    """End one of the user's own sign-ins (the account page's list); another user's is a 404."""
    from portal.errors import NotFound

    row = db.session.get(LoginSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("未找到该登录记录。"))
    db.session.delete(row)


def end_other_sessions(user: User) -> None:
    """Every sign-in of the user but the current one (password change, reset)."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if (current := _current_hash(user)) is not None:
        query = query.where(LoginSession.secret_hash != current)
    db.session.execute(query)


def end_all_sessions(user: User) -> None:
    """Log out everywhere: every sign-in ends, and the account token changes as well."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    user.session_token = new_token()
    user.login_secret = None


def sessions_of(user: User) -> list[tuple[LoginSession, bool]]:
    """The user's sign-ins, newest use first, each with whether it is this browser."""
    current = _current_hash(user)
    rows = db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)
                              .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc()))
    return [(row, row.secret_hash == current) for row in rows]


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
    from portal.urls import external_url

    return external_url(endpoint, **values)


_BROWSERS = (("MicroMessenger", "微信"), ("DingTalk", "钉钉"), ("QQBrowser", "QQ 浏览器"), ("UCBrowser", "UC 浏览器"),
             ("Edg", "Edge"), ("Firefox", "Firefox"), ("Chrome", "Chrome"), ("Chromium", "Chromium"),
             ("Safari", "Safari"))
_SYSTEMS = (("HarmonyOS", "HarmonyOS"), ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))


def describe_user_agent(user_agent: str) -> str:
    """A short name for a browser on the account page's list, e.g. "Chrome · Windows"."""
    ua = user_agent or ""
    browser = next((label for key, label in _BROWSERS if key in ua), "")
    system = next((label for key, label in _SYSTEMS if key in ua), "")
    return " · ".join(part for part in (browser, system) if part) or _("未知浏览器")
