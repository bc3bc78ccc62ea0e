from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, Length

from portal.auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from portal.editor.fields import MarkdownField
from portal.forms import email_field_validators, required

_password_length = Length(
    min=MIN_PASSWORD_LENGTH,
    max=MAX_PASSWORD_LENGTH,
    message=_l("密码长度须为 %(min)d 到 %(max)d 个字符。", min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH),
)


class LoginForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=email_field_validators())
    password = PasswordField(_l("密码"), validators=[required()])
    remember = BooleanField(_l("记住我（30 天）"))


class RegisterForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=email_field_validators())
    display_name = StringField(_l("显示名称"), validators=[required(), Length(max=50)],
                               description=_l("其他用户看到的名字，例如“某某社工”。"))
    password = PasswordField(_l("密码"), validators=[required(), _password_length],
                             description=_l("至少 %(n)d 个字符。", n=MIN_PASSWORD_LENGTH))
    confirm = PasswordField(_l("确认密码"), validators=[required(), EqualTo("password", message=_l("两次输入的密码不一致。"))])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[required()])
    password = PasswordField(_l("新密码"), validators=[required(), _password_length])
    confirm = PasswordField(_l("确认新密码"), validators=[required(), EqualTo("password", message=_l("两次输入的密码不一致。"))])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("注册邮箱"), validators=email_field_validators())


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[required(), _password_length])
    confirm = PasswordField(_l("确认新密码"), validators=[required(), EqualTo("password", message=_l("两次输入的密码不一致。"))])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("显示名称"), validators=[required(), Length(max=50)])


class ReviewerProfileForm(FlaskForm):
    title = StringField(_l("职称 / 职务"), validators=[Length(max=100)])
    affiliation = StringField(_l("所在单位"), validators=[Length(max=200)])
    expertise = StringField(_l("专长领域"), validators=[Length(max=500)],
                            description=_l("用顿号分隔，例如：五社联动、社区协商议事"))
    bio = MarkdownField(_l("简介"), validators=[Length(max=2000)])
