"""JSON API, version 1. Errors under /api/ are JSON: {"error": {"code", "message"}}."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from portal.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/health")
def health():
    """For load balancers and monitoring: the app answers and the database responds."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
