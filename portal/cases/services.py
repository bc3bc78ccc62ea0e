"""The case library's rules: editing, the editorial workflow, attachments, privacy and history.

Views and the CLI call these functions; each checks permissions itself and leaves the commit
to the caller (one commit per request).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload, undefer_group

from portal import permissions, storage, uploads
from portal.admin import audit
from portal.auth.models import User
from portal.cases import privacy
from portal.cases.models import (
    LONG_COLUMNS,
    REQUIRED_SECTIONS,
    SECTIONS,
    Attachment,
    Case,
    CaseStatus,
    CaseTransition,
    CaseVersion,
    CommunityType,
    PrivacyDecision,
    Tag,
    Theme,
)
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.models_base import left_out, loader_options, paginate, statement, utcnow
from portal.notifications import services as notifications
from portal.orgs.models import Organization, OrgStatus
from portal.regions import PROVINCES

S = CaseStatus
MAX_TAGS = 10
MAX_SECTION_CHARS = 20000
MAX_BENEFICIARIES = 2_147_483_647  # the column is a 32-bit integer (PostgreSQL INTEGER)

FIELD_LABELS = {
    "title": "标题", "summary": "摘要", **SECTIONS, "themes": "主题", "tags": "标签",
    "province": "省级行政区", "city": "城市", "county": "区县", "community": "社区或村",
    "community_type": "社区类型", "started_on": "开始日期", "ended_on": "结束日期", "partners": "合作方",
    "beneficiaries": "受益居民人数", "funding_source": "资金来源", "contact": "联系方式",
}

STATUS_LABELS = {
    S.DRAFT: "草稿", S.SUBMITTED: "已提交", S.IN_REVIEW: "审核中", S.PUBLISHED: "已发布",
    S.RETURNED: "退回修改", S.ARCHIVED: "已归档",
}


@dataclass
class CaseData:
    """Everything a unit can write on a case, already parsed into Python types."""

    title: str
    summary: str = ""
    background: str = ""
    approach: str = ""
    outcomes: str = ""
    lessons: str = ""
    problems: str = ""
    themes: list[str] = field(default_factory=list)  # theme names
    tags: list[str] = field(default_factory=list)
    province: str = ""
    city: str = ""
    county: str = ""
    community: str = ""
    community_type: str = ""
    started_on: date | None = None
    ended_on: date | None = None
    partners: str = ""
    beneficiaries: int | None = None
    funding_source: str = ""
    contact: str = ""

    TEXT_LIMITS = {"title": 120, "summary": 300, "city": 50, "county": 50, "community": 100,
                   "partners": 300, "funding_source": 200, "contact": 200,
                   **dict.fromkeys(SECTIONS, MAX_SECTION_CHARS)}


# Themes -----------------------------------------------------------------------------

def active_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).where(Theme.retired.is_(False)).order_by(Theme.position, Theme.id)))


def filter_themes() -> list:
    """The themes of the /cases filter (cached plain data: portal.cases.facets.ThemeRef)."""
    from portal.cases import facets

    return facets.theme_refs()


def all_themes() -> list[Theme]:
    return list(db.session.scalars(select(Theme).order_by(Theme.retired, Theme.position, Theme.id)))


def _resolve_themes(names: list[str], current: list[Theme]) -> list[Theme]:
    chosen = []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        theme = db.session.scalar(select(Theme).where(Theme.name == name))
        if theme is None:
            raise ValidationError(_("未知主题：%(name)s。请从主题列表中选择。", name=name), "themes")
        if theme.retired and theme not in current:
            raise ValidationError(_("主题“%(name)s”已停用，不能再选择。", name=name), "themes")
        chosen.append(theme)
    return chosen


def add_theme(actor, name: str, description: str = "") -> Theme:
    _require_curator(actor)
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ValidationError(_("主题名称须为 1 到 50 个字符。"), "name")
    if db.session.scalar(select(Theme).where(Theme.name == name)):
        raise ValidationError(_("已有同名主题。"), "name")
    position = (db.session.scalar(select(func.max(Theme.position))) or 0) + 1
    theme = Theme(name=name, description=description.strip()[:300], position=position)
    db.session.add(theme)
    db.session.flush()
    audit.record(actor, "theme.add", theme, name)
    return theme


def rename_theme(actor, theme: Theme, name: str) -> None:
    """Renaming keeps every case linked: cases refer to the theme, not to its name."""
    _require_curator(actor)
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ValidationError(_("主题名称须为 1 到 50 个字符。"), "name")
    clash = db.session.scalar(select(Theme).where(Theme.name == name))
    if clash is not None and clash is not theme:
        raise ValidationError(_("已有同名主题。"), "name")
    audit.record(actor, "theme.rename", theme, f"{theme.name} → {name}")
    theme.name = name


def set_theme_retired(actor, theme: Theme, retired: bool) -> None:
    _require_curator(actor)
    theme.retired = retired
    audit.record(actor, "theme.retire" if retired else "theme.restore", theme, theme.name)


# Validation ---------------------------------------------------------------------------

def _clean_tags(tags: list[str]) -> list[str]:
    cleaned = []
    for raw in tags:
        tag = (raw or "").strip().lstrip("#＃").strip()
        if not tag:
            continue
        if len(tag) > 30:
            raise ValidationError(_("标签“%(tag)s”过长（最多 30 个字符）。", tag=tag[:30]), "tags")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(_("标签最多 %(n)d 个。", n=MAX_TAGS), "tags")
    return cleaned


def validate_case_data(data: CaseData) -> CaseData:
    """Check shape and ranges; raises ValidationError naming the field."""
    for name, limit in CaseData.TEXT_LIMITS.items():
        # Browsers send textarea line breaks as CRLF; store plain LF so an unchanged save stays unchanged.
        value = (getattr(data, name) or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        setattr(data, name, value)
        if len(value) > limit:
            raise ValidationError(_("%(label)s不能超过 %(n)d 个字符（当前 %(m)d 个）。",
                                    label=_(FIELD_LABELS[name]), n=limit, m=len(value)), name)
    if not data.title:
        raise ValidationError(_("请填写标题。"), "title")
    if data.province and data.province not in PROVINCES:
        raise ValidationError(_("未知的省级行政区：%(p)s。", p=data.province), "province")
    if data.community_type and data.community_type not in {t.value for t in CommunityType}:
        raise ValidationError(_("社区类型须为：城市社区、农村社区、城乡结合部或其他。"), "community_type")
    if data.started_on and data.ended_on and data.ended_on < data.started_on:
        raise ValidationError(_("结束日期不能早于开始日期。"), "ended_on")
    if data.beneficiaries is not None and data.beneficiaries < 0:
        raise ValidationError(_("受益居民人数不能为负数。"), "beneficiaries")
    if data.beneficiaries is not None and data.beneficiaries > MAX_BENEFICIARIES:
        raise ValidationError(_("受益居民人数过大（最多 %(n)d）。", n=MAX_BENEFICIARIES), "beneficiaries")
    data.tags = _clean_tags(data.tags)
    return data


# Loading ------------------------------------------------------------------------------

def get_visible_case(user, case_id: int, *, page: bool = False) -> Case:
    """404 for unknown ids and for cases the user may not see, so drafts do not leak.
    ``page``: with what the case page shows of the case itself (unit, themes, tags, attachments)
    loaded along, one query per kind."""
    case = db.session.get(Case, case_id, options=_case_options(page))
    if case is None or not permissions.can_view_case(user, case):
        raise NotFound(_("未找到该案例。"))
    return case


@loader_options
def _case_options(page: bool) -> tuple:
    # With its stored section HTML (deferred, as lists do not show it) in the same query.
    options = [undefer_group("sections_html")]
    if page:
        options += [joinedload(Case.org), selectinload(Case.themes), selectinload(Case.tags),
                    selectinload(Case.attachments)]
    return tuple(options)


@dataclass(frozen=True)
class CaseLink:
    """What a link to a case shows: its title, its unit's name and its province."""
    id: int
    title: str
    organization: str
    province: str


def published_links(case_ids) -> list[CaseLink]:
    """Links to those of ``case_ids`` that are published now, in the given order (one query): for
    lists made from the search index or a cache of it, which may still hold a case unpublished a
    moment ago, or an old title."""
    case_ids = list(case_ids)
    if not case_ids:
        return []
    rows = db.session.execute(_links_statement(), {"case_ids": case_ids}).all()
    found = {row[0]: CaseLink(*row) for row in rows}
    return [found[i] for i in case_ids if i in found]


@statement
def _links_statement():
    return (select(Case.id, Case.title, Organization.name, Case.province)
            .join(Organization, Case.org_id == Organization.id)
            .where(Case.id.in_(bindparam("case_ids", expanding=True)), Case.status == CaseStatus.PUBLISHED))


# Editing ------------------------------------------------------------------------------

CONTENT_FIELDS = ("title", "summary", *SECTIONS, "province", "city", "county", "community", "community_type",
                  "started_on", "ended_on", "partners", "beneficiaries", "funding_source", "contact")


def snapshot(case: Case) -> dict:
    """The case's content as plain JSON-able data (for versions and export)."""
    data = {name: getattr(case, name) for name in CONTENT_FIELDS}
    for name in ("started_on", "ended_on"):
        data[name] = data[name].isoformat() if data[name] else None
    data["themes"] = [t.name for t in case.themes]
    data["tags"] = [t.name for t in case.tags]
    return data


def _keep_version(actor, case: Case) -> None:
    number = (max((v.number for v in case.versions), default=0)) + 1
    case.versions.append(CaseVersion(number=number, snapshot=json.dumps(snapshot(case), ensure_ascii=False),
                                     status=case.status, saved_by=actor if isinstance(actor, User) else None))


def _tags(names: list[str]) -> list[Tag]:
    tags = []
    for name in names:
        tag = db.session.scalar(select(Tag).where(Tag.name == name))
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags


def _apply(case: Case, data: CaseData) -> None:
    for name in CONTENT_FIELDS:
        setattr(case, name, getattr(data, name))
    case.themes = _resolve_themes(data.themes, list(case.themes))
    case.tags = _tags(data.tags)
    case.updated_at = utcnow()


def create_case(actor, org: Organization, data: CaseData, *, external_id: str | None = None) -> Case:
    if actor is not None and not permissions.can_create_case(actor, org):
        raise PermissionDenied(_("只有已认证单位的成员可以为本单位创建案例。"))
    data = validate_case_data(data)
    case = Case(org=org, status=S.DRAFT, created_by=actor if isinstance(actor, User) else None,
                external_id=external_id)
    db.session.add(case)
    _apply(case, data)
    db.session.flush()
    return case


def require_case_editor(actor, case: Case) -> None:
    """403 unless ``actor`` may edit ``case`` (the edit page, and every content change)."""
    if not permissions.can_edit_case(actor, case):
        raise PermissionDenied(_("您无权编辑该案例（审核中或已归档的案例不能修改）。"))


def update_case(actor, case: Case, data: CaseData) -> Case:
    """Save new content. Submitted and published cases keep the previous content as a version."""
    if actor is not None:
        require_case_editor(actor, case)
    data = validate_case_data(data)
    if case.status in (S.SUBMITTED, S.IN_REVIEW, S.PUBLISHED) and \
            _unordered(snapshot(case)) != _unordered(_would_be(case, data)):
        _keep_version(actor, case)
    _apply(case, data)
    db.session.flush()
    return case


def _would_be(case: Case, data: CaseData) -> dict:
    probe = {name: getattr(data, name) for name in CONTENT_FIELDS}
    for name in ("started_on", "ended_on"):
        probe[name] = probe[name].isoformat() if probe[name] else None
    probe["themes"] = list(dict.fromkeys(n.strip() for n in data.themes if n.strip()))
    probe["tags"] = list(data.tags)
    return probe


def _unordered(content: dict) -> dict:
    """Themes and tags are sets (shown in theme/name order): their order is not a change."""
    return {**content, "themes": sorted(content["themes"]), "tags": sorted(content["tags"])}


def others_content(case: Case) -> list[str]:
    """What people outside the unit wrote about the case, which deleting it would take with it:
    signed expert comments, internal review recommendations, discussion comments (not deleted
    ones), other units' adoption reports and session running-order items presenting it.
    Returns labels with counts ("专家点评 1 条"), empty when there is none. The curator's workflow
    reasons (the timeline) are the case's own record and do not count."""
    from portal.adoptions.models import AdoptionReport
    from portal.discussion.models import Comment, CommentStatus
    from portal.reviews.models import ExpertComment, InternalReview, ReviewAssignment
    from portal.sessions.models import AgendaItem

    if case.id is None:
        return []
    # One statement: each count a scalar subquery.
    numbers = db.session.execute(select(
        select(func.count(ExpertComment.id)).where(ExpertComment.case_id == case.id).scalar_subquery(),
        select(func.count(InternalReview.id)).join(ReviewAssignment)
        .where(ReviewAssignment.case_id == case.id).scalar_subquery(),
        select(func.count(Comment.id)).where(Comment.case_id == case.id,
                                             Comment.status != CommentStatus.DELETED).scalar_subquery(),
        select(func.count(AdoptionReport.id)).where(AdoptionReport.case_id == case.id).scalar_subquery(),
        select(func.count(AgendaItem.id)).where(AgendaItem.case_id == case.id).scalar_subquery(),
    )).one()
    labels = (lambda n: _("专家点评 %(n)d 条", n=n), lambda n: _("评审意见 %(n)d 条", n=n),
              lambda n: _("讨论 %(n)d 条", n=n), lambda n: _("借鉴反馈 %(n)d 份", n=n),
              lambda n: _("分享会议程 %(n)d 项", n=n))
    counts = [(int(n or 0), label) for n, label in zip(numbers, labels, strict=True)]
    return [label(n) for n, label in counts if n]


def deletion_refusal(case: Case) -> str | None:
    """Why nobody may delete this case, or None. Deleting is for the unit's own work in progress:
    a draft or returned case that was never published and holds nothing written by others.
    A published (or archived) case is archived instead; a submitted one is withdrawn first."""
    others = others_content(case)
    what = _("本案例含有：%(what)s。", what=_("、").join(others)) if others else ""  # 、: list separator
    if case.status in (S.PUBLISHED, S.ARCHIVED) or case.published_at is not None:
        return _("已发布或含有他人内容（专家点评、讨论、借鉴反馈）的案例不能删除，只能归档。") + what
    if case.status in (S.SUBMITTED, S.IN_REVIEW):
        return _("已提交审核的案例不能删除：请先撤回提交（审核中的案例须由平台管理员退回）。")
    if others:
        return _("含有他人内容（专家点评、评审意见等）的案例不能删除，以免他人署名的内容随之丢失。") + what
    return None


def may_be_deleted(case: Case) -> bool:
    """``deletion_refusal(case) is None``, without counting what others wrote when the case's
    state alone refuses (every published case page asks, for the delete button)."""
    if case.status not in (S.DRAFT, S.RETURNED) or case.published_at is not None:
        return False
    return deletion_refusal(case) is None


def delete_case(actor, case: Case) -> None:
    """Delete a case for good (its attachments, versions and timeline go with it). Only a case's
    deleters (the unit's admin, curators) and only when deletion_refusal allows it."""
    if not permissions.is_case_deleter(actor, case):
        raise PermissionDenied(_("您无权删除该案例。"))
    refusal = deletion_refusal(case)
    if refusal:
        raise ValidationError(refusal)
    for attachment in case.attachments:
        storage.delete_on_commit(db.session, attachment.stored_name)
    audit.record(actor, "case.delete", case, case.title)
    case.cover = None
    db.session.flush()
    db.session.delete(case)


# Completeness and privacy ----------------------------------------------------------------

def missing_parts(case: Case) -> list[str]:
    """Labels of required parts that are still empty (shown on the edit page, checked on submit)."""
    missing = []
    if not case.summary:
        missing.append(_("摘要"))
    missing += [_(SECTIONS[name]) for name in REQUIRED_SECTIONS if not getattr(case, name).strip()]
    if not case.themes:
        missing.append(_("至少一个主题"))
    if not case.province or not case.city:
        missing.append(_("地区（省级行政区和城市）"))
    if not case.community_type:
        missing.append(_("社区类型"))
    return missing


def _text_fields(case: Case) -> dict[str, str]:
    return {name: getattr(case, name) or "" for name in ("title", "summary", *SECTIONS, "partners", "contact")}


def privacy_findings(case: Case) -> list[privacy.Finding]:
    decided = frozenset(d.finding_key for d in case.privacy_decisions)
    return privacy.scan_fields(_text_fields(case), ignore_keys=decided)


def _find(case: Case, key: str) -> privacy.Finding:
    finding = next((f for f in privacy_findings(case) if f.key == key), None)
    if finding is None:
        raise ValidationError(_("该项已处理或不存在，请刷新页面。"))
    return finding


def mask_finding(actor, case: Case, key: str) -> privacy.Finding:
    """Replace every occurrence of the finding's value, in every field, with its mask."""
    if not permissions.can_edit_case(actor, case):
        raise PermissionDenied(_("您无权编辑该案例。"))
    finding = _find(case, key)
    data = CaseData(**{**{n: getattr(case, n) for n in CONTENT_FIELDS},
                       "themes": [t.name for t in case.themes], "tags": [t.name for t in case.tags]})
    for name in _text_fields(case):
        setattr(data, name, privacy.mask_in_text(getattr(data, name) or "", finding.value, finding.kind))
    update_case(actor, case, data)
    return finding


def confirm_not_personal(actor, case: Case, key: str) -> None:
    """The unit states a finding is not personal data (e.g. a public hotline); recorded."""
    if not permissions.can_edit_case(actor, case):
        raise PermissionDenied(_("您无权编辑该案例。"))
    finding = _find(case, key)
    case.privacy_decisions.append(PrivacyDecision(finding_key=key, kind=finding.kind, masked_value=finding.masked,
                                                  decided_by=actor))
    db.session.flush()


# Workflow ------------------------------------------------------------------------------------

#: action -> (allowed from, to, who may do it)
WORKFLOW = {
    "submit": ({S.DRAFT, S.RETURNED}, S.SUBMITTED, "unit"),
    "withdraw": ({S.SUBMITTED}, S.DRAFT, "unit"),
    "start_review": ({S.SUBMITTED}, S.IN_REVIEW, "curator"),
    "publish": ({S.SUBMITTED, S.IN_REVIEW}, S.PUBLISHED, "curator"),
    "return": ({S.SUBMITTED, S.IN_REVIEW}, S.RETURNED, "curator"),
    "archive": ({S.PUBLISHED}, S.ARCHIVED, "curator"),
    "restore": ({S.ARCHIVED}, S.PUBLISHED, "curator"),
}
ACTION_LABELS = {"submit": "提交审核", "withdraw": "撤回提交", "start_review": "开始审核", "publish": "发布",
                 "return": "退回修改", "archive": "归档", "restore": "恢复发布"}


def _require_curator(actor) -> None:
    if actor is not None and not permissions.can_curate(actor):
        raise PermissionDenied(_("只有平台管理员（审核人）可以执行此操作。"))


def allowed_actions(user, case: Case) -> list[str]:
    """The workflow buttons to offer this user on this case."""
    return [action for action in WORKFLOW if permissions.can_transition_case(user, case, action)]


def transition(actor, case: Case, action: str, reason: str = "", *, tell_unit: bool = True) -> CaseTransition:
    """Move a case through the workflow; every step is recorded with who, when and why.
    ``tell_unit=False``: the unit is not told of this step (a bulk import tells it once, in sum)."""
    if action not in WORKFLOW:
        raise ValidationError(_("未知操作。"))
    sources, target, _who = WORKFLOW[action]
    if actor is not None and not permissions.can_take_case_step(actor, case, action):
        raise PermissionDenied(_("您无权对该案例执行“%(a)s”。", a=_(ACTION_LABELS[action])))
    if case.status not in sources:
        raise ValidationError(_("案例当前状态为“%(s)s”，不能执行“%(a)s”。",
                                s=_(STATUS_LABELS[case.status]), a=_(ACTION_LABELS[action])))
    reason = (reason or "").strip()
    if len(reason) > 5000:
        raise ValidationError(_("说明不能超过 5000 个字符。"), "reason")
    if action == "return" and not reason:
        raise ValidationError(_("退回时必须写明需要修改的地方，单位会看到这段说明。"), "reason")
    if action == "submit":
        if case.status == S.RETURNED and not reason:
            raise ValidationError(_("重新提交时请说明做了哪些修改，回应审核人的意见。"), "reason")
        _check_submittable(case)
        if case.org.status != OrgStatus.VERIFIED:
            raise ValidationError(_("单位尚未通过认证，暂不能提交案例。"))
        case.submitted_at = utcnow()
    if target == S.PUBLISHED and case.published_at is None:
        case.published_at = utcnow()
    if action == "archive":
        case.featured = False
    step = CaseTransition(from_status=case.status, to_status=target, reason=reason,
                          actor=actor if isinstance(actor, User) else None)
    case.transitions.append(step)
    case.status = target
    db.session.flush()
    notifications.case_transitioned(actor, case, action, reason, tell_unit=tell_unit)
    return step


def _check_submittable(case: Case) -> None:
    missing = missing_parts(case)
    if missing:
        raise ValidationError(_("还缺少以下内容，补全后才能提交：%(parts)s。", parts="、".join(missing)))
    findings = privacy_findings(case)
    if findings:
        raise ValidationError(_("隐私检查发现 %(n)d 处可能的个人信息，请逐一遮盖或确认后再提交。", n=len(findings)))


def set_featured(actor, case: Case, featured: bool) -> None:
    _require_curator(actor)
    if featured and case.status != S.PUBLISHED:
        raise ValidationError(_("只有已发布的案例可以设为精选。"))
    case.featured = featured
    audit.record(actor, "case.feature" if featured else "case.unfeature", case, case.title)


# Attachments ---------------------------------------------------------------------------------

def _max_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def add_attachment(actor, case: Case, filename: str, data: bytes, *,
                   allowed: frozenset[str] = uploads.ATTACHMENT_KINDS) -> Attachment:
    """Check the file by content, store it under a random name and link it to the case."""
    if actor is not None and not permissions.can_edit_case(actor, case):
        raise PermissionDenied(_("您无权修改该案例的附件。"))
    checked = uploads.check_upload(filename, data, max_bytes=_max_bytes(), allowed=allowed)
    stored = storage.save(db.session, checked)
    attachment = Attachment(original_name=uploads.safe_original_name(checked.original_name), stored_name=stored,
                            kind=checked.kind, mime=checked.mime, size=checked.size,
                            uploaded_by_id=getattr(actor, "id", None))
    case.attachments.append(attachment)
    db.session.flush()
    return attachment


def set_cover(actor, case: Case, filename: str, data: bytes) -> Attachment:
    attachment = add_attachment(actor, case, filename, data, allowed=uploads.IMAGE_KINDS)
    case.cover = attachment
    return attachment


def delete_attachment(actor, case: Case, attachment: Attachment) -> None:
    if not permissions.can_edit_case(actor, case):
        raise PermissionDenied(_("您无权修改该案例的附件。"))
    if case.cover_id == attachment.id:
        case.cover = None
    storage.delete_on_commit(db.session, attachment.stored_name)
    case.attachments.remove(attachment)
    db.session.flush()


def get_attachment(case: Case, attachment_id: int) -> Attachment:
    attachment = next((a for a in case.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotFound(_("未找到该附件。"))
    return attachment


def attachment_by_stored_name(user, stored_name: str) -> Attachment:
    """For inline images in case text: the image must belong to a case the user may see."""
    attachment = db.session.scalar(select(Attachment).where(Attachment.stored_name == stored_name))
    if attachment is None or not attachment.is_image or not permissions.can_view_case(user, attachment.case):
        raise NotFound(_("文件不存在。"))
    return attachment


# Listing ---------------------------------------------------------------------------------------

@dataclass
class CaseFilters:
    theme: int | None = None
    province: str = ""
    community_type: str = ""
    year: int | None = None
    org: int | None = None
    featured: bool = False
    sort: str = "newest"

    @classmethod
    def from_args(cls, args) -> CaseFilters:
        """The filters of a /cases query string (the list, its exports); unknown values are ignored."""
        from portal.regions import PROVINCES
        from portal.urls import query_int

        province = args.get("province", "")
        community_type = args.get("community_type", "")
        return cls(
            theme=args.get("theme", type=query_int),
            province=province if province in PROVINCES else "",
            community_type=community_type if community_type in {t.value for t in CommunityType} else "",
            year=args.get("year", type=query_int),
            org=args.get("org", type=query_int),
            featured=args.get("featured") == "1",
            sort="views" if args.get("sort") == "views" else "newest",
        )


@loader_options
def card_options(*, themes: bool = True, org: bool = True, strict: bool = True) -> tuple:
    """Loader options for a list of cases: the long text columns (``LONG_COLUMNS``) left out,
    the unit and the themes each card shows loaded in one query per kind, not one per case.
    ``strict`` (for a page's own list): under TESTING reading a left-out column raises instead
    of loading it quietly row by row. Not strict: for cases loaded alongside something else
    (a session's running order), which may be the very case a page shows in full."""
    options = left_out(*(getattr(Case, name) for name in LONG_COLUMNS), strict=strict)
    if themes:
        options.append(selectinload(Case.themes))
    if org:
        options.append(joinedload(Case.org))
    return tuple(options)


def list_published(filters: CaseFilters, page: int = 1, per_page: int = 12):
    return paginate(published_statement(filters), page=page, per_page=per_page, options=card_options(),
                    count_by=Case.id)


def published_statement(filters: CaseFilters):
    """The published cases the /cases filters select, in the list's order (the list's pages,
    and its exports)."""
    stmt = select(Case).where(Case.status == S.PUBLISHED)
    if filters.theme:
        stmt = stmt.where(Case.themes.any(Theme.id == filters.theme))
    if filters.province:
        stmt = stmt.where(Case.province == filters.province)
    if filters.community_type:
        stmt = stmt.where(Case.community_type == filters.community_type)
    if filters.year:
        stmt = stmt.where(Case.year == filters.year)
    if filters.org:
        stmt = stmt.where(Case.org_id == filters.org)
    if filters.featured:
        stmt = stmt.where(Case.featured)  # (not IS TRUE: the partial index says "featured")
    order = (Case.view_count.desc(),) if filters.sort == "views" else ()
    return stmt.order_by(*order, Case.published_at.desc(), Case.id.desc())


def _published_years() -> list[int]:
    rows = db.session.execute(
        select(Case.year).where(Case.status == S.PUBLISHED, Case.year.is_not(None))
        .distinct())
    return sorted({int(r[0]) for r in rows}, reverse=True)


def published_years() -> list[int]:
    """The years of published cases, newest first (the /cases year filter)."""
    from portal.cases import facets

    return list(facets.cached("published_years", _published_years))


def org_published_cases(org: Organization, limit: int = 50) -> list[Case]:
    return list(db.session.scalars(
        select(Case).where(Case.org_id == org.id, Case.status == S.PUBLISHED)
        .options(*card_options(org=False))
        .order_by(Case.published_at.desc()).limit(limit)))


def unit_cases(user) -> list[Case]:
    """Every case of every unit the user belongs to, newest first."""
    org_ids = [m.org_id for m in user.memberships]
    if not org_ids:
        return []
    return list(db.session.scalars(
        select(Case).where(Case.org_id.in_(org_ids)).options(*card_options(themes=False))
        .order_by(Case.updated_at.desc(), Case.id.desc())))


MINE_PER_PAGE = 30


def unit_cases_page(user, *, status: str = "", q: str = "", page: int = 1, per_page: int = MINE_PER_PAGE):
    """"My cases" a page at a time: the cases of the user's units, last changed first, in one
    state (``status``) and with ``q`` in the title when given."""
    org_ids = [m.org_id for m in user.memberships] or [-1]
    stmt = select(Case).where(Case.org_id.in_(org_ids))
    if status in STATUS_LABELS:
        stmt = stmt.where(Case.status == status)
    if q:
        stmt = stmt.where(Case.title.contains(q))
    stmt = stmt.order_by(Case.updated_at.desc(), Case.id.desc())
    return paginate(stmt, page=page, per_page=per_page, options=card_options(themes=False), count_by=Case.id)


def unit_case_counts(user) -> dict[str, int]:
    """How many cases of the user's units are in each state (the filter's counts)."""
    org_ids = [m.org_id for m in user.memberships]
    if not org_ids:
        return {}
    return dict(db.session.execute(select(Case.status, func.count()).where(Case.org_id.in_(org_ids))
                                   .group_by(Case.status)).all())


def _queue_statuses(status: str | None) -> list[str]:
    return [status] if status in STATUS_LABELS else [S.SUBMITTED, S.IN_REVIEW]


def curation_queue(status: str | None = None) -> list[Case]:
    return list(db.session.scalars(
        select(Case).where(Case.status.in_(_queue_statuses(status))).options(*card_options(themes=False))
        .order_by(Case.submitted_at.asc().nullslast(), Case.id)))


def curation_queue_count(status: str | None = None) -> int:
    return db.session.scalar(select(func.count(Case.id)).where(Case.status.in_(_queue_statuses(status)))) or 0


def orgs_for_new_case(user) -> list[Organization]:
    return [m.org for m in user.memberships if permissions.can_create_case(user, m.org)]


# Word import -----------------------------------------------------------------------------------

def import_word(actor, org: Organization, filename: str, data: bytes) -> Case:
    """Create a draft from a .docx: headings become sections, tables stay, images become attachments.

    The draft is only visible to the unit, which reviews it before submitting.
    """
    from portal.cases.docx_import import DocxImportError, import_docx

    if not permissions.can_create_case(actor, org):
        raise PermissionDenied(_("只有已认证单位的成员可以为本单位创建案例。"))
    checked = uploads.check_upload(filename, data, max_bytes=_max_bytes(), allowed=frozenset({"docx"}))
    try:
        imported = import_docx(checked.data)
    except DocxImportError as exc:
        raise ValidationError(exc.message, "file") from None
    fallback_title = filename.rsplit(".", 1)[0].strip()[:120] or _("从 Word 导入的案例")
    case = create_case(actor, org, CaseData(
        title=(imported.title or fallback_title)[:120], summary=imported.summary[:300],
        background=imported.background, approach=imported.approach, outcomes=imported.outcomes,
        lessons=imported.lessons, problems=imported.problems))
    for image in imported.images:
        add_attachment(actor, case, image.filename, image.data, allowed=uploads.IMAGE_KINDS)
    return case


# Citation --------------------------------------------------------------------------------------

def citation(case: Case, cited_on: date | None = None) -> str:
    """How to cite a published case, in GB/T 7714-2015 style for an online document ([EB/OL]):
    主要责任者. 题名[EB/OL]. (发布日期)[引用日期]. 获取和访问路径.

    The unit is the responsible party; the dates are Beijing dates (publication, and today
    unless ``cited_on`` is given)."""
    from portal.timezones import today, utc_to_shanghai
    from portal.urls import external_url

    published = utc_to_shanghai(case.published_at).date() if case.published_at else None
    parts = [f"{case.org.name}. {case.title}[EB/OL]. "]
    if published is not None:
        parts.append(f"({published.isoformat()})")
    parts.append(f"[{(cited_on or today()).isoformat()}]. {external_url('cases.show', case_id=case.id)}.")
    return "".join(parts)
