from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.cases.models import CommunityType
from portal.editor.fields import MarkdownField
from portal.forms import IntegerField, required
from portal.regions import province_choices


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _not_negative(form, field) -> None:
    # Skipped when the value did not parse: IntegerField already said "not a valid integer".
    if field.data is not None and field.data < 0:
        raise ValidationError(_l("不能为负数。"))


def split_tags(raw: str) -> list[str]:
    for sep in ("，", "、", "；", ";", "#", "＃"):
        raw = raw.replace(sep, ",")
    return [t.strip() for t in raw.split(",") if t.strip()]


class CaseForm(FlaskForm):
    org_id = SelectField(_l("发布单位"), coerce=int, validators=[Optional()])
    title = StringField(_l("标题"), validators=[required(), Length(max=120)])
    summary = TextAreaField(_l("摘要"), validators=[Length(max=300, message=_l("摘要不能超过 300 个字符。"))],
                            description=_l("不超过 300 字，概括案例的问题、做法和成效。"))
    background = MarkdownField(_l("背景"), validators=[Length(max=20000)],
                               description=_l("社区基本情况、面临的问题和居民需求。支持 Markdown。"))
    approach = MarkdownField(_l("做法"), validators=[Length(max=20000)],
                             description=_l("具体做了什么、怎么做的、谁参与。支持 Markdown。"))
    outcomes = MarkdownField(_l("成效"), validators=[Length(max=20000)],
                             description=_l("取得的变化，尽量用数据说明。支持 Markdown。"))
    lessons = MarkdownField(_l("经验启示"), validators=[Length(max=20000)],
                            description=_l("可供其他社区借鉴的经验。支持 Markdown。"))
    problems = MarkdownField(_l("问题与展望（选填）"), validators=[Length(max=20000)])
    # Names are checked by the service, which says in Chinese which theme is unknown or retired.
    themes = CheckboxList(_l("主题"), coerce=str, validate_choice=False)
    tags = StringField(_l("标签"), validators=[Length(max=400)], description=_l("用逗号或顿号分隔，最多 10 个。"))
    province = SelectField(_l("省级行政区"))
    city = StringField(_l("城市（地级）"), validators=[Length(max=50)])
    county = StringField(_l("区县"), validators=[Length(max=50)])
    community = StringField(_l("社区或村"), validators=[Length(max=100)])
    community_type = SelectField(_l("社区类型"))
    started_on = DateField(_l("开始日期"), validators=[Optional()], format="%Y-%m-%d")
    ended_on = DateField(_l("结束日期"), validators=[Optional()], format="%Y-%m-%d")
    partners = StringField(_l("合作方"), validators=[Length(max=300)])
    beneficiaries = IntegerField(_l("受益居民人数"), validators=[Optional(), _not_negative])
    funding_source = StringField(_l("资金来源"), validators=[Length(max=200)])
    contact = StringField(_l("联系方式（仅登录用户可见）"), validators=[Length(max=200)])

    def __init__(self, *args, themes=(), orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.themes.choices = [SelectChoice(t.name, t.name) for t in themes]
        self.org_id.choices = [SelectChoice(o.id, o.name) for o in orgs]
        blank = str(_l("请选择"))
        self.province.choices = province_choices(blank=blank)
        self.community_type.choices = [SelectChoice("", blank)] + [SelectChoice(t.value) for t in CommunityType]
        for name in ("started_on", "ended_on"):
            self[name].render_kw = {"type": "date"}

    def tag_list(self) -> list[str]:
        return split_tags(self.tags.data or "")


class TransitionForm(FlaskForm):
    reason = TextAreaField(_l("说明"), validators=[Length(max=5000)])


class UploadForm(FlaskForm):
    file = FileField(_l("选择文件"), validators=[FileRequired(_l("请选择要上传的文件。"))])


class ThemeForm(FlaskForm):
    name = StringField(_l("主题名称"), validators=[required(), Length(max=50)])
    description = StringField(_l("说明"), validators=[Length(max=300)])
