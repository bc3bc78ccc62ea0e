"""/api/v1/units, /api/v1/experts, /api/v1/themes: the member units (verified ones, as on
/orgs), the active experts with their published comments, and the theme vocabulary."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from sqlalchemy import func, select

from portal.api import schemas
from portal.api.cases import theme_refs
from portal.api.common import Args, Int, PageArgs, Text, blueprint, documented, page_response
from portal.cases.models import Case, CaseStatus
from portal.extensions import db
from portal.regions import PROVINCES
from portal.rendering import stored_html
from portal.urls import external_url

bp = blueprint("api_directory", "成员单位、点评专家和主题词表。")


class UnitListArgs(PageArgs):
    province = Text("province", choices=PROVINCES, metadata={"description": "省级行政区全称"})
    q = Text("q", maximum=100, metadata={"description": "单位名称中的文字"})


def unit_summary(org) -> dict:
    return {"id": org.id, "name": org.name, "url": external_url("orgs.show", org_id=org.id),
            "api_url": external_url("api_directory.unit", org_id=org.id), "org_type": org.org_type,
            "province": org.province, "city": org.city}


@bp.route("/units")
@bp.arguments(UnitListArgs(), location="query", error_status_code=400)
@bp.response(200, schemas.UnitPage)
@documented(bp)
def unit_list(args):
    """成员单位

    已认证的成员单位，最新加入的在前。"""
    from portal.orgs.services import list_orgs

    pagination = list_orgs(province=args.get("province", ""), query=args.get("q", ""), page=args["page"],
                           per_page=args["per_page"])
    return page_response(schemas.UnitPage, pagination, [unit_summary(o) for o in pagination.items])


@bp.route("/units/<int:org_id>")
@bp.response(200, schemas.UnitDetail)
@documented(bp, 404)
def unit(org_id: int):
    """一个成员单位

    简介与已发布案例数；案例列表见 cases_api_url。审核中的单位返回 404。"""
    from portal.orgs.services import get_visible_org

    org = get_visible_org(current_user, org_id)
    body = unit_summary(org)
    body.update({
        "introduction_html": str(stored_html(org, "introduction")),
        "published_cases": db.session.scalar(select(func.count()).select_from(Case).where(
            Case.org_id == org.id, Case.status == CaseStatus.PUBLISHED)) or 0,
        "cases_api_url": external_url("api_cases.case_list", org=org.id),
    })
    return jsonify(schemas.UnitDetail().dump(body))


class ExpertListArgs(PageArgs):
    theme = Int("theme", metadata={"description": "专长主题编号"})


def expert_summary(profile, comment_count: int) -> dict:
    user = profile.user
    return {"id": user.id, "name": user.display_name, "url": external_url("reviews.expert", user_id=user.id),
            "api_url": external_url("api_directory.expert", user_id=user.id), "title": profile.title,
            "affiliation": profile.affiliation, "expertise": profile.expertise_list,
            "themes": theme_refs(profile.themes), "comment_count": comment_count}


@bp.route("/experts")
@bp.arguments(ExpertListArgs(), location="query", error_status_code=400)
@bp.response(200, schemas.ExpertPage)
@documented(bp)
def expert_list(args):
    """点评专家

    在分享会和平台上点评案例的专家（按姓名排序），含点评数。"""
    from portal.reviews.services import list_experts, published_comment_counts

    experts = list_experts(args.get("theme"))
    counts = published_comment_counts()
    page, per_page = args["page"], args["per_page"]
    pagination = _ListPage(experts, page, per_page)
    return page_response(schemas.ExpertPage, pagination, [expert_summary(p, counts.get(p.user_id, 0)) for p in pagination.items])


class _ListPage:
    """A page of a list already in memory (the expert directory is short), shaped like a
    Flask-SQLAlchemy pagination."""

    def __init__(self, items: list, page: int, per_page: int):
        self.total, self.page, self.per_page = len(items), page, per_page
        self.pages = -(-self.total // per_page) if self.total else 0
        self.items = items[(page - 1) * per_page:page * per_page]


@bp.route("/experts/<int:user_id>")
@bp.response(200, schemas.ExpertDetail)
@documented(bp, 404)
def expert(user_id: int):
    """一位点评专家

    简介、专长，以及对已发布案例的全部点评（最新的在前）。"""
    from portal.reviews.services import expert_published_comments, get_expert

    profile = get_expert(user_id)
    comments = expert_published_comments(profile)
    body = expert_summary(profile, len(comments))
    body.update({
        "bio_html": str(stored_html(profile, "bio")),
        "comments": [{"id": c.id, "html": str(stored_html(c, "body")), "created_at": c.created_at,
                      "case": {"id": c.case.id, "title": c.case.title,
                               "url": external_url("cases.show", case_id=c.case.id)}} for c in comments],
    })
    return jsonify(schemas.ExpertDetail().dump(body))


@bp.route("/themes")
@bp.arguments(Args(), location="query", error_status_code=400)
@bp.response(200, schemas.ThemeList)
@documented(bp)
def themes(_args):
    """主题

    主题词表（党建引领、五社联动、社工站……），在用的在前，含已发布案例数。"""
    from portal.cases.facets import theme_counts
    from portal.cases.models import Theme

    counts = theme_counts()
    rows = db.session.scalars(select(Theme).order_by(Theme.retired, Theme.position, Theme.id))
    items = [{"id": t.id, "name": t.name, "description": t.description, "retired": t.retired,
              "published_cases": counts.get(t.id, 0), "cases_api_url": external_url("api_cases.case_list", theme=t.id)}
             for t in rows]
    return jsonify(schemas.ThemeList().dump({"items": items}))
