"""Forms for case proposals (推荐案例到分享会) and their decline. Registration buttons use ActionForm."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.forms import required


class ProposalForm(FlaskForm):
    # The service checks the case (with a Chinese message), not WTForms.
    case_id = SelectField(_l("推荐的案例"), coerce=int, validators=[Optional()], validate_choice=False,
                          description=_l("只能推荐本单位已发布的案例。"))
    presenter = StringField(_l("分享人"), validators=[
        required(_l("请填写分享人姓名。")), Length(max=100, message=_l("分享人不能超过 100 个字符。"))],
        description=_l("在分享会上介绍案例的人，例如：王芳（项目主管）。"))
    note = TextAreaField(_l("推荐说明"), validators=[Length(max=2000, message=_l("推荐说明不能超过 2000 个字符。"))],
                         description=_l("为什么适合本场分享会、希望重点交流什么（选填）。"))

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.case_id.choices = [SelectChoice(c.id, f"{c.title}（{c.org.name}）") for c in cases]


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("婉拒原因"), validators=[
        required(_l("请填写婉拒的原因，推荐单位会看到这段说明。")),
        Length(max=1000, message=_l("原因不能超过 1000 个字符。"))])
