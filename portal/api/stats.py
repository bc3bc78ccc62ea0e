"""/api/v1/stats: the figures of the statistics page, which draws its charts from this."""
from __future__ import annotations

from flask import jsonify
from marshmallow import Schema, fields

from portal.api.common import blueprint, documented
from portal.stats import services

bp = blueprint("api_stats", "统计：各省、各主题、各年份的案例数，分享会参会情况，借鉴与讨论最多的案例，专家活跃度。")


class Overview(Schema):
    cases = fields.Integer(required=True, metadata={"description": "已发布案例"})
    units = fields.Integer(required=True, metadata={"description": "已认证成员单位"})
    provinces = fields.Integer(required=True, metadata={"description": "单位和案例覆盖的省份"})
    sessions = fields.Integer(required=True, metadata={"description": "已举行的分享会"})
    participants = fields.Integer(required=True, metadata={"description": "参会人次（会后记录之和）"})


class ChartRow(Schema):
    label = fields.String(required=True)
    value = fields.Integer(required=True)
    map_name = fields.String(metadata={"description": "地图上的名称（仅省份）"})
    url = fields.String(allow_none=True, metadata={"description": "网站上这些案例的列表"})


class Chart(Schema):
    key = fields.String(required=True, metadata={"description": "provinces、themes、years、community_types、unit_types"})
    title = fields.String(required=True)
    label_title = fields.String(required=True)
    value_title = fields.String(required=True)
    total = fields.Integer(required=True)
    rows = fields.List(fields.Nested(ChartRow), required=True)


class SessionPoint(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    date = fields.Date(required=True, metadata={"description": "北京时间的日期"})
    participants = fields.Integer(allow_none=True)
    provinces = fields.Integer(allow_none=True)
    units = fields.Integer(allow_none=True)
    url = fields.String(required=True)


class RankedCase(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    value = fields.Integer(required=True)
    url = fields.String(required=True)


class DiscussedCase(RankedCase):
    expert_comments = fields.Integer(required=True)
    comments = fields.Integer(required=True, metadata={"description": "讨论区的公开留言"})


class ExpertActivity(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    value = fields.Integer(required=True, metadata={"description": "对已发布案例的点评数"})
    average_score = fields.Float(allow_none=True, metadata={"description": "给出的平均分"})
    url = fields.String(required=True)


class Stats(Schema):
    overview = fields.Nested(Overview, required=True)
    charts = fields.List(fields.Nested(Chart), required=True)
    sessions = fields.List(fields.Nested(SessionPoint), required=True, metadata={"description": "已举行的场次，按时间先后"})
    most_adopted = fields.List(fields.Nested(RankedCase), required=True, metadata={"description": "借鉴单位最多的案例"})
    most_discussed = fields.List(fields.Nested(DiscussedCase), required=True)
    experts = fields.List(fields.Nested(ExpertActivity), required=True)


@bp.route("/stats")
@bp.response(200, Stats)
@documented(bp)
def stats():
    """统计

    统计页面 /stats 的全部数据：概况、各图表的数据（与页面上的数据表相同）、已举行场次的参会情况、
    借鉴与讨论最多的案例、专家点评数。"""
    return jsonify(Stats().dump(services.report()))

