"""Personal API tokens: the rules.

* A member of a verified unit creates a token on the account page for one of their units, to
  read (the unit's cases in every state) or to write (also create and edit drafts, upload
  attachments, run the privacy check, submit), valid for 30 to 365 days. The token is shown once;
  only its sha256 is kept (a copy of the table signs nobody in).
* A request carries it as ``Authorization: Bearer <token>``. Unknown, expired and revoked
  tokens are 401; a token whose owner left the unit, lost the right to edit its cases or was
  disabled is 403, as is a read token used to write. Each use records the time (shown on the
  account page, at most once a minute per token).
* The owner revokes a token at any time; platform admins see nothing of a token but its use.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import Unauthorized

from portal import permissions
from portal.api.models import ApiToken, TokenScope
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.models_base import utcnow
from portal.orgs.models import Organization

PREFIX = "pcx_"
LIFETIMES = (30, 90, 180, 365)  # days a new token may be valid for
MAX_ACTIVE = 20                  # active tokens per person


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_units(user) -> list[Organization]:
    """The units a person may make tokens for: the verified ones they belong to."""
    return sorted((m.org for m in user.memberships if m.org.is_verified), key=lambda o: o.id)


def create_token(user, org_id: int | None, name: str, scope: str, days: int) -> tuple[ApiToken, str]:
    """(the token's row, the token itself: shown once, never again)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("请为令牌起个名字（例如用在哪个系统）。"), "name")
    if len(name) > 60:
        raise ValidationError(_("令牌名称不能超过 60 个字符。"), "name")
    unit = next((o for o in token_units(user) if o.id == org_id), None)
    if unit is None:
        raise ValidationError(_("只能为自己所在的已认证单位创建令牌。"), "org_id")
    if scope not in {s.value for s in TokenScope}:
        raise ValidationError(_("权限只能是“只读”或“读写”。"), "scope")
    if days not in LIFETIMES:
        raise ValidationError(_("有效期只能是 30、90、180 或 365 天。"), "days")
    active = db.session.scalar(select(db.func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()))
    if active >= MAX_ACTIVE:
        raise ValidationError(_("有效的令牌最多 %(n)d 个，请先撤销不用的令牌。", n=MAX_ACTIVE), "name")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, org_id=unit.id, name=name, scope=scope, token_hash=_hash(token),
                   prefix=token[:12], expires_at=utcnow() + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    return row, token


def tokens_of(user) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())))


def revoke_token(user, token_id: int) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("未找到该令牌。"))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


class TokenRefused(Unauthorized):
    """401 with a Chinese reason (portal.errors answers it as JSON under /api/)."""

    def __init__(self, message: str):
        super().__init__(description=message)


def authenticate(header: str | None) -> ApiToken | None:
    """The token of an ``Authorization: Bearer …`` header; None without one. Refusals are 401
    (unknown, expired, revoked, malformed) or 403 (the owner may no longer act for the unit)."""
    if not header:
        return None
    scheme, _sep, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(PREFIX) or len(value) > 100:
        raise TokenRefused(_("请在 Authorization 头中以 “Bearer 令牌” 的形式提供 API 令牌。"))
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(value)))
    if row is None:
        raise TokenRefused(_("API 令牌无效。"))
    if row.revoked_at is not None:
        raise TokenRefused(_("该 API 令牌已被撤销。"))
    now = utcnow()
    if row.expires_at <= now:
        raise TokenRefused(_("该 API 令牌已过期，请在账号页面创建新的令牌。"))
    user = row.user
    if not user.is_active or not permissions.is_org_member(user, row.org) or not row.org.is_verified:
        raise PermissionDenied(_("令牌的所有者已不是该单位的成员，令牌不能再使用。"))
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        db.session.commit()
    return row


def require_write(token: ApiToken | None) -> ApiToken:
    if token is None:
        raise TokenRefused(_("写入需要 API 令牌：请在账号页面创建“读写”令牌，并以 Authorization: Bearer 令牌 发送。"))
    if token.scope != TokenScope.WRITE:
        raise PermissionDenied(_("该令牌只有只读权限，不能修改数据。"))
    return token


def case_for(token: ApiToken, case_id: int, *, write: bool = False):
    """A case through a token: published ones for everyone; the token's unit's own cases in every
    state (what its members see). Writing: the unit's own cases only, as its editor may."""
    from portal.cases.models import Case
    from portal.cases.services import get_visible_case

    case = get_visible_case(token.user, case_id, page=True)  # 404 when the owner may not see it
    if case.org_id != token.org_id and (write or not case.is_published):
        raise NotFound(_("未找到该案例。"))
    if write and not permissions.can_edit_case(token.user, case):
        raise PermissionDenied(_("这个案例正在审核或已归档，当前不能修改。"))
    assert isinstance(case, Case)
    return case
