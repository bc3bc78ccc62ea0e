"""Business rules for adoption reports (借鉴反馈).

A member of a verified unit other than the publishing one records that its unit adopted
(直接借鉴) or adapted (改造后借鉴) a published case: where, what it changed, results so far.
One report per unit and case: saving again updates the unit's report. Members of that unit
(and platform admins) may delete it. Views commit.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager

from portal import permissions
from portal.adoptions.models import AdoptionKind, AdoptionReport
from portal.cases.models import Case, CaseStatus
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.models_base import statement, utcnow
from portal.orgs.models import Organization, OrgStatus

KIND_LABELS = {AdoptionKind.ADOPTED: _l("直接借鉴"), AdoptionKind.ADAPTED: _l("改造后借鉴")}
MAX_PLACE = 100
MAX_TEXT = 5000


@dataclass
class AdoptionData:
    org_id: int | None
    kind: str
    place: str
    changes: str = ""
    results: str = ""


def get_published_case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or case.status != CaseStatus.PUBLISHED:
        raise NotFound(_("未找到该案例。"))
    return case


def eligible_units(user, case: Case) -> list[Organization]:
    return sorted(permissions.adoption_units(user, case), key=lambda o: o.id)


def require_eligible(user, case: Case) -> list[Organization]:
    units = eligible_units(user, case)
    if not units:
        raise PermissionDenied(_("只有其他已认证单位的成员可以提交借鉴反馈（发布案例的单位本身不能）。"))
    return units


def unit_report(case: Case, org_id: int) -> AdoptionReport | None:
    return db.session.scalar(select(AdoptionReport).where(AdoptionReport.case_id == case.id,
                                                          AdoptionReport.org_id == org_id))


def save_report(user, case: Case, data: AdoptionData) -> tuple[AdoptionReport, bool]:
    """Create the unit's report or update it; returns (report, created)."""
    units = require_eligible(user, case)
    org = next((o for o in units if o.id == data.org_id), None) if data.org_id else (
        units[0] if len(units) == 1 else None)
    if org is None:
        raise ValidationError(_("请选择您所在的、已认证的单位。"), field="org_id")
    if data.kind not in {k.value for k in AdoptionKind}:
        raise ValidationError(_("请选择借鉴方式。"), field="kind")
    place = (data.place or "").strip()
    if not place:
        raise ValidationError(_("请填写借鉴的地点（社区或区县）。"), field="place")
    if len(place) > MAX_PLACE:
        raise ValidationError(_("地点不能超过 %(n)d 个字符。", n=MAX_PLACE), field="place")
    changes, results = (data.changes or "").strip(), (data.results or "").strip()
    for name, value in (("changes", changes), ("results", results)):
        if len(value) > MAX_TEXT:
            raise ValidationError(_("不能超过 %(n)d 个字符。", n=MAX_TEXT), field=name)
    if data.kind == AdoptionKind.ADAPTED and not changes:
        raise ValidationError(_("改造后借鉴请说明做了哪些调整。"), field="changes")
    report = unit_report(case, org.id)
    created = report is None
    if created:
        report = AdoptionReport(case_id=case.id, org_id=org.id, created_at=utcnow())
        db.session.add(report)
    report.author_id = user.id
    report.kind = data.kind
    report.place = place
    report.changes = changes
    report.results = results
    report.updated_at = utcnow()
    db.session.flush()
    return report, created


def can_delete(user, report: AdoptionReport) -> bool:
    return permissions.is_platform_admin(user) or permissions.is_org_member(user, report.org)


def delete_report(user, report: AdoptionReport) -> None:
    if not can_delete(user, report):
        raise PermissionDenied(_("只有该单位的成员可以删除本单位的借鉴反馈。"))
    db.session.delete(report)


def case_reports(case: Case) -> list[AdoptionReport]:
    """The reports shown on the case page: from units that are (still) verified."""
    return list(db.session.scalars(_reports_statement(), {"case_id": case.id}))


@statement
def _reports_statement():
    return (select(AdoptionReport).join(Organization, Organization.id == AdoptionReport.org_id)
            .where(AdoptionReport.case_id == bindparam("case_id"), Organization.status == OrgStatus.VERIFIED)
            .options(contains_eager(AdoptionReport.org))
            .order_by(AdoptionReport.created_at, AdoptionReport.id))


def case_has_reports(case_id):
    """For the case page (cases.page): whether any unit reported adopting the case."""
    return select(AdoptionReport.id).where(AdoptionReport.case_id == case_id).exists()


def case_panel(user, case, *, listed: bool = True) -> dict:
    """Template variables for the case page (adoption reports; ``listed=False``: there are none,
    the report button may still be offered)."""
    if not case.is_published:
        return {"adoption_shown": False}
    reports = case_reports(case) if listed else []
    units = eligible_units(user, case)
    own_ids = {o.id for o in units}
    return {
        "adoption_shown": True,
        "adoption_reports": reports,
        "adoption_count": len(reports),
        "adoption_can_report": bool(units),
        "adoption_own": [r for r in reports if r.org_id in own_ids],
        "adoption_kind_labels": KIND_LABELS,
    }
