"""Forms for expert comments, unit responses, expert profiles and the rubric.

Values are checked by portal.reviews.services (Chinese messages next to the field); the forms
only carry the input and the CSRF token."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from portal.auth.forms import ReviewerProfileForm
from portal.cases.forms import CheckboxList
from portal.editor.fields import MarkdownField
from portal.forms import required
from portal.reviews import services


def _optional_int(value):
    """"" (not chosen) -> None; otherwise an int (the service checks it)."""
    if value in (None, "", "None", "0", 0):
        return None
    return int(value)


SCORE_CHOICES = [SelectChoice("", _l("不评分"))] + [SelectChoice(str(n), str(n)) for n in range(1, 6)]


class ExpertCommentForm(FlaskForm):
    body = MarkdownField(_l("点评内容"), render_kw={"rows": 10},
                         description=_l("支持 Markdown，最多 5000 字。点评公开显示，并署您的姓名和职称。"))
    declaration = RadioField(
        _l("利益关联声明"), validate_choice=False,
        choices=[SelectChoice(services.NO_CONFLICT, _l("无利益关联：我与发布单位没有任职、合作、资助或亲属等关联")),
                 SelectChoice(services.HAS_CONFLICT, _l("有关联（请在下方说明）"))])
    conflict_note = StringField(_l("关联说明"), description=_l("选择“有关联”时必填，会与点评一起公开显示。"),
                                render_kw={"maxlength": services.MAX_NOTE})
    # Optional: the sharing session in which the comment was given (choices: the sessions that
    # presented the case, listed by the template; checked by the service).
    session_id = SelectField(_l("在哪场分享会上给出"), coerce=_optional_int, validate_choice=False, default=None,
                             description=_l("选填。如果这条点评是在分享会上针对该案例的分享给出的，请选择那一场。"))

    score_fields: list = []

    def data_for_service(self) -> "services.CommentData":
        return services.CommentData(
            body=self.body.data or "", declaration=self.declaration.data or "",
            conflict_note=self.conflict_note.data or "", session_id=self.session_id.data,
            scores={dimension.id: f.data or "" for dimension, f in self.score_fields})


def expert_comment_form(dimensions, *args, **kwargs) -> ExpertCommentForm:
    """The comment form with one 1-5 score field per active rubric dimension (built per request,
    since admins configure the dimensions)."""

    class _Form(ExpertCommentForm):
        pass

    for dimension in dimensions:
        setattr(_Form, f"score_{dimension.id}",
                SelectField(dimension.name, choices=SCORE_CHOICES, validate_choice=False, default="",
                            description=dimension.description or None))
    kwargs.setdefault("prefix", "expert")
    form = _Form(*args, **kwargs)
    form.score_fields = [(d, form[f"score_{d.id}"]) for d in dimensions]
    return form


class ResponseForm(FlaskForm):
    body = MarkdownField(_l("单位回应"), render_kw={"rows": 4},
                         description=_l("每条点评只能回应一次，回应公开显示在点评下方。支持 Markdown。"))


class DeleteCommentForm(FlaskForm):
    reason = StringField(_l("删除原因"), validators=[Length(max=300)])


class ExpertProfileForm(ReviewerProfileForm):
    themes = CheckboxList(_l("专长主题"), coerce=int, description=_l("与案例主题对应，用于专家库按主题筛选。"))
    photo = FileField(_l("照片"), description=_l("PNG 或 JPEG，不超过 2 MB。"))
    remove_photo = BooleanField(_l("删除现有照片"))


class DimensionForm(FlaskForm):
    name = StringField(_l("维度名称"), validators=[required(), Length(max=services.MAX_DIMENSION_NAME)])
    description = StringField(_l("说明"), validators=[Length(max=200)])
