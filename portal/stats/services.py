"""The figures of the statistics page (/stats) and of /api/v1/stats, counted from the data:
published cases by province, theme, year, community type and unit type; sessions over time
with their participants and provinces; the most adopted and most discussed cases; expert
activity. Only what the public pages show is counted (published cases, verified units' adoption
reports, visible discussion comments, active experts)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, not_, select

from portal import permissions
from portal.cases.models import Case, CaseStatus, Theme, case_themes
from portal.extensions import db
from portal.orgs.models import Organization, OrgStatus
from portal.regions import PROVINCES
from portal.timezones import utc_to_shanghai

#: cases listed in the "most adopted / most discussed" tables, experts in the activity table
TOP = 10

#: the suffixes the map's province names leave out (its names: 北京, 内蒙古, 广西, 香港 …)
_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")


def map_name(province: str) -> str:
    """The name of a provincial-level division on the China map: 贵州省 -> 贵州, 内蒙古自治区 -> 内蒙古."""
    for suffix in _SUFFIXES:
        if province.endswith(suffix):
            return province[: -len(suffix)]
    return province


@dataclass
class Series:
    """One chart's data: [(label, value, link)], with the column titles of its table."""

    key: str
    title: str
    label_title: str
    value_title: str
    rows: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row["value"] for row in self.rows)


_PUBLISHED = Case.status == CaseStatus.PUBLISHED


def _count_by(column, *, join=None) -> list[tuple[str, int]]:
    stmt = select(column, func.count(Case.id)).select_from(Case)
    if join is not None:
        stmt = stmt.join(*join)
    stmt = stmt.where(_PUBLISHED, column.is_not(None), column != "").group_by(column)
    return [(value, count) for value, count in db.session.execute(stmt)]


def cases_by_province() -> Series:
    counts = dict(_count_by(Case.province))
    rows = [{"label": p, "value": counts[p], "map_name": map_name(p), "link": {"province": p}}
            for p in sorted(counts, key=lambda p: (-counts[p], PROVINCES.index(p) if p in PROVINCES else 99))]
    return Series("provinces", _("各省案例数"), _("省级行政区"), _("已发布案例"), rows)


def cases_by_theme() -> Series:
    rows = db.session.execute(
        select(Theme.id, Theme.name, func.count(Case.id)).select_from(Theme)
        .join(case_themes, case_themes.c.theme_id == Theme.id).join(Case, Case.id == case_themes.c.case_id)
        .where(_PUBLISHED).group_by(Theme.id, Theme.name, Theme.position).order_by(func.count(Case.id).desc(),
                                                                                   Theme.position, Theme.id))
    return Series("themes", _("各主题案例数"), _("主题"), _("已发布案例"),
                  [{"label": name, "value": count, "link": {"theme": theme_id}} for theme_id, name, count in rows])


def cases_by_year() -> Series:
    # Case.year is an expression with bound values: grouped over a subquery, as PostgreSQL cannot
    # match a GROUP BY expression to the selected one when each carries its own parameters.
    years = select(Case.year.label("year")).where(_PUBLISHED, Case.year.is_not(None)).subquery()
    rows = db.session.execute(select(years.c.year, func.count()).group_by(years.c.year).order_by(years.c.year))
    return Series("years", _("各年份案例数（按实施年份）"), _("年份"), _("已发布案例"),
                  [{"label": str(year), "value": count, "link": {"year": year}} for year, count in rows])


def cases_by_community_type() -> Series:
    rows = sorted(_count_by(Case.community_type), key=lambda r: -r[1])
    return Series("community_types", _("按社区类型"), _("社区类型"), _("已发布案例"),
                  [{"label": t, "value": n, "link": {"community_type": t}} for t, n in rows])


def cases_by_unit_type() -> Series:
    rows = sorted(_count_by(Organization.org_type, join=(Organization, Organization.id == Case.org_id)),
                  key=lambda r: -r[1])
    return Series("unit_types", _("按发布单位类型"), _("单位类型"), _("已发布案例"),
                  [{"label": t, "value": n, "link": None} for t, n in rows])


def sessions_over_time() -> list[dict]:
    """Sessions that took place (not upcoming), oldest first, with what was recorded at closing."""
    from portal.sessions.models import SharingSession
    from portal.sessions.services import upcoming

    rows = db.session.execute(
        select(SharingSession.id, SharingSession.title, SharingSession.starts_at, SharingSession.participants,
               SharingSession.provinces_count, SharingSession.orgs_count)
        .where(not_(upcoming())).order_by(SharingSession.starts_at, SharingSession.id))
    return [{"id": i, "title": title, "date": utc_to_shanghai(starts).date(), "participants": participants,
             "provinces": provinces, "units": units} for i, title, starts, participants, provinces, units in rows]


def most_adopted(limit: int = TOP) -> list[dict]:
    from portal.adoptions.models import AdoptionReport

    count = func.count(func.distinct(AdoptionReport.org_id))
    rows = db.session.execute(
        select(Case.id, Case.title, count).join(AdoptionReport, AdoptionReport.case_id == Case.id)
        .join(Organization, Organization.id == AdoptionReport.org_id)
        .where(_PUBLISHED, Organization.status == OrgStatus.VERIFIED)
        .group_by(Case.id, Case.title).order_by(count.desc(), Case.id).limit(limit))
    return [{"id": i, "title": title, "value": n} for i, title, n in rows]


def most_discussed(limit: int = TOP) -> list[dict]:
    """Published cases by visible discussion comments plus expert comments."""
    from portal.discussion.models import Comment, CommentStatus
    from portal.reviews.models import ExpertComment

    discussion = (select(Comment.case_id.label("case_id"), func.count().label("n"))
                  .where(Comment.status == CommentStatus.VISIBLE).group_by(Comment.case_id).subquery())
    expert = (select(ExpertComment.case_id.label("case_id"), func.count().label("n"))
              .group_by(ExpertComment.case_id).subquery())
    total = func.coalesce(discussion.c.n, 0) + func.coalesce(expert.c.n, 0)
    rows = db.session.execute(
        select(Case.id, Case.title, func.coalesce(expert.c.n, 0), func.coalesce(discussion.c.n, 0))
        .outerjoin(discussion, discussion.c.case_id == Case.id).outerjoin(expert, expert.c.case_id == Case.id)
        .where(_PUBLISHED, total > 0).order_by(total.desc(), Case.id).limit(limit))
    return [{"id": i, "title": title, "expert_comments": e, "comments": d, "value": e + d} for i, title, e, d in rows]


def expert_activity(limit: int = TOP) -> list[dict]:
    """Active experts by their comments on published cases, with the average score they gave."""
    from portal.auth.models import User
    from portal.reviews.models import ExpertComment, ExpertScore

    scores = (select(ExpertScore.comment_id, func.avg(ExpertScore.score).label("avg"))
              .group_by(ExpertScore.comment_id).subquery())
    count = func.count(ExpertComment.id)
    rows = db.session.execute(
        select(User.id, User.display_name, count, func.avg(scores.c.avg))
        .join(ExpertComment, ExpertComment.author_id == User.id).join(Case, Case.id == ExpertComment.case_id)
        .outerjoin(scores, scores.c.comment_id == ExpertComment.id)
        .where(_PUBLISHED, permissions.active_expert_clause())
        .group_by(User.id, User.display_name).order_by(count.desc(), User.id).limit(limit))
    return [{"id": i, "name": name, "value": n, "average_score": round(float(avg), 2) if avg is not None else None}
            for i, name, n, avg in rows]


def overview() -> dict:
    from portal.main.services import figures

    f = figures()
    return {"cases": f.cases, "units": f.units, "provinces": f.provinces, "sessions": f.sessions,
            "participants": f.participants}


def charts() -> list[Series]:
    """The charts with a label and a count per row, in the page's order."""
    return [cases_by_province(), cases_by_theme(), cases_by_year(), cases_by_community_type(), cases_by_unit_type()]


def report() -> dict:
    """Everything the page and /api/v1/stats show, with the site's addresses."""
    from portal.urls import external_url

    def case_url(row):
        return {**row, "url": external_url("cases.show", case_id=row["id"])}

    drawn = []
    for series in charts():
        rows = [{**{k: v for k, v in row.items() if k != "link"},
                 "url": external_url("cases.index", **row["link"]) if row.get("link") else None} for row in series.rows]
        drawn.append({"key": series.key, "title": series.title, "label_title": series.label_title,
                       "value_title": series.value_title, "total": series.total, "rows": rows})
    return {
        "overview": overview(),
        "charts": drawn,
        "sessions": [{**s, "url": external_url("sessions.show", session_id=s["id"])} for s in sessions_over_time()],
        "most_adopted": [case_url(r) for r in most_adopted()],
        "most_discussed": [case_url(r) for r in most_discussed()],
        "experts": [{**e, "url": external_url("reviews.expert", user_id=e["id"])} for e in expert_activity()],
    }
