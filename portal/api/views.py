"""JSON API, version 1. Errors under /api/ are JSON: {"error": {"code", "message"}}."""
import time

from flask import Blueprint, current_app, jsonify, request, url_for
from sqlalchemy import text

from portal.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/health")
def health():
    """For load balancers and monitoring: the app answers and the database responds."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


@bp.route("/search")
def search():
    """Search published cases. Parameters: q, theme, province, year, community_type, org_type,
    session, sort (relevance|newest), page, per_page (<= 50)."""
    from portal.search import service

    _database_answers()
    try:
        result = service.search(**service.read_params(request.args))
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
