"""Atom feeds and the sitemap. Public and the same for everyone: cached by browsers and proxies
for FEED_MAX_AGE, with an ETag and Last-Modified for conditional requests (portal.httpcache)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.feeds import documents, services
from portal.urls import absolute_url, external_url, query_int

bp = Blueprint("feeds", __name__)

ATOM_TYPE = "application/atom+xml; charset=utf-8"
FEED_MAX_AGE = 600
#: <updated> of an empty feed: a fixed time, so that its ETag holds between requests
EMPTY_FEED_UPDATED = datetime(2025, 10, 12)


def _lang() -> str:
    locale = str(get_locale())
    return "zh-CN" if locale.startswith("zh") else locale.replace("_", "-")


def _answer(body: bytes, mimetype: str, updated: datetime | None = None) -> Response:
    response = Response(body, content_type=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    if updated is not None:
        response.last_modified = updated
    return response


def _feed(title: str, self_url: str, page_url: str, entries: list[documents.Entry]) -> Response:
    site = _("社区治理案例共享平台")
    feed = documents.Feed(id=self_url, title=f"{title} · {site}", self_url=self_url, page_url=page_url,
                          base_url=absolute_url("/"), lang=_lang(), generator=site, entries=entries,
                          fallback_updated=EMPTY_FEED_UPDATED)
    return _answer(documents.atom(feed), ATOM_TYPE, feed.updated)


@bp.route("/feeds/cases.atom")
def cases():
    scope = services.case_scope(current_user, theme=request.args.get("theme", type=query_int),
                                province=request.args.get("province", ""), org=request.args.get("org", type=query_int))
    entries = []
    for case in services.feed_cases(scope):
        url = external_url("cases.show", case_id=case.id)
        entries.append(documents.Entry(
            id=url, title=case.title, url=url, published=case.published_at,
            updated=max(d for d in (case.updated_at, case.published_at) if d),
            author=case.org.name, author_url=external_url("orgs.show", org_id=case.org_id),
            categories=[t.name for t in case.themes], summary=case.summary,
            content_html=render_template("feeds/case_entry.html", case=case)))
    return _feed(scope.title, external_url("feeds.cases", **scope.page_args),
                 external_url("cases.index", **scope.page_args), entries)


@bp.route("/feeds/expert-comments.atom")
def expert_comments():
    expert = request.args.get("expert", type=query_int)
    title, comments = services.feed_comments(expert)
    entries = []
    for comment in comments:
        url = external_url("cases.show", case_id=comment.case_id, _anchor=f"expert-comment-{comment.id}")
        entries.append(documents.Entry(
            id=url, url=url, published=comment.created_at, updated=comment.edited_at or comment.created_at,
            title=_("%(expert)s点评《%(case)s》", expert=comment.author.display_name, case=comment.case.title),
            author=comment.author.display_name,
            content_html=render_template("feeds/comment_entry.html", comment=comment)))
    args = {"expert": expert} if expert else {}
    page_url = external_url("reviews.expert", user_id=expert) if expert else external_url("reviews.experts")
    return _feed(title, external_url("feeds.expert_comments", **args), page_url, entries)


@bp.route("/sitemap.xml")
def sitemap():
    """The sitemap index: the public pages, then the published cases in files of SITEMAP_CHUNK."""
    urls = [external_url("feeds.sitemap_pages")]
    urls += [external_url("feeds.sitemap_cases", page=n) for n in range(1, services.case_sitemap_pages() + 1)]
    return _answer(documents.sitemap_index(urls), "application/xml")


@bp.route("/sitemap-pages.xml")
def sitemap_pages():
    return _urlset(services.page_entries())


@bp.route("/sitemap-cases-<int:page>.xml")
def sitemap_cases(page: int):
    return _urlset(services.case_entries(page))


def _urlset(entries: list[services.SitemapEntry]) -> Response:
    locations = [documents.Location(absolute_url(url_for(e.endpoint, **e.values)), e.lastmod) for e in entries]
    return _answer(documents.urlset(locations), "application/xml")
