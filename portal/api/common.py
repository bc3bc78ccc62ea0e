"""What every API endpoint shares: blueprints, argument fields with Chinese messages, pages
with links, cross-origin reads, and the error body.

Errors: the site's own handlers (portal.errors) answer every error, as JSON under /api/:
``{"error": {"code": 400, "message": "…", "fields": {"page": ["…"]}}}`` (``fields`` only
for invalid parameters or bodies).
"""
from __future__ import annotations

from flask import Response, request, url_for
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, validate

from portal.urls import INT_MAX

#: the most items a page of a list may hold
MAX_PER_PAGE = 50


def blueprint(name: str, description: str) -> Blueprint:
    """A blueprint under /api/v1 whose reads any site may fetch (CORS)."""
    bp = Blueprint(name, __name__, url_prefix="/api/v1", description=description)
    bp.before_request(_authenticate)
    bp.after_request(_cors)
    return bp


def _authenticate() -> None:
    """A personal API token, when the request carries one (portal.api.tokens): g.api_token."""
    from flask import g

    from portal.api import tokens

    g.api_token = tokens.authenticate(request.headers.get("Authorization"))


def _cors(response: Response) -> Response:
    """Reads are public data: any origin may fetch them, without credentials (a cookie sent
    cross-site never reaches a page a visitor could not see anyway)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Link"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = ("If-None-Match, If-Modified-Since, Accept-Language, "
                                                                "Authorization")
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


# Argument fields -----------------------------------------------------------------------------------

def Int(name: str, *, minimum: int = 1, maximum: int = INT_MAX, range_message=None, **kwargs) -> fields.Integer:  # noqa: N802
    """An integer parameter; out-of-range or malformed values are a 400 naming the parameter."""
    message = _l("参数 %(name)s 须为正整数", name=name) if minimum >= 1 else _l("参数 %(name)s 须为整数", name=name)
    # A number too large is named as such (page=99999999999999999999 is positive, just too big).
    too_large = (_l("参数 %(name)s 须为不大于 %(max)d 的正整数", name=name, max=maximum) if minimum >= 1
                 else _l("参数 %(name)s 须为不大于 %(max)d 的整数", name=name, max=maximum))
    return fields.Integer(
        strict=False,
        validate=[validate.Range(min=minimum, error=range_message or message),
                  validate.Range(max=maximum, error=range_message or too_large)],
        error_messages={"invalid": message, "null": message}, **kwargs)


#: text without C0 control characters (portal.edge refuses an address holding one with a 400)
NO_CONTROLS = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"


def Text(name: str, *, maximum: int | None = 200, choices=None, choices_message=None, controls: bool = False,  # noqa: N802
         **kwargs) -> fields.String:
    """A text parameter. ``controls``: control characters are dropped with a note (the search
    endpoints) instead of refused, so the document does not exclude them."""
    checks = [validate.Length(max=maximum, error=_l("参数 %(name)s 过长", name=name))] if maximum else []
    if not controls:
        checks.append(validate.Regexp(NO_CONTROLS, error=_l("参数 %(name)s 含有控制字符", name=name)))
    if choices is not None:
        checks.append(validate.OneOf(choices, error=choices_message or _l(
            "参数 %(name)s 只能是：%(choices)s", name=name, choices="、".join(choices))))
    return fields.String(validate=checks, error_messages={"invalid": _l("参数 %(name)s 须为文本", name=name)}, **kwargs)


class Args(Schema):
    """Query parameters: unknown ones are ignored, as on the pages."""

    class Meta:
        unknown = EXCLUDE


class PageArgs(Args):
    page = Int("page", load_default=1, metadata={"description": "页码，从 1 开始"})
    per_page = Int("per_page", load_default=20, maximum=MAX_PER_PAGE,
                   range_message=_l("每页数量须在 1 到 %(n)d 之间", n=MAX_PER_PAGE),
                   metadata={"description": f"每页条数，1-{MAX_PER_PAGE}"})


# Pages ---------------------------------------------------------------------------------------------

class LinksSchema(Schema):
    self = fields.String(required=True)
    first = fields.String(required=True)
    last = fields.String(required=True)
    prev = fields.String(allow_none=True)
    next = fields.String(allow_none=True)


class PageSchema(Schema):
    """A page of a list; ``items`` is set by each list's own schema."""

    total = fields.Integer(required=True, metadata={"description": "符合条件的总条数"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    links = fields.Nested(LinksSchema, required=True)


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema), required=True)})


def page_body(pagination, items: list) -> dict:
    """The body of a list page, with links to the other pages of the same query."""
    last = max(pagination.pages, 1)
    args = {k: v for k, v in request.args.items() if k != "page"}

    def link(page: int | None) -> str | None:
        if page is None:
            return None
        return url_for(request.endpoint, **(request.view_args or {}), **args, page=page, _external=True)

    page = pagination.page
    return {
        "total": pagination.total, "page": page, "per_page": pagination.per_page, "pages": pagination.pages,
        "items": items,
        "links": {"self": link(page), "first": link(1), "last": link(last),
                  "prev": link(min(page - 1, last)) if page > 1 else None,
                  "next": link(page + 1) if page < last else None},
    }


def page_response(schema: type[Schema], pagination, items: list) -> Response:
    """A list page as JSON (through its schema), with its links in the body and the Link header."""
    from flask import jsonify

    body = page_body(pagination, items)
    return link_header(jsonify(schema().dump(body)), body)


def link_header(response: Response, body: dict) -> Response:
    """The page links as an RFC 8288 Link header too (GitHub's style), for clients that read it."""
    links = body["links"]
    parts = [f'<{links[rel]}>; rel="{rel}"' for rel in ("first", "prev", "next", "last") if links.get(rel)]
    if parts:
        response.headers["Link"] = ", ".join(parts)
    return response


# Errors --------------------------------------------------------------------------------------------

class ErrorDetail(Schema):
    code = fields.Integer(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields")


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetail, required=True)


#: the errors any read may answer, documented on every operation
READ_ERRORS = (400, 429, 503)
ERROR_TEXT = {400: "参数有误", 401: "未登录或令牌无效", 403: "无权访问", 404: "未找到，或无权查看",
              413: "请求体过大", 429: "请求过于频繁", 503: "数据库暂时不可用"}


def documented(bp: Blueprint, *codes: int, not_modified: bool = True):
    """Document an operation's error answers (the ErrorSchema body) and its 304."""
    def decorate(view):
        for code in (*codes, *READ_ERRORS):
            view = bp.alt_response(code, schema=ErrorSchema, description=ERROR_TEXT[code])(view)
        if not_modified:
            view = bp.alt_response(304, description="未修改（If-None-Match 与当前 ETag 相同）")(view)
        return view
    return decorate
