"""社区治理案例共享平台 (Community Governance Case Exchange)."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as config_module


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: defaults, then instance/config.py, then PORTAL_* variables,
    then ``test_config`` (tests only)."""
    instance = Path(test_config["INSTANCE_DIR"]) if test_config and "INSTANCE_DIR" in test_config \
        else config_module.instance_dir()
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(config_module.defaults(instance))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    app.config.update(config_module.load_environment())
    if test_config is not None:
        app.config.update(test_config)
    config_module.finalize(app.config)
    instance.mkdir(parents=True, exist_ok=True)


    app.json.ensure_ascii = False  # readable Chinese in JSON responses
    from portal.urls import DatabaseIntConverter

    app.url_map.converters["int"] = DatabaseIntConverter  # before any route is added
    _init_extensions(app)
    _register_blueprints(app)

    from portal import cli, edge, errors, httpcache, mail, pagecache, search, security, templating
    from portal.cases import facets

    errors.register_error_handlers(app)
    edge.init_app(app)
    security.init_app(app)
    httpcache.init_app(app)
    pagecache.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    search.init_app(app)
    mail.init_app(app)
    facets.init_app(app)
    # Outermost: everything inside (the page cache's edge too) sees the visitor's own address.
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"])
    return app


def _init_extensions(app: Flask) -> None:
    from flask_babel import gettext

    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录后再继续。"
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from portal import prepared, sqlite

    sqlite.init_app(app)
    prepared.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        from portal.auth.services import user_for_cookie

        return user_for_cookie(user_id)


def _register_blueprints(app: Flask) -> None:
    from portal.admin.views import bp as admin_bp
    from portal.adoptions.views import bp as adoptions_bp
    from portal.auth.views import bp as auth_bp
    from portal.calls.views import bp as calls_bp
    from portal.cases.views import bp as cases_bp
    from portal.compilations.views import bp as compilations_bp
    from portal.discussion.views import bp as discussion_bp
    from portal.editor.views import bp as editor_bp
    from portal.exports.views import bp as exports_bp
    from portal.feeds.views import bp as feeds_bp
    from portal.main.views import bp as main_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.ops.views import bp as ops_bp
    from portal.orgs.views import bp as orgs_bp
    from portal.reviews.assignment_views import bp as assignments_bp
    from portal.reviews.views import bp as reviews_bp
    from portal.search.views import bp as search_bp
    from portal.sessions.participation_views import bp as participation_bp
    from portal.sessions.views import bp as sessions_bp
    from portal.stats.views import bp as stats_bp

    for bp in (main_bp, auth_bp, orgs_bp, cases_bp, search_bp, reviews_bp, assignments_bp, discussion_bp,
               adoptions_bp, notifications_bp, sessions_bp, participation_bp, admin_bp, editor_bp, ops_bp,
               feeds_bp, exports_bp, stats_bp, compilations_bp, calls_bp):
        app.register_blueprint(bp)

    from portal import api
    from portal.api.views import docs_bp
    from portal.compilations import builder

    builder.init_app(app)
    api.init_app(app)  # the JSON API's blueprints, with the OpenAPI document built from them
    app.register_blueprint(docs_bp)
