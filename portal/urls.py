"""Addresses: the redirect targets users may pass, and the integers a URL may carry."""
from urllib.parse import urlsplit

from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

#: The range of the databases' INTEGER columns (PostgreSQL refuses a larger value with an error,
#: SQLite's driver with an OverflowError): ids and numbers from a URL never go past it.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` in routes: a number too large for an id does not match, so it is a 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def query_int(value: str) -> int:
    """``request.args.get(name, default, type=query_int)``: text that is not a number gives the
    default, as with ``type=int``; a number out of range is a 400 with a clear message (not a
    database error). Every integer read from a query string or form goes through this."""
    number = int(value)  # ValueError: werkzeug returns the default
    if not INT_MIN <= number <= INT_MAX:
        from flask_babel import gettext

        raise BadRequest(gettext("请求中的数字超出范围。"))
    return number


def safe_next_url(target: str | None) -> str | None:
    """Accept only same-site relative paths as a post-login redirect target (no control
    characters: a CR or LF would end up in the Location header)."""
    if not target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def site_path(endpoint: str, **values) -> str:
    """The path of a page, inside a request or not (services notify from CLI commands and
    demo seeding too, where url_for() has no request to build against)."""
    from flask import current_app, has_request_context, url_for

    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def absolute_url(path: str) -> str:
    """An absolute address for a path of this site: on ``BASE_URL`` when it is set (the public
    address, for links that leave the request: e-mails, calendars, feeds, the sitemap), else on
    the host of the current request; the path alone outside a request."""
    from flask import current_app, has_request_context, request

    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + path
    return request.host_url.rstrip("/") + path if has_request_context() else path


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute address (see :func:`absolute_url`)."""
    from flask import url_for

    return absolute_url(url_for(endpoint, **values))
