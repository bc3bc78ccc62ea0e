"""JSON Lines import and export of cases (`flask --app wsgi cases import|export`).

Every exported line names its unit: ``org`` (the unit's exact name) and ``org_credit_code``
(its unified social credit code, or null). On import without ``--org`` each line goes back to
its own unit, found by the credit code when the line has one (names can change), else by the
exact name; a line whose unit does not exist is refused with its number. ``--org NAME`` files
every line under that unit instead (e.g. to copy one unit's cases into another).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from portal.cases import services
from portal.cases.models import Case, CaseStatus
from portal.errors import ValidationError
from portal.extensions import db
from portal.notifications import services as notifications
from portal.orgs import creditcode
from portal.orgs.models import Organization
from portal.text import has_control_characters

TEXT_KEYS = ("title", "summary", "background", "approach", "outcomes", "lessons", "problems",
             "province", "city", "county", "community", "community_type")
OPTIONAL_TEXT_KEYS = ("partners", "funding_source", "contact")
LIST_KEYS = ("themes", "tags")
DATE_KEYS = ("started_on", "ended_on")
UNIT_KEYS = ("org", "org_credit_code")
KNOWN_KEYS = {"external_id", *TEXT_KEYS, *OPTIONAL_TEXT_KEYS, *LIST_KEYS, *DATE_KEYS, "beneficiaries", *UNIT_KEYS}


class LineError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: lines naming another unit that --org filed under the chosen one
    redirected: int = 0
    #: unit id -> [created, updated, published] (its members are told once, in sum)
    per_unit: dict[int, list[int]] = field(default_factory=dict)


def _date(key: str, value) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise LineError(f"{key}：日期须为 ISO 格式字符串（如 2023-05-01）或 null")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LineError(f"{key}：无法识别的日期“{value}”，应为 YYYY-MM-DD") from None


def parse_record(record) -> tuple[str, services.CaseData]:
    """Turn one decoded JSON object into (external_id, CaseData); raises LineError."""
    if not isinstance(record, dict):
        raise LineError("每行必须是一个 JSON 对象")
    unknown = sorted(set(record) - KNOWN_KEYS)
    if unknown:
        raise LineError(f"未知字段：{', '.join(unknown)}")
    for key in UNIT_KEYS:
        if record.get(key) is not None and not isinstance(record.get(key), str):
            raise LineError(f"{key}：须为字符串或 null")
    external_id = record.get("external_id")
    if not isinstance(external_id, str) or not external_id.strip() or len(external_id) > 100:
        raise LineError("external_id：必填，且为不超过 100 个字符的字符串")
    values = {}
    for key in (*TEXT_KEYS, *OPTIONAL_TEXT_KEYS):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise LineError(f"{key}：须为字符串")
        values[key] = value or ""
    for key in LIST_KEYS:
        value = record.get(key)
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise LineError(f"{key}：须为字符串列表")
        values[key] = value
    for key in DATE_KEYS:
        values[key] = _date(key, record.get(key))
    beneficiaries = record.get("beneficiaries")
    if beneficiaries is not None and (isinstance(beneficiaries, bool) or not isinstance(beneficiaries, int)):
        raise LineError("beneficiaries：须为整数或 null")
    values["beneficiaries"] = beneficiaries
    return external_id.strip(), services.CaseData(**values)


def unit_of(record) -> Organization:
    """The unit a line names: by ``org_credit_code`` when given, else by the exact ``org`` name.
    Raises LineError when the line names none, or one that does not exist."""
    code = creditcode.normalize(record.get("org_credit_code") or "")
    name = (record.get("org") or "").strip()
    if code:
        org = db.session.scalar(select(Organization).where(Organization.credit_code == code))
        if org is None:
            raise LineError(f"org_credit_code：没有统一社会信用代码为 {code} 的单位"
                            + (f"（org 写的是“{name}”）" if name else ""))
        return org
    if not name:
        raise LineError("缺少单位：请在行内写明 org（单位名称）或 org_credit_code，或在命令中用 --org 指定单位")
    org = db.session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        raise LineError(f"org：没有名为“{name}”的单位")
    return org


def _names_other_unit(record, org: Organization) -> bool:
    code = creditcode.normalize(record.get("org_credit_code") or "")
    name = (record.get("org") or "").strip()
    if code:
        return code != (org.credit_code or "")
    return bool(name) and name != org.name


def import_lines(org: Organization | None, lines: Iterable[str], *, publish: bool = False) -> ImportReport:
    """Import every valid line; invalid ones are reported and leave nothing behind.

    With ``org`` every line goes to that unit; without it, each line to the unit it names
    (see unit_of). Each line runs in its own savepoint, so a failure half-way through a line
    rolls back only that line. Re-importing the same external_id (per unit) updates the case.
    """
    report = ImportReport()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            report.errors.append((number, f"不是有效的 JSON：{exc.msg}（第 {exc.colno} 列）"))
            continue
        if has_control_characters(record):
            report.errors.append((number, "含有不可见的控制字符（如 NUL），请删除后重新导入此行"))
            continue
        try:
            with db.session.begin_nested():
                case, created, redirected = _import_one(org, record, publish)
        except (LineError, ValidationError) as exc:
            label = services.FIELD_LABELS.get(getattr(exc, "field", None) or "", "")
            prefix = f"{exc.field}（{label}）：" if getattr(exc, "field", None) else ""
            report.errors.append((number, prefix + exc.message))
            continue
        except SQLAlchemyError as exc:  # only this line's savepoint is rolled back; the rest goes on
            report.errors.append((number, f"数据库拒绝了此行：{type(getattr(exc, 'orig', exc)).__name__}"))
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
        report.redirected += redirected
        counts = report.per_unit.setdefault(case.org_id, [0, 0, 0])
        counts[0 if created else 1] += 1
        counts[2] += case.status == CaseStatus.PUBLISHED
    for org_id, (created, updated, published) in report.per_unit.items():
        notifications.bulk_imported(db.session.get(Organization, org_id), created, updated, published)
    return report


def _import_one(chosen: Organization | None, record, publish: bool) -> tuple[Case, bool, bool]:
    """Import one line; returns (the case, created, whether --org moved it away from the unit it names)."""
    external_id, data = parse_record(record)
    org = chosen if chosen is not None else unit_of(record)
    redirected = chosen is not None and _names_other_unit(record, chosen)
    case = db.session.scalar(select(Case).where(Case.org_id == org.id, Case.external_id == external_id))
    created = case is None
    if created:
        case = services.create_case(None, org, data, external_id=external_id)
    else:
        services.update_case(None, case, data)
    if publish and case.status != CaseStatus.PUBLISHED:
        if case.status in (CaseStatus.DRAFT, CaseStatus.RETURNED):
            missing = services.missing_parts(case)
            if missing:
                raise ValidationError(f"无法发布，缺少：{'、'.join(missing)}")
            services.transition(None, case, "submit", "批量导入", tell_unit=False)
        if case.status == CaseStatus.ARCHIVED:
            services.transition(None, case, "restore", "批量导入", tell_unit=False)
        else:
            services.transition(None, case, "publish", "批量导入", tell_unit=False)
    return case, created, redirected


def export_records(org: Organization | None = None, status: str | None = None) -> Iterator[dict]:
    """Each case in the import format, with its unit (``org``, ``org_credit_code``)."""
    stmt = select(Case).order_by(Case.org_id, Case.id)
    if org is not None:
        stmt = stmt.where(Case.org_id == org.id)
    if status:
        stmt = stmt.where(Case.status == status)
    for case in db.session.scalars(stmt):
        data = services.snapshot(case)
        yield {"external_id": case.external_id or f"case-{case.id}", "org": case.org.name,
               "org_credit_code": case.org.credit_code or None, **data}
