"""Forms of the discussion: a comment (or reply), a report, a moderator's decision."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from portal.editor.fields import MarkdownField
from portal.forms import IntegerField, required


class CommentForm(FlaskForm):
    body = MarkdownField(_l("评论内容"), validators=[
        required(_l("请填写评论内容。")), Length(max=2000, message=_l("评论不能超过 2000 个字符。"))],
        description=_l("支持 Markdown，不超过 2000 字。请友善交流，勿发布广告或个人隐私信息。"),
        id="discussion-body")  # unique on the case page, which holds other features' forms too
    parent_id = IntegerField(validators=[Optional()], widget=HiddenField.widget)


class ReportForm(FlaskForm):
    reason = TextAreaField(_l("举报原因"), validators=[
        required(_l("请填写举报原因。")), Length(max=300, message=_l("举报原因不能超过 300 个字符。"))],
        description=_l("例如：广告、人身攻击、泄露个人信息。不超过 300 字。"))


class ModerationForm(FlaskForm):
    action = HiddenField()
    reason = TextAreaField(_l("处理原因"), validators=[
        required(_l("请填写处理原因（会告知评论作者）。")), Length(max=300, message=_l("处理原因不能超过 300 个字符。"))])
