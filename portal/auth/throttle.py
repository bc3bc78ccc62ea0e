"""Login throttling: failed passwords are limited per account and per network address separately.

One person guessing from a street office's shared address must not lock out everyone behind it
(nor, with a misconfigured proxy count, the whole site). So:

* **per account** (``LOGIN_ACCOUNT_RATE_LIMIT`` failures): past it, that account's sign-in is
  refused for a while, whatever the address; other accounts are untouched;
* **per address** (``LOGIN_RATE_LIMIT`` failures): past it, wrong passwords from the address get a
  429 at once, but a correct password still signs in,
* up to a **ceiling** of sign-in attempts per address (``LOGIN_ADDRESS_CEILING``, counted by the
  route's own limiter decorator), so the address cannot try forever.

Counters live in the rate limiter's storage (Redis in production, shared by every worker). When
that storage fails, sign-in goes on unthrottled and the failure is logged as an error: refusing
every login because Redis is down would be worse.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext
from limits import parse_many

from portal.extensions import limiter


def _account_key(email: str) -> str:
    # Hashed: the storage needs no e-mail addresses in its keys.
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


def _limits(setting: str):
    return parse_many(current_app.config[setting])


@dataclass
class LoginThrottle:
    email: str
    address: str

    def _ids(self, scope: str) -> tuple[str, str]:
        return ("login-failures", f"{scope}:{self.address if scope == 'address' else _account_key(self.email)}")

    def _within(self, setting: str, scope: str) -> bool:
        if not current_app.config.get("RATELIMIT_ENABLED", True):  # limits switched off on purpose
            return True
        try:
            return all(limiter.limiter.test(item, *self._ids(scope)) for item in _limits(setting))
        except Exception:  # the storage (Redis) is down: never refuse everyone, but say so loudly
            current_app.logger.error("login throttle storage unavailable; %s not checked", scope, exc_info=True)
            return True

    def account_locked(self) -> str | None:
        """The refusal for an account with too many recent failures, whatever the address."""
        if self._within("LOGIN_ACCOUNT_RATE_LIMIT", "account"):
            return None
        current_app.logger.warning("login refused: account %s locked by failures (from %s)",
                                   _account_key(self.email)[:12], self.address)
        return gettext("该账号近期密码错误次数过多，已暂时锁定。请稍后再试，或通过“忘记密码”重设密码。")

    def address_blocked_for_failures(self) -> bool:
        """True when this address has used up its failures: only a correct password gets through."""
        return not self._within("LOGIN_RATE_LIMIT", "address")

    def failed(self) -> None:
        """Count one wrong password against the account and the address."""
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return
        try:
            for setting, scope in (("LOGIN_ACCOUNT_RATE_LIMIT", "account"), ("LOGIN_RATE_LIMIT", "address")):
                for item in _limits(setting):
                    if not limiter.limiter.hit(item, *self._ids(scope)):
                        current_app.logger.warning("login failure limit %s reached for %s (address %s)",
                                                   item, scope, self.address)
        except Exception:
            current_app.logger.error("login throttle storage unavailable; failure not counted", exc_info=True)

    @staticmethod
    def address_message() -> str:
        return gettext("此网络地址的登录失败次数过多，请稍后再试。输入正确密码的用户仍可登录。")
