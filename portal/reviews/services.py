"""Business rules for expert comments (专家点评), rubric scores, unit responses (回应), the expert
directory and the rubric the admins configure. Permission checks call portal.permissions."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from portal import permissions, storage, uploads
from portal.admin import audit
from portal.auth.models import ReviewerProfile, User
from portal.cases.models import Case, CaseStatus, Theme
from portal.errors import NotFound, PermissionDenied, ValidationError
from portal.extensions import db
from portal.models_base import loader_options, statement, utcnow
from portal.rendering import stored_html
from portal.reviews.models import (
    ExpertComment,
    ExpertCommentRevision,
    ExpertScore,
    RubricDimension,
    UnitResponse,
)
from portal.urls import site_path

MAX_BODY = 5000
MAX_NOTE = 300
MAX_RESPONSE = 3000
MAX_BIO = 2000
MAX_DIMENSION_NAME = 30
PHOTO_MAX_BYTES = 2 * 1024 * 1024
#: Averages per dimension appear once at least this many experts scored it.
MIN_SCORERS_FOR_AVERAGE = 2

NO_CONFLICT = "none"
HAS_CONFLICT = "tie"


# Rubric ----------------------------------------------------------------------------------------

def all_dimensions() -> list[RubricDimension]:
    return list(db.session.scalars(select(RubricDimension).order_by(RubricDimension.position, RubricDimension.id)))


def active_dimensions() -> list[RubricDimension]:
    return [d for d in all_dimensions() if not d.retired]


def require_rubric_admin(actor) -> None:
    """403 unless ``actor`` configures the rubric (every rubric action, and the rubric page)."""
    if not permissions.can_manage_rubric(actor):
        raise PermissionDenied(_("只有平台管理员可以配置评分维度。"))


def _clean_dimension_name(name: str, dimension: RubricDimension | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_DIMENSION_NAME:
        raise ValidationError(_("维度名称须为 1 到 %(n)d 个字符。", n=MAX_DIMENSION_NAME), "name")
    clash = db.session.scalar(select(RubricDimension).where(RubricDimension.name == name))
    if clash is not None and clash is not dimension:
        raise ValidationError(_("已有同名维度。"), "name")
    return name


def add_dimension(actor, name: str, description: str = "") -> RubricDimension:
    require_rubric_admin(actor)
    name = _clean_dimension_name(name)
    position = (db.session.scalar(select(func.max(RubricDimension.position))) or 0) + 1
    dimension = RubricDimension(name=name, description=(description or "").strip()[:200], position=position)
    db.session.add(dimension)
    db.session.flush()
    audit.record(actor, "rubric.add", dimension, name)
    return dimension


def rename_dimension(actor, dimension: RubricDimension, name: str) -> None:
    """Scores refer to the dimension, not its name: old scores follow the new name."""
    require_rubric_admin(actor)
    name = _clean_dimension_name(name, dimension)
    if name != dimension.name:
        audit.record(actor, "rubric.rename", dimension, f"{dimension.name} → {name}")
        dimension.name = name


def set_dimension_retired(actor, dimension: RubricDimension, retired: bool) -> None:
    """Retired dimensions keep their scores but are not offered on new or edited comments."""
    require_rubric_admin(actor)
    if dimension.retired == retired:
        return
    dimension.retired = retired
    audit.record(actor, "rubric.retire" if retired else "rubric.restore", dimension, dimension.name)


def move_dimension(actor, dimension: RubricDimension, direction: str) -> None:
    """Swap the dimension with its neighbour above ("up") or below ("down")."""
    require_rubric_admin(actor)
    ordered = all_dimensions()
    index = ordered.index(dimension)
    other = index - 1 if direction == "up" else index + 1 if direction == "down" else None
    if other is None or not 0 <= other < len(ordered):
        raise ValidationError(_("该维度已在最前或最后，无法再移动。"))
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
    audit.record(actor, "rubric.move", dimension,
                 _("%(name)s 上移", name=dimension.name) if direction == "up" else _("%(name)s 下移", name=dimension.name))


def get_dimension(dimension_id: int) -> RubricDimension:
    dimension = db.session.get(RubricDimension, dimension_id)
    if dimension is None:
        raise NotFound(_("未找到该评分维度。"))
    return dimension


def score_counts() -> dict[int, int]:
    """How many scores each dimension holds (for the admin page)."""
    return dict(db.session.execute(
        select(ExpertScore.dimension_id, func.count()).group_by(ExpertScore.dimension_id)).all())


# Expert comments --------------------------------------------------------------------------------

@dataclass
class CommentData:
    body: str = ""
    #: raw form values per active dimension id: "" (not scored) or "1".."5"
    scores: dict[int, str] = field(default_factory=dict)
    declaration: str = ""  # NO_CONFLICT or HAS_CONFLICT
    conflict_note: str = ""
    #: optional: the sharing session (portal.sessions) in which the comment was given; it must
    #: be one that presented the case
    session_id: int | None = None


def _may_comment(user, case: Case) -> bool:
    """Whether ``user`` may post an expert comment on ``case``: active reviewers on published
    cases, and on a case under review that they are assigned to (the comment is public once
    the case is published). Not when the assignment hides the reviewer from the unit: a
    signed public comment would reveal who reviewed; the internal review is for that."""
    if not permissions.is_active_expert(user):
        return False
    if case.status == CaseStatus.PUBLISHED:
        return True
    if case.status not in (CaseStatus.SUBMITTED, CaseStatus.IN_REVIEW):
        return False
    assignment = permissions.review_assignment_of(user, case)
    return assignment is not None and not assignment.hide_reviewer


def require_may_comment(user, case: Case) -> None:
    """403 for anyone who is not an active reviewer, and for reviewers on cases they may not comment on."""
    if not permissions.is_active_expert(user):
        raise PermissionDenied(_("只有点评专家可以发表专家点评。"))
    if not _may_comment(user, case):
        raise PermissionDenied(_("只能对已发布的案例（或分配给您点评的案例）发表专家点评。"))


def get_comment(comment_id: int) -> ExpertComment:
    comment = db.session.get(ExpertComment, comment_id)
    if comment is None:
        raise NotFound(_("未找到该专家点评。"))
    return comment


def comment_of(user, case: Case) -> ExpertComment | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(ExpertComment).where(ExpertComment.case_id == case.id,
                                                         ExpertComment.author_id == user.id))


def _normalize(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _validated(data: CommentData, dimensions: list[RubricDimension]) -> tuple[str, dict[int, int], bool, str]:
    body = _normalize(data.body)
    if not body:
        raise ValidationError(_("请填写点评内容。"), "body")
    if len(body) > MAX_BODY:
        raise ValidationError(_("点评内容不能超过 %(n)d 个字符（当前 %(m)d 个）。", n=MAX_BODY, m=len(body)), "body")
    scores: dict[int, int] = {}
    for dimension in dimensions:
        raw = str(data.scores.get(dimension.id) or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= 5:
            raise ValidationError(_("“%(d)s”的评分须为 1 到 5 的整数。", d=dimension.name), f"score_{dimension.id}")
        scores[dimension.id] = int(raw)
    if data.declaration not in (NO_CONFLICT, HAS_CONFLICT):
        raise ValidationError(_("请声明您与发布单位是否存在利益关联。"), "declaration")
    has_conflict = data.declaration == HAS_CONFLICT
    note = _normalize(data.conflict_note) if has_conflict else ""
    if has_conflict and not note:
        raise ValidationError(_("选择“有关联”时，请说明与发布单位的关联。"), "conflict_note")
    if len(note) > MAX_NOTE:
        raise ValidationError(_("关联说明不能超过 %(n)d 个字符。", n=MAX_NOTE), "conflict_note")
    return body, scores, has_conflict, note


def _unit_members(case: Case) -> list[User]:
    return [m.user for m in case.org.memberships]


def post_comment(actor, case: Case, data: CommentData) -> ExpertComment:
    require_may_comment(actor, case)
    if comment_of(actor, case) is not None:
        raise ValidationError(_("您已点评过该案例，每位专家对一个案例只能发表一条点评。如需修改，请编辑原点评。"))
    body, scores, has_conflict, note = _validated(data, active_dimensions())
    session_id = _comment_session(case, data)
    comment = ExpertComment(case=case, author=actor, body=body, has_conflict=has_conflict, conflict_note=note,
                            session_id=session_id)
    comment.scores = [ExpertScore(dimension_id=d, score=s) for d, s in scores.items()]
    db.session.add(comment)
    db.session.flush()
    _notify_unit(actor, case, comment)
    return comment


def _comment_session(case: Case, data: CommentData) -> int | None:
    from portal.sessions.services import check_comment_session

    return check_comment_session(case, data.session_id)


def _notify_unit(actor, case: Case, comment: ExpertComment) -> None:
    from portal.notifications.models import Kind
    from portal.notifications.services import notify

    text = _("点评专家%(name)s对贵单位的案例《%(title)s》发表了专家点评。", name=actor.display_name, title=case.title)
    url = site_path("cases.show", case_id=case.id) + f"#expert-comment-{comment.id}"
    notify(_unit_members(case), Kind.EXPERT_COMMENT, text, url, actor=actor,
           email_subject=_("案例《%(title)s》有新的专家点评", title=case.title[:60]),
           email_body=text + "\n\n" + _("贵单位可以在案例页面对这条点评作出一次公开回应。"))


def _scores_json(comment: ExpertComment) -> str:
    return json.dumps({s.dimension.name: s.score for s in comment.scores}, ensure_ascii=False)


def require_may_edit_comment(user, comment: ExpertComment) -> None:
    """403 unless ``user`` may edit ``comment`` (the edit page and the edit itself)."""
    if not permissions.can_edit_expert_comment(user, comment):
        raise PermissionDenied(_("只有点评的作者可以修改这条专家点评。"))


def edit_comment(actor, comment: ExpertComment, data: CommentData) -> None:
    """The author edits; the previous text, scores and declaration are kept as a revision."""
    require_may_edit_comment(actor, comment)
    active = active_dimensions()
    body, scores, has_conflict, note = _validated(data, active)
    # The session is a fact about where the comment was given, not its content: no revision.
    if data.session_id != comment.session_id:
        comment.session_id = _comment_session(comment.case, data)
    old_scores = {s.dimension_id: s.score for s in comment.scores}
    active_ids = {d.id for d in active}
    # Scores on retired dimensions are not on the form: they stay as they were.
    new_scores = {d: s for d, s in old_scores.items() if d not in active_ids} | scores
    if (body, new_scores, has_conflict, note) == (comment.body, old_scores, comment.has_conflict,
                                                  comment.conflict_note):
        return  # nothing changed: no revision, no "已编辑"
    comment.revisions.append(ExpertCommentRevision(
        body=comment.body, scores=_scores_json(comment), has_conflict=comment.has_conflict,
        conflict_note=comment.conflict_note, created_at=comment.edited_at or comment.created_at))
    comment.body, comment.has_conflict, comment.conflict_note = body, has_conflict, note
    by_dimension = {s.dimension_id: s for s in comment.scores}
    for dimension_id, score in list(by_dimension.items()):
        if dimension_id not in new_scores:
            comment.scores.remove(score)
    for dimension_id, value in new_scores.items():
        if dimension_id in by_dimension:
            by_dimension[dimension_id].score = value
        else:
            comment.scores.append(ExpertScore(dimension_id=dimension_id, score=value))
    comment.edited_at = utcnow()
    db.session.flush()


def delete_comment(actor, comment: ExpertComment, reason: str = "") -> None:
    if not permissions.can_delete_expert_comment(actor, comment):
        raise PermissionDenied(_("只有平台管理员可以删除专家点评。"))
    reason = _normalize(reason)[:300]
    summary = _("%(expert)s 对“%(title)s”的点评", expert=comment.author.display_name, title=comment.case.title)
    audit.record(actor, "expert_comment.delete", comment, f"{summary} {reason}".strip())
    db.session.delete(comment)
    db.session.flush()


def revisions_for(user, comment: ExpertComment) -> list[dict]:
    if not permissions.can_see_expert_comment_revisions(user, comment):
        raise PermissionDenied(_("只有作者和平台管理员可以查看点评的修改记录。"))
    return [{"body": r.body, "body_html": stored_html(r, "body"), "scores": json.loads(r.scores or "{}"),
             "has_conflict": r.has_conflict, "conflict_note": r.conflict_note, "created_at": r.created_at}
            for r in reversed(comment.revisions)]


def form_values(comment: ExpertComment) -> dict:
    """Initial form data for editing a comment."""
    return {"body": comment.body, "declaration": HAS_CONFLICT if comment.has_conflict else NO_CONFLICT,
            "conflict_note": comment.conflict_note, "session_id": comment.session_id,
            **{f"score_{s.dimension_id}": str(s.score) for s in comment.scores}}


# Unit responses -------------------------------------------------------------------------------

def respond(actor, comment: ExpertComment, body: str) -> UnitResponse:
    """The rule is permissions.can_respond_to_expert_comment; a refusal says which part failed."""
    case = comment.case
    if not permissions.can_respond_to_expert_comment(actor, comment):
        if not permissions.is_case_unit_member(actor, case):
            raise PermissionDenied(_("只有发布单位的成员可以回应专家点评。"))
        if comment.response is not None:
            raise ValidationError(_("这条点评已有回应，每条点评只能回应一次。"), "body")
        raise ValidationError(_("案例未发布，暂不能回应。"), "body")
    body = _normalize(body)
    if not body:
        raise ValidationError(_("请填写回应内容。"), "body")
    if len(body) > MAX_RESPONSE:
        raise ValidationError(_("回应不能超过 %(n)d 个字符（当前 %(m)d 个）。", n=MAX_RESPONSE, m=len(body)), "body")
    response = UnitResponse(comment=comment, org_id=case.org_id, author=actor, body=body)
    db.session.add(response)
    db.session.flush()
    return response


# The case page ----------------------------------------------------------------------------------

def averages(comments: list[ExpertComment]) -> list[dict]:
    """Average score per dimension, counted per expert; only dimensions at least two experts scored."""
    by_dimension: dict[int, list[int]] = {}
    dimensions: dict[int, RubricDimension] = {}
    for comment in comments:
        for score in comment.scores:
            by_dimension.setdefault(score.dimension_id, []).append(score.score)
            dimensions[score.dimension_id] = score.dimension
    out = [{"dimension": dimensions[d], "average": sum(v) / len(v), "count": len(v)}
           for d, v in by_dimension.items() if len(v) >= MIN_SCORERS_FOR_AVERAGE]
    return sorted(out, key=lambda row: (row["dimension"].position, row["dimension"].id))


@loader_options
def comment_options(*, revisions: bool = True) -> tuple:
    """What a shown expert comment needs, one query per kind: its author with the profile, its
    scores with their dimensions, the unit's response, the session it names and (``revisions``)
    its revisions."""
    from portal.sessions.models import SharingSession

    # The author, the response and the session (one of each per comment) joined into the
    # comments' own query; the scores and revisions (several per comment) one query each.
    return (joinedload(ExpertComment.author).joinedload(User.reviewer_profile),
            selectinload(ExpertComment.scores).joinedload(ExpertScore.dimension),
            *([selectinload(ExpertComment.revisions)] if revisions else []),
            joinedload(ExpertComment.response).joinedload(UnitResponse.org),
            joinedload(ExpertComment.session).options(joinedload(SharingSession.event),
                                                      joinedload(SharingSession.series)))


def case_comments(case: Case, *, revisions: bool = True) -> list[ExpertComment]:
    """The case's expert comments, oldest first; ``revisions=False`` leaves their revisions
    unloaded (a reader who may not see them)."""
    return list(db.session.scalars(_case_comments_statement(revisions), {"case_id": case.id}))


@statement
def _case_comments_statement(revisions: bool):
    return (select(ExpertComment).where(ExpertComment.case_id == bindparam("case_id"))
            .options(*comment_options(revisions=revisions)).order_by(ExpertComment.created_at, ExpertComment.id))


def case_has_comments(case_id):
    """For the case page (cases.page): whether the case has any expert comment."""
    return select(ExpertComment.id).where(ExpertComment.case_id == case_id).exists()


def case_panel(user, case, *, listed: bool = True) -> dict:
    """Template variables for the case page (expert comments, scores and responses;
    ``listed=False``: the case has none, the form may still be offered)."""
    from portal.forms import ActionForm, LazyForm
    from portal.reviews.forms import ResponseForm, expert_comment_form

    # Only a platform admin or a comment's author sees its revisions (how many): both sign in.
    comments = case_comments(case, revisions=bool(getattr(user, "is_authenticated", False))) if listed else []
    own = comment_of(user, case) if listed else None
    # The rubric is read only for the expert who gets the form (the averages carry their own
    # dimensions).
    form = expert_comment_form(active_dimensions()) if own is None and _may_comment(user, case) else None
    return {
        "expert_comments": comments,
        "expert_averages": averages(comments),
        "expert_form": form,
        "expert_own_comment": own,
        "expert_response_form": ResponseForm() if any(
            permissions.can_respond_to_expert_comment(user, c) for c in comments) else None,
        "expert_action_form": LazyForm(ActionForm),  # built only if a button uses it
    }


def recent_public_comments(limit: int, *, author_id: int | None = None, scores: bool = False) -> list[ExpertComment]:
    """The newest expert comments on published cases (the home page, the comments feed), with
    their case and unit; ``scores``: with their scores too. A public expert comment is always
    signed: a reviewer whose assignment hides them from the unit may not post one
    (_may_comment), so nothing here can reveal a hidden reviewer."""
    query = _recent_comments_statement(limit, by_author=author_id is not None, scores=scores)
    return list(db.session.scalars(query, {"author_id": author_id} if author_id is not None else {}))


@statement
def _recent_comments_statement(limit: int, *, by_author: bool, scores: bool):
    from portal.cases.services import card_options

    # The author and the case (one each per comment) come in the comments' own query: the case
    # is joined for its status anyway.
    options = [joinedload(ExpertComment.author),
               contains_eager(ExpertComment.case).options(*card_options(themes=False))]
    if scores:
        options.append(selectinload(ExpertComment.scores).joinedload(ExpertScore.dimension))
    query = (select(ExpertComment).join(Case, Case.id == ExpertComment.case_id)
             .where(Case.status == CaseStatus.PUBLISHED).options(*options)
             .order_by(ExpertComment.created_at.desc(), ExpertComment.id.desc()).limit(limit))
    return query.where(ExpertComment.author_id == bindparam("author_id")) if by_author else query


# Expert directory --------------------------------------------------------------------------------

def published_comment_counts() -> dict[int, int]:
    query = (select(ExpertComment.author_id, func.count()).join(Case, Case.id == ExpertComment.case_id)
             .where(Case.status == CaseStatus.PUBLISHED).group_by(ExpertComment.author_id))
    return dict(db.session.execute(query).all())


def list_experts(theme_id: int | None = None) -> list[ReviewerProfile]:
    query = (select(ReviewerProfile).join(User, User.id == ReviewerProfile.user_id)
             .where(permissions.active_expert_clause())
             .options(contains_eager(ReviewerProfile.user), selectinload(ReviewerProfile.themes))
             .order_by(User.display_name, User.id))
    if theme_id:
        query = query.where(ReviewerProfile.themes.any(Theme.id == theme_id))
    return list(db.session.scalars(query))


def get_expert(user_id: int) -> ReviewerProfile:
    """An active expert's profile; anyone else (never a reviewer, revoked, disabled) is not found."""
    user = db.session.get(User, user_id)
    if user is None or not permissions.is_active_expert(user):
        raise NotFound(_("未找到该专家。"))
    return user.reviewer_profile


def own_profile_for_edit(actor) -> ReviewerProfile:
    """The acting expert's own profile (/experts/me/edit, the account page); 403 for anyone else."""
    if not permissions.is_active_expert(actor):
        raise PermissionDenied(_("只有点评专家可以编辑专家资料。"))
    return get_profile_for_edit(actor, actor.id)


def get_profile_for_edit(actor, user_id: int) -> ReviewerProfile:
    user = db.session.get(User, user_id)
    profile = user.reviewer_profile if user is not None else None
    if profile is None:
        raise NotFound(_("未找到该专家。"))
    if not permissions.can_edit_reviewer_profile(actor, profile):
        raise PermissionDenied(_("只有专家本人或平台管理员可以编辑专家资料。"))
    return profile


def expert_published_comments(profile: ReviewerProfile) -> list[ExpertComment]:
    from portal.cases.services import card_options

    query = (select(ExpertComment).join(Case, Case.id == ExpertComment.case_id)
             .where(ExpertComment.author_id == profile.user_id, Case.status == CaseStatus.PUBLISHED)
             .options(selectinload(ExpertComment.case).options(*card_options(themes=False)))
             .order_by(ExpertComment.created_at.desc(), ExpertComment.id.desc()))
    return list(db.session.scalars(query))


@dataclass
class ProfileData:
    title: str = ""
    affiliation: str = ""
    expertise: str = ""
    bio: str = ""
    theme_ids: list[int] = field(default_factory=list)
    photo: tuple[str, bytes] | None = None  # (file name, content) of a new photo
    remove_photo: bool = False


def update_profile(actor, profile: ReviewerProfile, data: ProfileData) -> None:
    if not permissions.can_edit_reviewer_profile(actor, profile):
        raise PermissionDenied(_("只有专家本人或平台管理员可以编辑专家资料。"))
    bio = _normalize(data.bio)
    if len(bio) > MAX_BIO:
        raise ValidationError(_("简介不能超过 %(n)d 个字符。", n=MAX_BIO), "bio")
    themes = list(db.session.scalars(select(Theme).where(Theme.id.in_(data.theme_ids or [-1]))))
    allowed = {t.id for t in profile.themes}
    if any(t.retired and t.id not in allowed for t in themes):
        raise ValidationError(_("不能选择已停用的主题。"), "themes")
    if data.photo is not None:
        filename, content = data.photo
        try:
            checked = uploads.check_upload(filename, content, max_bytes=PHOTO_MAX_BYTES, allowed=uploads.IMAGE_KINDS)
        except ValidationError as exc:
            raise ValidationError(exc.message, "photo") from None
        checked_name = storage.save(db.session, checked)
        if profile.photo_name:
            storage.delete_on_commit(db.session, profile.photo_name)
        profile.photo_name = checked_name
    elif data.remove_photo and profile.photo_name:
        storage.delete_on_commit(db.session, profile.photo_name)
        profile.photo_name = ""
    profile.title = (data.title or "").strip()[:100]
    profile.affiliation = (data.affiliation or "").strip()[:200]
    profile.expertise = (data.expertise or "").strip()[:500]
    profile.bio = bio
    profile.themes = themes
    if actor is not None and actor.id != profile.user_id:
        audit.record(actor, "user.update_reviewer", profile.user, profile.user.email)


def photo_by_stored_name(stored_name: str) -> ReviewerProfile:
    """Photos are shown with the expert's public page: only active experts' are served."""
    profile = db.session.scalar(select(ReviewerProfile).where(ReviewerProfile.photo_name == stored_name))
    if not stored_name or profile is None or not permissions.is_active_expert(profile.user):
        raise NotFound(_("文件不存在。"))
    return profile
