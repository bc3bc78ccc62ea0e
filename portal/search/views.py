from flask import Blueprint, jsonify, render_template, request, url_for
from sqlalchemy import select

from portal.cases.models import Case, CaseStatus, Theme
from portal.extensions import db
from portal.orgs.models import Organization, OrgStatus
from portal.search import query
from portal.search.schema import FACETS
from portal.sessions.search import find_sessions

bp = Blueprint("search", __name__)


def read_params(args) -> dict:
    """Search parameters from a query string; raises QueryError for malformed numbers."""
    def number(name, default):
        raw = args.get(name, "")
        if raw == "":
            return default
        if not raw.isdecimal():  # not isdigit(): int() rejects "²" and "①"
            raise query.QueryError(f"参数 {name} 须为正整数")
        return int(raw[:6])

    return {
        "q": args.get("q", ""),
        "filters": {name: args.get(name, "").strip()[:60] for name in FACETS if args.get(name, "").strip()},
        "sort": args.get("sort", "relevance") or "relevance",
        "page": number("page", 1),
        "per_page": number("per_page", 10),
    }


@bp.route("/search")
def search_page():
    error = None
    try:
        params = read_params(request.args)
        result = query.search(**params)
    except query.QueryError as exc:
        error = str(exc)
        params = {"q": request.args.get("q", ""), "filters": {}, "sort": "relevance", "page": 1, "per_page": 10}
        result = query.search(q=params["q"][:200])
    popular = [] if result.total or result.partial else query.search().facets.get("theme", [])[:10]
    sessions, sessions_total = ([], 0) if error or params["page"] > 1 else find_sessions(params["q"])
    return render_template("search/results.html", result=result, params=params, facets=FACETS, error=error,
                           popular=popular, sessions=sessions, sessions_total=sessions_total), 400 if error else 200


@bp.route("/search/suggest")
def suggest():
    """Type-ahead: published case titles, themes and verified organizations containing the text."""
    text = request.args.get("q", "").strip()[:30]
    if not text:
        return jsonify(suggestions=[])
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    titles = db.session.scalars(select(Case.title).where(Case.status == CaseStatus.PUBLISHED, Case.title.like(like, escape="\\"))
                                .order_by(Case.published_at.desc()).limit(5))
    themes = db.session.scalars(select(Theme.name).where(Theme.retired.is_(False), Theme.name.like(like, escape="\\")).limit(3))
    orgs = db.session.scalars(select(Organization.name).where(Organization.status == OrgStatus.VERIFIED,
                                                             Organization.name.like(like, escape="\\")).limit(3))
    out = [{"type": "theme", "label": t, "url": url_for(".search_page", theme=t)} for t in themes]
    out += [{"type": "case", "label": t, "url": url_for(".search_page", q=f'"{t}"')} for t in titles]
    out += [{"type": "organization", "label": o, "url": url_for(".search_page", q=o)} for o in orgs]
    return jsonify(suggestions=out)
