"""Demo content for `portal seed-demo`.

Facts (places, programmes, figures) come from the newspaper page in ../shared/seed/;
every sentence here is our own, and every person is fictional.
"""
from __future__ import annotations

from sqlalchemy import select

from portal.admin.services import grant_reviewer
from portal.auth.models import User
from portal.auth.services import get_user_by_email, register_user
from portal.extensions import db
from portal.models_base import utcnow
from portal.orgs.models import Membership, Organization, OrgRole, OrgStatus

DEMO_PASSWORD = "demo-password-2026"

USERS = [
    # email, display name, role label, flags
    ("admin@demo.example.org", "平台管理员（示例）", "平台管理员", {"admin": True}),
    ("expert.zhou@demo.example.org", "周明远（示例专家）", "点评专家", {
        "reviewer": ("社会学教授", "某大学社会学系（示例）", "社区协商议事、党建引领、五社联动")}),
    ("expert.chen@demo.example.org", "陈思宁（示例专家）", "点评专家", {
        "reviewer": ("街镇工作研究员", "某市街镇工作协会（示例）", "社工站建设、需求导向、资源链接与慈善")}),
    ("unit.admin@demo.example.org", "黔东南示例中心管理员", "成员单位管理员（黔东南州示例社会工作服务中心）", {}),
    ("unit.editor@demo.example.org", "黔东南示例中心编辑", "成员单位编辑（黔东南州示例社会工作服务中心）", {}),
    ("tongren.admin@demo.example.org", "铜仁示例社工站管理员", "成员单位管理员（铜仁市示例乡镇社工站）", {}),
    ("applicant@demo.example.org", "安顺示例协会申请人", "待审核单位的申请人", {}),
    ("reader@demo.example.org", "社区工作者小李（示例）", "实务工作者（普通用户）", {}),
]

ORGS = [
    {
        "name": "黔东南州示例社会工作服务中心",
        "org_type": "社工机构", "province": "贵州省", "city": "黔东南州凯里市",
        "contact_name": "中心办公室", "contact_email": "office@qdn-demo.example.org",
        "status": OrgStatus.VERIFIED,
        "members": [("unit.admin@demo.example.org", OrgRole.ADMIN), ("unit.editor@demo.example.org", OrgRole.EDITOR)],
        "introduction": (
            "扎根黔东南州的专业社工机构，参与州里“五社联动”社会工作服务试点："
            "在原有“三社联动”的做法上，把社区、社会组织、社会工作者、社区志愿者和社会慈善资源"
            "放到同一张工作台上，共同回应村寨和易地搬迁社区的需求。\n\n"
            "- 服务领域：儿童关爱、困难群众救助、社区协商议事\n"
            "- 工作方式：驻站服务、入户走访、居民议事会"
        ),
    },
    {
        "name": "铜仁市示例乡镇社工站",
        "org_type": "街道或社区", "province": "贵州省", "city": "铜仁市",
        "contact_name": "站点负责人", "contact_email": "station@tr-demo.example.org",
        "status": OrgStatus.VERIFIED,
        "members": [("tongren.admin@demo.example.org", OrgRole.ADMIN)],
        "introduction": (
            "乡镇（街道）社会工作站。借助东西部协作，站里引入了广东东莞的资深社工做督导，"
            "与本地社工结对带教，逐步形成能独立运转的驻站团队。"
        ),
    },
    {
        "name": "重庆市示例社会工作发展中心",
        "org_type": "社工机构", "province": "重庆市", "city": "重庆市",
        "contact_name": "项目部", "contact_email": "",
        "status": OrgStatus.VERIFIED,
        "members": [],
        "introduction": (
            "参与“十四五”时期黔渝两地社会工作服务机构“牵手计划”的机构之一，"
            "与贵州受援地区的社工站结对，开展人员培训、项目设计和督导陪伴。"
        ),
    },
    {
        "name": "上海市示例街道社区服务中心",
        "org_type": "委员单位", "province": "上海市", "city": "上海市",
        "contact_name": "服务中心", "contact_email": "",
        "status": OrgStatus.VERIFIED,
        "members": [],
        "introduction": "城乡社区工作委员会的委员单位，长期探索居民区议事规则和社区协商平台建设。",
    },
    {
        "name": "安顺市示例志愿服务协会",
        "org_type": "社区社会组织", "province": "贵州省", "city": "安顺市",
        "contact_name": "协会秘书处", "contact_email": "",
        "status": OrgStatus.PENDING,
        "members": [("applicant@demo.example.org", OrgRole.ADMIN)],
        "applicant": "applicant@demo.example.org",
        "introduction": "组织社工和志愿者走进社区、学校和乡村开展志愿服务的社区社会组织（待审核的示例申请）。",
    },
]


def _get_or_create_user(email: str, name: str) -> tuple[User, bool]:
    user = get_user_by_email(email)
    if user is not None:
        return user, False
    return register_user(email, name, DEMO_PASSWORD), True


def seed_demo() -> tuple[bool, dict]:
    """Create whatever demo rows are missing. Returns (anything created, logins)."""
    created = False
    for email, name, _role, flags in USERS:
        user, new = _get_or_create_user(email, name)
        created |= new
        if new and flags.get("admin"):
            user.is_admin = True
        if new and flags.get("reviewer"):
            title, affiliation, expertise = flags["reviewer"]
            grant_reviewer(None, user, title=title, affiliation=affiliation, expertise=expertise,
                           bio="示例专家账号，用于演示专家点评功能。")
    db.session.flush()
    admin = get_user_by_email(USERS[0][0])
    for spec in ORGS:
        if db.session.scalar(select(Organization).where(Organization.name == spec["name"])) is not None:
            continue
        created = True
        org = Organization(
            name=spec["name"], org_type=spec["org_type"], province=spec["province"], city=spec["city"],
            contact_name=spec["contact_name"], contact_email=spec["contact_email"],
            introduction=spec["introduction"], status=spec["status"],
        )
        db.session.add(org)
        if spec.get("applicant"):
            org.applicant = get_user_by_email(spec["applicant"])
        if spec["status"] == OrgStatus.VERIFIED:
            org.reviewed_by = admin
            org.reviewed_at = utcnow()
        for email, role in spec["members"]:
            org.memberships.append(Membership(user=get_user_by_email(email), role=role))
    db.session.flush()
    created |= _seed_cases(admin)
    return created, {"password": DEMO_PASSWORD, "accounts": [(email, role) for email, _n, role, _f in USERS]}


def _seed_cases(curator: User) -> bool:
    """Demo cases in every workflow state, walked through the real workflow."""
    from datetime import date, datetime, timedelta

    from portal.cases import services
    from portal.cases.demo_cases import DEMO_CASES
    from portal.cases.models import Case

    steps = {
        "draft": [], "submitted": ["submit"], "in_review": ["submit", "start_review"],
        "returned": ["submit", "return"], "published": ["submit", "publish"],
    }
    created = False
    for spec in DEMO_CASES:
        org = db.session.scalar(select(Organization).where(Organization.name == spec["org"]))
        if org is None or db.session.scalar(
                select(Case).where(Case.org_id == org.id, Case.external_id == spec["external_id"])):
            continue
        created = True
        fields = {k: v for k, v in spec.items()
                  if k not in ("external_id", "org", "status", "featured", "return_reason")}
        for key in ("started_on", "ended_on"):
            fields[key] = date.fromisoformat(fields[key]) if fields.get(key) else None
        member = next((m.user for m in org.memberships), None)
        case = services.create_case(None, org, services.CaseData(**fields), external_id=spec["external_id"])
        case.created_by = member
        for action in steps[spec["status"]]:
            actor = member if action == "submit" else curator
            reason = spec.get("return_reason", "") if action == "return" else ""
            services.transition(actor, case, action, reason)
        if case.published_at is not None:
            anchor = case.ended_on or case.started_on or date(2023, 1, 1)
            case.published_at = datetime.combine(anchor, datetime.min.time()) + timedelta(days=30)
        case.featured = bool(spec.get("featured")) and case.is_published
    db.session.flush()
    return created
