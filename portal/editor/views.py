"""The preview endpoint the editor's 预览 button calls (and the template helpers it needs)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from portal.editor import fields, services
from portal.extensions import limiter

bp = Blueprint("editor", __name__)
bp.add_app_template_global(fields.editor_attribute, "markdown_editor")
bp.add_app_template_global(fields.page_needs_editor, "markdown_editor_needed")


def _user_key() -> str:
    if current_user.is_authenticated:
        return f"preview-user:{current_user.id}"
    return get_remote_address()


@bp.route("/markdown/preview", methods=["POST"])
@limiter.limit(lambda: current_app.config["PREVIEW_RATE_LIMIT"], key_func=_user_key)
@login_required
def preview():
    """JSON ``{"html": ...}``: the text rendered and cleaned as on the page that will show it."""
    return jsonify(html=str(services.render_preview(request.form.get("text", ""))))
