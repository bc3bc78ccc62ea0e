"""Configuration: defaults, then ``instance/config.py``, then ``PORTAL_*`` environment variables.

The environment names are a contract with operators; each is documented in README.md.
"""
from __future__ import annotations

import os
from pathlib import Path

from portal import timezones

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Environment variables read by :func:`load_environment`, mapped to config keys.
#: The value converter turns the string into the type the app expects.
ENV_SETTINGS: dict[str, tuple[str, type]] = {
    "PORTAL_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "PORTAL_DATABASE_PREPARED_STATEMENTS": ("DATABASE_PREPARED_STATEMENTS", bool),
    "PORTAL_SECRET_KEY": ("SECRET_KEY", str),
    "PORTAL_RATELIMIT_STORAGE": ("RATELIMIT_STORAGE_URI", str),
    "PORTAL_ENV": ("PORTAL_ENV", str),
    "PORTAL_MAIL_BACKEND": ("MAIL_BACKEND", str),
    "PORTAL_MAIL_SENDER": ("MAIL_SENDER", str),
    "PORTAL_MAIL_DELIVERY": ("MAIL_DELIVERY", str),
    "PORTAL_SMTP_HOST": ("SMTP_HOST", str),
    "PORTAL_SMTP_PORT": ("SMTP_PORT", int),
    "PORTAL_SMTP_USER": ("SMTP_USER", str),
    "PORTAL_SMTP_PASSWORD": ("SMTP_PASSWORD", str),
    "PORTAL_SMTP_STARTTLS": ("SMTP_STARTTLS", bool),
    "PORTAL_BASE_URL": ("BASE_URL", str),
    "PORTAL_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", bool),
    "PORTAL_MAX_UPLOAD_MB": ("MAX_UPLOAD_MB", int),
    "PORTAL_TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "PORTAL_SEARCH_BACKEND": ("SEARCH_BACKEND", str),
    "PORTAL_SEARCH_INDEX_DIR": ("SEARCH_INDEX_DIR", str),
    "PORTAL_SEARCH_SYNC": ("SEARCH_SYNC", str),
    "PORTAL_VIEW_COUNT_FLUSH_SECONDS": ("VIEW_COUNT_FLUSH_SECONDS", int),
    "PORTAL_HTTP_CACHE_MAX_AGE": ("HTTP_CACHE_MAX_AGE", int),
    "PORTAL_PAGE_CACHE_URL": ("PAGE_CACHE_URL", str),
    "PORTAL_PAGE_CACHE_LOCAL_MB": ("PAGE_CACHE_LOCAL_MB", float),
    "PORTAL_SEARCH_SIMILAR_CACHE": ("SEARCH_SIMILAR_CACHE", int),
    "PORTAL_COMPILATION_DIR": ("COMPILATION_DIR", str),
    "PORTAL_COMPILATION_BUILD": ("COMPILATION_BUILD", str),
}


class ConfigError(RuntimeError):
    """A setting the app cannot start with. The entry point (wsgi.py) turns it into one line on
    standard error and exit status 1, not a traceback."""


class MissingSecretKey(ConfigError):
    """Raised when the app would run in production with no secret key."""


def instance_dir() -> Path:
    """Where the database, search index, uploads and outgoing mail live by default."""
    raw = os.environ.get("PORTAL_INSTANCE_DIR")
    return Path(raw).resolve() if raw else PROJECT_ROOT / "instance"


def defaults(instance: Path) -> dict:
    return {
        "PORTAL_ENV": "production",
        "SECRET_KEY": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # PostgreSQL: the busiest pages' statements prepared, planned once per connection
        # (portal/prepared.py); off behind a pooler that cannot carry them.
        "DATABASE_PREPARED_STATEMENTS": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Explicit: Flask-Limiter otherwise takes the previous app's choice (one limiter object),
        # so an app made after one with limits off would silently have none.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "portal",
        # If Redis is unreachable, log it and serve the request rather than fail every login.
        "RATELIMIT_SWALLOW_ERRORS": True,
        # Sign-in (portal.auth.throttle): wrong passwords per address (past it, only a correct
        # password gets through), wrong passwords per account (past it, the account waits), and
        # a ceiling on all attempts per address.
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        "LOGIN_ACCOUNT_RATE_LIMIT": "5 per 15 minutes;20 per day",
        "LOGIN_ADDRESS_CEILING": "60 per minute;300 per hour",
        "REGISTER_RATE_LIMIT": "5 per hour",
        "RESET_RATE_LIMIT": "5 per hour",
        # Discussion (portal.discussion): posting limit per user, edit window, moderation thresholds.
        "COMMENT_RATE_LIMIT": "10 per minute;60 per hour",
        "COMMENT_EDIT_MINUTES": 30,
        "COMMENT_HOLD_MAX_LINKS": 3,        # more links than this from a new account: held for moderation
        "COMMENT_HOLD_ACCOUNT_HOURS": 24,   # "new account": registered less than this many hours ago
        "COMMENT_REPORT_THRESHOLD": 3,      # distinct reporters that hide a comment until reviewed
        # The Markdown editor's preview button (portal.editor), per user.
        "PREVIEW_RATE_LIMIT": "60 per minute;600 per hour",
        "MAIL_BACKEND": "file",
        "MAIL_SENDER": "社区治理案例共享平台 <noreply@example.org>",
        "MAIL_DIR": str(instance / "mail"),
        # Mail goes through the outgoing_mail table (portal.mail): "thread" sends from a background
        # thread of each process after the commit, "off" leaves it to `flask mail drain`.
        "MAIL_DELIVERY": "thread",
        "MAIL_POLL_SECONDS": 30,
        "MAIL_MAX_ATTEMPTS": 8,
        "MAIL_CLAIM_SECONDS": 600,
        "SMTP_HOST": "localhost",
        "SMTP_PORT": 25,
        "SMTP_USER": "",
        "SMTP_PASSWORD": "",
        "SMTP_STARTTLS": False,
        "BASE_URL": "",
        "UPLOAD_DIR": str(instance / "uploads"),
        # 案例汇编 (portal.compilations): PDFs kept here until a case in them changes. Larger ones are
        # laid out by a background thread of the process that was asked ("thread"), at once
        # ("inline", tests) or only by `flask compilations build` ("off").
        "COMPILATION_DIR": str(instance / "compilations"),
        "COMPILATION_BUILD": "thread",
        "COMPILATION_POLL_SECONDS": 60,
        "COMPILATION_RATE_LIMIT": "20 per hour",
        # Writes through the JSON API, per token (portal.api.write).
        "API_WRITE_RATE_LIMIT": "120 per minute;2000 per day",
        # Full-text search implementation (portal.search.backend): "whoosh", an index on local disk.
        "SEARCH_BACKEND": "whoosh",
        "SEARCH_INDEX_DIR": str(instance / "search"),
        # thread: each process indexes in a background thread after commits;
        # inline: right after the commit (tests); off: only `flask search drain` / another process.
        "SEARCH_SYNC": "thread",
        "SEARCH_POLL_SECONDS": 5.0,
        # Similar-case lists kept per process (one per case), until the index changes.
        "SEARCH_SIMILAR_CACHE": 4096,
        "MAX_UPLOAD_MB": 20,
        # Case page views (portal.cases.viewcount): written to the database in batches, every so many
        # seconds (0: only at exit and with `flask cases flush-views`) or once so many are waiting;
        # a visitor's repeat views of a case within the minutes are not counted.
        "VIEW_COUNT_FLUSH_SECONDS": 30,
        "VIEW_COUNT_FLUSH_VIEWS": 500,
        "VIEW_COUNT_REPEAT_MINUTES": 30,
        "VIEW_COUNT_REMEMBER": 100_000,
        # Seconds a browser or proxy may keep a public page shown to anonymous visitors (portal.httpcache).
        "HTTP_CACHE_MAX_AGE": 60,
        # Whole public pages for anonymous visitors in Redis (portal.pagecache): off unless a redis:// URL.
        "PAGE_CACHE_URL": "",
        "PAGE_CACHE_SECONDS": 300,
        "PAGE_CACHE_LOCAL_MB": 32,  # each process's copies of recent pages (see portal.pagecache)
        "TRUSTED_PROXIES": 0,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": timezones.NAME,
        "LANGUAGES": {"zh_CN": "简体中文", "en": "English"},
        "SESSION_COOKIE_SECURE": None,  # None: decided in finalize()
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "PASSWORD_HASH_METHOD": "scrypt",
        "PASSWORD_RESET_MAX_AGE": 60 * 60 * 2,
        "INVITATION_MAX_AGE_DAYS": 14,
        "WTF_CSRF_TIME_LIMIT": None,
    }


def _to_bool(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def load_environment(environ: dict[str, str] | None = None) -> dict:
    """Return the config keys set through ``PORTAL_*`` environment variables."""
    environ = os.environ if environ is None else environ
    found = {}
    for name, (key, kind) in ENV_SETTINGS.items():
        if name in environ and environ[name] != "":
            raw = environ[name]
            found[key] = _to_bool(raw) if kind is bool else kind(raw)
    return found


def normalize_database_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use psycopg 3, the driver this project installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def finalize(config) -> None:
    """Derive settings that depend on others, and refuse unsafe production set-ups."""
    config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(config["SQLALCHEMY_DATABASE_URI"])
    relaxed = config.get("TESTING") or config.get("DEBUG") or config["PORTAL_ENV"] == "development"
    if not config.get("SECRET_KEY"):
        if not relaxed:
            raise MissingSecretKey(
                "PORTAL_SECRET_KEY 未设置：生产环境必须提供会话密钥（开发时先运行一次 make run）。"
                " Set PORTAL_SECRET_KEY (for example: python -c 'import secrets; print(secrets.token_hex(32))')"
                " or put SECRET_KEY in instance/config.py; for development, run `make run` once."
            )
        config["SECRET_KEY"] = "development-only-insecure-key"
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = not relaxed
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    config["MAX_CONTENT_LENGTH"] = (int(config["MAX_UPLOAD_MB"]) + 1) * 1024 * 1024


DEVELOPMENT_CONFIG = """\
# Written by `make run` for development on this machine: a generated secret key, so that
# `.venv/bin/flask --app wsgi ...` commands work without PORTAL_ENV=development.
# Not for production: there, set PORTAL_SECRET_KEY (see README.md, "Production").
# Other settings: see instance/config.example.py.
SECRET_KEY = {key!r}
"""


def write_development_config(instance: Path | None = None) -> Path | None:
    """Create ``<instance>/config.py`` with a generated secret key, unless the file exists.
    Returns its path when it was written, None when one was already there (left as is)."""
    import secrets

    instance = instance or instance_dir()
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "config.py"
    try:
        with open(path, "x", encoding="utf-8") as handle:  # never overwrite an operator's file
            handle.write(DEVELOPMENT_CONFIG.format(key=secrets.token_hex(32)))
    except FileExistsError:
        return None
    path.chmod(0o600)
    return path

