"""/api/v1/health, /api/v1/search, and the documentation page /api/v1/docs."""
import time

from flask import Blueprint as FlaskBlueprint
from flask import current_app, jsonify, render_template, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from sqlalchemy import text

from portal.api import schemas
from portal.api.common import MAX_PER_PAGE, Args, Int, Text, blueprint, documented
from portal.extensions import db
from portal.search.documents import FACETS

bp = blueprint("api", "全文搜索与服务状态。")

#: the documentation page: a plain blueprint, so it is not an operation of the API itself
docs_bp = FlaskBlueprint("api_docs", __name__, url_prefix="/api/v1")

#: what the docs page may run: ReDoc draws with inline styles and searches in a blob worker
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@docs_bp.route("/docs")
def docs():
    response = current_app.make_response(render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json")))
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@bp.route("/health")
@bp.response(200, schemas.Health)
@documented(bp, not_modified=False)
def health():
    """服务状态

    网站在运行、数据库有响应时返回 {"status": "ok"}（供负载均衡和监控使用）。"""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


class SearchArgs(Args):
    q = Text("q", maximum=None, load_default="", controls=True, metadata={
        "description": "查询词：空格分隔的词语同时出现；OR 表示或；-词 排除；\"引号\" 短语（过长的查询截断并说明）"})
    theme = Text("theme", maximum=60, controls=True, metadata={"description": "主题名称"})
    province = Text("province", maximum=60)
    year = Text("year", maximum=60, controls=True, metadata={"description": "实施年份"})
    community_type = Text("community_type", maximum=60)
    org_type = Text("org_type", maximum=60, controls=True, metadata={"description": "单位类型"})
    session = Text("session", maximum=60, controls=True, metadata={"description": "交流过的分享会"})
    award = Text("award", maximum=200, controls=True, metadata={
        "description": "获奖情况：征集名称 · 奖项，如“首届优秀案例征集 · 一等奖”"})
    sort = Text("sort", choices=["relevance", "newest"], load_default="relevance", controls=True,
                choices_message=_l("参数 sort（排序方式）只能是 relevance 或 newest"))
    page = Int("page", load_default=1)
    per_page = Int("per_page", load_default=10, maximum=MAX_PER_PAGE,
                   range_message=_l("每页数量须在 1 到 %(n)d 之间", n=MAX_PER_PAGE))


class Hit(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)
    summary = fields.String(required=True)
    highlights = fields.List(fields.String(), required=True, metadata={"description": "命中词语所在的片段（HTML，<mark> 标出）"})
    themes = fields.List(fields.String(), required=True)
    province = fields.String(required=True)
    organization = fields.String(required=True)
    published_at = fields.String(allow_none=True)


class PartialHit(Hit):
    missing = fields.List(fields.String(), required=True, metadata={"description": "该案例没有包含的查询词"})


class FacetValue(Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)


class SearchResult(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    hits = fields.List(fields.Nested(Hit), required=True)
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValue)), required=True)
    notes = fields.List(fields.String(), required=True, metadata={"description": "对查询的说明（如忽略的字符、截断）"})
    partial = fields.List(fields.Nested(PartialHit), required=True, metadata={
        "description": "同时包含全部词语的案例很少时，包含大部分词语的案例（不计入 total）"})
    suggestions = fields.List(fields.String(), required=True, metadata={"description": "什么都没找到时，可以改试的查询"})
    related = fields.List(fields.Nested(Hit), required=True, metadata={
        "description": "结果很少时，与最相关结果内容相近、但不包含全部查询词的案例（不计入 total）"})


@bp.route("/search")
@bp.arguments(SearchArgs(), location="query", error_status_code=400)
@bp.response(200, SearchResult)
@documented(bp, not_modified=False)
def search(args):
    """搜索已发布的案例

    中文分词全文搜索，支持同义词和口语说法；facets 为当前结果按主题、省份等的分布。"""
    from portal.search import service

    _database_answers()
    try:
        result = service.search(q=args["q"], filters={name: args[name].strip() for name in FACETS
                                                      if args.get(name, "").strip()},
                                sort=args["sort"], page=args["page"], per_page=args["per_page"])
    except service.QueryError as exc:
        return jsonify(error={"code": 400, "message": str(exc)}), 400
    return jsonify(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        hits=[_hit(hit) for hit in result.hits],
        facets={name: [{"value": v, "count": c} for v, c in values] for name, values in result.facets.items()},
        notes=result.notes,
        # Cases holding most but not all of the words (after few strict hits; not counted in total).
        partial=[{**_hit(hit), "missing": hit.missing} for hit in result.partial],
        # When nothing matched at all: queries to try instead (close words from the index).
        suggestions=result.suggestions,
        # After few results: cases like the best of them that lack some query word (not in total).
        related=[_hit(hit) for hit in result.related],
    )


def _database_answers() -> None:
    """The search results come from the index alone; without a database they could list cases
    unpublished since, and the pages they link to fail: answer 503 like the rest of the site
    instead. One ping per process per second at most (a ping per request halved the API's
    throughput); an OperationalError here becomes the 503."""
    state = current_app.extensions.setdefault("api_database_checked", {"at": -1e9})
    now = time.monotonic()
    if now - state["at"] >= current_app.config.get("API_DATABASE_CHECK_SECONDS", 1.0):
        db.session.execute(text("SELECT 1"))
        state["at"] = now


def _hit(hit) -> dict:
    return {
        "id": hit.id,
        "title": hit.title,
        "url": url_for("cases.show", case_id=hit.id, _external=True),
        "summary": hit.summary,
        "highlights": [str(h) for h in hit.highlights],
        "themes": hit.themes,
        "province": hit.province,
        "organization": hit.organization,
        "published_at": hit.published_at.isoformat() if hit.published_at else None,
    }
