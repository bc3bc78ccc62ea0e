from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import Email, Length, Optional

from portal.editor.fields import MarkdownField
from portal.forms import email_field_validators, required
from portal.orgs import creditcode
from portal.orgs.models import OrgRole, OrgType
from portal.regions import province_choices


class OrgForm(FlaskForm):
    name = StringField(_l("单位名称"), validators=[required(), Length(max=100)])
    org_type = SelectField(_l("单位类型"), choices=[SelectChoice(t.value) for t in OrgType], validators=[required()])
    province = SelectField(_l("省级行政区"), validators=[required()])
    city = StringField(_l("城市"), validators=[required(), Length(max=50)])
    credit_code = StringField(_l("统一社会信用代码（选填）"), filters=[lambda v: creditcode.normalize(v) if v else v],
                              validators=[Optional(), Length(min=18, max=18, message=_l("统一社会信用代码应为 18 位。"))])
    contact_name = StringField(_l("联系人"), validators=[required(), Length(max=50)])
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=30)])
    contact_email = EmailField(_l("联系邮箱"), validators=[Optional(), Email(message=_l("请输入有效的邮箱地址。")), Length(max=254)])
    introduction = MarkdownField(_l("单位简介"), validators=[Optional(), Length(max=5000)],
                                 description=_l("支持 Markdown。介绍单位的服务领域、所在社区和参与社区治理的经验。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.province.choices = province_choices(blank=str(_l("请选择")))
        # A required <select> starts with an empty "please choose" option (HTML asks for one).
        self.org_type.choices = [SelectChoice("", str(_l("请选择"))), *self.org_type.choices]


def _role_choices():
    return [SelectChoice(OrgRole.EDITOR.value, _l("编辑")), SelectChoice(OrgRole.ADMIN.value, _l("管理员"))]


class InviteForm(FlaskForm):
    email = EmailField(_l("被邀请人邮箱"), validators=email_field_validators())
    role = SelectField(_l("角色"), choices=_role_choices())


class RoleForm(FlaskForm):
    role = SelectField(_l("角色"), choices=_role_choices())
