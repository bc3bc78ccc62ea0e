"""JSON API, version 1 (/api/v1), documented by OpenAPI 3.1 at /api/v1/openapi.json and a
readable page at /api/v1/docs.

The document is generated from the code that serves the API by flask-smorest (marshmallow
schemas for the parameters and the answers, apispec for the document): it is made for Flask,
keeps the app factory and blueprints, and documents only the blueprints registered with it.
Its default JSON error handler is not installed: portal.errors answers every error, as JSON
under /api/ (see portal.api.common).
"""
from __future__ import annotations

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api

from portal.api.common import ErrorSchema
from portal.urls import INT_MAX, DatabaseIntConverter

#: blueprint -> the name of its group of operations in the document
TAGS = {"api": "搜索与服务状态", "api_cases": "案例", "api_sessions": "分享会与活动", "api_directory": "单位、专家与主题",
        "api_stats": "统计", "api_write": "写入（需要令牌）"}


class _TagNames(BasePlugin):
    """Operations grouped under readable names (TAGS) instead of their blueprints' names."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if isinstance(operation, dict) and "tags" in operation:
                operation["tags"] = [TAGS.get(tag, tag) for tag in operation["tags"]]


class PortalApi(Api):
    """flask-smorest's Api, with two changes: no JSON error handler of its own (portal.errors
    answers errors), and the document is built when first read (/api/v1/openapi.json, `flask
    openapi`), not when the app is made: building it is a third of create_app(), which every
    worker and every test app pays, and few of them ever serve the document."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, app=None, **kwargs):
        self._pending: list[tuple] = []  # blueprints registered with the app, not yet documented
        self._spec = None
        super().__init__(app, **kwargs)

    @property
    def spec(self):
        pending, self._pending = self._pending, []
        for blp, name, parameters in pending:
            blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
            self._spec.tag({"name": TAGS.get(name, name), "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._pending.append((blp, name, parameters))

    def _register_error_handlers(self):
        """None: the site's handlers (portal.errors) already answer errors as JSON under /api/."""


DESCRIPTION = """社区治理案例共享平台的开放数据接口：案例库、分享会与活动、成员单位、点评专家、主题和全文搜索。

* 只读接口无需登录，任何网站都可以跨域读取（CORS）；能看到的内容与网站页面完全一致。
* 列表分页：`page`、`per_page`（最多 50），返回 `links`（first、prev、next、last）和同样内容的 `Link` 头。
* 每个回答带 `ETag`，带 `If-None-Match` 再次请求未变化的内容时返回 304；单个案例还带 `Last-Modified`。
* 错误为 JSON：`{"error": {"code": 400, "message": "…", "fields": {"参数名": ["…"]}}}`，说明为中文。
* 时间为北京时间（带 +08:00）；HTML 字段已按网站的白名单净化。
"""


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "社区治理案例共享平台 API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": DESCRIPTION},
        "servers": [{"url": "/", "description": "本站"}],
    })
    api = PortalApi(app, spec_kwargs={"extra_plugins": [_TagNames()]})  # one per app: built from its routes
    api.register_converter(DatabaseIntConverter, lambda converter: {"type": "integer", "minimum": 0,
                                                                    "maximum": INT_MAX})
    from portal.api import cases, directory, sessions, stats, token_views, views, write
    from portal.extensions import csrf

    api.spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer",
        "description": "成员单位的个人 API 令牌（账号页面 → API 令牌），只读或读写，限于一个单位"})
    for bp in (views.bp, cases.bp, sessions.bp, directory.bp, stats.bp, write.bp):
        api.register_blueprint(bp)
    # Writes authenticate by bearer token only (never by the session cookie): no CSRF token needed.
    csrf.exempt(write.bp)
    app.register_blueprint(token_views.bp)
