"""Calls for cases and awards (案例征集与评选): who may do what (a table checked in the database),
the rules of entering (deadline, eligibility, completeness, quotas), review (assignment
balancing, conflicts, scores in the rubric), the fair aggregation against a hand-computed
example, decisions in the audit log, the shortlist into a session and the published results.

The world: 阳光社工 (verified 社工机构, 贵州) run by 单位管理员, with two complete published cases and
an incomplete draft; 花溪社区服务社 (verified 社区社会组织) run by 他单位成员 with one published case;
three experts (专家甲 and 专家乙 know 五社联动; 专家丙 is also a member of 阳光社工); a practitioner
and the platform admin. Calls: an open one (阳光社工 has entered one case), a draft, and one past its
deadline with both units' entries, 专家甲 and 专家乙 assigned to 阳光社工's entry, 专家甲 scored it.
"""
from __future__ import annotations

import math
import threading
from datetime import timedelta

import pytest

from tests.tables import DENY, DONE, HIDE, KEPT, LOGIN, OK, REFUSED, table_row
from tests.test_discussion import check_response

QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

ROLES = ("anonymous", "practitioner", "unit_admin", "other_unit", "reviewer", "own_reviewer", "curator")
NAMES = {"practitioner": "实务工作者", "unit_admin": "单位管理员", "other_unit": "他单位成员",
         "reviewer": "专家甲", "second_reviewer": "专家乙", "own_reviewer": "专家丙", "curator": "平台管理员"}
SCORES = {"创新性": 40, "实效性": 60}


def _call_data(title, *, opens, closes, sessions=(), **overrides):
    from portal.calls.services import CallData
    from portal.timezones import utc_to_shanghai

    return CallData(title=title, description="面向成员单位征集社区治理实践案例。", opens_at=utc_to_shanghai(opens),
                    closes_at=utc_to_shanghai(closes), dimensions="创新性 40\n实效性 60",
                    levels="一等奖 1\n优秀案例 2", session_ids=list(sessions), **overrides)


def build_world(app, factory):
    from portal.auth.services import get_user_by_email
    from portal.calls import services
    from portal.calls.models import CaseCall
    from portal.cases.models import Case, Theme
    from portal.extensions import db
    from portal.models_base import utcnow
    from portal.sessions.models import SharingSession

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator",
                                         reviewer=role.endswith("reviewer"))
    unit = factory.org(emails["unit_admin"], name="贵阳市阳光社工服务中心")
    factory.member(unit, emails["own_reviewer"], "editor")
    other = factory.org(emails["other_unit"], name="花溪社区服务社", org_type="社区社会组织")
    ids = {"unit": unit, "other": other,
           "case_a": factory.case(unit, "五社联动助老服务", themes=("五社联动",)),
           "case_b": factory.case(unit, "社工站建设三年行动", themes=("社工站建设",)),
           "draft": factory.case(unit, "未写完的草稿", status="draft", outcomes=""),
           "case_other": factory.case(other, "花溪乡村儿童之家", themes=("乡村振兴",))}
    with app.app_context():
        admin = get_user_by_email(emails["curator"])
        people = {role: get_user_by_email(e) for role, e in emails.items()}
        five = db.session.scalar(db.select(Theme).where(Theme.name == "五社联动"))
        for role in ("reviewer", "second_reviewer"):
            people[role].reviewer_profile.themes = [five]
        now = utcnow()
        sharing = SharingSession(title="第二期案例分享会", starts_at=now + timedelta(days=40),
                                 ends_at=now + timedelta(days=40, hours=2))
        db.session.add(sharing)
        db.session.flush()
        open_call = services.save_call(admin, None, _call_data("2026 年优秀案例征集", opens=now - timedelta(days=1),
                                                                closes=now + timedelta(days=10),
                                                                max_entries_per_unit=2))
        services.announce(admin, open_call)
        draft = services.save_call(admin, None, _call_data("尚未发布的征集", opens=now + timedelta(days=5),
                                                            closes=now + timedelta(days=30)))
        review = services.save_call(admin, None, _call_data("首届优秀案例征集", opens=now - timedelta(days=1),
                                                             closes=now + timedelta(days=1), sessions=[sharing.id]))
        services.announce(admin, review)
        open_entry = services.enter(people["unit_admin"], open_call, ids["case_a"], "张社工")
        entry_a = services.enter(people["unit_admin"], review, ids["case_a"], "")
        entry_other = services.enter(people["other_unit"], review, ids["case_other"], "")
        db.session.flush()
        db.session.get(CaseCall, review.id).closes_at = now - timedelta(hours=1)  # the deadline has passed
        first = services.assign(admin, entry_a, people["reviewer"].id)
        services.assign(admin, entry_a, people["second_reviewer"].id)
        dims = {d.name: d.id for d in review.dimensions}
        services.score(people["reviewer"], first, {dims["创新性"]: 7, dims["实效性"]: 8}, "做法扎实。")
        db.session.commit()
        ids.update(open=open_call.id, draft_call=draft.id, review=review.id, open_entry=open_entry.id,
                   entry_a=entry_a.id, entry_other=entry_other.id, assignment=first.id, session=sharing.id,
                   dim1=dims["创新性"], dim2=dims["实效性"], level1=review.levels[0].id,
                   case_title=db.session.get(Case, ids["case_a"]).title, reviewer_id=people["reviewer"].id,
                   own_reviewer_id=people["own_reviewer"].id)
        db.session.remove()
    return {"emails": emails, "ids": ids}


def award_case(app, admin_email: str, case_id: int, title: str = "首届优秀案例征集") -> int:
    """Through the services: a call, the case's unit enters it, the deadline passes, the case gets
    the call's first award level and the results are published (scores waived, with a reason)."""
    from portal.auth.services import get_user_by_email
    from portal.calls import services
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.models_base import utcnow

    with app.app_context():
        admin, case = get_user_by_email(admin_email), db.session.get(Case, case_id)
        now = utcnow()
        call = services.save_call(admin, None, _call_data(title, opens=now - timedelta(days=1),
                                                          closes=now + timedelta(days=1)))
        services.announce(admin, call)
        entry = services.enter(case.org.memberships[0].user, call, case.id)
        call.closes_at = now - timedelta(minutes=1)
        services.decide(admin, entry, shortlisted=True, level_id=call.levels[0].id, reason="评审组一致推荐。")
        services.publish_results(admin, call, "示例：未安排专家评分。")
        db.session.commit()
        call_id = call.id
        db.session.remove()
    return call_id


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def state(app) -> dict:
    """Everything the call routes could change, read afresh."""
    from sqlalchemy import func, select

    from portal.admin.models import AuditEntry
    from portal.calls.models import CallAssignment, CallEntry, CallScore, CaseCall, ReviewerConflict
    from portal.extensions import db
    from portal.notifications.models import Notification
    from portal.sessions.models import AgendaItem

    with app.app_context():
        out = {
            "calls": {c.id: (c.title, c.announced_at is not None, c.results_published_at is not None, c.closes_at)
                      for c in db.session.scalars(select(CaseCall))},
            "entries": {e.id: (e.case_id, e.status, e.shortlisted, e.award_level_id, e.presenter)
                        for e in db.session.scalars(select(CallEntry))},
            "assignments": {a.id: (a.entry_id, a.reviewer_id, a.scored_at is not None, a.note, a.reminded_at is not None)
                            for a in db.session.scalars(select(CallAssignment))},
            "scores": sorted((s.assignment_id, s.dimension_id, s.score) for s in db.session.scalars(select(CallScore))),
            "conflicts": sorted((c.reviewer_id, c.org_id) for c in db.session.scalars(select(ReviewerConflict))),
            "agenda": db.session.scalar(select(func.count()).select_from(AgendaItem)),
            "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.action.startswith("call."))),
            "notifications": db.session.scalar(select(func.count()).select_from(Notification)),
        }
        db.session.remove()
    return out


def new_call_created(before, after, ids):
    new = [c for k, c in after["calls"].items() if k not in before["calls"]]
    return [c[:3] for c in new] == [("新的征集", False, False)]


def entered(before, after, ids):
    new = [e for k, e in after["entries"].items() if k not in before["entries"]]
    return new == [(ids["case_b"], "entered", False, None, "李社工")]


def withdrawn(before, after, ids):
    return after["entries"][ids["open_entry"]][1] == "withdrawn"


def announced(before, after, ids):
    return after["calls"][ids["draft_call"]][1] is True


def assigned(before, after, ids):
    new = [a for k, a in after["assignments"].items() if k not in before["assignments"]]
    # 阳光社工's entry has its two; 花溪's gets the two experts who are not of its unit... and not
    # 专家丙 (a member of 阳光社工 may review 花溪's entry: only its own unit is excluded).
    return len(new) == 2 and {a[0] for a in new} == {ids["entry_other"]}


def scored(before, after, ids):
    return after["assignments"][ids["assignment"]][2:4] == (True, "修改后的意见。") and (
        ids["assignment"], ids["dim1"], 9) in after["scores"]


def decided(before, after, ids):
    return after["entries"][ids["entry_a"]][2:4] == (True, ids["level1"]) and after["audit"] == before["audit"] + 1


def reminded(before, after, ids):
    return any(a[4] for a in after["assignments"].values())


def replaced(before, after, ids):
    return after["entries"][ids["open_entry"]][:2] == (ids["case_b"], "entered")


def assigned_by_hand(before, after, ids):
    new = [a for k, a in after["assignments"].items() if k not in before["assignments"]]
    return [a[:2] for a in new] == [(ids["entry_other"], ids["reviewer_id"])] and after["audit"] == before["audit"] + 1


def unassigned(before, after, ids):
    return ids["assignment"] not in after["assignments"] and after["audit"] == before["audit"] + 1


def conflict_declared(before, after, ids):
    return (ids["assignment"] not in after["assignments"]
            and after["conflicts"] == [(ids["reviewer_id"], ids["unit"])])


def edited(before, after, ids):
    return after["calls"][ids["open"]][0] == "2026 年优秀案例征集（修订）"


def _form(title="新的征集", **extra):
    return {"title": title, "opens_at": "2030-01-01T09:00", "closes_at": "2030-02-01T17:00",
            "dimensions": "创新性 40\n实效性 60", "levels": "一等奖 1\n优秀案例 2", "reviewers_per_entry": "2",
            "max_entries_per_unit": "2", "min_attachments": "0", "disagreement": "3", **extra}


ENTER = {"case_id": "{case_b}", "presenter": "李社工"}
SCORE = {"score_{dim1}": "9", "score_{dim2}": "6", "note": "修改后的意见。"}


def row(*args, **kwargs):
    return table_row(ROLES, *args, **kwargs)


TABLE = [
    #   method  route                                       anon   pract  u-admin other  review own-rv curator
    row("GET",  "/calls",                                   OK,    OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/calls/{open}",                            OK,    OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/calls/{draft_call}",                        HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  OK),
    row("GET",  "/calls/new",                               LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK),
    row("POST", "/calls/new",                               LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        data=_form(), effect=new_call_created),
    row("POST", "/calls/new#closes-before-opening",         LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  REFUSED,
        data=_form(closes_at="2029-12-01T17:00")),
    row("GET",  "/calls/{open}/edit",                       LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK),
    row("POST", "/calls/{open}/edit",                       LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        data=_form("2026 年优秀案例征集（修订）"), effect=edited),
    row("POST", "/calls/{draft_call}/announce",             LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  DONE,
        effect=announced),
    # Entering: members of units that fit the call, their own complete cases, before the deadline.
    row("GET",  "/calls/{open}/enter",                      LOGIN, DENY,  OK,    OK,    DENY,  OK,    DENY),
    row("POST", "/calls/{open}/enter",                      LOGIN, DENY,  DONE,  REFUSED, DENY, DONE,  DENY,
        data=ENTER, effect=entered),
    row("POST", "/calls/{open}/enter#incomplete-draft",     LOGIN, DENY,  REFUSED, REFUSED, DENY, REFUSED, DENY,
        data={"case_id": "{draft}"}),
    row("POST", "/calls/{review}/enter#after-deadline",     LOGIN, DENY,  REFUSED, REFUSED, DENY, REFUSED, DENY,
        data={"case_id": "{case_b}"}),
    row("POST", "/calls/{open}/entries/{open_entry}/withdraw", LOGIN, DENY, DONE, DENY, DENY,  DONE,  DENY,
        effect=withdrawn),
    row("POST", "/calls/{open}/entries/{open_entry}/replace", LOGIN, DENY, DONE, DENY, DENY, DONE, DENY,
        data={"case_id": "{case_b}"}, effect=replaced),
    # The admins' desk.
    row("GET",  "/calls/{review}/manage",                   LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK),
    row("POST", "/calls/{review}/assign",                   LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        effect=assigned),
    row("POST", "/calls/{review}/entries/{entry_other}/assign", LOGIN, DENY, DENY, DENY, DENY, DENY, DONE,
        data={"reviewer_id": "{reviewer_id}"}, effect=assigned_by_hand),
    # Never a member of the entering unit, not even by hand.
    row("POST", "/calls/{review}/entries/{entry_a}/assign#own-unit", LOGIN, DENY, DENY, DENY, DENY, DENY, KEPT,
        data={"reviewer_id": "{own_reviewer_id}"}),
    row("POST", "/calls/assignments/{assignment}/remove",   LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        effect=unassigned),
    # Nothing is shortlisted yet: refused with the reason.
    row("POST", "/calls/{review}/to-session",               LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  KEPT,
        data={"session_id": "{session}"}),
    row("POST", "/calls/{review}/entries/{entry_a}/decide", LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        data={"shortlisted": "y", "level_id": "{level1}", "reason": "两位专家评价一致较高。"}, effect=decided),
    row("POST", "/calls/{review}/entries/{entry_a}/decide#no-reason", LOGIN, DENY, DENY, DENY, DENY, DENY, KEPT,
        data={"shortlisted": "y", "level_id": "{level1}", "reason": ""}),
    row("POST", "/calls/{review}/remind",                   LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        effect=reminded),
    # Scores are missing for both entries: publishing needs a recorded reason.
    row("POST", "/calls/{review}/results/publish",          LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  KEPT),
    row("GET",  "/calls/{review}/certificates/{entry_a}.pdf", LOGIN, HIDE, HIDE, HIDE, HIDE, HIDE, HIDE),
    row("GET",  "/calls/{review}/results",                  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  OK),
    # Reviewers: only their own assignment, never of their own unit.
    row("GET",  "/calls/{review}/review",                   LOGIN, DENY,  DENY,  DENY,  OK,    DENY,  DENY),
    row("GET",  "/calls/assignments/{assignment}",          LOGIN, DENY,  DENY,  DENY,  OK,    DENY,  DENY),
    row("POST", "/calls/assignments/{assignment}",          LOGIN, DENY,  DENY,  DENY,  DONE,  DENY,  DENY,
        data=SCORE, effect=scored),
    row("POST", "/calls/assignments/{assignment}/conflict", LOGIN, DENY,  DENY,  DENY,  DONE,  DENY,  DENY,
        data={"note": "曾在该单位兼职督导。"}, effect=conflict_declared),
    row("POST", "/calls/assignments/{assignment}#out-of-rubric", LOGIN, DENY, DENY, DENY, REFUSED, DENY, DENY,
        data={**SCORE, "score_{dim1}": "11"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected", "effect"), TABLE)
def test_call_permission_table(app, client, auth, world, role, method, path, data, expected, effect):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    ids = world["ids"]
    url = path.split("#")[0].format(**ids)
    before = state(app)
    response = client.open(url, method=method, data={k.format(**ids): v.format(**ids) for k, v in data.items()})
    after = state(app)
    outcome = expected[role]
    check_response(client, response, outcome)
    if outcome == DONE:
        assert effect(before, after, ids), (before, after)
    elif outcome != OK or method == "GET":
        assert after == before, "a refused request changed the database"


# The aggregation, by hand -------------------------------------------------------------------------

def test_the_normalised_mean_removes_a_harsh_reviewers_bias():
    """Reviewer 1 is harsh (4, 6, 5: mean 5, sd sqrt(2/3)), reviewer 2 lenient (8, 9, 10: mean 9,
    same sd). Entry 1: z = -1.2247 from both. Entry 2: +1.2247 and 0 -> 0.6124. Entry 3: 0 and
    +1.2247 -> 0.6124. Raw means 6, 7.5, 7.5. All six scores: mean 7, sd sqrt(28/6)."""
    from portal.calls.services import aggregate_scores

    table = {1: {1: 4.0, 2: 8.0}, 2: {1: 6.0, 2: 9.0}, 3: {1: 5.0, 2: 10.0}, 4: {}}
    rows = {a.entry_id: a for a in aggregate_scores(table, threshold=4.0)}
    z = 1 / math.sqrt(2 / 3)
    assert rows[1].raw_mean == pytest.approx(6.0) and rows[1].normalised == pytest.approx(-z)
    assert rows[2].normalised == pytest.approx(z / 2) and rows[3].normalised == pytest.approx(z / 2)
    assert rows[2].adjusted == pytest.approx(7 + z / 2 * math.sqrt(28 / 6))
    assert [rows[1].spread, rows[2].spread, rows[3].spread] == [4.0, 3.0, 5.0]
    assert (rows[1].disagree, rows[2].disagree, rows[3].disagree) == (True, False, True)
    # Entries 2 and 3 tie on both means: ranked by id, flagged for a decision.
    assert (rows[2].rank, rows[3].rank, rows[1].rank, rows[4].rank) == (1, 2, 3, None)
    assert rows[2].tied and rows[3].tied and not rows[1].tied


def test_a_reviewer_who_scored_one_entry_does_not_sway_the_normalised_mean():
    from portal.calls.services import aggregate_scores, weighted

    assert weighted({1: 7, 2: 8}, {1: 40, 2: 60}) == pytest.approx(7.6)
    rows = {a.entry_id: a for a in aggregate_scores({1: {1: 9.0, 3: 2.0}, 2: {1: 5.0}}, threshold=3.0)}
    assert rows[1].normalised == pytest.approx(0.5)  # reviewer 3 scored once: z = 0
    assert rows[1].disagree and rows[2].spread is None and not rows[2].disagree


# Entering ------------------------------------------------------------------------------------------

def _with(app, fn):
    from portal.extensions import db

    with app.app_context():
        try:
            return fn()
        finally:
            db.session.rollback()
            db.session.remove()


def _user(role, world):
    from portal.auth.services import get_user_by_email

    return get_user_by_email(world["emails"][role])


def _call(world, key):
    from portal.calls.models import CaseCall
    from portal.extensions import db

    return db.session.get(CaseCall, world["ids"][key])


def test_a_late_entry_is_refused_with_the_deadline_and_the_time_of_trying(app, world):
    from portal.calls import services
    from portal.errors import ValidationError

    def run():
        with pytest.raises(ValidationError) as refused:
            services.enter(_user("unit_admin", world), _call(world, "review"), world["ids"]["case_b"])
        return refused.value.message

    message = _with(app, run)
    assert "征集已于" in message and "截止" in message and "您的操作时间为" in message


def test_a_unit_sees_what_its_cases_still_lack(app, client, auth, world):
    auth.sign_in(world["emails"]["unit_admin"])
    page = client.get(f"/calls/{world['ids']['open']}/enter").get_data(as_text=True)
    assert "未写完的草稿" in page and "成效" in page.split("未写完的草稿")[1][:200]
    assert f'<option value="{world["ids"]["case_b"]}"' in page


def test_the_quota_per_unit_and_replacing_an_entry(app, world):
    from portal.calls import services
    from portal.errors import ValidationError

    def run():
        unit_admin, call = _user("unit_admin", world), _call(world, "open")
        call.max_entries_per_unit = 1
        with pytest.raises(ValidationError, match="最多提交 1 个案例"):
            services.enter(unit_admin, call, world["ids"]["case_b"])
        entry = services.get_entry(call, world["ids"]["open_entry"])
        services.replace(unit_admin, entry, world["ids"]["case_b"])
        assert entry.case_id == world["ids"]["case_b"] and entry.status == "entered"
        with pytest.raises(ValidationError, match="同一单位|本单位"):
            services.replace(unit_admin, entry, world["ids"]["case_other"])
        return services.entry_status(entry)

    assert _with(app, run) == "已提交，截止前可撤回或替换"


def test_units_outside_the_calls_types_may_not_enter(app, world):
    from portal.calls import services
    from portal.errors import PermissionDenied

    def run():
        call = _call(world, "open")
        call.org_types = "社工机构"
        assert [o.name for o in services.eligible_units(_user("unit_admin", world), call)] == ["贵阳市阳光社工服务中心"]
        with pytest.raises(PermissionDenied, match="单位类型：社工机构"):
            services.enter(_user("other_unit", world), call, world["ids"]["case_other"])

    _with(app, run)


def test_the_call_page_shows_rules_count_and_the_units_entry(client, auth, world):
    page = client.get(f"/calls/{world['ids']['open']}").get_data(as_text=True)
    assert "已收到 1 个案例" in page and "创新性（权重 40）" in page and "data-countdown" in page
    assert "本单位的参评案例" not in page
    auth.sign_in(world["emails"]["unit_admin"])
    page = client.get(f"/calls/{world['ids']['open']}").get_data(as_text=True)
    assert "五社联动助老服务" in page and "已提交，截止前可撤回或替换" in page and "撤回" in page


# Review -------------------------------------------------------------------------------------------

def test_automatic_assignment_balances_and_never_picks_the_units_own_member(app, world):
    from portal.calls import services
    from portal.calls.models import CallEntry
    from portal.extensions import db

    def run():
        admin, call = _user("curator", world), _call(world, "review")
        added, short = services.assign_automatically(admin, call)
        entry = db.session.get(CallEntry, world["ids"]["entry_other"])
        names = sorted(a.reviewer.display_name for a in entry.assignments)
        own = db.session.get(CallEntry, world["ids"]["entry_a"])
        return added, short, names, sorted(a.reviewer.display_name for a in own.assignments)

    added, short, names, own = _with(app, run)
    # 花溪's entry: 专家丙 has no load yet, 专家甲/乙 have one each; no theme in common with 乡村振兴.
    assert (added, short) == (2, []) and "专家丙" in names
    assert own == ["专家乙", "专家甲"], "阳光社工's entry keeps its two and never gets its own member"


def test_a_reviewer_of_the_entering_unit_cannot_be_assigned_by_hand(app, world):
    from portal.calls import services
    from portal.errors import ValidationError

    def run():
        entry = services.get_entry(_call(world, "review"), world["ids"]["entry_a"])
        with pytest.raises(ValidationError, match="参评单位的成员"):
            services.assign(_user("curator", world), entry, _user("own_reviewer", world).id)

    _with(app, run)


def test_a_declared_conflict_removes_the_assignment_and_blocks_it_for_good(app, world):
    from portal.calls import services
    from portal.errors import ValidationError

    def run():
        reviewer = _user("reviewer", world)
        assignment = services.get_assignment(world["ids"]["assignment"])
        entry = assignment.entry
        services.declare_conflict(reviewer, assignment, "曾在该单位兼职督导。")
        from portal.extensions import db

        db.session.flush()
        db.session.refresh(entry)
        assert reviewer.id not in {a.reviewer_id for a in entry.assignments}
        with pytest.raises(ValidationError, match="利益冲突"):
            services.assign(_user("curator", world), entry, reviewer.id)

    _with(app, run)


def test_blind_review_hides_the_unit_from_the_reviewer(app, client, auth, world):
    from portal.extensions import db

    with app.app_context():
        _call(world, "review").blind = True
        db.session.commit()
        db.session.remove()
    auth.sign_in(world["emails"]["reviewer"])
    page = client.get(f"/calls/assignments/{world['ids']['assignment']}").get_data(as_text=True)
    assert "五社联动助老服务" in page and "贵阳市阳光社工服务中心" not in page and "盲评" in page


def test_disagreement_is_flagged_on_the_desk(app, client, auth, world):
    from portal.calls import services

    def run():
        assignment = next(a for a in services.get_entry(_call(world, "review"), world["ids"]["entry_a"]).assignments
                          if a.id != world["ids"]["assignment"])
        services.score(assignment.reviewer, assignment, {world["ids"]["dim1"]: 2, world["ids"]["dim2"]: 3})
        from portal.extensions import db

        db.session.commit()

    _with(app, run)
    auth.sign_in(world["emails"]["curator"])
    page = client.get(f"/calls/{world['ids']['review']}/manage").get_data(as_text=True)
    # 7.60 against 2.60: a spread of 5.00 over the threshold of 3.
    assert "7.60" in page and "2.60" in page and "5.00" in page and "分歧较大" in page


# Shortlist, results and badges ----------------------------------------------------------------------

def test_the_cycle_ends_in_a_session_a_results_page_and_a_badge(app, client, auth, world):
    from sqlalchemy import select

    from portal.admin.models import AuditEntry
    from portal.calls import services
    from portal.errors import ValidationError
    from portal.extensions import db
    from portal.notifications.models import Notification
    from portal.sessions.models import AgendaItem

    ids = world["ids"]

    def run():
        admin, call = _user("curator", world), _call(world, "review")
        entry = services.get_entry(call, ids["entry_a"])
        services.decide(admin, entry, shortlisted=True, level_id=ids["level1"], reason="综合得分第一。")
        assert services.shortlist_to_session(admin, call, ids["session"]) == 1
        with pytest.raises(ValidationError, match="评分人数"):
            services.publish_results(admin, call)
        services.publish_results(admin, call, "专家乙因病未能评分，经评审组同意公布。")
        db.session.commit()
        agenda = [i.case_id for i in db.session.scalars(select(AgendaItem).where(AgendaItem.session_id == ids["session"]))]
        actions = [a.action for a in db.session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("call.")))]
        told = [n.text for n in db.session.scalars(select(Notification).where(
            Notification.user_id == _user("unit_admin", world).id))]
        results = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "call.results")).summary
        return agenda, actions, told, results

    agenda, actions, told, results = _with(app, run)
    assert agenda == [ids["case_a"]]
    assert {"call.decide", "call.to_session", "call.results"} <= set(actions)
    assert "专家乙因病未能评分" in results
    assert any("已入围" in t for t in told) and any("一等奖" in t for t in told)
    page = client.get(f"/calls/{ids['review']}/results").get_data(as_text=True)
    assert "一等奖" in page and "五社联动助老服务" in page and "花溪乡村儿童之家" not in page
    case_page = client.get(f"/cases/{ids['case_a']}").get_data(as_text=True)
    assert "获奖" in case_page and "首届优秀案例征集 · 一等奖" in case_page


def test_an_awarded_unit_downloads_its_certificate(app, client, auth, world):
    ids = world["ids"]
    award_case(app, world["emails"]["curator"], ids["case_other"], title="第二届优秀案例征集")
    from portal.calls.models import CallEntry
    from portal.extensions import db

    with app.app_context():
        entry = db.session.scalars(db.select(CallEntry).where(CallEntry.case_id == ids["case_other"])
                                   .order_by(CallEntry.id.desc())).first()
        url = f"/calls/{entry.call_id}/certificates/{entry.id}.pdf"
        db.session.remove()
    assert client.get(url).status_code == 302  # to the login page
    auth.sign_in(world["emails"]["unit_admin"])
    assert client.get(url).status_code == 403
    auth.sign_in(world["emails"]["other_unit"])
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "下载获奖证书" in client.get(url.split("/certificates")[0]).get_data(as_text=True)
    not_awarded = f"/calls/{ids['review']}/certificates/{ids['entry_other']}.pdf"
    assert client.get(not_awarded).status_code == 404


def test_an_awarded_level_cannot_be_removed_or_shrunk_by_editing_the_call(app, world):
    from portal.calls import services
    from portal.calls.models import CaseCall
    from portal.errors import ValidationError
    from portal.extensions import db
    from portal.timezones import utc_to_shanghai

    call_id = award_case(app, world["emails"]["curator"], world["ids"]["case_other"], title="第三届优秀案例征集")

    def run():
        admin, call = _user("curator", world), db.session.get(CaseCall, call_id)
        data = _call_data(call.title, opens=call.opens_at, closes=call.closes_at)
        data.opens_at, data.closes_at = utc_to_shanghai(call.opens_at), utc_to_shanghai(call.closes_at)
        data.levels = "优秀案例 2"
        with pytest.raises(ValidationError, match="已经授予 1 个案例，不能删除"):
            services.save_call(admin, call, data)

    _with(app, run)


def test_reviewers_are_told_once_however_many_entries_they_get(app, world):
    from sqlalchemy import func, select

    from portal.calls import services
    from portal.extensions import db
    from portal.notifications.models import Notification

    def run():
        admin, call = _user("curator", world), _call(world, "review")
        for assignment in list(services.get_entry(call, world["ids"]["entry_a"]).assignments):
            services.unassign(admin, assignment)  # both entries need two now
        db.session.flush()
        db.session.expire_all()
        before = db.session.scalar(select(func.max(Notification.id)))
        services.assign_automatically(admin, call)
        db.session.flush()
        return list(db.session.execute(select(Notification.user_id, func.count()).where(
            Notification.id > before, Notification.kind == "call_review").group_by(Notification.user_id)))

    told = _with(app, run)
    assert told and all(n == 1 for _user_id, n in told), told


def test_the_award_places_are_limited(app, world):
    from portal.calls import services
    from portal.errors import ValidationError

    def run():
        admin, call = _user("curator", world), _call(world, "review")
        services.decide(admin, services.get_entry(call, world["ids"]["entry_a"]), shortlisted=False,
                        level_id=world["ids"]["level1"], reason="第一名。")
        with pytest.raises(ValidationError, match="名额"):
            services.decide(admin, services.get_entry(call, world["ids"]["entry_other"]), shortlisted=False,
                            level_id=world["ids"]["level1"], reason="也想给一等奖。")

    _with(app, run)


def test_reminders_reach_units_that_have_not_entered_once(app, world):
    from portal.calls import services
    from portal.models_base import utcnow

    def run():
        call = _call(world, "open")
        call.closes_at = utcnow() + timedelta(days=2)
        first = services.send_reminders()
        second = services.send_reminders()
        return first["units"], second["units"]

    # 花溪社区服务社 has not entered the open call: its one member is told, once.
    assert _with(app, run) == (1, 0)


# The deadline under concurrency -----------------------------------------------------------------------

def test_entries_racing_the_deadline_on_postgresql(app, factory, database):
    """Eight units enter at the moment the call closes. Each entry is judged by the time taken
    after the call's row lock: none is stored after the deadline, every refusal names it, and a
    unit racing itself keeps to its quota of one."""
    if database["backend"] != "postgresql":
        pytest.skip("PostgreSQL only: row locks")
    import time

    from portal.auth.services import get_user_by_email
    from portal.calls import services
    from portal.calls.models import CallEntry, CaseCall
    from portal.errors import ValidationError
    from portal.extensions import db
    from portal.models_base import utcnow

    _id, admin_email = factory.user("race-admin@example.org", "管理员", admin=True)
    units = []
    for n in range(8):
        _id, email = factory.user(f"race{n}@example.org", f"单位{n}")
        org = factory.org(email, name=f"赛跑单位{n}")
        units.append((email, [factory.case(org, f"案例{n}-{k}") for k in range(2)]))
    with app.app_context():
        now = utcnow()
        call = services.save_call(get_user_by_email(admin_email), None,
                                  _call_data("截止竞争", opens=now - timedelta(hours=1), closes=now + timedelta(hours=1)))
        services.announce(get_user_by_email(admin_email), call)
        deadline = utcnow() + timedelta(seconds=1.5)
        call.closes_at = deadline
        call_id = call.id
        db.session.commit()
        db.session.remove()
    outcomes, start = [], threading.Barrier(16)

    def one(email, case_id, delay):
        with app.app_context():
            start.wait()
            time.sleep(delay)
            try:
                services.enter(get_user_by_email(email), db.session.get(CaseCall, call_id), case_id)
                db.session.commit()
                outcomes.append(("ok", case_id))
            except ValidationError as exc:
                db.session.rollback()
                outcomes.append((exc.message, case_id))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(email, case_id, 1.2 + 0.1 * (n % 6)))
               for n, (email, cases) in enumerate(units) for case_id in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        stored = list(db.session.scalars(db.select(CallEntry).where(CallEntry.call_id == call_id)))
        db.session.remove()
    assert len(outcomes) == 16
    assert all(e.created_at < deadline for e in stored)
    refused = [m for m, _c in outcomes if m != "ok"]
    assert all("截止" in m or "最多提交 1 个" in m for m in refused), refused
    assert len({e.org_id for e in stored}) == len(stored), "one entry per unit, even when a unit races itself"
    assert any("截止" in m for m in refused), "some entries came after the deadline"


# Bad input, refused in Chinese -------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "message"), [
    ({"title": " "}, "请填写征集标题"),
    ({"closes": -2}, "截止时间必须晚于开始时间"),
    ({"dimensions": "创新性 0"}, "之间"),
    ({"dimensions": "创新性 40\n创新性 60"}, "重复了"),
    ({"dimensions": ""}, "请至少填写一项评分维度"),
    ({"levels": "一等奖 很多"}, "之间"),
    ({"org_types": ["外星机构"]}, "未知的单位类型"),
    ({"provinces": ["火星"]}, "未知的省级行政区"),
    ({"required_sections": ["secrets"]}, "未知的案例部分"),
    ({"reviewers_per_entry": 9}, "1 到 7 之间的整数"),
    ({"disagreement": 0.1}, "分歧阈值"),
    ({"review_due_on": "before"}, "评审截止日期不能早于征集截止日期"),
])
def test_bad_calls_are_refused_naming_the_problem(app, world, overrides, message):
    from portal.calls import services
    from portal.errors import ValidationError
    from portal.models_base import utcnow

    overrides = dict(overrides)  # the parameter is shared by both backends' runs

    def run():
        now = utcnow()
        closes = now + timedelta(days=overrides.pop("closes", 10))
        data = _call_data("坏的征集", opens=now, closes=closes)
        if overrides.pop("review_due_on", None):
            data.review_due_on = (now - timedelta(days=30)).date()
        for name, value in overrides.items():
            setattr(data, name, value)
        with pytest.raises(ValidationError) as refused:
            services.save_call(_user("curator", world), None, data)
        return refused.value.message

    assert message in _with(app, run)


def test_entries_and_scores_refused_with_the_reason(app, world):
    from portal.calls import services
    from portal.calls.models import CallAssignment
    from portal.errors import PermissionDenied, ValidationError
    from portal.extensions import db
    from portal.models_base import utcnow

    ids = world["ids"]

    def run():
        unit_admin, admin = _user("unit_admin", world), _user("curator", world)
        call = _call(world, "open")
        with pytest.raises(ValidationError, match="已经参加本次征集"):
            services.enter(unit_admin, call, ids["case_a"])
        entry = services.get_entry(call, ids["open_entry"])
        services.withdraw(unit_admin, entry)
        with pytest.raises(ValidationError, match="已经撤回"):
            services.withdraw(unit_admin, entry)
        with pytest.raises(ValidationError, match="已撤回的参评案例不能替换"):
            services.replace(unit_admin, entry, ids["case_b"])
        call.opens_at = utcnow() + timedelta(days=1)
        with pytest.raises(ValidationError, match="尚未开始"):
            services.enter(unit_admin, call, ids["case_b"])
        review = _call(world, "review")
        assignment = db.session.get(CallAssignment, ids["assignment"])
        with pytest.raises(ValidationError, match="请为"):
            services.score(_user("reviewer", world), assignment, {ids["dim1"]: 5})
        with pytest.raises(ValidationError, match="没有这个评分维度"):
            services.score(_user("reviewer", world), assignment, {ids["dim1"]: 5, ids["dim2"]: 5, 999999: 5})
        with pytest.raises(PermissionDenied):
            services.score(_user("second_reviewer", world), assignment, {ids["dim1"]: 5, ids["dim2"]: 5})
        with pytest.raises(ValidationError, match="没有这个奖项"):
            services.decide(admin, services.get_entry(review, ids["entry_a"]), shortlisted=True, level_id=999999,
                            reason="理由")
        with pytest.raises(ValidationError, match="还没有确定任何奖项"):
            services.publish_results(admin, review, "理由")
        with pytest.raises(ValidationError, match="请选择本次征集对接的分享会"):
            services.shortlist_to_session(admin, review, None)
        with pytest.raises(ValidationError, match="还没有入围"):
            services.shortlist_to_session(admin, review, ids["session"])
        with pytest.raises(ValidationError, match="征集截止后"):
            services.assign_automatically(admin, _call(world, "open"))
        with pytest.raises(PermissionDenied):
            services.require_manager(unit_admin)

    _with(app, run)


def test_reviewers_are_reminded_before_their_due_date_and_the_cli_reports_it(app, world, runner):
    from portal.calls import services
    from portal.extensions import db
    from portal.models_base import utcnow

    with app.app_context():
        call = _call(world, "review")
        call.review_due_on = (utcnow() + timedelta(days=1)).date()
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["calls", "remind"])
    assert result.exit_code == 0 and "评审专家 1 人" in result.output  # 专家乙 has not scored yet
    result = runner.invoke(args=["calls", "remind"])
    assert "评审专家 0 人" in result.output  # once
    with app.app_context():
        progress = {p.reviewer.display_name: (p.scored, p.assigned, p.reminded_at is not None)
                    for p in services.progress(_call(world, "review"))}
        db.session.remove()
    assert progress == {"专家甲": (1, 1, False), "专家乙": (0, 1, True)}
