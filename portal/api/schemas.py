"""The API's response bodies, as marshmallow schemas: they serialise the answers and generate
their part of the OpenAPI document, so the documentation is the code that answers.

Times are Beijing time with their offset (2022-10-12T09:30:00+08:00); HTML fields hold the
sanitised HTML the site shows (the same bleach allow-list); URLs are absolute.
"""
from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import Schema, fields

from portal.api.common import page_of
from portal.timezones import SHANGHAI


class Time(fields.DateTime):
    """A stored time (naive UTC) as ISO 8601 in Beijing time."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI).isoformat()


def _text(description: str = "", **kwargs) -> fields.String:
    return fields.String(metadata={"description": description} if description else {}, **kwargs)


class ThemeRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class UnitRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    url = fields.String(required=True)


class ExpertRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    url = fields.String(allow_none=True, metadata={"description": "专家页面；不再担任专家时为 null"})


# Cases -----------------------------------------------------------------------------------------------

class CaseSummary(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "案例页面"})
    api_url = fields.String(required=True, metadata={"description": "本接口中的案例详情"})
    unit = fields.Nested(UnitRef, allow_none=True, metadata={"description": "发布单位；匿名评审时对评审专家隐去"})
    province = fields.String(required=True)
    city = fields.String(required=True)
    county = fields.String(required=True)
    community = fields.String(required=True)
    community_type = fields.String(required=True, metadata={"description": "城市社区、农村社区……"})
    themes = fields.List(fields.Nested(ThemeRef), required=True)
    year = fields.Integer(allow_none=True, metadata={"description": "实施年份"})
    featured = fields.Boolean(required=True)
    view_count = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "published；本单位成员和审核人还能看到其他状态"})
    published_at = Time(allow_none=True)


class Section(Schema):
    key = fields.String(required=True, metadata={"description": "background、approach、outcomes、lessons、problems"})
    title = fields.String(required=True)
    markdown = fields.String(required=True)
    html = fields.String(required=True)


class AttachmentMeta(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "pdf、docx、xlsx、pptx、jpg、png"})
    size = fields.Integer(required=True, metadata={"description": "字节"})
    url = fields.String(required=True)


class Score(Schema):
    dimension = fields.String(required=True)
    score = fields.Integer(required=True)


class Average(Schema):
    dimension = fields.String(required=True)
    average = fields.Float(required=True)
    count = fields.Integer(required=True, metadata={"description": "打分的专家人数（至少 2 人才给出平均分）"})


class UnitAnswer(Schema):
    unit = fields.Nested(UnitRef, required=True)
    html = fields.String(required=True)
    created_at = Time(required=True)


class CaseExpertComment(Schema):
    id = fields.Integer(required=True)
    expert = fields.Nested(ExpertRef, required=True)
    html = fields.String(required=True)
    scores = fields.List(fields.Nested(Score), required=True)
    has_conflict = fields.Boolean(required=True, metadata={"description": "专家声明与发布单位存在利益关联"})
    conflict_note = fields.String(required=True)
    created_at = Time(required=True)
    edited_at = Time(allow_none=True)
    response = fields.Nested(UnitAnswer, allow_none=True, metadata={"description": "单位的回应"})


class SessionRef(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    starts_at = Time(required=True)
    url = fields.String(required=True)


class CaseDetail(CaseSummary):
    sections = fields.List(fields.Nested(Section), required=True)
    started_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    beneficiaries = fields.Integer(allow_none=True, metadata={"description": "受益居民人数"})
    partners = fields.String(required=True)
    funding_source = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    updated_at = Time(required=True)
    attachments = fields.List(fields.Nested(AttachmentMeta), required=True)
    expert_comments = fields.List(fields.Nested(CaseExpertComment), required=True)
    expert_averages = fields.List(fields.Nested(Average), required=True)
    sessions = fields.List(fields.Nested(SessionRef), required=True, metadata={"description": "在哪些分享会上交流过"})
    adoption_count = fields.Integer(required=True, metadata={"description": "报告借鉴了本案例的单位数"})
    citation = fields.String(allow_none=True, metadata={"description": "GB/T 7714-2015 格式的引用（已发布案例）"})


CasePage = page_of(CaseSummary, "CasePage")


# Sessions and events -----------------------------------------------------------------------------------

class EventRef(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)


class SessionSummary(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)
    api_url = fields.String(required=True)
    event = fields.Nested(EventRef, allow_none=True)
    starts_at = Time(required=True)
    ends_at = Time(required=True)
    format = fields.String(required=True, metadata={"description": "online、offline、hybrid"})
    venue = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "planned、held、archived"})
    themes = fields.List(fields.Nested(ThemeRef), required=True)
    participants = fields.Integer(allow_none=True, metadata={"description": "参会人次（会后记录）"})
    provinces_count = fields.Integer(allow_none=True, metadata={"description": "覆盖省份数（会后记录）"})
    orgs_count = fields.Integer(allow_none=True)


class Speaker(Schema):
    role = fields.String(required=True, metadata={"description": "host、remarks、presenter、commentator、summary"})
    name = fields.String(required=True)
    affiliation = fields.String(required=True)
    expert = fields.Nested(ExpertRef, allow_none=True)


class CaseRef(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)


class AgendaEntry(Schema):
    position = fields.Integer(required=True, metadata={"description": "出场顺序，从 1 开始"})
    kind = fields.String(required=True, metadata={"description": "talk（致辞、报告）或 case（案例分享）"})
    title = fields.String(required=True)
    presenter = fields.String(required=True)
    unit = fields.Nested(UnitRef, allow_none=True)
    duration_minutes = fields.Integer(allow_none=True)
    starts_at = Time(allow_none=True, metadata={"description": "按前面各项时长推算"})
    case = fields.Nested(CaseRef, allow_none=True, metadata={"description": "分享的案例（访问者能看到时）"})


class Material(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    url = fields.String(required=True)


class SessionDetail(SessionSummary):
    host = fields.String(required=True)
    description_html = fields.String(required=True)
    minutes_html = fields.String(required=True, metadata={"description": "会议纪要 / 总结"})
    recording_url = fields.String(required=True)
    units = fields.List(fields.Nested(UnitRef), required=True, metadata={"description": "参与单位"})
    speakers = fields.List(fields.Nested(Speaker), required=True)
    agenda = fields.List(fields.Nested(AgendaEntry), required=True, metadata={"description": "议程（出场顺序）"})
    materials = fields.List(fields.Nested(Material), required=True)


SessionPage = page_of(SessionSummary, "SessionPage")


class EventSummary(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)
    api_url = fields.String(required=True)
    organizer = fields.String(required=True)
    co_organizers = fields.List(fields.String(), required=True)
    themes = fields.List(fields.Nested(ThemeRef), required=True)


class EventDetail(EventSummary):
    description_html = fields.String(required=True)
    sessions = fields.List(fields.Nested(SessionSummary), required=True, metadata={"description": "各阶段，按时间先后"})


EventPage = page_of(EventSummary, "EventPage")


# Directory -------------------------------------------------------------------------------------------

class UnitSummary(UnitRef):
    api_url = fields.String(required=True)
    org_type = fields.String(required=True)
    province = fields.String(required=True)
    city = fields.String(required=True)


class UnitDetail(UnitSummary):
    introduction_html = fields.String(required=True)
    published_cases = fields.Integer(required=True)
    cases_api_url = fields.String(required=True, metadata={"description": "本单位已发布的案例"})


UnitPage = page_of(UnitSummary, "UnitPage")


class ExpertSummary(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    url = fields.String(required=True)
    api_url = fields.String(required=True)
    title = fields.String(required=True)
    affiliation = fields.String(required=True)
    expertise = fields.List(fields.String(), required=True)
    themes = fields.List(fields.Nested(ThemeRef), required=True)
    comment_count = fields.Integer(required=True, metadata={"description": "对已发布案例的点评数"})


class ExpertCommentByExpert(Schema):
    id = fields.Integer(required=True)
    case = fields.Nested(CaseRef, required=True)
    html = fields.String(required=True)
    created_at = Time(required=True)


class ExpertDetail(ExpertSummary):
    bio_html = fields.String(required=True)
    comments = fields.List(fields.Nested(ExpertCommentByExpert), required=True)


ExpertPage = page_of(ExpertSummary, "ExpertPage")


class ThemeSummary(ThemeRef):
    description = fields.String(required=True)
    retired = fields.Boolean(required=True, metadata={"description": "已停用的主题仍保留在旧案例上"})
    published_cases = fields.Integer(required=True)
    cases_api_url = fields.String(required=True)


class ThemeList(Schema):
    items = fields.List(fields.Nested(ThemeSummary), required=True)


class Health(Schema):
    status = fields.String(required=True)
