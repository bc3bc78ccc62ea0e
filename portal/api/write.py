"""Writing through the API, for member units, with a personal token (portal.api.tokens):
create and update drafts, upload attachments, run the privacy check, submit for review.

Everything goes through the case services the forms use: the same validation, sanitising,
privacy rules and workflow rules; errors are JSON naming the field, in Chinese. Only a bearer
token authenticates here (a browser's session cookie does not), so these endpoints need no CSRF
token. Each token may write API_WRITE_RATE_LIMIT times.
"""
from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from portal.api import schemas, tokens
from portal.api.cases import case_detail
from portal.api.common import ERROR_TEXT, ErrorSchema, blueprint
from portal.cases import services as cases
from portal.extensions import db, limiter
from portal.urls import INT_MAX, external_url

bp = blueprint("api_write", "成员单位用“读写”令牌创建和修改案例草稿、上传附件、进行隐私检查、提交审核。")
SECURITY = [{"bearer": []}]


def _token_key() -> str:
    return "api-token:" + (request.headers.get("Authorization", "")[-16:] or request.remote_addr or "")


#: every write counts against its token's limit (API_WRITE_RATE_LIMIT)
_limited = limiter.limit(lambda: current_app.config["API_WRITE_RATE_LIMIT"], key_func=_token_key)


def _text(name: str, limit: int) -> fields.String:
    return fields.String(validate=validate.Length(max=limit, error=_l("%(name)s 不能超过 %(n)d 个字符", name=name, n=limit)),
                         error_messages={"invalid": _l("%(name)s 须为文本", name=name),
                                         "null": _l("%(name)s 不能为 null", name=name)})


def _names(name: str) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(max=50)), validate=validate.Length(max=20),
                       error_messages={"invalid": _l("%(name)s 须为文本的数组", name=name)})


class CaseInput(Schema):
    """A case's content; PATCH changes only the fields it gives. Unknown fields are refused."""

    class Meta:
        unknown = RAISE

    title = _text("title", 120)
    summary = _text("summary", 300)
    background = _text("background", 20000)
    approach = _text("approach", 20000)
    outcomes = _text("outcomes", 20000)
    lessons = _text("lessons", 20000)
    problems = _text("problems", 20000)
    province = _text("province", 20)
    city = _text("city", 50)
    county = _text("county", 50)
    community = _text("community", 100)
    community_type = _text("community_type", 10)
    partners = _text("partners", 300)
    funding_source = _text("funding_source", 200)
    contact = _text("contact", 200)
    started_on = fields.Date(allow_none=True, error_messages={"invalid": _l("started_on 须为日期，如 2024-03-01")})
    ended_on = fields.Date(allow_none=True, error_messages={"invalid": _l("ended_on 须为日期，如 2024-12-31")})
    beneficiaries = fields.Integer(allow_none=True, strict=True, validate=validate.Range(0, INT_MAX, error=_l(
        "beneficiaries 须为不小于 0 的整数")), error_messages={"invalid": _l("beneficiaries 须为整数")})
    themes = _names("themes")
    tags = _names("tags")


class Finding(Schema):
    kind = fields.String(required=True, metadata={"description": "id_number、mobile、email、bank_card……"})
    field = fields.String(required=True)
    masked = fields.String(required=True, metadata={"description": "打码后的写法"})
    context = fields.String(required=True, metadata={"description": "所在的上下文"})


class PrivacyReport(Schema):
    findings = fields.List(fields.Nested(Finding), required=True)
    missing = fields.List(fields.String(), required=True, metadata={"description": "提交前还缺的部分"})


def _writes(view):
    """Document a write: the bearer token, and the refusals it may answer."""
    view = bp.doc(security=SECURITY)(view)
    for code in (400, 401, 403, 404, 413, 429, 503):
        view = bp.alt_response(code, schema=ErrorSchema, description=ERROR_TEXT[code])(view)
    return view


def _token():
    return tokens.require_write(getattr(g, "api_token", None))


def _data(case, given: dict) -> cases.CaseData:
    """The case's content with the given fields changed (all of it for a new case)."""
    current = {name: getattr(case, name) for name in cases.CONTENT_FIELDS} if case is not None else {}
    if case is not None:
        current["themes"] = [t.name for t in case.themes]
        current["tags"] = [t.name for t in case.tags]
    merged = {**dict.fromkeys(cases.CONTENT_FIELDS, ""), "started_on": None, "ended_on": None,
              "beneficiaries": None, "themes": [], "tags": [], **current, **given}
    return cases.CaseData(**merged)


def _answer(case, status: int = 200):
    db.session.expire_all()
    token = g.api_token
    body, _changed = case_detail(tokens.case_for(token, case.id))
    response = jsonify(schemas.CaseDetail().dump(body))
    response.status_code = status
    return response


@bp.route("/cases", methods=["POST"])
@bp.arguments(CaseInput(), location="json", error_status_code=400)
@bp.response(201, schemas.CaseDetail)
@_writes
@_limited
def create_case(data):
    """新建案例草稿

    在令牌所属单位新建草稿；title 必填。校验、净化与网站表单相同。"""
    token = _token()
    case = cases.create_case(token.user, token.org, _data(None, data))
    db.session.commit()
    response = _answer(case, 201)
    response.headers["Location"] = external_url("api_cases.case", case_id=case.id)
    return response


@bp.route("/cases/<int:case_id>", methods=["PATCH"])
@bp.arguments(CaseInput(), location="json", error_status_code=400)
@bp.response(200, schemas.CaseDetail)
@_writes
@_limited
def update_case(data, case_id: int):
    """修改案例

    只修改给出的字段。与网站相同：审核中和已归档的案例不能修改；已提交和已发布的案例修改时保留修改前的版本。"""
    token = _token()
    case = tokens.case_for(token, case_id, write=True)
    cases.update_case(token.user, case, _data(case, data))
    db.session.commit()
    return _answer(case)


@bp.route("/cases/<int:case_id>/attachments", methods=["POST"])
@bp.response(201, schemas.AttachmentMeta)
@bp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}})
@_writes
@_limited
def upload(case_id: int):
    """上传附件

    multipart/form-data 的 file 字段；与网站相同的大小和内容检查（PDF、Word、Excel、PowerPoint、JPG、PNG）。"""
    from portal.errors import ValidationError

    token = _token()
    case = tokens.case_for(token, case_id, write=True)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError(str(_l("请在 file 字段上传一个文件。")), "file")
    attachment = cases.add_attachment(token.user, case, upload.filename, upload.read())
    db.session.commit()
    body = {"id": attachment.id, "name": attachment.original_name, "kind": attachment.kind, "size": attachment.size,
            "url": external_url("cases.download", case_id=case.id, attachment_id=attachment.id)}
    response = jsonify(schemas.AttachmentMeta().dump(body))
    response.status_code = 201
    return response


@bp.route("/cases/<int:case_id>/privacy-check", methods=["POST"])
@bp.response(200, PrivacyReport)
@_writes
@_limited
def privacy_check(case_id: int):
    """隐私检查

    列出正文中的身份证号、手机号、邮箱、银行卡号等（提交前须处理），以及提交前还缺的部分。"""
    token = _token()
    case = tokens.case_for(token, case_id, write=True)
    findings = [{"kind": f.kind, "field": f.field, "masked": f.masked, "context": f.context}
                for f in cases.privacy_findings(case)]
    return jsonify(PrivacyReport().dump({"findings": findings, "missing": cases.missing_parts(case)}))


@bp.route("/cases/<int:case_id>/submit", methods=["POST"])
@bp.response(200, schemas.CaseDetail)
@_writes
@_limited
def submit(case_id: int):
    """提交审核

    与网站相同：必填部分齐全、隐私检查的发现都已处理后，草稿（或退回修改的案例）提交给审核人。"""
    token = _token()
    case = tokens.case_for(token, case_id)
    cases.transition(token.user, case, "submit")
    db.session.commit()
    return _answer(case)



