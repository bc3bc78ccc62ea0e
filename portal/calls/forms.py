"""Forms of calls for cases. The rules (deadline, eligibility, score range, quotas ...) are the
service's, whose Chinese messages are shown next to the field; forms carry input and CSRF."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from portal.calls import services
from portal.calls.models import SCORE_MAX, SCORE_MIN
from portal.cases.forms import CheckboxList
from portal.cases.models import SECTIONS
from portal.editor.fields import MarkdownField
from portal.forms import IntegerField, required
from portal.orgs.models import OrgType
from portal.regions import PROVINCES

DEFAULT_DIMENSIONS = "创新性 25\n实效性 35\n可推广性 25\n规范性 15"
DEFAULT_LEVELS = "一等奖 1\n二等奖 2\n三等奖 3\n优秀案例 10"


class CallForm(FlaskForm):
    title = StringField(_l("征集标题"), validators=[required(), Length(max=150)])
    description = MarkdownField(_l("征集说明"), render_kw={"rows": 8},
                                description=_l("征集的目的、范围和要求。支持 Markdown。"))
    opens_at = DateTimeLocalField(_l("开始时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                  validators=[required(_l("请填写开始时间。"))])
    closes_at = DateTimeLocalField(_l("截止时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                   validators=[required(_l("请填写截止时间。"))])
    review_due_on = DateField(_l("评审截止日期"), validators=[Optional()],
                              description=_l("专家完成评分的日期；到期前三天自动提醒。"))
    themes = CheckboxList(_l("征集主题"), coerce=int, validate_choice=False)
    org_types = CheckboxList(_l("限定单位类型"), validate_choice=False,
                             description=_l("都不选表示所有已认证的成员单位都可参加。"))
    provinces = SelectMultipleField(_l("限定地区"), validate_choice=False, render_kw={"size": 6},
                            description=_l("可多选；都不选表示不限地区。"))
    required_sections = CheckboxList(_l("额外必填的案例部分"), validate_choice=False,
                                     description=_l("背景、做法、成效、经验启示等本来就必须填写；这里可以再要求其他部分。"))
    min_attachments = IntegerField(_l("至少附件数"), default=0, validators=[Optional()])
    max_entries_per_unit = IntegerField(_l("每个单位最多提交"), default=1, validators=[Optional()])
    reviewers_per_entry = IntegerField(_l("每个案例的评审专家人数"), default=2, validators=[Optional()])
    blind = BooleanField(_l("盲评（专家看不到参评单位）"))
    disagreement = FloatField(_l("分歧阈值（分）"), default=3.0, validators=[Optional()],
                              description=_l("同一案例专家加权得分的最高与最低相差达到这个分数时，标记为需要复议。"))
    dimensions = TextAreaField(_l("评分维度和权重"), default=DEFAULT_DIMENSIONS, render_kw={"rows": 5},
                               description=_l("每行一项：名称 权重。每项由专家打 1–10 分，按权重加权平均。"))
    levels = TextAreaField(_l("奖项和名额"), default=DEFAULT_LEVELS, render_kw={"rows": 5},
                           description=_l("每行一项：奖项名称 名额，按等级从高到低排列。"))
    sessions = CheckboxList(_l("对接的分享会"), coerce=int, validate_choice=False,
                            description=_l("入围案例可以一步列入这些分享会的议程。"))

    def __init__(self, *args, themes=(), sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.themes.choices = [SelectChoice(t.id, t.name) for t in themes]
        self.org_types.choices = [SelectChoice(t.value, t.value) for t in OrgType]
        self.provinces.choices = [SelectChoice(p, p) for p in PROVINCES]
        self.required_sections.choices = [SelectChoice(k, _l(v)) for k, v in SECTIONS.items()]
        self.sessions.choices = [SelectChoice(s.id, s.title) for s in sessions]

    def data_for_service(self) -> services.CallData:
        return services.CallData(
            title=self.title.data or "", description=self.description.data or "",
            opens_at=self.opens_at.data, closes_at=self.closes_at.data, review_due_on=self.review_due_on.data,
            theme_ids=list(self.themes.data or []), org_types=list(self.org_types.data or []),
            provinces=list(self.provinces.data or []), required_sections=list(self.required_sections.data or []),
            min_attachments=self.min_attachments.data if self.min_attachments.data is not None else 0,
            max_entries_per_unit=self.max_entries_per_unit.data,
            reviewers_per_entry=self.reviewers_per_entry.data, blind=bool(self.blind.data),
            disagreement=self.disagreement.data, dimensions=self.dimensions.data or "",
            levels=self.levels.data or "", session_ids=list(self.sessions.data or []))


class EntryForm(FlaskForm):
    # Not "required" (a select always has a choice); the service says so when none is chosen.
    case_id = SelectField(_l("参评案例"), coerce=int, validate_choice=False, validators=[Optional()])
    presenter = StringField(_l("拟分享人"), validators=[Length(max=100)],
                            description=_l("入围后在分享会上介绍案例的人，可以以后再定。"))

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.case_id.choices = [SelectChoice(c.id, f"{c.title}（{c.org.name}）") for c in cases]


class ReplaceForm(FlaskForm):
    case_id = SelectField(_l("换成"), coerce=int, validate_choice=False, validators=[required(_l("请选择案例。"))])


class AssignForm(FlaskForm):
    reviewer_id = SelectField(_l("专家"), coerce=int, validate_choice=False,
                              validators=[required(_l("请选择专家。"))])


class DecisionForm(FlaskForm):
    shortlisted = BooleanField(_l("入围"))
    level_id = SelectField(_l("奖项"), coerce=int, validate_choice=False)
    reason = StringField(_l("理由"), validators=[Length(max=1000)])


class SessionPickForm(FlaskForm):
    session_id = SelectField(_l("分享会"), coerce=int, validate_choice=False,
                             validators=[required(_l("请选择分享会。"))])


class PublishForm(FlaskForm):
    override = TextAreaField(_l("评分未齐仍要公布的理由"), validators=[Length(max=1000)], render_kw={"rows": 2})


class ConflictForm(FlaskForm):
    note = StringField(_l("利益关系说明"), validators=[Length(max=300)])


def score_form(call, assignment=None):
    """A form with one ``score_<dimension id>`` field per dimension of the call, and the note."""

    class ScoreForm(FlaskForm):
        note = TextAreaField(_l("评审意见（仅管理员可见）"), validators=[Length(max=2000)], render_kw={"rows": 4})

        def scores(self) -> dict[int, object]:
            return {d.id: self[f"score_{d.id}"].data for d in call.dimensions}

        def score_fields(self):
            return [(d, self[f"score_{d.id}"]) for d in call.dimensions]

    for d in call.dimensions:
        # A text box with a number keyboard: the service gives the message for anything outside 1-10.
        setattr(ScoreForm, f"score_{d.id}", StringField(
            d.name, render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "size": 3},
            description=_l("权重 %(w)d，%(low)d–%(high)d 分", w=d.weight, low=SCORE_MIN, high=SCORE_MAX)))
    data = {}
    if assignment is not None:
        data = {f"score_{s.dimension_id}": str(s.score) for s in assignment.scores}
        data["note"] = assignment.note
    return ScoreForm(data=data)
