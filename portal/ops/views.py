"""``/healthz`` and ``/readyz`` for load balancers, orchestration and monitoring."""
from flask import Blueprint, jsonify

from portal.extensions import limiter
from portal.ops import services

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """The process is up and answers; touches nothing else (restart it if this fails)."""
    return jsonify(status="ok")


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """Each dependency: database (and its schema revision), rate-limit storage, search index,
    disk space, mail. 200 when all work, 503 when one does not (take the instance out of rotation)."""
    ready, checks = services.readiness()
    response = jsonify(status="ok" if ready else "unavailable", checks={c.name: c.as_dict() for c in checks})
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503

