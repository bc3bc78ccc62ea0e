"""Domain exceptions raised by services, and the Chinese error pages / JSON errors."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException


class ServiceError(Exception):
    """Base for errors a service raises; the message is shown to the user."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(ServiceError):
    """A business rule refused the change (nothing was saved)."""


class PermissionDenied(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


MESSAGES = {
    400: _l("请求有误，服务器无法处理。请检查后重试。"),
    403: _l("您没有权限执行此操作。"),
    404: _l("页面不存在，或您没有查看它的权限。"),
    405: _l("不支持该请求方式。"),
    413: _l("上传的文件过大。"),
    429: _l("操作过于频繁，请稍后再试。"),
    500: _l("服务器出现意外错误，我们已记录该问题。请稍后再试。"),
    503: _l("数据库暂时无法连接，网站暂停服务。请稍后再试，您已保存的内容不会丢失。"),
}
TITLES = {
    400: _l("请求无效"),
    403: _l("无权访问"),
    404: _l("未找到"),
    405: _l("方法不允许"),
    413: _l("文件过大"),
    429: _l("请求过于频繁"),
    500: _l("服务器错误"),
    503: _l("服务暂不可用"),
}


def wants_json() -> bool:
    """JSON under /api/, and for scripts that ask for it (the Markdown editor's preview)."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(code: int, message: str | None = None, fields: dict[str, list[str]] | None = None):
    message = str(message or MESSAGES.get(code, MESSAGES[500]))
    if wants_json():
        body = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        return jsonify(error=body), code
    title = str(TITLES.get(code, TITLES[500]))
    try:
        return render_template("errors/error.html", code=code, title=title, message=message), code
    except Exception:  # the layout needs the database (the signed-in user) or the session
        current_app.logger.exception("error page for %s could not be rendered; sending the plain one", code)
        return _plain_error_page(code, title, message), code


def _plain_error_page(code: int, title: str, message: str) -> str:
    """The error page with nothing behind it: no template, no database, no session."""
    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<h1>{code} {escape(title)}</h1><p>{escape(message)}</p><p><a href="/">返回首页</a></p></html>')


#: marshmallow's and webargs' own English wording, for the messages our fields do not set
_LIBRARY_MESSAGES = {
    "Unknown field.": _l("未知的字段。"),
    "Missing data for required field.": _l("缺少这个必填字段。"),
    "Field may not be null.": _l("不能为 null。"),
    "Invalid input type.": _l("请求体须为 JSON 对象。"),
    "Not a valid list.": _l("须为数组。"),
    "Not a valid string.": _l("须为文本。"),
    "Invalid JSON body.": _l("请求体不是有效的 JSON。"),
}


def _field_messages(messages: dict) -> dict[str, list[str]]:
    """{location: {field: [reason]}} from webargs as {field: [reason]}; nested fields joined by dots."""
    out: dict[str, list[str]] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, (list, tuple)):
            for reason in value:
                walk(reason, path) if isinstance(reason, (dict, list, tuple)) else add(path, reason)
        else:
            add(path, value)

    def add(path: str, reason) -> None:
        reason = str(reason)
        out.setdefault(path or "json", []).append(str(_LIBRARY_MESSAGES.get(reason, reason)))

    for location_messages in messages.values():
        walk(location_messages, "")
    return out or {"": [str(MESSAGES[400])]}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, _l("表单已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。"))

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        return error_response(exc.status_code, exc.message, {exc.field: [exc.message]} if exc.field else None)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        messages = (getattr(exc, "data", None) or {}).get("messages")
        if messages:  # invalid API parameters (webargs, through flask-smorest): each field's reasons
            fields = _field_messages(messages)
            message = "；".join(reasons[0] if name in reasons[0] else f"{name}：{reasons[0]}"
                               for name, reasons in fields.items())
            return error_response(code, message, fields)
        # Keep our own Chinese text unless the view passed a description of its own to abort().
        # (Flask-Limiter puts the English limit text there; the Chinese message is clearer.)
        custom = exc.description if exc.description != type(exc).description and code != 429 else None
        return error_response(code, custom)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc):
        """The database cannot be reached (or is locked): a clear 503, and loud in the log."""
        from portal.extensions import db

        app.logger.error("database unavailable on %s: %s", request.path, exc.orig if hasattr(exc, "orig") else exc)
        try:
            db.session.rollback()
        except Exception:
            pass
        response, code = error_response(503)
        if not hasattr(response, "headers"):
            response = make_response(response, code)
        response.headers["Retry-After"] = "30"
        return response, code

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("Unhandled error on %s", request.path)
        from portal.extensions import db

        try:  # a failed statement leaves the transaction unusable for the error page's own queries
            db.session.rollback()
        except Exception:
            app.logger.exception("rollback after an unhandled error failed")
        return error_response(500)
