from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from portal.auth.forms import ReviewerProfileForm
from portal.forms import required


class GrantReviewerForm(ReviewerProfileForm):
    pass


class RejectOrgForm(FlaskForm):
    reason = TextAreaField(_l("驳回原因"), validators=[required(_l("驳回时必须填写原因。"))],
                           description=_l("申请人会看到这段说明。"))
