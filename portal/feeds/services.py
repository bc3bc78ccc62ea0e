"""What the feeds and the sitemap list: only what an anonymous visitor may see on the pages.

* Case feeds: published cases, newest publication first, all of them or those of one theme,
  one province or one unit (a unit only while it is verified: the same rule as its page).
* Expert comment feed: comments on published cases (all, or one active expert's), through
  portal.reviews.services, which owns the rule that keeps hidden reviewers hidden.
* Sitemap: the public pages, every published case, session, event, series, verified unit and
  active expert, with the time each last changed where the data has one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import permissions
from portal.cases.models import Case, CaseStatus, Theme
from portal.errors import NotFound
from portal.extensions import db
from portal.orgs.models import Organization, OrgStatus
from portal.regions import PROVINCES

#: entries per feed: a feed reader polls; older items are on the site
FEED_LIMIT = 30
#: addresses per sitemap file (the protocol allows 50,000; smaller files are cheaper to build)
SITEMAP_CHUNK = 10_000


@dataclass
class CaseScope:
    """Which published cases a feed follows; at most one of theme, province and org is set."""

    theme: Theme | None = None
    province: str = ""
    org: Organization | None = None

    @property
    def title(self) -> str:
        if self.theme is not None:
            return _("主题“%(name)s”的新案例", name=self.theme.name)
        if self.province:
            return _("%(province)s的新案例", province=self.province)
        if self.org is not None:
            return _("%(name)s发布的案例", name=self.org.name)
        return _("最新发布的案例")

    @property
    def page_args(self) -> dict:
        """The /cases filter that shows the same cases on the site."""
        if self.theme is not None:
            return {"theme": self.theme.id}
        if self.province:
            return {"province": self.province}
        if self.org is not None:
            return {"org": self.org.id}
        return {}


def case_scope(user, *, theme: int | None = None, province: str = "", org: int | None = None) -> CaseScope:
    """The scope of a case feed from its query string; 404 for a theme, province or unit that
    does not exist or that the user may not see (a unit still under review)."""
    if sum(bool(x) for x in (theme, province, org)) > 1:
        raise NotFound(_("订阅源一次只能按主题、省份或单位中的一项筛选。"))
    if theme:
        found = db.session.get(Theme, theme)
        if found is None:
            raise NotFound(_("未找到该主题。"))
        return CaseScope(theme=found)
    if province:
        if province not in PROVINCES:
            raise NotFound(_("未找到该省份。"))
        return CaseScope(province=province)
    if org:
        unit = db.session.get(Organization, org)
        if unit is None or not permissions.can_view_org(user, unit):
            raise NotFound(_("未找到该单位。"))
        return CaseScope(org=unit)
    return CaseScope()


def feed_cases(scope: CaseScope, limit: int = FEED_LIMIT) -> list[Case]:
    """The newest published cases in scope, whole (their stored HTML is the entries' content)."""
    from sqlalchemy.orm import joinedload, selectinload, undefer_group

    stmt = (select(Case).where(Case.status == CaseStatus.PUBLISHED)
            .options(joinedload(Case.org), selectinload(Case.themes), undefer_group("sections_html"))
            .order_by(Case.published_at.desc(), Case.id.desc()).limit(limit))
    if scope.theme is not None:
        stmt = stmt.where(Case.themes.any(Theme.id == scope.theme.id))
    if scope.province:
        stmt = stmt.where(Case.province == scope.province)
    if scope.org is not None:
        stmt = stmt.where(Case.org_id == scope.org.id)
    return list(db.session.scalars(stmt))


def feed_comments(expert: int | None = None, limit: int = FEED_LIMIT):
    """(title, comments): the newest expert comments on published cases, or one expert's (404
    for anyone who is not an active expert, as on /experts/<id>)."""
    from portal.reviews import services as reviews

    if expert:
        profile = reviews.get_expert(expert)
        return (_("%(name)s的专家点评", name=profile.user.display_name),
                reviews.recent_public_comments(limit, author_id=expert, scores=True))
    return _("最新专家点评"), reviews.recent_public_comments(limit, scores=True)


# Sitemap -------------------------------------------------------------------------------------------

@dataclass
class SitemapEntry:
    endpoint: str
    values: dict
    lastmod: datetime | None = None


#: the listing pages, in the order the sitemap gives them
LISTING_ENDPOINTS = ("main.index", "cases.index", "search.search_page", "sessions.index", "orgs.index",
                     "reviews.experts", "main.about")


def published_case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case).where(Case.status == CaseStatus.PUBLISHED)) or 0


def case_sitemap_pages() -> int:
    """How many sitemap files the published cases take (at least one, possibly empty)."""
    return max(1, -(-published_case_count() // SITEMAP_CHUNK))


def case_entries(page: int) -> list[SitemapEntry]:
    """Published cases page by page in id order (stable: a new case never moves another one to
    the next file); 404 past the last page."""
    if not 1 <= page <= case_sitemap_pages():
        raise NotFound(_("没有这一页站点地图。"))
    rows = db.session.execute(
        select(Case.id, Case.updated_at, Case.published_at).where(Case.status == CaseStatus.PUBLISHED)
        .order_by(Case.id).offset((page - 1) * SITEMAP_CHUNK).limit(SITEMAP_CHUNK))
    return [SitemapEntry("cases.show", {"case_id": case_id}, max(d for d in (updated, published) if d))
            for case_id, updated, published in rows]


def page_entries() -> list[SitemapEntry]:
    """Every public page other than the cases: listings, sessions, events, series, verified
    units and active experts."""
    from portal.auth.models import ReviewerProfile, User
    from portal.sessions.models import Event, Series, SharingSession

    entries = [SitemapEntry(endpoint, {}) for endpoint in LISTING_ENDPOINTS]
    entries += [SitemapEntry("sessions.show", {"session_id": i}, created)
                for i, created in db.session.execute(select(SharingSession.id, SharingSession.created_at)
                                                     .order_by(SharingSession.id))]
    entries += [SitemapEntry("sessions.event", {"event_id": i}, created)
                for i, created in db.session.execute(select(Event.id, Event.created_at).order_by(Event.id))]
    entries += [SitemapEntry("sessions.series", {"series_id": i}, created)
                for i, created in db.session.execute(select(Series.id, Series.created_at).order_by(Series.id))]
    entries += [SitemapEntry("orgs.show", {"org_id": i}, None)
                for (i,) in db.session.execute(select(Organization.id).where(Organization.status == OrgStatus.VERIFIED)
                                               .order_by(Organization.id))]
    entries += [SitemapEntry("reviews.expert", {"user_id": i}, None)
                for (i,) in db.session.execute(select(ReviewerProfile.user_id)
                                               .join(User, User.id == ReviewerProfile.user_id)
                                               .where(permissions.active_expert_clause())
                                               .order_by(ReviewerProfile.user_id))]
    return entries
