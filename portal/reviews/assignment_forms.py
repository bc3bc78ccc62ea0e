"""Forms for review assignments and internal reviews (the rules themselves are in the services)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Optional

from portal.editor.fields import MarkdownField
from portal.reviews.models import Recommendation


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


#: Labels of the recommendations (translated where they are shown).
RECOMMENDATION_LABELS = {
    Recommendation.PUBLISH: _l("建议发布"),
    Recommendation.RETURN: _l("建议退回修改"),
    Recommendation.REJECT: _l("建议不予发布"),
}


class AssignReviewerForm(FlaskForm):
    # The choice is checked by the service, which says in Chinese why a user cannot be assigned.
    reviewer_id = SelectField(_l("点评专家"), coerce=_int_or_none, validate_choice=False)
    due_on = DateField(_l("截止日期（选填）"), validators=[Optional()], format="%Y-%m-%d")
    hide_unit = BooleanField(_l("对专家隐藏单位名称"))
    hide_reviewer = BooleanField(_l("对单位隐藏专家姓名"))

    def __init__(self, *args, reviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reviewer_id.choices = [SelectChoice("", _l("请选择专家"))] + [
            SelectChoice(u.id, u.display_name + (f"（{u.reviewer_profile.title}）" if u.reviewer_profile.title else ""))
            for u in reviewers]


class InternalReviewForm(FlaskForm):
    recommendation = RadioField(_l("评审建议"), validate_choice=False,
                                choices=[SelectChoice(k.value, v) for k, v in RECOMMENDATION_LABELS.items()])
    # Required and maximum lengths are checked by the service (Chinese message next to the field).
    body = MarkdownField(_l("评审意见"),
                         description=_l("只有审核人和发布单位能看到。支持 Markdown。"))
    reasons = TextAreaField(_l("理由（建议退回或不予发布时必填）"),
                            description=_l("写明需要修改或不宜发布的具体原因。"))
