"""/stats and its CSV downloads. The page shows every figure as a table (the page works and
reads without JavaScript); static/js/stats.js draws the charts from /api/v1/stats."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _

from portal.exports.tables import Table, to_csv
from portal.security import CSP
from portal.stats import services

bp = Blueprint("stats", __name__)

#: ECharts writes style attributes in its tooltips: this page allows inline styles (not scripts).
STATS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


@bp.route("/stats")
def index():
    response = Response(render_template("stats/index.html", report=services.report()))
    response.headers["Content-Security-Policy"] = STATS_CSP
    return response


def _tables(report: dict) -> dict[str, Table]:
    tables = {chart["key"]: Table(chart["title"], [chart["label_title"], chart["value_title"]],
                                  [[row["label"], row["value"]] for row in chart["rows"]]) for chart in report["charts"]}
    tables["sessions"] = Table(_("分享会参会情况"), [_("日期"), _("分享会"), _("参会人次"), _("覆盖省份"), _("参会单位")],
                               [[s["date"], s["title"], s["participants"], s["provinces"], s["units"]]
                                for s in report["sessions"]])
    tables["most_adopted"] = Table(_("借鉴最多的案例"), [_("案例"), _("借鉴单位数"), _("链接")],
                                   [[r["title"], r["value"], r["url"]] for r in report["most_adopted"]])
    tables["most_discussed"] = Table(_("讨论最多的案例"), [_("案例"), _("专家点评"), _("讨论留言"), _("链接")],
                                     [[r["title"], r["expert_comments"], r["comments"], r["url"]]
                                      for r in report["most_discussed"]])
    tables["experts"] = Table(_("专家点评"), [_("专家"), _("点评数"), _("平均给分")],
                              [[e["name"], e["value"], e["average_score"]] for e in report["experts"]])
    return tables


@bp.route("/stats/<key>.csv")
def csv(key: str):
    table = _tables(services.report()).get(key)
    if table is None:
        abort(404)
    response = Response(to_csv(table), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="stats-{key}.csv"'
    return response
