"""Demo content for `portal seed-demo`.

Facts (places, programmes, figures) come from the newspaper page in ../shared/seed/;
every sentence here is our own, and every person is fictional.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.admin.services import grant_reviewer
from portal.auth.models import User
from portal.auth.services import get_user_by_email, register_user
from portal.extensions import db
from portal.models_base import utcnow
from portal.orgs.models import Membership, Organization, OrgRole, OrgStatus
from portal.timezones import shanghai_to_utc

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
    created |= _seed_commentary(admin)
    created |= _seed_sessions(admin)
    created |= _seed_replays()
    created |= _seed_calls(admin)
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


# Expert commentary, reviews, discussion, adoption, follows (issue 5) ----------------------

REVIEWER_THEMES = {
    "expert.zhou@demo.example.org": ["社区协商议事", "党建引领", "五社联动"],
    "expert.chen@demo.example.org": ["社工站建设", "需求导向", "资源链接与慈善"],
}

#: (expert, case external id, scores in rubric order, body)
EXPERT_COMMENTS = [
    ("expert.zhou@demo.example.org", "demo-001", [5, 4, 4, 4, 5],
     "“共治工作台”的价值在于把五方力量的碰头变成了**固定节奏**：每月一次、议题由居民提出、"
     "结果当场分工。搬迁社区人员来源杂、互不熟悉，这种节奏比一次性的大型活动更能积累信任。\n\n"
     "建议补充两点，便于其他地区借鉴：\n\n"
     "1. 工作台一年的运行成本（人力、场地、慈善资金各占多少）；\n"
     "2. 居民提出的议题中，有多少最终办成，没办成的原因是什么。"),
    ("expert.chen@demo.example.org", "demo-001", [4, 4, 5, 4, 4],
     "案例对慈善资源的使用交代得比较清楚，尤其是把小额资金交给居民小组自己管理这一点。"
     "可推广性较强：多数易地搬迁安置点都有类似的社区结构。"
     "如果能附上需求台账的样表，对刚起步的社工站会很有帮助。"),
    ("expert.zhou@demo.example.org", "demo-003", [4, 4, 3, 4, 5],
     "“火塘会”把议事放回村民熟悉的场景，党员带头发言、村民轮流主持，参与度高是自然的结果。"
     "可推广性上要注意：这一做法依赖村寨原有的熟人关系，在城市社区需要换一种载体。"),
    ("expert.chen@demo.example.org", "demo-005", [4, 5, 4, 5, 3],
     "东西部协作引才的关键不是“请进来”，而是“留得下”。案例记录了督导与本地社工两年的结对过程，"
     "本地团队已能独立承接项目，这是最有说服力的成效。建议下一步总结带教清单，供其他乡镇社工站使用。"),
]

UNIT_RESPONSES = [
    ("unit.admin@demo.example.org", "expert.zhou@demo.example.org", "demo-001",
     "感谢专家点评。运行成本我们正在整理，预计下季度补充到附件中；"
     "居民议题的办结情况目前约七成，未办结的多数涉及跨部门协调，我们会在案例中单列说明。"),
]

#: (author, case external id, body, reply (author, body) or None)
DISCUSSION = [
    ("reader@demo.example.org", "demo-001",
     "请问搬迁社区的志愿者一开始是怎么招募的？我们社区也是新建安置点，居民彼此不认识。",
     ("unit.editor@demo.example.org",
      "我们先从楼栋长和愿意帮忙的老人入手，每人再带一两个邻居，三个月后志愿者队伍就稳定下来了。")),
    ("reader@demo.example.org", "demo-006",
     "探访记录表能否分享一份模板？想参考一下高龄老人探访的频次安排。", None),
]


def _seed_commentary(curator: User) -> bool:
    """Expert comments, a unit response, a short discussion, an adoption report, two review
    assignments and a practitioner's follows, all through the services. Runs once: skipped
    when any expert comment exists."""
    from portal.adoptions.models import AdoptionKind
    from portal.adoptions.services import AdoptionData, save_report
    from portal.cases.models import Case, Theme
    from portal.discussion.services import post_comment
    from portal.notifications.services import follow
    from portal.reviews import assignments
    from portal.reviews import services as reviews
    from portal.reviews.models import ExpertComment

    if db.session.scalar(select(ExpertComment.id).limit(1)) is not None:
        return False

    def case(external_id: str) -> Case | None:
        return db.session.scalar(select(Case).where(Case.external_id == external_id))

    themes = {t.name: t for t in db.session.scalars(select(Theme))}
    for email, names in REVIEWER_THEMES.items():
        user = get_user_by_email(email)
        if user is None or user.reviewer_profile is None:
            continue
        profile = user.reviewer_profile
        reviews.update_profile(curator, profile, reviews.ProfileData(
            title=profile.title, affiliation=profile.affiliation, expertise=profile.expertise, bio=profile.bio,
            theme_ids=[themes[n].id for n in names if n in themes]))
    dimensions = reviews.active_dimensions()
    comments = {}
    for email, external_id, scores, body in EXPERT_COMMENTS:
        target, expert = case(external_id), get_user_by_email(email)
        if target is None or expert is None or not target.is_published:
            continue
        comments[(email, external_id)] = reviews.post_comment(expert, target, reviews.CommentData(
            body=body, declaration=reviews.NO_CONFLICT,
            scores={d.id: str(n) for d, n in zip(dimensions, scores)}))
    for unit_email, expert_email, external_id, body in UNIT_RESPONSES:
        comment = comments.get((expert_email, external_id))
        if comment is not None:
            reviews.respond(get_user_by_email(unit_email), comment, body)
    for email, external_id, body, reply in DISCUSSION:
        target = case(external_id)
        if target is None or not target.is_published:
            continue
        first = post_comment(get_user_by_email(email), target, body)
        db.session.flush()
        if reply:
            post_comment(get_user_by_email(reply[0]), target, reply[1], parent_id=first.id)
    adopted, tongren = case("demo-001"), get_user_by_email("tongren.admin@demo.example.org")
    if adopted is not None and tongren is not None and tongren.memberships:
        save_report(tongren, adopted, AdoptionData(
            org_id=tongren.memberships[0].org_id, kind=AdoptionKind.ADAPTED, place="铜仁市某镇集镇社区（示例）",
            changes="没有照搬每月一次的工作台，而是并入社工站每两周的例会；慈善资金改由镇社会事务办统一登记。",
            results="试行四个月，居民提出议题 23 件，办结 15 件；志愿者从 6 人增加到 19 人。"))
    reviewers = {email: get_user_by_email(email) for email in REVIEWER_THEMES}
    submitted, in_review = case("demo-008"), case("demo-010")
    chen, zhou = reviewers["expert.chen@demo.example.org"], reviewers["expert.zhou@demo.example.org"]
    if submitted is not None and chen is not None:
        assignments.assign_reviewer(curator, submitted, chen.id)
        assignments.save_internal_review(
            chen, submitted, "publish",
            "台账的设计简洁实用，数据口径清楚。建议发布，并在成效部分补充线上登记与线下走访的比例。")
    if in_review is not None and zhou is not None:
        # A blind assignment, still open: the expert sees the case without the unit's name.
        assignments.assign_reviewer(curator, in_review, zhou.id, hide_unit=True)
    reader = get_user_by_email("reader@demo.example.org")
    if reader is not None and "五社联动" in themes:
        follow(reader, "theme", str(themes["五社联动"].id))
        follow(reader, "province", "贵州省")
    db.session.flush()
    return True


# Session archives (issue 6) -------------------------------------------------------------

EVENT = {
    "title": "首届全国社会组织参与社区治理工作经验与案例线上分享活动",
    "organizer": "中国社会工作联合会城乡社区工作委员会",
    "description": (
        "面向全国委员单位、社区社会组织和社工机构的线上案例分享活动，分两个阶段举行。"
        "各单位结合自身实践，介绍社会组织参与城乡社区治理的做法与成效，点评专家逐一点评。\n\n"
        "活动围绕三条主线展开：坚持**党建引领**、注重**需求导向**、提升**专业能力**。"
    ),
    "themes": ["党建引领", "社区协商议事", "五社联动"],
}

#: Two phases. Times are Beijing time. Numbers as reported: the seed page gives 495 participants
#: from 28 provinces for the second phase (11 月 3 日) only and no figures for the first, so the
#: first phase has none and the event page shows the phases' figures without a total.
#: ``recording`` and ``materials`` are neutral example links (see _seed_replays).
PHASES = [
    {
        "title": "社会组织参与社区治理经验与案例分享（第一阶段）",
        "start": (2022, 10, 12, 14, 0), "end": (2022, 10, 12, 17, 0),
        "numbers": None,
        "agenda": [("talk", "开场致辞", None, "委员会负责人", 10),
                   ("case", None, "demo-001", "中心项目主管", 30),
                   ("case", None, "demo-003", "驻村社工", 30),
                   ("case", None, "demo-009", "项目督导", 30),
                   ("talk", "专家点评", None, "", 40),
                   ("talk", "互动交流", None, "主持人", 40)],
        "recording": "https://video.example.org/demo/community-governance-2022/phase-1",
        "materials": [("第一阶段议程与案例清单", "https://files.example.org/demo/community-governance-2022/phase-1-agenda")],
        "minutes": (
            "第一阶段会议聚焦社会组织如何进入社区、如何与居委会和居民形成合力。三个案例分别来自"
            "易地搬迁安置社区、山区村寨和跨省结对项目。\n\n"
            "点评专家认为：固定的议事节奏比一次性活动更能积累信任；社会组织要把居民的需求放在"
            "项目设计之前；跨地区结对的关键是让本地团队最终能够独立运转。"
        ),
    },
    {
        "title": "社会组织参与社区治理经验与案例分享（第二阶段）",
        "start": (2022, 11, 3, 14, 0), "end": (2022, 11, 3, 16, 30),
        "numbers": {"participants": 495, "provinces_count": 28, "orgs_count": None},
        "agenda": [("talk", "开场致辞", None, "委员会负责人", 15),
                   ("case", None, "demo-005", "社工站站长", 35),
                   ("case", None, "demo-006", "驻站社工", 35),
                   ("talk", "专家点评", None, "", 45),
                   ("talk", "两次分享会议总结与后续安排", None, "委员会总干事", 20)],
        "recording": "https://video.example.org/demo/community-governance-2022/phase-2",
        "materials": [("第二阶段案例分享演示文稿合集", "https://files.example.org/demo/community-governance-2022/phase-2-slides"),
                      ("点评与总结要点（文字整理）", "https://files.example.org/demo/community-governance-2022/phase-2-notes")],
        "minutes": (
            "第二阶段会议在第一阶段之后召开，来自 28 个省（自治区、直辖市）的委员单位、社区社会组织、"
            "社工机构和社区工作者共 495 人在线参加。\n\n"
            "致辞提出社会组织参与社区治理的三点要求：坚持党建引领，保证社区公共服务方向不偏；"
            "注重需求导向，回应居民急难愁盼；提升专业能力，让服务少走弯路。\n\n"
            "两位点评专家分别从培育居民参与意识、善用专业和资源链接优势、找准在共建共治共享格局中的"
            "位置等角度作了点评。会议最后对两次分享会议作了总结，并介绍了本届活动的后续安排。"
        ),
    },
]

SERIES = {
    "title": "乡镇社工站建设交流",
    "description": "面向乡镇（街道）社工站的线上交流系列，每期请两三个站点分享建站和驻站服务的做法。",
    "sessions": [
        {"number": 1, "title": "社工站如何站稳脚跟：人才引进与本地培养", "start": (2023, 4, 20, 15, 0),
         "end": (2023, 4, 20, 16, 30), "status": "archived", "agenda": [("case", None, "demo-005", "社工站站长", 25)],
         "numbers": {"participants": 186, "provinces_count": 9, "orgs_count": 41},
         "minutes": "本期交流了借助东西部协作引进督导、与本地社工结对带教的经验，讨论了驻站社工的薪酬与留用。"},
        {"number": 2, "title": "社工站服务台账与需求评估", "start": (2026, 12, 18, 14, 30),
         "end": (2026, 12, 18, 16, 30), "status": "planned", "capacity": 120, "agenda": [],
         "numbers": None, "minutes": ""},
    ],
}


def _seed_sessions(curator: User) -> bool:
    """The two-phase national sharing event and a numbered series, linked to the demo cases and
    demo experts. Runs once: skipped when any event exists."""
    from datetime import datetime

    from portal.cases.models import Case, Theme
    from portal.reviews.models import ExpertComment
    from portal.sessions.models import AgendaItem, CaseProposal, Event, Registration, Series, SessionSpeaker, SharingSession

    if db.session.scalar(select(Event.id).limit(1)) is not None:
        return False

    def at(parts) -> datetime:
        return shanghai_to_utc(datetime(*parts))

    def case(external_id):
        return db.session.scalar(select(Case).where(Case.external_id == external_id))

    themes = {t.name: t for t in db.session.scalars(select(Theme))}
    zhou = get_user_by_email("expert.zhou@demo.example.org")
    chen = get_user_by_email("expert.chen@demo.example.org")

    def fill(session: SharingSession, spec: dict) -> None:
        for kind, title, external_id, presenter, minutes in spec["agenda"]:
            target = case(external_id) if external_id else None
            if kind == "case" and (target is None or not target.is_published):
                continue
            session.agenda.append(AgendaItem(
                position=len(session.agenda) + 1, kind=kind, title=target.title if target else title,
                case=target, org=target.org if target else None, presenter=presenter, duration_minutes=minutes))
        for key, value in (spec.get("numbers") or {}).items():
            setattr(session, key, value)
        session.organizations = list({i.org.id: i.org for i in session.agenda if i.org}.values())

    event = Event(title=EVENT["title"], organizer=EVENT["organizer"], description=EVENT["description"],
                  themes=[themes[n] for n in EVENT["themes"] if n in themes])
    db.session.add(event)
    phases = []
    for spec in PHASES:
        session = SharingSession(
            event=event, title=spec["title"], starts_at=at(spec["start"]), ends_at=at(spec["end"]),
            format="online", venue="线上视频会议", host="委员会秘书处", status="archived",
            registration_open=False, minutes=spec["minutes"], themes=list(event.themes), closed_at=at(spec["end"]))
        db.session.add(session)
        session.speakers = [SessionSpeaker(role="remarks", name="委员会负责人（示例）",
                                           affiliation="城乡社区工作委员会", position=1)]
        for position, expert in enumerate((zhou, chen), start=2):
            if expert is not None and expert.reviewer_profile is not None:
                session.speakers.append(SessionSpeaker(
                    role="commentator", name=expert.display_name, affiliation=expert.reviewer_profile.affiliation,
                    user=expert, position=position))
        if spec["agenda"][-1][1] and "总结" in spec["agenda"][-1][1]:
            session.speakers.append(SessionSpeaker(role="summary", name="委员会总干事（示例）",
                                                   affiliation="城乡社区工作委员会", position=9))
        fill(session, spec)
        phases.append(session)
    db.session.flush()
    # Expert comments given at the sessions.
    for expert, external_id, session in ((zhou, "demo-001", phases[0]), (chen, "demo-005", phases[1])):
        target = case(external_id)
        if expert is None or target is None:
            continue
        comment = db.session.scalar(select(ExpertComment).where(
            ExpertComment.case_id == target.id, ExpertComment.author_id == expert.id))
        if comment is not None:
            comment.session_id = session.id

    series = Series(title=SERIES["title"], description=SERIES["description"])
    db.session.add(series)
    upcoming = None
    for spec in SERIES["sessions"]:
        session = SharingSession(
            series=series, series_number=spec["number"], title=spec["title"], starts_at=at(spec["start"]),
            ends_at=at(spec["end"]), format="online", venue="线上视频会议", host="委员会秘书处",
            status=spec["status"], capacity=spec.get("capacity"), registration_open=spec["status"] == "planned",
            minutes=spec["minutes"], themes=[themes[n] for n in ("社工站建设",) if n in themes],
            closed_at=at(spec["end"]) if spec["status"] == "archived" else None)
        db.session.add(session)
        if chen is not None:
            session.speakers = [SessionSpeaker(role="commentator", name=chen.display_name,
                                               affiliation=chen.reviewer_profile.affiliation if chen.reviewer_profile
                                               else "", user=chen, position=1)]
        fill(session, spec)
        if spec["status"] == "planned":
            upcoming = session
    db.session.flush()
    if upcoming is not None:
        reader = get_user_by_email("reader@demo.example.org")
        if reader is not None:
            db.session.add(Registration(session=upcoming, user=reader))
        proposed, editor = case("demo-002"), get_user_by_email("unit.editor@demo.example.org")
        if proposed is not None and proposed.is_published and editor is not None:
            db.session.add(CaseProposal(session=upcoming, case=proposed, org=proposed.org, proposed_by=editor,
                                        presenter="项目社工",
                                        note="可介绍观护基地与检察机关的分工和转介流程。"))
    db.session.flush()
    return True


#: The recording starts this long before the opening remarks (people joining, a sound check).
RECORDING_LEAD_IN = 120


def _seed_replays() -> bool:
    """The event's phases can be relived: a recording link, each item's offset into it (the lead-in
    plus the planned durations before it) and the phase's materials. Fills a phase that has none
    of these yet, so databases seeded before this existed get them too; never touches a phase an
    organizer has already given a recording, offsets or materials."""
    from portal.sessions.models import Event, MaterialKind, SessionMaterial
    from portal.sessions.services import ordered_agenda

    event = db.session.scalar(select(Event).where(Event.title == EVENT["title"]))
    if event is None:
        return False
    created = False
    for session in event.sessions:
        spec = next((p for p in PHASES if p["title"] == session.title), None)
        items = ordered_agenda(session)
        if (spec is None or session.recording_url or session.materials
                or any(i.recording_offset is not None for i in items)):
            continue
        created = True
        session.recording_url = spec["recording"]
        offset = RECORDING_LEAD_IN
        for item in items:
            item.recording_offset = offset
            if not item.duration_minutes:
                break  # the items after it have no known place in the recording
            offset += item.duration_minutes * 60
        for title, url in spec["materials"]:
            session.materials.append(SessionMaterial(kind=MaterialKind.LINK, title=title, url=url))
    db.session.flush()
    return created


# Calls for cases and awards (案例征集与评选) ---------------------------------------------------

#: A closed call with published results. Dates are relative to the seeding day (Asia/Shanghai):
#: it opened ``opened_days_ago`` and closed ``closed_days_ago`` days before it, the reviewers were
#: due ``review_days`` after the deadline, and the results go out on the seeding day.
CLOSED_CALL = {
    "title": "首届社区治理优秀案例征集",
    "description": (
        "平台的第一次案例征集，沿用城乡社区工作委员会首届线上分享活动的思路（那次活动在 2022 年"
        "10 月 12 日和 11 月 3 日分两个阶段举行）：请各地把社会组织参与社区治理的做法写成完整的案例，"
        "由专家打分评选，选出一批别处也用得上的优秀案例。\n\n"
        "**欢迎的方向**\n\n"
        "- 党建引领下的村（居）民协商议事\n"
        "- “五社联动”：社区、社会组织、社工、志愿者和慈善资源一起做事\n"
        "- 乡镇（街道）社工站的建站与驻站服务\n"
        "- 社会工作助力乡村振兴，以及“牵手计划”中的跨地区结对\n\n"
        "每个参评案例由两位专家按下列维度评分；各位专家的打分松紧不同，排序时先做标准化，"
        "再由评审组结合评审意见确定奖项。"
    ),
    "opened_days_ago": 84, "closed_days_ago": 35, "review_days": 21,
    "themes": ["党建引领", "五社联动", "社工站建设", "乡村振兴", "牵手计划与东西部协作"],
    "max_entries_per_unit": 2, "reviewers_per_entry": 2,
    "dimensions": "创新性 30\n实效性 30\n可推广性 25\n规范性 15",
    "levels": "一等奖 1\n二等奖 1\n三等奖 1\n优秀案例 2",
}

#: The entries: (case external id, who entered it, presenter, days after opening, award level,
#: the decision's reason). A unit without a demo login (Chongqing, Shanghai) has its entry
#: recorded for it (no one entered it in the app). Each reason gets the entry's rank appended.
CLOSED_ENTRIES = [
    ("demo-001", "unit.editor@demo.example.org", "中心项目主管", 12, "一等奖",
     "五方力量按固定节奏碰头、议题由居民提出，成效有台账可查；两位专家的评分都排在第一。"),
    ("demo-005", "tongren.admin@demo.example.org", "社工站站长", 20, "二等奖",
     "外来督导与本地社工结对两年，本地团队已能独立承接项目，对刚建站的乡镇最有参考价值。"),
    ("demo-009", None, "项目督导", 30, "三等奖",
     "跨省结对的调研、培训、项目共创和督导分工写得清楚，三个受援站点都做出了自己的项目，别处可以照着做。"),
    ("demo-011", None, "居民区社工", 33, "优秀案例",
     "协商规则细致、每一步都能落地；两位专家对它在农村社区的适用面看法不一，评审组合议后评为优秀案例。"),
    ("demo-003", "unit.admin@demo.example.org", "驻村社工", 40, "优秀案例",
     "议事回到村民熟悉的场合，参与面广；做法依托村寨的熟人关系，换到城市社区需要另找载体。"),
    ("demo-006", "tongren.admin@demo.example.org", "驻站社工", 45, None, ""),
]

#: Per reviewer: per case, the scores in the order of the dimensions above and an internal note.
#: 周 scores generously, 陈 strictly; on demo-011 they are far enough apart to be flagged.
CLOSED_SCORES = {
    "expert.zhou@demo.example.org": {
        "demo-001": ([9, 9, 8, 8], "节奏固定、分工清楚，是本批最完整的一个。"),
        "demo-003": ([9, 8, 6, 8], "场景选得好；推广时要说明换了地方怎么办。"),
        "demo-005": ([8, 9, 8, 8], "结对带教的过程写得实，成效可信。"),
        "demo-006": ([7, 8, 7, 7], "用低龄老人做探访骨干是亮点，数据也完整。"),
        "demo-009": ([8, 8, 8, 7], "结构清楚，数据可以再细一些。"),
        "demo-011": ([9, 8, 9, 8], "议事规则可以直接拿去用，城市老旧小区都适用。"),
    },
    "expert.chen@demo.example.org": {
        "demo-001": ([7, 8, 7, 7], "慈善资金的使用交代清楚；运行成本仍缺。"),
        "demo-003": ([6, 7, 5, 6], "效果好，但依赖村寨原有关系，复制难度不小。"),
        "demo-005": ([7, 8, 7, 6], "留人比引人难，案例回答了这一点；附件可再补带教清单。"),
        "demo-006": ([5, 6, 5, 5], "与常见的探访项目区别不大，可推广的部分还需要提炼。"),
        "demo-009": ([7, 7, 7, 6], "培训和督导安排写得明白；结对结束后站点怎样独立运转交代不足。"),
        "demo-011": ([5, 5, 6, 5], "产权和资金条件特殊，放到乡镇社区很难照搬。"),
    },
}

#: A call that is open on the seeding day (opened a week before, closes six weeks after), with
#: one entry so far: the countdown and the entry form can be tried.
OPEN_CALL = {
    "title": "乡镇（街道）社工站驻站服务案例征集",
    "description": (
        "面向乡镇（街道）社工站和与站点结对的社工机构，征集驻站服务的真实做法：站点怎样摸清"
        "村（居）民的需要，怎样把本地社工带出来，怎样和村（社区）两委、志愿者分工配合。\n\n"
        "东西部协作、“牵手计划”中的带教经验尤其欢迎；请在“问题与展望”中如实写出还没解决的难处。"
        "获奖案例收入平台案例库，供各地新建站点参考。"
    ),
    "opened_days_ago": 7, "closes_in_days": 42, "review_days": 21,
    "themes": ["社工站建设", "乡村振兴", "牵手计划与东西部协作"],
    "required_sections": ["problems"], "max_entries_per_unit": 1, "reviewers_per_entry": 2, "blind": True,
    "dimensions": "需求把握 30\n服务成效 30\n本地化与可持续 25\n规范性 15",
    "levels": "优秀案例 3\n推荐案例 5",
    "entries": [("demo-006", "tongren.admin@demo.example.org", "驻站社工")],
}


def _seed_calls(curator: User) -> bool:
    """A closed call with its reviews and published results, and a call open on the seeding day,
    through the calls services. A call cannot take entries after its deadline, so the closed one
    is created open, takes its entries, and then has its dates moved back (an admin's edit) before
    the reviewers score it. Each call is skipped when a call with its title exists."""
    created = _seed_closed_call(curator)
    created |= _seed_open_call(curator)
    return created


def _call_data(spec: dict, opens: datetime, closes: datetime, review_due: date | None, themes: dict):
    from portal.calls import services as calls

    return calls.CallData(
        title=spec["title"], description=spec["description"], opens_at=opens, closes_at=closes,
        review_due_on=review_due, theme_ids=[themes[n].id for n in spec["themes"] if n in themes],
        required_sections=spec.get("required_sections", []), max_entries_per_unit=spec["max_entries_per_unit"],
        reviewers_per_entry=spec["reviewers_per_entry"], blind=spec.get("blind", False),
        dimensions=spec["dimensions"], levels=spec["levels"])


def _call_exists(title: str) -> bool:
    from portal.calls.models import CaseCall

    return db.session.scalar(select(CaseCall.id).where(CaseCall.title == title)) is not None


def _demo_case(external_id: str):
    from portal.cases.models import Case

    case = db.session.scalar(select(Case).where(Case.external_id == external_id))
    return case if case is not None and case.is_published else None


def _last_notification_id() -> int:
    from sqlalchemy import func

    from portal.notifications.models import Notification

    return db.session.scalar(select(func.max(Notification.id))) or 0


def _date_notifications(since: int, when: datetime) -> None:
    """The notifications sent after notification ``since`` were sent at ``when`` (naive UTC)."""
    from portal.notifications.models import Notification

    for row in db.session.scalars(select(Notification).where(Notification.id > since)):
        row.created_at = when


def _seed_closed_call(curator: User) -> bool:
    from portal.calls import services as calls
    from portal.calls.models import CallEntry, EntryStatus
    from portal.cases.models import Theme
    from portal.mail.models import OutgoingMail
    from portal.notifications.models import Notification
    from portal.timezones import utc_to_shanghai

    spec = CLOSED_CALL
    reviewers = [get_user_by_email(email) for email in CLOSED_SCORES]
    cases = {external_id: _demo_case(external_id) for external_id, *_rest in CLOSED_ENTRIES}
    if (_call_exists(spec["title"]) or None in cases.values()
            or not all(r is not None and r.is_reviewer for r in reviewers)):
        return False
    themes = {t.name: t for t in db.session.scalars(select(Theme))}
    now = utc_to_shanghai(utcnow())
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    opens = day - timedelta(days=spec["opened_days_ago"]) + timedelta(hours=9)
    closes = day - timedelta(days=spec["closed_days_ago"]) + timedelta(hours=17)
    review_due = (closes + timedelta(days=spec["review_days"])).date()

    # Open while the units enter (the deadline is still ahead: tomorrow) ...
    call = calls.save_call(curator, None, _call_data(spec, opens, now + timedelta(days=1), None, themes))
    before_announcing = _last_notification_id()
    calls.announce(curator, call)
    db.session.flush()  # enter() reloads the call
    announced = db.session.scalars(select(Notification.id).where(Notification.id > before_announcing)).all()
    _date_notifications(before_announcing, shanghai_to_utc(opens))
    for external_id, email, presenter, after_days, _level, _reason in CLOSED_ENTRIES:
        case = cases[external_id]
        entrant = get_user_by_email(email) if email else None
        before = _last_notification_id()
        if entrant is not None:
            entry = calls.enter(entrant, call, case.id, presenter)
        else:  # the unit has no demo login: its entry is recorded as enter() would record it
            org = case.org
            if (calls.entry_problems(call, case) or calls.time_refusal(call) is not None
                    or org.status != OrgStatus.VERIFIED or calls.org_types(call) or calls.provinces(call)):
                continue
            entry = CallEntry(call_id=call.id, case_id=case.id, org_id=case.org_id, presenter=presenter,
                              status=EntryStatus.ENTERED)
            db.session.add(entry)
        entry.created_at = entry.updated_at = shanghai_to_utc(opens + timedelta(days=after_days, hours=2))
        _date_notifications(before, entry.created_at)
    call.announced_at = call.created_at = shanghai_to_utc(opens)
    db.session.flush()
    # ... then the deadline moves to its place in the past (an admin's edit), and the reviewing starts.
    temporary_deadline = calls._when(call.closes_at)
    calls.save_call(curator, call, _call_data(spec, opens, closes, review_due, themes))
    db.session.flush()
    # The announcement told the deadline of the call as announced, not tomorrow's.
    for row in db.session.scalars(select(Notification).where(Notification.id.in_(announced or [0]))):
        row.text = row.text.replace(temporary_deadline, calls._when(call.closes_at))
    for mail in db.session.scalars(select(OutgoingMail).where(OutgoingMail.body.contains(temporary_deadline))):
        mail.body = mail.body.replace(temporary_deadline, calls._when(call.closes_at))
    dimensions = call.dimensions
    entries = {e.case.external_id: e for e in calls.active_entries(call)}
    assigned_at = call.closes_at + timedelta(days=2)
    for position, reviewer in enumerate(reviewers):
        for number, (external_id, entry) in enumerate(entries.items()):
            before = _last_notification_id()
            assignment = calls.assign(curator, entry, reviewer.id)
            scores, note = CLOSED_SCORES[reviewer.email][external_id]
            calls.score(reviewer, assignment, {d.id: n for d, n in zip(dimensions, scores, strict=True)}, note)
            assignment.created_at = assigned_at
            assignment.scored_at = assigned_at + timedelta(days=3 + 4 * position + number, hours=3)
            _date_notifications(before, assignment.scored_at)
    ranks = {row.entry.id: row.figures.rank for row in calls.aggregate(call)}
    levels = {level.name: level for level in call.levels}
    for external_id, _email, _presenter, _days, level, reason in CLOSED_ENTRIES:
        entry = entries.get(external_id)
        if entry is None or level is None:
            continue
        calls.decide(curator, entry, shortlisted=True, level_id=levels[level].id,
                     reason=f"{reason}（标准化后综合排名第 {ranks[entry.id]} 位）")
    calls.publish_results(curator, call)
    db.session.flush()
    return True


def _seed_open_call(curator: User) -> bool:
    from portal.calls import services as calls
    from portal.cases.models import Theme
    from portal.timezones import utc_to_shanghai

    spec = OPEN_CALL
    if _call_exists(spec["title"]):
        return False
    themes = {t.name: t for t in db.session.scalars(select(Theme))}
    day = utc_to_shanghai(utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)
    opens = day - timedelta(days=spec["opened_days_ago"]) + timedelta(hours=9)
    closes = day + timedelta(days=spec["closes_in_days"]) + timedelta(hours=17)
    review_due = (closes + timedelta(days=spec["review_days"])).date()
    call = calls.save_call(curator, None, _call_data(spec, opens, closes, review_due, themes))
    calls.announce(curator, call)
    db.session.flush()  # enter() reloads the call
    for external_id, email, presenter in spec["entries"]:
        case, entrant = _demo_case(external_id), get_user_by_email(email)
        if case is not None and entrant is not None:
            calls.enter(entrant, call, case.id, presenter)
    call.announced_at = call.created_at = shanghai_to_utc(opens)
    db.session.flush()
    return True
