"""HTTP caching: which answers a browser or a proxy may keep, and conditional requests (304).

* **Public pages** (:data:`PUBLIC_PAGES`) seen by an anonymous visitor get
  ``Cache-Control: public, max-age=HTTP_CACHE_MAX_AGE`` (60 s by default), ``Vary: Cookie`` (the
  language cookie and a sign-in change the page) and an ``ETag``: the hash of the page itself, so
  any change to what the page shows (a case unpublished, a comment hidden, a permission changed)
  changes it. ``If-None-Match`` with the current tag gets ``304 Not Modified`` without a body;
  malformed conditional headers are ignored (full answer). The upcoming-sessions calendar feed,
  the Atom feeds and the sitemap keep their own ``Cache-Control`` and get the tag and the 304 too.
* **Anything that depends on the visitor** gets ``Cache-Control: private, no-store``: every HTML
  page of a signed-in user, and any answer that wrote the session (a flashed message, a login),
  rendered a CSRF token (a form bound to the visitor's session) or sets a cookie. This wins over a
  ``Cache-Control`` the view set.
* Other answers keep what their view set (attachments, robots.txt) or get nothing (as before).

A page is only public here if it shows the same thing to every anonymous visitor; pages behind
a login or with forms for the anonymous (log in, register) are left out.
"""
from __future__ import annotations

from flask import Flask, Response, g, request, session
from flask_login import current_user

from portal import pagecache

#: endpoints whose anonymous GET answer is the same for every anonymous visitor
PUBLIC_PAGES = frozenset({
    "main.index", "main.about",
    "cases.index", "cases.show",
    "search.search_page",
    "sessions.index", "sessions.show", "sessions.event", "sessions.series",
    "orgs.index", "orgs.show",
    "reviews.experts", "reviews.expert",
    "participation.upcoming_calendar",
    "api.search", "api_cases.case_list", "api_cases.case", "api_sessions.session_list", "api_sessions.session",
    "api_sessions.event_list", "api_sessions.event", "api_directory.unit_list", "api_directory.unit",
    "api_directory.expert_list", "api_directory.expert", "api_directory.themes", "api-docs.openapi_json",
    "api_stats.stats", "stats.index", "stats.csv",
    "feeds.cases", "feeds.expert_comments", "feeds.sitemap", "feeds.sitemap_pages", "feeds.sitemap_cases",
})

PRIVATE = "private, no-store"


def _personal(response: Response) -> bool:
    """Whether the answer belongs to this visitor alone (apart from being signed in)."""
    # flask_wtf.csrf.generate_csrf keeps the token it rendered in g (WTF_CSRF_FIELD_NAME); reusing
    # a token already in the session does not mark the session modified, so look there.
    from flask import current_app

    token_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return session.modified or token_name in g or "Set-Cookie" in response.headers


def _signed_in() -> bool:
    # Read the user only if the request loaded one (static files and the like never do).
    return "_login_user" in g and current_user.is_authenticated


def apply(response: Response) -> Response:
    if request.endpoint == "static":
        return response
    if _personal(response) or (_signed_in() and response.mimetype == "text/html"):
        response.headers["Cache-Control"] = PRIVATE
        response.headers.pop("ETag", None)
        return response
    if (request.endpoint not in PUBLIC_PAGES or request.method not in ("GET", "HEAD")
            or response.status_code != 200 or response.direct_passthrough or response.is_streamed
            or _signed_in()):
        return response
    from flask import current_app

    if "Cache-Control" not in response.headers:
        response.cache_control.public = True
        response.cache_control.max_age = int(current_app.config["HTTP_CACHE_MAX_AGE"])
    response.vary.add("Cookie")
    response.add_etag()
    pagecache.store_if_cacheable(response)
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    # Flask-Login's remember cookie is set by its own after_request hook, which may run after this
    # one; it is only set or cleared on sign-in and sign-out, which write the session (caught above).
    app.after_request(apply)


class ServerDate:
    """WSGI middleware for serving behind a real HTTP server (``wsgi.py``): drops the ``Date``
    header that Werkzeug's ``make_conditional`` (and the page cache's edge) write, because the
    server writes its own. gunicorn always adds one, so the answers carried two; Werkzeug's
    development server adds one when it is missing. The test client adds none, so the app itself
    keeps writing it."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [h for h in headers if h[0].lower() != "date"], exc_info)

        return self.wsgi_app(environ, start)
