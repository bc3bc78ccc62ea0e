"""/api/v1/cases: the case library, with the filters and order of /cases, and one case with
what its page shows. Visibility is the page's: the same services decide (a draft is a 404 for
whoever cannot open it on the site)."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.api import schemas
from portal.api.common import Int, PageArgs, Text, blueprint, documented, page_response
from portal.cases import services as cases
from portal.cases.models import SECTIONS, CommunityType
from portal.regions import PROVINCES
from portal.rendering import stored_html
from portal.urls import external_url

bp = blueprint("api_cases", "案例库：与 /cases 相同的筛选和排序；单个案例含正文、专家点评、交流过的分享会。")


class CaseListArgs(PageArgs):
    theme = Int("theme", metadata={"description": "主题编号（见 /api/v1/themes）"})
    province = Text("province", choices=PROVINCES, choices_message=_("参数 province 须为省级行政区全称，如“贵州省”"),
                    metadata={"description": "省级行政区全称"})
    community_type = Text("community_type", choices=[t.value for t in CommunityType])
    year = Int("year", metadata={"description": "实施年份"})
    org = Int("org", metadata={"description": "发布单位编号"})
    featured = Text("featured", choices=["1"], metadata={"description": "1：只看精选"})
    sort = Text("sort", choices=["newest", "views"], load_default="newest",
                metadata={"description": "newest（最新发布，默认）或 views（浏览最多）"})


def unit_ref(org) -> dict:
    return {"id": org.id, "name": org.name, "url": external_url("orgs.show", org_id=org.id)}


def theme_refs(themes) -> list[dict]:
    return [{"id": t.id, "name": t.name} for t in themes]


def case_summary(case, *, hide_unit: bool = False) -> dict:
    return {
        "id": case.id, "title": case.title, "summary": case.summary,
        "url": external_url("cases.show", case_id=case.id), "api_url": external_url("api_cases.case", case_id=case.id),
        "unit": None if hide_unit else unit_ref(case.org),
        "province": case.province, "city": case.city, "county": case.county, "community": case.community,
        "community_type": case.community_type, "themes": theme_refs(case.themes), "year": case.year,
        "featured": case.featured, "view_count": case.view_count, "status": case.status,
        "published_at": case.published_at,
    }


@bp.route("/cases")
@bp.arguments(CaseListArgs(), location="query", error_status_code=400)
@bp.response(200, schemas.CasePage)
@documented(bp)
def case_list(args):
    """已发布的案例

    与网站 /cases 页面相同的筛选与排序，分页返回。"""
    filters = cases.CaseFilters(theme=args.get("theme"), province=args.get("province", ""),
                                community_type=args.get("community_type", ""), year=args.get("year"),
                                org=args.get("org"), featured=args.get("featured") == "1", sort=args["sort"])
    pagination = cases.list_published(filters, page=args["page"], per_page=args["per_page"])
    return page_response(schemas.CasePage, pagination, [case_summary(c) for c in pagination.items])


def case_detail(case) -> dict:
    from portal.adoptions.services import case_reports
    from portal.reviews.services import averages, case_comments
    from portal.sessions.services import sessions_presenting

    hide_unit = permissions.is_unit_hidden_from(current_user, case)
    comments = case_comments(case)
    presented = sessions_presenting(case)
    reports = case_reports(case)
    body = case_summary(case, hide_unit=hide_unit)
    body.update({
        "sections": [{"key": key, "title": _(label), "markdown": getattr(case, key),
                      "html": str(stored_html(case, key))} for key, label in SECTIONS.items() if getattr(case, key)],
        "started_on": case.started_on, "ended_on": case.ended_on, "beneficiaries": case.beneficiaries,
        "partners": case.partners, "funding_source": case.funding_source, "tags": [t.name for t in case.tags],
        "updated_at": case.updated_at,
        "attachments": [{"id": a.id, "name": a.original_name, "kind": a.kind, "size": a.size,
                         "url": external_url("cases.download", case_id=case.id, attachment_id=a.id)}
                        for a in case.attachments],
        "expert_comments": [_comment(c) for c in comments],
        "expert_averages": [{"dimension": row["dimension"].name, "average": round(row["average"], 2),
                             "count": row["count"]} for row in averages(comments)],
        "sessions": [{"id": item.session.id, "title": item.session.title, "starts_at": item.session.starts_at,
                      "url": external_url("sessions.show", session_id=item.session.id)}
                     for item in {i.session_id: i for i in presented}.values()],
        "adoption_count": len({r.org_id for r in reports}),
        "citation": cases.citation(case) if case.is_published and not hide_unit else None,
    })
    stamps = [case.updated_at, case.published_at, *(a.created_at for a in case.attachments),
              *(r.created_at for r in reports), *(i.session.created_at for i in presented)]
    for comment in comments:
        stamps += [comment.created_at, comment.edited_at, comment.response.created_at if comment.response else None]
    return body, max(s for s in stamps if s is not None)


def expert_ref(user) -> dict:
    active = permissions.is_active_expert(user)
    return {"id": user.id, "name": user.display_name,
            "url": external_url("reviews.expert", user_id=user.id) if active else None}


def _comment(comment) -> dict:
    response = comment.response
    return {
        "id": comment.id, "expert": expert_ref(comment.author), "html": str(stored_html(comment, "body")),
        "scores": [{"dimension": s.dimension.name, "score": s.score}
                   for s in sorted(comment.scores, key=lambda s: (s.dimension.position, s.dimension.id))],
        "has_conflict": comment.has_conflict, "conflict_note": comment.conflict_note,
        "created_at": comment.created_at, "edited_at": comment.edited_at,
        "response": {"unit": unit_ref(response.org), "html": str(stored_html(response, "body")),
                     "created_at": response.created_at} if response else None,
    }


@bp.route("/cases/<int:case_id>")
@bp.response(200, schemas.CaseDetail)
@documented(bp, 404)
def case(case_id: int):
    """一个案例

    正文各部分（Markdown 原文与净化后的 HTML）、主题、地区、单位、附件信息、专家点评与评分、
    交流过的分享会、借鉴单位数。看不到的案例（草稿等）返回 404，与网站页面相同。"""
    from flask import g

    from portal.api.tokens import case_for

    token = getattr(g, "api_token", None)  # a unit's token also reads the unit's own drafts
    found = case_for(token, case_id) if token is not None else cases.get_visible_case(current_user, case_id, page=True)
    body, changed = case_detail(found)
    response = jsonify(schemas.CaseDetail().dump(body))
    response.last_modified = changed
    return response
