from flask import Blueprint, jsonify, render_template, request, url_for

from portal.search import query, suggestions
from portal.search.documents import FACETS
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
    """Type-ahead: themes open the search filtered by theme, published cases their case page,
    verified units their public page. Each item: type, label, url."""
    found = suggestions.find(request.args.get("q", ""))
    out = [{"type": "theme", "label": t, "url": url_for(".search_page", theme=t)} for t in found.themes]
    out += [{"type": "case", "label": title, "url": url_for("cases.show", case_id=case_id)} for case_id, title in found.cases]
    out += [{"type": "organization", "label": name, "url": url_for("orgs.show", org_id=org_id)} for org_id, name in found.orgs]
    return jsonify(suggestions=out)
