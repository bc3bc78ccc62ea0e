"""What may be exported, by whom, and the tables' columns. Permission checks come first: a
refused export builds nothing.

* The library's list (platform admins): the published cases the /cases filters select, in the
  list's order.
* A unit's own cases in every state, drafts included (the unit's admins, platform admins).
* A session's registrations and waiting list (those who may see them on the session page).
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import permissions
from portal.cases.models import Case
from portal.errors import PermissionDenied
from portal.exports.tables import Table
from portal.extensions import db
from portal.models_base import loader_options
from portal.orgs.models import Organization
from portal.timezones import utc_to_shanghai
from portal.urls import external_url

#: the most rows one export holds (a spreadsheet of the whole library is still well below Excel's limit)
MAX_ROWS = 50_000


def _case_columns(with_status: bool) -> list[str]:
    columns = [_("编号"), _("标题"), _("发布单位"), _("省级行政区"), _("城市"), _("区县"), _("社区"), _("社区类型"),
               _("主题"), _("标签"), _("开始日期"), _("结束日期"), _("受益居民（人）"), _("经费来源"), _("合作方"),
               _("摘要"), _("发布时间"), _("浏览次数"), _("链接")]
    if with_status:
        columns[3:3] = [_("状态")]
    return columns


def _case_row(case: Case, with_status: bool) -> list:
    from portal.cases.services import STATUS_LABELS

    row = [case.id, case.title, case.org.name, case.province, case.city, case.county, case.community,
           case.community_type, "、".join(t.name for t in case.themes), "、".join(t.name for t in case.tags),
           case.started_on, case.ended_on, case.beneficiaries, case.funding_source, case.partners, case.summary,
           utc_to_shanghai(case.published_at), case.view_count, external_url("cases.show", case_id=case.id)]
    if with_status:
        row[3:3] = [_(STATUS_LABELS.get(case.status, case.status))]
    return row


@loader_options
def _case_options() -> tuple:
    return (joinedload(Case.org), selectinload(Case.themes), selectinload(Case.tags))


def case_list(user, filters) -> Table:
    """The /cases list with its filters (published cases only)."""
    from portal.cases.services import published_statement

    if not permissions.can_export_case_list(user):
        raise PermissionDenied(_("只有平台管理员可以导出案例列表。"))
    cases = db.session.scalars(published_statement(filters).options(*_case_options()).limit(MAX_ROWS))
    return Table(_("案例列表"), _case_columns(False), [_case_row(c, False) for c in cases])


def unit_cases(user, org: Organization) -> Table:
    """Every case of one unit, whatever its state, newest first."""
    if not permissions.can_export_unit_cases(user, org):
        raise PermissionDenied(_("只有本单位管理员或平台管理员可以导出本单位的案例。"))
    cases = db.session.scalars(select(Case).where(Case.org_id == org.id).options(*_case_options())
                               .order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_ROWS))
    return Table(_("本单位案例"), _case_columns(True), [_case_row(c, True) for c in cases])


def registrations(user, sharing) -> Table:
    """The registered, then the waiting list in its order, as on the session page."""
    from portal.sessions import participation

    lists = participation.list_registrations(user, sharing)  # 403 for anyone else
    rows = []
    for label, key in ((_("已报名"), "registered"), (_("候补"), "waitlisted")):
        for n, registration in enumerate(lists[key], start=1):
            person = registration.user
            rows.append([label, n, person.display_name, person.email,
                         "、".join(m.org.name for m in person.memberships), utc_to_shanghai(registration.created_at)])
    return Table(_("报名名单"), [_("状态"), _("序号"), _("姓名"), _("邮箱"), _("所在单位"), _("报名时间")], rows)
