"""The adoption report form (借鉴反馈)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from portal.adoptions.models import AdoptionKind
from portal.editor.fields import MarkdownField
from portal.forms import required


class AdoptionForm(FlaskForm):
    # The service checks the unit (with a Chinese message), not WTForms.
    org_id = SelectField(_l("借鉴单位"), coerce=int, validators=[Optional()], validate_choice=False)
    kind = RadioField(_l("借鉴方式"), choices=[SelectChoice(AdoptionKind.ADOPTED.value, _l("直接借鉴")),
                                              SelectChoice(AdoptionKind.ADAPTED.value, _l("改造后借鉴"))],
                      default=AdoptionKind.ADOPTED.value, validators=[required(_l("请选择借鉴方式。"))])
    place = StringField(_l("借鉴地点"), validators=[
        required(_l("请填写借鉴的地点（社区或区县）。")), Length(max=100, message=_l("地点不能超过 100 个字符。"))],
        description=_l("例如：遵义市红花岗区老城街道。"))
    changes = MarkdownField(_l("做了哪些调整"), validators=[Length(max=5000, message=_l("不能超过 5000 个字符。"))],
                            description=_l("结合本地情况改了什么、为什么。改造后借鉴必填。支持 Markdown。"))
    results = MarkdownField(_l("目前的效果"), validators=[Length(max=5000, message=_l("不能超过 5000 个字符。"))],
                            description=_l("已经取得的变化或遇到的困难，尽量用数据说明。支持 Markdown。"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.org_id.choices = [SelectChoice(o.id, o.name) for o in units]
