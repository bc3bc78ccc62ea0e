"""Forms of the session archive's admin pages. Business rules (end before start, capacity,
offsets, published cases ...) are checked by portal.sessions.services, whose Chinese messages
are shown next to the field; the forms carry the input, parse types and the CSRF token."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from portal.cases.forms import CheckboxList
from portal.editor.fields import MarkdownField
from portal.forms import IntegerField, required
from portal.sessions import services
from portal.sessions.models import AgendaKind, MaterialKind, SessionFormat, SpeakerRole


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(key), _l(label)) for key, label in labels.items()]


class EventForm(FlaskForm):
    title = StringField(_l("活动名称"), validators=[required(), Length(max=150)])
    organizer = StringField(_l("主办单位"), validators=[Length(max=200)])
    co_organizers = TextAreaField(_l("协办单位"), validators=[Length(max=500)], render_kw={"rows": 3},
                                  description=_l("每行一个单位。"))
    description = MarkdownField(_l("活动介绍"), render_kw={"rows": 8}, description=_l("支持 Markdown。"))
    themes = CheckboxList(_l("主题"), coerce=int, validate_choice=False)

    def data_for_service(self) -> services.EventData:
        return services.EventData(title=self.title.data or "", organizer=self.organizer.data or "",
                                  co_organizers=self.co_organizers.data or "",
                                  description=self.description.data or "", theme_ids=list(self.themes.data or []))


class SeriesForm(FlaskForm):
    title = StringField(_l("系列名称"), validators=[required(), Length(max=150)])
    description = MarkdownField(_l("系列介绍"), render_kw={"rows": 5}, description=_l("支持 Markdown。"))

    def data_for_service(self) -> services.SeriesData:
        return services.SeriesData(title=self.title.data or "", description=self.description.data or "")


class SessionForm(FlaskForm):
    title = StringField(_l("标题"), validators=[required(), Length(max=150)])
    event_id = SelectField(_l("所属活动"), coerce=int, validate_choice=False,
                           description=_l("活动的一个阶段请选择活动；系列中的一期请选择系列；两者都不选即为单场。"))
    series_id = SelectField(_l("所属系列"), coerce=int, validate_choice=False)
    series_number = IntegerField(_l("期数"), validators=[Optional()],
                                 description=_l("留空则自动取该系列的下一期。"))
    starts_at = DateTimeLocalField(_l("开始时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                   validators=[required(_l("请填写开始时间。"))])
    ends_at = DateTimeLocalField(_l("结束时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                 validators=[required(_l("请填写结束时间。"))])
    format = SelectField(_l("形式"), choices=_choices(services.FORMAT_LABELS), default=SessionFormat.ONLINE.value)
    venue = StringField(_l("平台或地点"), validators=[Length(max=200)],
                        description=_l("线上写会议平台（如腾讯会议），线下写地址。"))
    host = StringField(_l("主持人"), validators=[Length(max=100)])
    capacity = IntegerField(_l("容量（人）"), validators=[Optional()], description=_l("留空表示不限人数。"))
    registration_open = BooleanField(_l("开放报名"), default=True)
    themes = CheckboxList(_l("主题"), coerce=int, validate_choice=False)
    description = MarkdownField(_l("介绍"), render_kw={"rows": 8}, description=_l("支持 Markdown。"))

    def __init__(self, *args, events=(), series=(), themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.event_id.choices = [SelectChoice(0, _l("不属于活动"))] + [SelectChoice(e.id, e.title) for e in events]
        self.series_id.choices = [SelectChoice(0, _l("不属于系列"))] + [SelectChoice(s.id, s.title) for s in series]
        self.themes.choices = [SelectChoice(t.id, t.name) for t in themes]

    def data_for_service(self) -> services.SessionData:
        return services.SessionData(
            title=self.title.data or "", starts_at=services.shanghai_to_utc(self.starts_at.data),
            ends_at=services.shanghai_to_utc(self.ends_at.data), format=self.format.data or "",
            venue=self.venue.data or "", host=self.host.data or "", description=self.description.data or "",
            event_id=self.event_id.data or None, series_id=self.series_id.data or None,
            series_number=self.series_number.data, capacity=self.capacity.data,
            registration_open=bool(self.registration_open.data), theme_ids=list(self.themes.data or []))


class SpeakerForm(FlaskForm):
    role = SelectField(_l("角色"), choices=_choices(services.ROLE_LABELS), validate_choice=False)
    name = StringField(_l("姓名"), validators=[Length(max=100)],
                       description=_l("关联专家时可留空，自动使用专家姓名。"))
    affiliation = StringField(_l("单位或职务"), validators=[Length(max=200)])
    user_id = SelectField(_l("关联专家库"), coerce=int, validate_choice=False,
                          description=_l("关联后姓名会链接到专家主页。"))

    def __init__(self, *args, experts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [SelectChoice(0, _l("不关联"))] + [
            SelectChoice(u.id, f"{u.display_name}（{u.reviewer_profile.affiliation}）"
                         if u.reviewer_profile and u.reviewer_profile.affiliation else u.display_name)
            for u in experts]

    def data_for_service(self) -> services.SpeakerData:
        return services.SpeakerData(role=self.role.data or "", name=self.name.data or "",
                                    affiliation=self.affiliation.data or "", user_id=self.user_id.data or None)


class OrgsForm(FlaskForm):
    org_ids = CheckboxList(_l("参会单位"), coerce=int, validate_choice=False)

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.org_ids.choices = [SelectChoice(o.id, o.name) for o in orgs]


class AgendaForm(FlaskForm):
    kind = SelectField(_l("类型"), choices=_choices(services.AGENDA_KIND_LABELS), validate_choice=False)
    case_id = StringField(_l("案例编号或链接"), validators=[Length(max=300)],
                           description=_l("案例分享必填：已发布案例的编号或案例页链接（如 /cases/12）。标题和分享单位留空时自动取自案例。"))
    title = StringField(_l("标题"), validators=[Length(max=150)])
    org_id = SelectField(_l("分享单位"), coerce=int, validate_choice=False)
    presenter = StringField(_l("分享人"), validators=[Length(max=100)])
    duration_minutes = IntegerField(_l("计划时长（分钟）"), validators=[Optional()])
    recording_offset = StringField(_l("录像时间点"), validators=[Length(max=12)],
                                   description=_l("选填，该项在录像中开始的时间，如 12:30 或 1:05:00。"))
    notes = StringField(_l("备注"), validators=[Length(max=2000)])

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.org_id.choices = [SelectChoice(0, _l("无（或取自案例）"))] + [SelectChoice(o.id, o.name) for o in orgs]

    def data_for_service(self) -> services.AgendaData:
        case_id = services.case_from_reference(self.case_id.data or "") if self.kind.data == AgendaKind.CASE else None
        return services.AgendaData(
            kind=self.kind.data or "", title=self.title.data or "", case_id=case_id, org_id=self.org_id.data or None,
            presenter=self.presenter.data or "", duration_minutes=self.duration_minutes.data,
            recording_offset=self.recording_offset.data or "", notes=self.notes.data or "")


class PositionForm(FlaskForm):
    position = IntegerField(_l("移到第几项"), validators=[required()])


class MaterialForm(FlaskForm):
    # Own ids: the management page also shows the agenda form, whose fields are named kind and title too.
    kind = SelectField(_l("资料类型"), choices=_choices(services.MATERIAL_LABELS), validate_choice=False, id="material-kind")
    title = StringField(_l("资料名称"), validators=[Length(max=150)], description=_l("上传文件时可留空，使用文件名。"),
                        id="material-title")
    file = FileField(_l("文件"), description=_l("演示文稿和文档接受 PDF、Word、Excel、PowerPoint；照片接受 PNG、JPEG。"))
    url = StringField(_l("链接地址"), validators=[Length(max=500)], description=_l("资料类型为“链接”时填写。"))
    members_only = BooleanField(_l("仅成员可见"),
                                description=_l("勾选后只有成员单位的成员、点评专家和平台管理员可以查看。"))


class RecordForm(FlaskForm):
    """Closing a session, and correcting its archive record later."""

    minutes = MarkdownField(_l("会议纪要"), render_kw={"rows": 12}, description=_l("支持 Markdown。"))
    participants = IntegerField(_l("参会人数"), validators=[Optional()])
    provinces_count = IntegerField(_l("覆盖省份数"), validators=[Optional()])
    orgs_count = IntegerField(_l("参会单位数"), validators=[Optional()])
    recording_url = StringField(_l("录像链接"), validators=[Length(max=500)])

    def data_for_service(self) -> services.RecordData:
        return services.RecordData(minutes=self.minutes.data or "", participants=self.participants.data,
                                   provinces_count=self.provinces_count.data, orgs_count=self.orgs_count.data,
                                   recording_url=self.recording_url.data or "")


__all__ = ["AgendaForm", "EventForm", "MaterialForm", "MaterialKind", "OrgsForm", "PositionForm", "RecordForm",
           "SeriesForm", "SessionForm", "SpeakerForm", "SpeakerRole"]
