"""What the home page shows: the public part (cases, sessions, expert comments, themes and
headline figures, the same for everyone) and the personal panel of a logged-in user (their
to-dos and the links to the pages they may use).

Every rule comes from the module that owns it: the upcoming rule from portal.sessions.services,
registration from portal.sessions.participation, the review queue from
portal.reviews.assignments (which hides the unit of a blind review), the curation queue from
portal.cases.services, the moderation queue from portal.discussion.services, and who may do
what from portal.permissions. Only published cases (and expert comments on them) are shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, func, not_, or_, select, union, union_all
from sqlalchemy.orm import aliased, selectinload

from portal import permissions
from portal.cases import facets
from portal.cases.facets import ThemeRef
from portal.cases.models import Case, CaseStatus
from portal.extensions import db
from portal.models_base import statement
from portal.orgs.models import Membership, Organization, OrgStatus
from portal.reviews.models import AssignmentStatus, ExpertComment
from portal.sessions.models import Registration, SessionStatus, SharingSession

FEATURED_LIMIT = 3
LATEST_LIMIT = 6
COMMENTS_LIMIT = 4
QUESTIONS_LIMIT = 5


@dataclass(frozen=True)
class Figures:
    """Headline figures, counted from the data."""

    cases: int            # published cases
    units: int            # verified units
    provinces: int        # provinces of verified units and published cases
    sessions: int         # sessions held (every session that is no longer upcoming)
    participants: int     # participants recorded when the sessions were closed (person-times)


@dataclass
class NextSession:
    session: SharingSession
    registration_open: bool              # participation.registration_refusal() is None
    registration: Registration | None    # the viewer's own (registered or waitlisted)


@dataclass
class Panel:
    """The logged-in user's to-dos and counts. A part is None when it does not apply to them."""

    # Unit editors (members of a verified unit)
    can_publish: bool = False
    unit_counts: dict | None = None       # {"published": n, "drafts": n, "returned": n, "questions": n}
    drafts: list[Case] = field(default_factory=list)
    returned: list[Case] = field(default_factory=list)
    questions: list = field(default_factory=list)     # discussion comments still unanswered
    # Reviewers
    is_reviewer: bool = False
    assignments_due: list = field(default_factory=list)   # reviews.assignments.ReviewRow, pending only
    # Platform admins
    can_curate: bool = False
    cases_waiting: int | None = None
    can_review_orgs: bool = False
    unit_applications: int | None = None
    can_moderate: bool = False
    reports_to_moderate: int | None = None
    has_unit: bool = False


@dataclass
class HomePage:
    featured: list[Case]
    latest: list[Case]
    next_session: NextSession | None
    last_archived: SharingSession | None
    comments: list[ExpertComment]
    themes: list[tuple[ThemeRef, int]]
    figures: Figures
    panel: Panel | None
    invite_to_apply: bool     # 申请注册单位 is offered to people who belong to no unit


def _newest_first(stmt):
    return stmt.order_by(Case.published_at.desc(), Case.id.desc())


def featured_and_latest(featured_limit: int = FEATURED_LIMIT,
                        latest_limit: int = LATEST_LIMIT) -> tuple[list[Case], list[Case]]:
    """The newest featured cases, and the newest published cases apart from those, each newest
    first: one query for both lists' cases and one for their themes."""
    cases = list(db.session.scalars(_featured_and_latest_statement(featured_limit, latest_limit)))
    # The featured ones shown are the newest featured among them (a featured case beyond the
    # first few may also be among the latest).
    featured = [c for c in cases if c.featured][:featured_limit]
    shown = {c.id for c in featured}
    return featured, [c for c in cases if c.id not in shown][:latest_limit]


@statement
def _featured_and_latest_statement(featured_limit: int, latest_limit: int):
    from portal.cases.services import card_options

    published = select(Case.id).where(Case.status == CaseStatus.PUBLISHED)
    featured_ids = _newest_first(published.where(Case.featured)).limit(featured_limit)
    latest_ids = _newest_first(published.where(Case.id.not_in(featured_ids.scalar_subquery()))).limit(latest_limit)
    # Each side is its own subquery, so each keeps its ORDER BY ... LIMIT inside the UNION.
    chosen = union_all(select(featured_ids.subquery().c.id), select(latest_ids.subquery().c.id))
    return _newest_first(select(Case).where(Case.id.in_(chosen.scalar_subquery()))).options(*card_options())


def next_session(user) -> NextSession | None:
    """The soonest upcoming session (the one rule: sessions.services.upcoming)."""
    from portal.sessions import participation
    from portal.sessions.services import upcoming

    sharing = db.session.scalar(select(SharingSession).where(upcoming())
                                .order_by(SharingSession.starts_at, SharingSession.id).limit(1))
    if sharing is None:
        return None
    registration = participation.registration_of(user, sharing)
    if registration is not None and registration.status not in participation.ACTIVE:
        registration = None
    return NextSession(sharing, participation.registration_refusal(sharing) is None, registration)


def last_archived_session() -> SharingSession | None:
    return db.session.scalar(_last_archived_statement())


@statement
def _last_archived_statement():
    return (select(SharingSession).where(SharingSession.status == SessionStatus.ARCHIVED)
            .order_by(SharingSession.starts_at.desc(), SharingSession.id.desc()).limit(1))


def recent_expert_comments(limit: int = COMMENTS_LIMIT) -> list[ExpertComment]:
    from portal.reviews.services import recent_public_comments

    return recent_public_comments(limit)


def themes_with_counts() -> list[tuple[ThemeRef, int]]:
    """Active themes with their number of published cases, in the vocabulary's order (cached
    until a case or a theme changes: portal.cases.facets)."""
    counts = facets.theme_counts()
    return [(theme, counts.get(theme.id, 0)) for theme in facets.theme_refs() if not theme.retired]


#: how long the headline figures are kept at most (a session counts as held once it starts,
#: which no write announces)
FIGURES_SECONDS = 60


def figures() -> Figures:
    """The headline figures, cached until a case, theme, unit or session changes (at most
    FIGURES_SECONDS): they count every published case and verified unit, so computing them on
    each view costs more as the catalogue grows (3.6 ms of the home page at 2,000 cases)."""
    return facets.cached("figures", _count_figures, seconds=FIGURES_SECONDS)


def _count_figures() -> Figures:
    from portal.sessions.services import upcoming

    verified = Organization.status == OrgStatus.VERIFIED
    published = Case.status == CaseStatus.PUBLISHED
    places = union(select(Organization.province).where(verified, Organization.province != ""),
                   select(Case.province).where(published, Case.province != "")).subquery()
    held = not_(upcoming())
    # One statement: each figure a scalar subquery.
    row = db.session.execute(select(
        select(func.count()).select_from(Case).where(published).scalar_subquery(),
        select(func.count()).select_from(Organization).where(verified).scalar_subquery(),
        select(func.count()).select_from(places).scalar_subquery(),
        select(func.count()).select_from(SharingSession).where(held).scalar_subquery(),
        select(func.coalesce(func.sum(SharingSession.participants), 0)).where(held).scalar_subquery(),
    )).one()
    cases, units, provinces, sessions, participants = (int(value or 0) for value in row)
    return Figures(cases=cases, units=units, provinces=provinces, sessions=sessions, participants=participants)


def _unanswered_questions(org_ids: list[int]):
    """Visible top-level discussion comments on the units' cases, by someone outside the units,
    that nobody has answered yet (no visible reply)."""
    from portal.discussion.models import Comment, CommentStatus

    reply = aliased(Comment)
    members = select(Membership.user_id).where(Membership.org_id.in_(org_ids))
    return (select(Comment).join(Case, Case.id == Comment.case_id)
            .where(Case.org_id.in_(org_ids), Case.status == CaseStatus.PUBLISHED,
                   Comment.parent_id.is_(None), Comment.status == CommentStatus.VISIBLE,
                   or_(Comment.author_id.is_(None), Comment.author_id.not_in(members)),
                   ~exists().where(reply.parent_id == Comment.id, reply.status == CommentStatus.VISIBLE)))


def _unit_part(user, panel: Panel) -> None:
    from portal.cases.services import card_options, orgs_for_new_case

    orgs = orgs_for_new_case(user)
    panel.has_unit = bool(user.memberships)
    if not orgs:
        return
    panel.can_publish = True
    org_ids = [o.id for o in orgs]
    counts = dict(db.session.execute(select(Case.status, func.count()).where(Case.org_id.in_(org_ids))
                                     .group_by(Case.status)).all())
    mine = (select(Case).where(Case.org_id.in_(org_ids)).options(*card_options(themes=False, strict=False))
            .order_by(Case.updated_at.desc(), Case.id.desc()))
    panel.drafts = list(db.session.scalars(mine.where(Case.status == CaseStatus.DRAFT).limit(5)))
    panel.returned = list(db.session.scalars(mine.where(Case.status == CaseStatus.RETURNED).limit(5)))
    questions = _unanswered_questions(org_ids)
    from portal.discussion.models import Comment

    panel.questions = list(db.session.scalars(
        questions.options(selectinload(Comment.case).options(*card_options(themes=False, org=False, strict=False)),
                          selectinload(Comment.author))
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(QUESTIONS_LIMIT)))
    panel.unit_counts = {
        "published": counts.get(CaseStatus.PUBLISHED, 0), "drafts": counts.get(CaseStatus.DRAFT, 0),
        "returned": counts.get(CaseStatus.RETURNED, 0),
        "questions": db.session.scalar(select(func.count()).select_from(questions.subquery())) or 0,
    }


def personal_panel(user) -> Panel | None:
    """The to-dos of a logged-in user; None for a visitor."""
    if not getattr(user, "is_authenticated", False):
        return None
    panel = Panel()
    _unit_part(user, panel)
    if permissions.is_active_expert(user):
        from portal.reviews.assignments import reviewer_queue

        panel.is_reviewer = True
        panel.assignments_due = [row for row in reviewer_queue(user)
                                 if row.assignment.status == AssignmentStatus.PENDING]
    if permissions.can_curate(user):
        from portal.cases.services import curation_queue_count

        panel.can_curate = True
        panel.cases_waiting = curation_queue_count()
    if permissions.can_review_orgs(user):
        panel.can_review_orgs = True
        panel.unit_applications = db.session.scalar(
            select(func.count()).select_from(Organization).where(Organization.status == OrgStatus.PENDING)) or 0
    if permissions.can_moderate(user):
        from portal.discussion.services import moderation_queue

        panel.can_moderate = True
        panel.reports_to_moderate = len(moderation_queue(user))
    return panel


def home_page_data(user) -> HomePage:
    featured, latest = featured_and_latest()
    panel = personal_panel(user)
    return HomePage(
        featured=featured,
        latest=latest,
        next_session=next_session(user),
        last_archived=last_archived_session(),
        comments=recent_expert_comments(),
        themes=themes_with_counts(),
        figures=figures(),
        panel=panel,
        invite_to_apply=panel is None or not panel.has_unit,
    )

