from flask import Blueprint, jsonify, render_template, request, url_for

from portal.search import service, suggestions
from portal.search.parsing import parse, printable
from portal.sessions.search import find_sessions

bp = Blueprint("search", __name__)


@bp.route("/search")
def search_page():
    error = None
    try:
        params = service.read_params(request.args)
        result = service.search(**params)
    except service.QueryError as exc:
        error = str(exc)
        params = {"q": request.args.get("q", ""), "filters": {}, "sort": "relevance", "page": 1, "per_page": 10}
        result = service.search(q=params["q"][:200])
    popular = [] if result.total or result.partial else service.facets().get("theme", [])[:10]
    parsed = parse(params["q"])
    # What the page echoes (box, title, links): without the control characters the search ignored
    # (a NUL showed as "�"); a query with nothing to search lists every case, and says so.
    params = {**params, "q": printable(params["q"])}
    searched = bool(params["q"]) and not (parsed.empty and not parsed.excluded)
    # The PDF of what the page lists: the query and its filters (filter_<facet>: theme= names a theme)
    compile_url = url_for("compilations.build", q=params["q"],
                          **{f"filter_{name}": value for name, value in params["filters"].items()})
    # Sessions match the words only: with the cases narrowed by a theme, place or year they would
    # not follow, and they pushed the few cases found below the fold on a phone.
    hide_sessions = error or params["page"] > 1 or params["filters"]
    sessions, sessions_total = ([], 0) if hide_sessions else find_sessions(params["q"])
    return render_template("search/results.html", result=result, params=params, facets=service.FACETS, error=error,
                           popular=popular, sessions=sessions, sessions_total=sessions_total, searched=searched,
                           compile_url=compile_url, query_words=len(parsed.groups)), 400 if error else 200


@bp.route("/search/suggest")
def suggest():
    """Type-ahead: themes open the search filtered by theme, published cases their case page,
    verified units their public page. Each item: type, label, url."""
    found = suggestions.find(request.args.get("q", ""))
    out = [{"type": "theme", "label": t, "url": url_for(".search_page", theme=t)} for t in found.themes]
    out += [{"type": "case", "label": title, "url": url_for("cases.show", case_id=case_id)} for case_id, title in found.cases]
    out += [{"type": "organization", "label": name, "url": url_for("orgs.show", org_id=org_id)} for org_id, name in found.orgs]
    return jsonify(suggestions=out)
