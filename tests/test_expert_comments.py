"""Expert comments (专家点评), rubric scores, unit responses (回应) and the rubric admin.

The permission table follows tests/test_case_permissions.py: every role against every route,
asserting the database effect, not only the status code.

    OK     200, the page is shown
    DONE   302 (not to the login page), a success message, and the row's change is in the database
    LOGIN  302 to /auth/login: anonymous visitors are sent to log in first, as on every other
           POST route of the site (so the contract's "403 for anyone else" applies to logged-in users)
    DENY   403, the Chinese "无权访问" page
    HIDE   404, the Chinese "未找到" page

The world: 单位管理员 runs 阳光社工 (单位编辑 is an editor there) with a published and a draft
case; 专家乙 (another reviewer) has commented on the published case; the "reviewer" role is a
reviewer who has not commented yet; the platform admin is not a reviewer.
"""
from __future__ import annotations

import copy

import pytest

from tests.tables import DENY, DONE, HIDE, LOGIN, OK, check_outcome, table_row

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "reviewer", "admin")
NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "reviewer": "点评专家甲", "admin": "平台管理员"}
UNIT_NAME = "贵阳市阳光社工服务中心"

GOOD = {"expert-body": "做法扎实，**议事规则**值得推广。", "expert-declaration": "none"}


def row(method, path, *expected, data=None, effect=None):
    return table_row(ROLES, method, path, *expected, data=data, effect=effect)


TABLE = [
    #   method  route                                        anon   pract  editor o-admin review admin
    row("POST", "/cases/{published}/expert-comments",        LOGIN, DENY,  DENY,  DENY,  DONE,  DENY,
        data=GOOD, effect="new_comment"),
    # Not published: even a reviewer is refused (403 with a message), nothing is saved.
    row("POST", "/cases/{draft}/expert-comments",            LOGIN, DENY,  DENY,  DENY,  DENY,  DENY, data=GOOD),
    row("POST", "/cases/999999/expert-comments",             LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE, data=GOOD),
    # The unit answers once; nobody else may.
    row("POST", "/expert-comments/{comment}/response",       LOGIN, DENY,  DONE,  DONE,  DENY,  DENY,
        data={"body": "感谢专家，我们会补充数据。"}, effect="response"),
    # Only the author edits (the "reviewer" role is a different expert); only admins delete.
    row("GET",  "/expert-comments/{comment}/edit",           LOGIN, DENY,  DENY,  DENY,  DENY,  DENY),
    row("POST", "/expert-comments/{comment}/edit",           LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,
        data={**GOOD, "expert-body": "改写"}),
    row("GET",  "/expert-comments/{comment}/revisions",      LOGIN, DENY,  DENY,  DENY,  DENY,  OK),
    row("POST", "/expert-comments/{comment}/delete",         LOGIN, DENY,  DENY,  DENY,  DENY,  DONE,
        data={"reason": "重复发布"}, effect="deleted"),
    # Rubric administration: platform admins only.
    row("GET",  "/admin/rubric",                             LOGIN, DENY,  DENY,  DENY,  DENY,  OK),
    row("POST", "/admin/rubric",                             LOGIN, DENY,  DENY,  DENY,  DENY,  DONE,
        data={"name": "可持续性", "description": "项目结束后能否持续"}, effect="new_dimension"),
    row("POST", "/admin/rubric/{dimension}",                 LOGIN, DENY,  DENY,  DENY,  DENY,  DONE,
        data={"name": "创新程度"}, effect=("dimension", "name", "创新程度")),
    row("POST", "/admin/rubric/{dimension}#retire",          LOGIN, DENY,  DENY,  DENY,  DENY,  DONE,
        data={"retired": "1"}, effect=("dimension", "retired", True)),
    row("POST", "/admin/rubric/{dimension}#move",            LOGIN, DENY,  DENY,  DENY,  DENY,  DONE,
        data={"move": "down"}, effect="moved"),
]


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.reviews import services
    from portal.reviews.models import RubricDimension

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "admin",
                                         reviewer=role == "reviewer")
    _id, emails["expert2"] = factory.user("expert2@example.org", "专家乙", reviewer=True)
    unit = factory.org(emails["org_admin"], name=UNIT_NAME)
    factory.member(unit, emails["org_editor"], "editor")
    published = factory.case(unit, title="议事会加装电梯")
    draft = factory.case(unit, title="草稿案例", status="draft")
    with app.app_context():
        expert2 = get_user_by_email(emails["expert2"])
        from portal.cases.models import Case

        comment = services.post_comment(expert2, db.session.get(Case, published), services.CommentData(
            body="原始点评", declaration="none"))
        db.session.commit()
        first = db.session.scalar(select(RubricDimension).order_by(RubricDimension.position))
        ids = {"published": published, "draft": draft, "comment": comment.id, "dimension": first.id, "unit": unit}
        db.session.remove()
    return {"emails": emails, "ids": ids}


def _state(app) -> dict:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.reviews.models import ExpertComment, RubricDimension, UnitResponse

    with app.app_context():
        state = {
            "comments": {c.id: {"body": c.body, "edited": c.edited_at is not None, "revisions": len(c.revisions),
                                "scores": sorted((s.dimension_id, s.score) for s in c.scores),
                                "author": c.author_id, "case": c.case_id}
                         for c in db.session.scalars(select(ExpertComment))},
            "responses": {r.comment_id: r.body for r in db.session.scalars(select(UnitResponse))},
            "dimensions": {d.id: {"name": d.name, "retired": d.retired, "position": d.position}
                           for d in db.session.scalars(select(RubricDimension))},
        }
        db.session.remove()
    return state


def _check_effect(before, after, effect, ids, actor_email, app):
    expected = copy.deepcopy(before)
    if effect == "new_comment":
        new = set(after["comments"]) - set(before["comments"])
        assert len(new) == 1
        added = after["comments"][new.pop()]
        assert added["case"] == ids["published"] and added["body"] == GOOD["expert-body"]
        expected["comments"] = after["comments"]
    elif effect == "response":
        assert after["responses"] == {ids["comment"]: "感谢专家，我们会补充数据。"}
        expected["responses"] = after["responses"]
    elif effect == "deleted":
        del expected["comments"][ids["comment"]]
    elif effect == "new_dimension":
        added = [d for k, d in after["dimensions"].items() if k not in before["dimensions"]]
        assert [d["name"] for d in added] == ["可持续性"] and not added[0]["retired"]
        expected["dimensions"] = after["dimensions"]
    elif effect == "moved":
        old = sorted(before["dimensions"], key=lambda k: before["dimensions"][k]["position"])
        new = sorted(after["dimensions"], key=lambda k: after["dimensions"][k]["position"])
        assert new == [old[1], old[0], *old[2:]]
        expected["dimensions"] = after["dimensions"]
    else:
        _, key, value = effect
        expected["dimensions"][ids["dimension"]][key] = value
    assert after == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected", "effect"), TABLE)
def test_expert_comment_permission_table(app, client, auth, world, role, method, path, data, expected, effect):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    ids = world["ids"]
    url = path.split("#")[0].format(**ids)
    before = _state(app)
    response = client.open(url, method=method, data=data)
    after = _state(app)
    outcome = expected[role]
    check_outcome(client, response, outcome)
    if outcome == DONE:
        _check_effect(before, after, effect, ids, world["emails"].get(role), app)
    else:
        assert after == before, "a refused request changed the database"


# Bad input ----------------------------------------------------------------------------------------

def _dimension_ids(app) -> dict[str, int]:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.reviews.models import RubricDimension

    with app.app_context():
        return {d.name: d.id for d in db.session.scalars(select(RubricDimension))}


@pytest.mark.parametrize(("change", "message"), [
    ({"expert-body": "   "}, "请填写点评内容"),
    ({"expert-body": "长" * 5001}, "点评内容不能超过 5000 个字符"),
    ({"score": "0"}, "的评分须为 1 到 5 的整数"),
    ({"score": "6"}, "的评分须为 1 到 5 的整数"),
    ({"score": "x"}, "的评分须为 1 到 5 的整数"),
    ({"score": "2.5"}, "的评分须为 1 到 5 的整数"),
    ({"expert-declaration": ""}, "请声明您与发布单位是否存在利益关联"),
    ({"expert-declaration": "maybe"}, "请声明您与发布单位是否存在利益关联"),
    ({"expert-declaration": "tie", "expert-conflict_note": " "}, "请说明与发布单位的关联"),
], ids=["empty", "too-long", "score-0", "score-6", "score-x", "score-fraction", "no-declaration",
        "bad-declaration", "tie-without-note"])
def test_bad_comment_input_saves_nothing(app, client, auth, world, change, message):
    auth.login(world["emails"]["reviewer"])
    dims = _dimension_ids(app)
    data = {**GOOD, f"expert-score_{dims['实效性']}": "4"}
    change = dict(change)  # the parameter is shared by every backend's run: do not consume it
    if "score" in change:
        data[f"expert-score_{dims['创新性']}"] = change.pop("score")
    data.update(change)
    before = _state(app)
    response = client.post(f"/cases/{world['ids']['published']}/expert-comments", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert _state(app) == before
    # What the expert typed is still in the form.
    if data["expert-body"].strip() and len(data["expert-body"]) < 100:
        assert "议事规则" in page


def test_reviewer_cannot_comment_on_a_draft(app, client, auth, world):
    auth.login(world["emails"]["reviewer"])
    before = _state(app)
    response = client.post(f"/cases/{world['ids']['draft']}/expert-comments", data=GOOD)
    assert response.status_code == 403
    assert "只能对已发布的案例" in response.get_data(as_text=True)
    assert _state(app) == before


def test_second_comment_is_refused_and_the_first_kept(app, client, auth, world):
    auth.login(world["emails"]["expert2"])
    before = _state(app)
    response = client.post(f"/cases/{world['ids']['published']}/expert-comments",
                           data={**GOOD, "expert-body": "第二条"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "您已点评过该案例" in page and "请编辑原点评" in page
    assert _state(app) == before
    # The case page offers editing instead of a second post form.
    case_page = client.get(f"/cases/{world['ids']['published']}").get_data(as_text=True)
    assert "编辑点评" in case_page and "发表点评" not in case_page


@pytest.mark.parametrize(("body", "message"), [("  ", "请填写回应内容"), ("回" * 3001, "回应不能超过 3000 个字符")],
                         ids=["empty", "too-long"])
def test_bad_response_input_saves_nothing(app, client, auth, world, body, message):
    auth.login(world["emails"]["org_editor"])
    before = _state(app)
    response = client.post(f"/expert-comments/{world['ids']['comment']}/response", data={"body": body},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "flash-error" in page and message in page
    assert _state(app) == before


def test_second_response_is_refused(app, client, auth, world):
    auth.login(world["emails"]["org_editor"])
    url = f"/expert-comments/{world['ids']['comment']}/response"
    client.post(url, data={"body": "第一次回应"})
    auth.logout()
    auth.login(world["emails"]["org_admin"])
    page = client.post(url, data={"body": "第二次回应"}, follow_redirects=True).get_data(as_text=True)
    assert "每条点评只能回应一次" in page
    assert _state(app)["responses"] == {world["ids"]["comment"]: "第一次回应"}
    # The response is public, beneath the comment, and the form is gone.
    auth.logout()
    public = client.get(f"/cases/{world['ids']['published']}").get_data(as_text=True)
    assert "第一次回应" in public and "单位回应" in public
    assert public.index("原始点评") < public.index("第一次回应")


# The case page ------------------------------------------------------------------------------------

def _comment(app, email, case_id, body, scores=None, declaration="none", note=""):
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.reviews import services

    with app.app_context():
        comment = services.post_comment(get_user_by_email(email), db.session.get(Case, case_id),
                                        services.CommentData(body=body, scores=scores or {},
                                                             declaration=declaration, conflict_note=note))
        db.session.commit()
        return comment.id


def _averages(page: str) -> dict[str, str]:
    import re

    if "平均评分" not in page:
        return {}
    block = page.split("平均评分", 1)[1].split("</dl>", 1)[0]
    return dict(re.findall(r"<dt>([^<]+)</dt><dd><strong>([0-9.]+)</strong>", block))


def test_averages_need_two_scoring_experts_per_dimension(app, client, auth, world, factory):
    dims = _dimension_ids(app)
    case = world["ids"]["published"]
    url = f"/cases/{case}"
    # 专家乙's comment has no scores; one scoring expert is not enough.
    _comment(app, world["emails"]["reviewer"], case, "甲的点评", {dims["创新性"]: "4", dims["实效性"]: "3"})
    page = client.get(url).get_data(as_text=True)
    assert "甲的点评" in page and "创新性 4 分" in page
    assert _averages(page) == {}
    _id, third = factory.user("expert3@example.org", "专家丙", reviewer=True)
    _comment(app, third, case, "丙的点评", {dims["创新性"]: "5", dims["专业性"]: "2"})
    page = client.get(url).get_data(as_text=True)
    # 创新性 scored by two experts: (4 + 5) / 2; 实效性 and 专业性 by one each: no average.
    assert _averages(page) == {"创新性": "4.5"}
    assert "2 位专家评分" in page
    _id, fourth = factory.user("expert4@example.org", "专家丁", reviewer=True)
    _comment(app, fourth, case, "丁的点评", {dims["创新性"]: "3", dims["实效性"]: "5"})
    assert _averages(client.get(url).get_data(as_text=True)) == {"创新性": "4.0", "实效性": "4.0"}


def test_comment_page_shows_expert_declaration_and_sits_above_discussion(app, client, auth, world):
    case = world["ids"]["published"]
    _comment(app, world["emails"]["reviewer"], case, "甲的点评", declaration="tie", note="曾为该单位做过督导培训")
    page = client.get(f"/cases/{case}").get_data(as_text=True)
    assert "点评专家甲" in page and "教授" in page and "某大学" in page
    assert "有关联" in page and "曾为该单位做过督导培训" in page and "无利益关联" in page
    from portal.auth.services import get_user_by_email

    with app.app_context():
        reviewer_id = get_user_by_email(world["emails"]["reviewer"]).id
    assert f'href="/experts/{reviewer_id}"' in page
    # Above the discussion: the expert panel comes before the discussion panel's markup.
    panel = page.index('id="expert-comments"')
    for marker in ('id="discussion"', 'id="comments"'):
        if marker in page:
            assert panel < page.index(marker)


def test_post_form_shown_to_eligible_reviewers_only(app, client, auth, world):
    url = f"/cases/{world['ids']['published']}"
    assert "发表专家点评" not in client.get(url).get_data(as_text=True)
    for role in ("practitioner", "org_editor", "admin"):
        auth.sign_in(world["emails"][role])
        assert "发表专家点评" not in client.get(url).get_data(as_text=True), role
        auth.logout()
    auth.login(world["emails"]["reviewer"])
    page = client.get(url).get_data(as_text=True)
    assert "发表专家点评" in page and "利益关联声明" in page and "创新性" in page


def test_markdown_is_cleaned(app, client, auth, world):
    auth.login(world["emails"]["reviewer"])
    body = '<script>alert("x")</script>**加粗**<img src="https://evil.example/a.png" onerror="alert(1)">'
    response = client.post(f"/cases/{world['ids']['published']}/expert-comments",
                           data={**GOOD, "expert-body": body})
    assert response.status_code == 302
    auth.logout()
    auth.login(world["emails"]["org_editor"])
    client.post(f"/expert-comments/{world['ids']['comment']}/response",
                data={"body": '回应<script>evil()</script><a href="javascript:alert(1)">链接</a>'})
    page = client.get(f"/cases/{world['ids']['published']}").get_data(as_text=True)
    assert "<strong>加粗</strong>" in page
    assert '<script>alert("x")' not in page and "<script>evil()" not in page
    assert "onerror" not in page and "javascript:alert" not in page
    from portal.auth.services import get_user_by_email

    with app.app_context():
        reviewer_id = get_user_by_email(world["emails"]["reviewer"]).id
    expert_page = client.get(f"/experts/{reviewer_id}").get_data(as_text=True)
    assert "<strong>加粗</strong>" in expert_page and '<script>alert("x")' not in expert_page


def test_edit_keeps_a_revision_and_marks_edited(app, client, auth, world):
    dims = _dimension_ids(app)
    auth.login(world["emails"]["expert2"])
    comment = world["ids"]["comment"]
    form = client.get(f"/expert-comments/{comment}/edit").get_data(as_text=True)
    assert "原始点评" in form
    response = client.post(f"/expert-comments/{comment}/edit", data={
        "expert-body": "修改后的点评", "expert-declaration": "tie", "expert-conflict_note": "曾参与评审",
        f"expert-score_{dims['创新性']}": "5"})
    assert response.status_code == 302
    state = _state(app)["comments"][comment]
    assert state["body"] == "修改后的点评" and state["edited"] and state["revisions"] == 1
    assert state["scores"] == [(dims["创新性"], 5)]
    page = client.get(f"/cases/{world['ids']['published']}").get_data(as_text=True)
    assert "已编辑" in page and "修改后的点评" in page and "原始点评" not in page
    assert "修改记录（1）" in page  # the author's link to the revisions
    revisions = client.get(f"/expert-comments/{comment}/revisions").get_data(as_text=True)
    assert "原始点评" in revisions and "修改后的点评" in revisions
    # A bad edit changes nothing and keeps the text in the form.
    bad = client.post(f"/expert-comments/{comment}/edit", data={
        "expert-body": "再次修改", "expert-declaration": "none", f"expert-score_{dims['创新性']}": "9"})
    assert bad.status_code == 422 and "的评分须为 1 到 5 的整数" in bad.get_data(as_text=True)
    assert _state(app)["comments"][comment] == state
    # Saving the same content again adds no revision.
    client.post(f"/expert-comments/{comment}/edit", data={
        "expert-body": "修改后的点评", "expert-declaration": "tie", "expert-conflict_note": "曾参与评审",
        f"expert-score_{dims['创新性']}": "5"})
    assert _state(app)["comments"][comment]["revisions"] == 1
    # The revisions are the author's and the admins': another expert is refused.
    auth.logout()
    assert "修改记录" not in client.get(f"/cases/{world['ids']['published']}").get_data(as_text=True)
    auth.login(world["emails"]["reviewer"])
    assert client.get(f"/expert-comments/{comment}/revisions").status_code == 403
    assert "修改记录" not in client.get(f"/cases/{world['ids']['published']}").get_data(as_text=True)
    auth.logout()
    auth.login(world["emails"]["admin"])
    assert "原始点评" in client.get(f"/expert-comments/{comment}/revisions").get_data(as_text=True)
    assert "修改记录（1）" in client.get(f"/cases/{world['ids']['published']}").get_data(as_text=True)


def test_new_comment_notifies_the_unit(app, client, auth, world):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.notifications.models import Notification

    auth.login(world["emails"]["reviewer"])
    client.post(f"/cases/{world['ids']['published']}/expert-comments", data=GOOD)
    with app.app_context():
        from portal.auth.services import get_user_by_email

        rows = [n for n in db.session.scalars(select(Notification)) if "点评专家甲" in n.text]
        told = {get_user_by_email(world["emails"][r]).id for r in ("org_editor", "org_admin")}
        # Every member of the unit, once; not the expert; nobody outside the unit.
        assert sorted(n.user_id for n in rows) == sorted(told)
        assert all(n.kind == "expert_comment" and "议事会加装电梯" in n.text for n in rows)
        assert rows[0].url.startswith(f"/cases/{world['ids']['published']}#expert-comment-")


def test_admin_delete_is_audited(app, client, auth, world):
    from sqlalchemy import select

    from portal.admin.models import AuditEntry
    from portal.extensions import db

    auth.login(world["emails"]["admin"])
    client.post(f"/expert-comments/{world['ids']['comment']}/delete", data={"reason": "重复发布"})
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "expert_comment.delete"))
        assert entry is not None and "重复发布" in entry.summary and "专家乙" in entry.summary
    assert "删除专家点评" in client.get("/admin/audit").get_data(as_text=True)


# Rubric ------------------------------------------------------------------------------------------

def test_retired_dimension_keeps_scores_and_leaves_the_form(app, client, auth, world):
    dims = _dimension_ids(app)
    case = world["ids"]["published"]
    _comment(app, world["emails"]["reviewer"], case, "甲的点评", {dims["居民参与度"]: "5"})
    auth.login(world["emails"]["admin"])
    client.post(f"/admin/rubric/{dims['居民参与度']}", data={"retired": "1"})
    client.post(f"/admin/rubric/{dims['创新性']}", data={"name": "创新程度"})
    rubric = client.get("/admin/rubric").get_data(as_text=True)
    assert "已停用" in rubric
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "停用评分维度" in audit and "重命名评分维度" in audit
    auth.logout()
    # The old score is still shown; a new comment form offers only active dimensions, under the new name.
    page = client.get(f"/cases/{case}").get_data(as_text=True)
    assert "居民参与度 5 分" in page
    auth.login(world["emails"]["expert2"])
    form = client.get(f"/expert-comments/{world['ids']['comment']}/edit").get_data(as_text=True)
    assert f"expert-score_{dims['居民参与度']}" not in form and "创新程度" in form
    # A value sent for the retired dimension is ignored, and the reviewer's old retired score survives edits.
    auth.logout()
    auth.login(world["emails"]["reviewer"])
    with app.app_context():
        from sqlalchemy import select

        from portal.extensions import db
        from portal.reviews.models import ExpertComment

        own = db.session.scalar(select(ExpertComment).where(ExpertComment.body == "甲的点评")).id
    client.post(f"/expert-comments/{own}/edit", data={**GOOD, f"expert-score_{dims['居民参与度']}": "1"})
    assert _state(app)["comments"][own]["scores"] == [(dims["居民参与度"], 5)]


@pytest.mark.parametrize(("data", "message"), [
    ({"name": ""}, "此项为必填项"),
    ({"name": "创新性"}, "已有同名维度"),
], ids=["empty", "duplicate"])
def test_bad_dimension_input(app, client, auth, world, data, message):
    auth.login(world["emails"]["admin"])
    before = _state(app)
    response = client.post("/admin/rubric", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _state(app) == before


def test_cannot_move_the_first_dimension_up(app, client, auth, world):
    auth.login(world["emails"]["admin"])
    before = _state(app)
    page = client.post(f"/admin/rubric/{world['ids']['dimension']}", data={"move": "up"},
                       follow_redirects=True).get_data(as_text=True)
    assert "无法再移动" in page
    assert _state(app) == before


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_comment_without_token_is_refused(self, app, client, auth, world):
        from tests.conftest import csrf_token

        auth.login(world["emails"]["reviewer"])
        url = f"/cases/{world['ids']['published']}"
        before = _state(app)
        assert client.post(f"{url}/expert-comments", data=GOOD).status_code == 400
        assert _state(app) == before
        token = csrf_token(client, url)
        assert token
        assert client.post(f"{url}/expert-comments", data={**GOOD, "csrf_token": token}).status_code == 302
        assert len(_state(app)["comments"]) == len(before["comments"]) + 1


@pytest.mark.parametrize(("assigned", "hide_reviewer", "allowed"), [
    (False, False, False),  # not assigned: refused on an unpublished case
    (True, False, True),    # assigned: may comment before publication
    (True, True, False),    # assigned with the reviewer's name hidden: a signed comment would reveal it
])
def test_assigned_reviewer_may_comment_on_the_submitted_case(app, client, auth, world, factory,
                                                             assigned, hide_reviewer, allowed):
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.reviews.assignments import assign_reviewer

    submitted = factory.case(world["ids"]["unit"], title="待审核的案例", status="submitted")
    if assigned:
        with app.app_context():
            admin = get_user_by_email(world["emails"]["admin"])
            reviewer = get_user_by_email(world["emails"]["reviewer"])
            assign_reviewer(admin, db.session.get(Case, submitted), reviewer.id, hide_reviewer=hide_reviewer)
            db.session.commit()
    auth.login(world["emails"]["reviewer"])
    before = _state(app)
    response = client.post(f"/cases/{submitted}/expert-comments", data=GOOD)
    if allowed:
        assert response.status_code == 302
        assert len(_state(app)["comments"]) == len(before["comments"]) + 1
    else:
        assert response.status_code == 403
        assert _state(app) == before
