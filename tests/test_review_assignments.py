"""Review assignments (点评指派), internal reviews and the 待点评 queue.

The permission table follows tests/test_case_permissions.py: each row is a request, each column
what a person in that role gets back, and every outcome but DONE leaves the database exactly as
it was (assignments, internal reviews, audit entries and notifications).

The world: 单位管理员 runs a verified unit (阳光社工) in which 单位编辑 is an editor; 指派专家 is a
reviewer (司马已派) assigned to the unit's submitted, in-review and (since publishing) published cases;
点评专家 (欧阳自由) is a reviewer assigned to nothing; the platform admin is the curator.
"""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from tests.tables import DENY, DONE, HIDE, LOGIN, OK, REFUSED, check_outcome, table_row

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "assigned", "reviewer", "curator")
NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "assigned": "司马已派", "reviewer": "欧阳自由", "curator": "平台管理员"}
UNIT_NAME = "贵阳市阳光社工服务中心"

REVIEW = {"recommendation": "publish", "body": "做法扎实，**数据完整**。"}
RETURN = {"recommendation": "return", "body": "总体可行。", "reasons": "请补充服务前后的对比数据。"}


def row(method, path, *expected, data=None, effect=None):
    return table_row(ROLES, method, path, *expected, data=data, effect=effect)


TABLE = [
    #   method  route                                         anon   pract  editor o-admin assigned review curator
    row("GET",  "/cases/{submitted}",                         HIDE,  HIDE,  OK,    OK,    OK,     HIDE,  OK),
    row("GET",  "/cases/{in_review}",                         HIDE,  HIDE,  OK,    OK,    OK,     HIDE,  OK),
    row("GET",  "/cases/{published}",                         OK,    OK,    OK,    OK,    OK,     OK,    OK),
    # An assigned reviewer reads the attachments of the unpublished case too.
    row("GET",  "/review/queue",                              LOGIN, DENY,  DENY,  DENY,  OK,     OK,    OK),
    # Assigning: curators only, on a submitted or in-review case.
    row("POST", "/cases/{submitted}/assignments",             LOGIN, HIDE,  DENY,  DENY,  DENY,   HIDE,  DONE,
        data={"reviewer_id": "{reviewer_id}"}, effect=("assigned", "submitted", "reviewer")),
    row("POST", "/cases/{in_review}/assignments",             LOGIN, HIDE,  DENY,  DENY,  DENY,   HIDE,  DONE,
        data={"reviewer_id": "{reviewer_id}", "due_on": "{next_week}", "hide_unit": "y"},
        effect=("assigned", "in_review", "reviewer")),
    row("POST", "/cases/{published}/assignments",             LOGIN, DENY,  DENY,  DENY,  DENY,   DENY,  REFUSED,
        data={"reviewer_id": "{reviewer_id}"}),
    # Cancelling: curators only.
    row("POST", "/cases/{submitted}/assignments/{a_submitted}/cancel",
                                                              LOGIN, HIDE,  DENY,  DENY,  DENY,   HIDE,  DONE,
        effect=("cancelled", "a_submitted")),
    # Internal reviews: the assigned reviewer only, while the case is submitted or in review.
    row("POST", "/cases/{submitted}/internal-review",         LOGIN, HIDE,  DENY,  DENY,  DONE,   HIDE,  DENY,
        data=REVIEW, effect=("reviewed", "a_submitted", "publish")),
    row("POST", "/cases/{in_review}/internal-review",         LOGIN, HIDE,  DENY,  DENY,  DONE,   HIDE,  DENY,
        data=RETURN, effect=("reviewed", "a_in_review", "return")),
    row("POST", "/cases/{published}/internal-review",         LOGIN, DENY,  DENY,  DENY,  REFUSED, DENY, DENY,
        data=REVIEW),
]


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    from portal.auth.services import get_user_by_email
    from portal.cases import services as case_services
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.reviews import assignments

    emails, ids = {}, {}
    for role, name in NAMES.items():
        ids[f"{role}_id"], emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator",
                                                       reviewer=role in ("assigned", "reviewer"))
    unit = factory.org(emails["org_admin"], name=UNIT_NAME)
    factory.member(unit, emails["org_editor"], "editor")
    for state in ("submitted", "in_review", "published"):
        ids[state] = factory.case(unit, title=f"{state}案例", status="in_review" if state == "in_review" else "submitted")
    with app.test_request_context():
        curator = get_user_by_email(emails["curator"])
        assigned = get_user_by_email(emails["assigned"])
        for state in ("submitted", "in_review", "published"):
            case = db.session.get(Case, ids[state])
            ids[f"a_{state}"] = assignments.assign_reviewer(curator, case, assigned.id).id
        case_services.transition(curator, db.session.get(Case, ids["published"]), "publish")
        db.session.commit()
    ids.update(unit=unit, next_week=(date.today() + timedelta(days=7)).isoformat())
    return {"emails": emails, "ids": ids}


def _state(app) -> dict:
    from sqlalchemy import select

    from portal.admin.models import AuditEntry
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.notifications.models import Notification
    from portal.reviews.models import InternalReview, ReviewAssignment

    with app.app_context():
        state = {
            "assignments": {a.id: {"case": a.case_id, "reviewer": a.reviewer_id, "status": a.status,
                                   "due_on": a.due_on, "hide_unit": a.hide_unit, "hide_reviewer": a.hide_reviewer}
                            for a in db.session.scalars(select(ReviewAssignment))},
            "reviews": {r.assignment_id: {"recommendation": r.recommendation, "body": r.body, "reasons": r.reasons}
                        for r in db.session.scalars(select(InternalReview))},
            "audit": [(e.action, e.target_id) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))],
            "notifications": [(n.user_id, n.kind) for n in
                              db.session.scalars(select(Notification).order_by(Notification.id))],
            "cases": {c.id: c.status for c in db.session.scalars(select(Case))},
        }
        db.session.remove()
    return state


def _check_effect(before, after, effect, ids, data):
    kind = effect[0]
    expected = {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in before.items()}
    if kind == "assigned":
        case_id, reviewer_id = ids[effect[1]], ids[f"{effect[2]}_id"]
        new = set(after["assignments"]) - set(before["assignments"])
        assert len(new) == 1
        new_id = new.pop()
        expected["assignments"][new_id] = {
            "case": case_id, "reviewer": reviewer_id, "status": "pending",
            "due_on": date.fromisoformat(data["due_on"]) if data.get("due_on") else None,
            "hide_unit": bool(data.get("hide_unit")), "hide_reviewer": bool(data.get("hide_reviewer"))}
        expected["audit"].append(("review.assign", case_id))
        expected["notifications"].append((reviewer_id, "review_assignment"))
    elif kind == "cancelled":
        a = expected["assignments"][ids[effect[1]]] = dict(before["assignments"][ids[effect[1]]], status="cancelled")
        expected["audit"].append(("review.cancel", a["case"]))
        expected["notifications"].append((a["reviewer"], "review_assignment"))
    elif kind == "reviewed":
        a_id = ids[effect[1]]
        expected["assignments"][a_id] = dict(before["assignments"][a_id], status="reviewed")
        expected["reviews"][a_id] = {"recommendation": effect[2], "body": data["body"],
                                     "reasons": data.get("reasons", "")}
        # The unit's two members are told an internal review arrived.
        expected["notifications"] += [(ids["org_admin_id"], "case_workflow"), (ids["org_editor_id"], "case_workflow")]
        assert sorted(after["notifications"]) == sorted(expected["notifications"])
        expected["notifications"] = after["notifications"]
    assert after == expected


def _check(client, response, expected):
    check_outcome(client, response, expected, done_prefix="/cases/")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected", "effect"), TABLE)
def test_assignment_permission_table(app, client, auth, world, role, method, path, data, expected, effect):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    ids = world["ids"]
    url = path.format(**ids)
    form = {k: v.format(**ids) for k, v in data.items()}
    before = _state(app)
    response = client.open(url, method=method, data=form)
    after = _state(app)
    outcome = expected[role]
    _check(client, response, outcome)
    if outcome == DONE:
        _check_effect(before, after, effect, ids, form)
    else:
        assert after == before, "a refused request changed the database"


# Bad input: a Chinese message, and nothing changed ------------------------------------------------

def _refused(app, client, url, data, message):
    before = _state(app)
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:500]
    assert message in page
    assert _state(app) == before


@pytest.mark.parametrize(("data", "message"), [
    ({"reviewer_id": "{reviewer_id}", "due_on": "{yesterday}"}, "截止日期不能早于今天"),
    ({"reviewer_id": "{assigned_id}"}, "已被指派点评该案例，不能重复指派"),
    ({"reviewer_id": "{practitioner_id}"}, "不是在册的点评专家"),
    ({"reviewer_id": "{org_editor_reviewer_id}"}, "是发布单位的成员，不能点评本单位的案例"),
    ({"reviewer_id": ""}, "请选择一位点评专家"),
    ({"reviewer_id": "999999"}, "请选择一位点评专家"),
])
def test_bad_assignments_are_refused(app, client, auth, factory, world, data, message):
    from portal.admin.services import grant_reviewer
    from portal.auth.services import get_user_by_email
    from portal.extensions import db

    ids = dict(world["ids"], yesterday=(date.today() - timedelta(days=1)).isoformat())
    with app.app_context():  # a reviewer who is also a member of the unit
        editor = get_user_by_email(world["emails"]["org_editor"])
        grant_reviewer(None, editor, title="研究员", affiliation="某研究院", expertise="社区治理")
        db.session.commit()
        ids["org_editor_reviewer_id"] = editor.id
    auth.login(world["emails"]["curator"])
    _refused(app, client, f"/cases/{ids['submitted']}/assignments",
             {k: v.format(**ids) for k, v in data.items()}, message)


@pytest.mark.parametrize(("data", "message"), [
    ({"recommendation": "return", "body": "需要修改。"}, "必须写明理由"),
    ({"recommendation": "reject", "body": "不宜发布。", "reasons": "  "}, "必须写明理由"),
    ({"recommendation": "publish", "body": "   "}, "请填写评审意见"),
    ({"recommendation": "", "body": "意见"}, "请选择评审建议"),
    ({"recommendation": "maybe", "body": "意见"}, "请选择评审建议"),
    ({"recommendation": "publish", "body": "长" * 20001}, "不能超过"),
])
def test_bad_internal_reviews_are_refused_and_keep_the_text(app, client, auth, world, data, message):
    auth.login(world["emails"]["assigned"])
    case_id = world["ids"]["submitted"]
    before = _state(app)
    response = client.post(f"/cases/{case_id}/internal-review", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    if data["body"].strip() and len(data["body"]) < 100:
        assert data["body"] in page  # what the reviewer typed is still in the form
    assert _state(app) == before


def test_review_after_the_case_left_review_is_refused_and_the_old_review_kept(app, client, auth, world):
    ids = world["ids"]
    auth.login(world["emails"]["assigned"])
    assert client.post(f"/cases/{ids['in_review']}/internal-review", data=RETURN).status_code == 302
    # The reviewer may change their mind while the case is in review.
    edited = {**RETURN, "reasons": "请补充居民满意度调查。"}
    assert client.post(f"/cases/{ids['in_review']}/internal-review", data=edited).status_code == 302
    assert _state(app)["reviews"][ids["a_in_review"]]["reasons"] == "请补充居民满意度调查。"
    assert len(_state(app)["reviews"]) == 1

    auth.logout()
    auth.login(world["emails"]["curator"])
    client.post(f"/cases/{ids['in_review']}/transition", data={"action": "return", "reason": "按专家意见修改"})
    auth.logout()
    auth.login(world["emails"]["assigned"])
    _refused(app, client, f"/cases/{ids['in_review']}/internal-review", REVIEW, "案例已不在审核中")
    # The reviewer still sees the case and their own review, read-only.
    page = client.get(f"/cases/{ids['in_review']}").get_data(as_text=True)
    assert "请补充居民满意度调查。" in page and "意见不能再修改" in page
    assert f'action="/cases/{ids["in_review"]}/internal-review"' not in page


def test_cancelled_assignment_loses_access(app, client, auth, world):
    ids = world["ids"]
    auth.login(world["emails"]["curator"])
    response = client.post(f"/cases/{ids['submitted']}/assignments/{ids['a_submitted']}/cancel")
    assert response.status_code == 302
    assert "已取消该点评指派" in client.get(urlsplit(response.headers["Location"]).path).get_data(as_text=True)
    # Cancelling twice says so and changes nothing.
    before = _state(app)
    response = client.post(f"/cases/{ids['submitted']}/assignments/{ids['a_submitted']}/cancel", follow_redirects=True)
    assert "该点评指派已经取消" in response.get_data(as_text=True)
    assert _state(app) == before
    auth.logout()

    auth.login(world["emails"]["assigned"])
    assert client.get(f"/cases/{ids['submitted']}").status_code == 404
    response = client.post(f"/cases/{ids['submitted']}/internal-review", data=REVIEW)
    assert response.status_code == 403 and "点评指派已被取消" in response.get_data(as_text=True)
    assert _state(app) == before
    queue = client.get("/review/queue").get_data(as_text=True)
    assert "submitted案例" not in queue and "in_review案例" in queue


def test_reassigning_after_cancel_restores_access(app, client, auth, world):
    ids = world["ids"]
    auth.login(world["emails"]["curator"])
    client.post(f"/cases/{ids['submitted']}/assignments/{ids['a_submitted']}/cancel")
    response = client.post(f"/cases/{ids['submitted']}/assignments",
                           data={"reviewer_id": str(ids["assigned_id"]), "hide_reviewer": "y"})
    assert response.status_code == 302
    assignment = _state(app)["assignments"][ids["a_submitted"]]
    assert assignment["status"] == "pending" and assignment["hide_reviewer"] is True
    auth.logout()
    auth.login(world["emails"]["assigned"])
    assert client.get(f"/cases/{ids['submitted']}").status_code == 200


def test_curator_sees_recommendations_side_by_side_and_decides_through_the_workflow(app, client, auth, world):
    ids = world["ids"]
    auth.login(world["emails"]["curator"])
    client.post(f"/cases/{ids['in_review']}/assignments", data={"reviewer_id": str(ids["reviewer_id"])})
    auth.logout()
    auth.login(world["emails"]["assigned"])
    client.post(f"/cases/{ids['in_review']}/internal-review", data=REVIEW)
    auth.logout()
    auth.login(world["emails"]["reviewer"])
    client.post(f"/cases/{ids['in_review']}/internal-review",
                data={"recommendation": "reject", "body": "与主题不符。", "reasons": "案例内容与社区治理无关。"})
    # A reviewer never sees another reviewer's internal review.
    page = client.get(f"/cases/{ids['in_review']}").get_data(as_text=True)
    assert "与主题不符。" in page and "做法扎实" not in page
    auth.logout()

    auth.login(world["emails"]["curator"])
    page = client.get(f"/cases/{ids['in_review']}").get_data(as_text=True)
    assert "review-grid" in page
    for text in ("司马已派", "欧阳自由", "建议发布", "建议不予发布", "做法扎实", "案例内容与社区治理无关。"):
        assert text in page
    assert 'name="action" value="publish"' in page  # the workflow buttons are on the same page
    client.post(f"/cases/{ids['in_review']}/transition", data={"action": "publish"})
    assert _state(app)["cases"][ids["in_review"]] == "published"
    auth.logout()

    # The unit reads both; anonymous visitors of the (now published) case read neither.
    auth.login(world["emails"]["org_editor"])
    page = client.get(f"/cases/{ids['in_review']}").get_data(as_text=True)
    assert "做法扎实" in page and "案例内容与社区治理无关。" in page
    auth.logout()
    page = client.get(f"/cases/{ids['in_review']}").get_data(as_text=True)
    assert "做法扎实" not in page and "与主题不符" not in page and "建议发布" not in page


def test_assignment_form_is_offered_only_while_the_case_is_under_review(app, client, auth, world):
    ids = world["ids"]
    auth.login(world["emails"]["curator"])
    page = client.get(f"/cases/{ids['submitted']}").get_data(as_text=True)
    assert f'action="/cases/{ids["submitted"]}/assignments"' in page
    assert "对专家隐藏单位名称" in page and "对单位隐藏专家姓名" in page
    # The already assigned reviewer is not offered again; the free one is.
    assert f'<option value="{ids["reviewer_id"]}">' in page and f'<option value="{ids["assigned_id"]}">' not in page
    page = client.get(f"/cases/{ids['published']}").get_data(as_text=True)
    assert f'action="/cases/{ids["published"]}/assignments"' not in page


def test_assignment_notifies_the_reviewer_and_is_audited(app, client, auth, world):
    from tests.conftest import mail_messages

    ids = world["ids"]
    auth.login(world["emails"]["curator"])
    client.post(f"/cases/{ids['submitted']}/assignments",
                data={"reviewer_id": str(ids["reviewer_id"]), "due_on": ids["next_week"]})
    mails = [m for m in mail_messages(app) if m["To"] == world["emails"]["reviewer"]]
    assert len(mails) == 1
    body = mails[0].get_content()
    assert "submitted案例" in mails[0]["Subject"] and UNIT_NAME in body and ids["next_week"] in body
    assert f"/cases/{ids['submitted']}" in body
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert audit.count('<td data-label="操作">指派点评专家</td>') == 4  # three in the world, one now
    assert "欧阳自由 → submitted案例" in audit


def test_queue_lists_assignments_and_highlights_overdue(app, client, auth, world):
    from portal.extensions import db
    from portal.reviews.models import ReviewAssignment

    ids = world["ids"]
    with app.app_context():  # time passes: the due date of one assignment is now behind us
        db.session.get(ReviewAssignment, ids["a_submitted"]).due_on = date.today() - timedelta(days=3)
        db.session.get(ReviewAssignment, ids["a_in_review"]).due_on = date.today() + timedelta(days=3)
        db.session.commit()
    auth.login(world["emails"]["assigned"])
    page = client.get("/review/queue").get_data(as_text=True)
    for title in ("submitted案例", "in_review案例", "published案例"):
        assert title in page
    assert page.count("已逾期") == 1 and page.count("overdue-row") == 1
    assert "待点评" in page and UNIT_NAME in page
    auth.logout()

    auth.login(world["emails"]["reviewer"])
    page = client.get("/review/queue").get_data(as_text=True)
    assert "目前没有指派给您的案例" in page and "submitted案例" not in page
    auth.logout()

    # The curator's overview: open assignments on cases still under review, with the reviewer.
    auth.login(world["emails"]["curator"])
    page = client.get("/review/queue").get_data(as_text=True)
    assert "所有进行中的点评指派" in page
    assert "submitted案例" in page and "in_review案例" in page and "published案例" not in page
    assert "司马已派" in page and "已逾期" in page


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_assign_without_token_is_refused(self, app, client, auth, world):
        ids = world["ids"]
        auth.login(world["emails"]["curator"])
        before = _state(app)
        response = client.post(f"/cases/{ids['submitted']}/assignments", data={"reviewer_id": str(ids["reviewer_id"])})
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
        assert _state(app) == before
