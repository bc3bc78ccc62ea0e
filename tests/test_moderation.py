"""Reports (举报) and the moderation queue: who may report and who may moderate (one table, every
role, checked in the database); bad reports refused in Chinese with nothing changed; three
different reporters hide a comment (two do not) until an admin decides; hide / restore / delete
each need a reason, resolve the open reports, go to the audit log and are told to the author and
the reporters.

The world is the one of tests/test_discussion.py, plus one open report on 讨论者's comment from
举报人甲.
"""
from __future__ import annotations

import copy

import pytest

from tests.conftest import mail_messages
from tests.tables import DENY, DONE, HIDE, KEPT, LOGIN, OK, REFUSED
from tests.test_discussion import (
    ROLES,
    build_world,
    case_page,
    check_response,
    login,
    notes,
    row,
    run_row,
    state,
)

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)

HIDDEN_STUB = "该评论因多人举报已暂时隐藏，等待审核"
THEIR_TEXT = "加装电梯的费用是怎么分摊的"


def report_as(app, world, role, key="theirs", reason="广告"):
    from portal.auth.services import get_user_by_email
    from portal.discussion import services
    from portal.discussion.models import Comment
    from portal.extensions import db

    with app.app_context():
        user = get_user_by_email(world["emails"][role])
        services.report_comment(user, db.session.get(Comment, world["ids"][key]), reason)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_moderation_world(app, factory))


def build_moderation_world(app, factory):
    world = build_world(app, factory)
    report_as(app, world, "reporter1", reason="疑似广告")
    return world


REASON = {"reason": "内容与案例无关"}
TABLE = [
    #   method  route                                       anon   pract  editor o-admin review curator
    # Reporting: anyone logged in, except the author, once per comment.
    row(ROLES, "GET",  "/comments/{theirs}/report",         LOGIN, OK,    OK,    OK,    OK,    OK),
    row(ROLES, "POST", "/comments/{theirs}/report",         LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,
        data=REASON, effect=("new_report", "theirs")),
    row(ROLES, "POST", "/comments/{mine}/report",           LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED,
        data=REASON),
    row(ROLES, "POST", "/comments/{theirs}/report#empty",   LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED,
        data={"reason": "  "}),
    row(ROLES, "POST", "/comments/{theirs}/report#too-long", LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED,
        data={"reason": "长" * 301}),
    row(ROLES, "POST", "/comments/{deleted}/report",        LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED,
        data=REASON),
    # A comment under a case that is no longer public: only those who can still open the case.
    row(ROLES, "POST", "/comments/{on_archived}/report",    LOGIN, HIDE,  DONE,  DONE,  HIDE,  DONE,
        data=REASON, effect=("new_report", "on_archived")),
    row(ROLES, "POST", "/comments/999999/report",           LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE, data=REASON),
    # The moderation queue and its actions: platform admins only; every action needs a reason.
    row(ROLES, "GET",  "/admin/moderation",                 LOGIN, DENY,  DENY,  DENY,  DENY,  OK),
    row(ROLES, "POST", "/admin/moderation/{theirs}#hide",   LOGIN, DENY,  DENY,  DENY,  DENY,  DONE,
        data={"action": "hide", "reason": "确属广告"}, effect=("moderated", "theirs", "hidden", "hide", "确属广告")),
    row(ROLES, "POST", "/admin/moderation/{theirs}#restore", LOGIN, DENY, DENY,  DENY,  DENY,  DONE,
        data={"action": "restore", "reason": "未违规"}, effect=("moderated", "theirs", "visible", "restore", "未违规")),
    row(ROLES, "POST", "/admin/moderation/{theirs}#delete", LOGIN, DENY,  DENY,  DENY,  DENY,  DONE,
        data={"action": "delete", "reason": "广告"}, effect=("moderated", "theirs", "deleted", "delete", "广告")),
    row(ROLES, "POST", "/admin/moderation/{theirs}#no-reason", LOGIN, DENY, DENY, DENY,  DENY,  KEPT,
        data={"action": "hide", "reason": ""}),
    row(ROLES, "POST", "/admin/moderation/{theirs}#unknown", LOGIN, DENY,  DENY,  DENY,  DENY,  KEPT,
        data={"action": "explode", "reason": "试试"}),
    # Restoring a visible comment with no open report has nothing to restore.
    row(ROLES, "POST", "/admin/moderation/{their_reply}#restore", LOGIN, DENY, DENY, DENY, DENY, KEPT,
        data={"action": "restore", "reason": "未违规"}),
    row(ROLES, "POST", "/admin/moderation/{deleted}#delete", LOGIN, DENY, DENY,  DENY,  DENY,  KEPT,
        data={"action": "delete", "reason": "广告"}),
    row(ROLES, "POST", "/admin/moderation/999999",          LOGIN, DENY,  DENY,  DENY,  DENY,  HIDE,
        data={"action": "hide", "reason": "广告"}),
]


def check_effect(app, world, role, before, after, effect, ids):
    expected = copy.deepcopy(before)
    expected["notifications"] = after["notifications"]
    if effect[0] == "new_report":
        new = {k: v for k, v in after["reports"].items() if k not in before["reports"]}
        assert len(new) == 1
        (new_id, report), = new.items()
        assert report["comment"] == ids[effect[1]] and report["open"] and report["decision"] == ""
        expected["reports"][new_id] = report
    else:
        _kind, key, status, decision, reason = effect
        expected["comments"][ids[key]].update(status=status, note=reason)
        for report in expected["reports"].values():
            if report["comment"] == ids[key] and report["open"]:
                report.update(open=False, decision=decision)
        expected["audit"] += 1
        assert after["notifications"] > before["notifications"]  # the author and the reporter are told
    assert after == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected", "effect"), TABLE)
def test_moderation_permission_table(app, client, auth, world, role, method, path, data, expected, effect):
    ids, before, after, response = run_row(app, client, auth, world, role, method, path, data)
    outcome = expected[role]
    check_response(client, response, outcome)
    if outcome == DONE:
        check_effect(app, world, role, before, after, effect, ids)
    else:
        assert after == before, "a refused request changed the database"


# Bad reports ----------------------------------------------------------------------------------------

def post_report(client, world, key="theirs", reason="人身攻击"):
    return client.post(f"/comments/{world['ids'][key]}/report", data={"reason": reason})


@pytest.mark.parametrize(("who", "key", "reason", "message"), [
    ("reporter1", "theirs", "再举报一次", "您已经举报过这条评论"),
    ("author", "theirs", "举报自己", "不能举报自己的评论"),
    ("practitioner", "theirs", "", "请填写举报原因"),
    ("practitioner", "theirs", "长" * 301, "举报原因不能超过 300 个字符"),
    ("practitioner", "deleted", "广告", "该评论已删除"),
])
def test_bad_reports_are_refused_in_chinese(app, client, auth, world, who, key, reason, message):
    login(auth, world, who)
    before = state(app)
    response = post_report(client, world, key, reason)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert state(app) == before


def test_the_report_button_is_not_offered_on_ones_own_comment(app, client, auth, world):
    login(auth, world, "author")
    page = case_page(client, world)
    assert f"/comments/{world['ids']['theirs']}/report" not in page
    assert f"/comments/{world['ids']['their_reply']}/report" in page


# The threshold ---------------------------------------------------------------------------------------

def test_two_reports_do_not_hide_a_comment(app, client, auth, world):
    login(auth, world, "reporter2")
    assert post_report(client, world).status_code == 302
    assert state(app)["comments"][world["ids"]["theirs"]]["status"] == "visible"
    auth.logout()
    page = case_page(client, world)
    assert THEIR_TEXT in page and HIDDEN_STUB not in page


def test_three_reports_hide_a_comment_until_an_admin_restores_it(app, client, auth, world):
    ids = world["ids"]
    login(auth, world, "reporter2")
    assert post_report(client, world, reason="人身攻击").status_code == 302
    auth.logout()
    login(auth, world, "reporter3")
    assert post_report(client, world, reason="泄露隐私").status_code == 302
    assert state(app)["comments"][ids["theirs"]]["status"] == "hidden"
    auth.logout()

    # Everyone sees the stub, not the text; the reply under it stays.
    page = case_page(client, world)
    block = page.split(f'id="comment-{ids["theirs"]}"')[1]
    assert HIDDEN_STUB in block and THEIR_TEXT not in page and "我们是按楼层分摊的。" in block
    # A hidden comment cannot be replied to or reported again.
    login(auth, world, "practitioner")
    response = post_report(client, world)
    assert response.status_code == 422 and "正在等待管理员审核" in response.get_data(as_text=True)
    auth.logout()

    # The queue lists it with its three reports and their reasons.
    login(auth, world, "curator")
    queue = client.get("/admin/moderation").get_data(as_text=True)
    item = queue.split(f'id="comment-{ids["theirs"]}"')[1]
    for text in ("疑似广告", "人身攻击", "泄露隐私", "举报人甲", "举报人乙", "举报人丙", THEIR_TEXT):
        assert text in item
    response = client.post(f"/admin/moderation/{ids['theirs']}", data={"action": "restore", "reason": "讨论正常"},
                           follow_redirects=True)
    assert "评论已恢复显示" in response.get_data(as_text=True)
    after = state(app)
    assert after["comments"][ids["theirs"]]["status"] == "visible"
    reports = [r for r in after["reports"].values() if r["comment"] == ids["theirs"]]
    assert len(reports) == 3 and all(not r["open"] and r["decision"] == "restore" for r in reports)
    assert f'id="comment-{ids["theirs"]}"' not in client.get("/admin/moderation").get_data(as_text=True)
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "恢复评论" in audit_page and "讨论正常" in audit_page
    auth.logout()

    page = case_page(client, world)
    assert THEIR_TEXT in page and HIDDEN_STUB not in page
    # The author and every reporter hear the decision, in the app and by e-mail.
    author_notes = notes(app, world["emails"]["author"], "report_decision")
    assert author_notes and "经审核恢复显示" in author_notes[-1]["text"]
    for reporter in ("reporter1", "reporter2", "reporter3"):
        told = notes(app, world["emails"][reporter], "report_decision")
        assert told and "未发现违规" in told[-1]["text"]
    assert (world["emails"]["author"], "评论审核结果") in [(m["To"], m["Subject"]) for m in mail_messages(app)]


def test_an_admin_hide_tells_the_author_why_and_shows_a_stub(app, client, auth, world):
    ids = world["ids"]
    login(auth, world, "curator")
    assert client.post(f"/admin/moderation/{ids['theirs']}",
                       data={"action": "hide", "reason": "含有广告链接"}).status_code == 302
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "隐藏评论" in audit_page
    auth.logout()
    page = case_page(client, world)
    assert "该评论已被管理员隐藏" in page and THEIR_TEXT not in page
    told = notes(app, world["emails"]["author"], "report_decision")
    assert told and "已被管理员隐藏" in told[-1]["text"] and "含有广告链接" in told[-1]["text"]
    assert "已隐藏" in notes(app, world["emails"]["reporter1"], "report_decision")[-1]["text"]
    # The author still sees the text and the reason; others do not.
    login(auth, world, "author")
    own = case_page(client, world)
    assert THEIR_TEXT in own and "含有广告链接" in own


def test_an_admin_delete_removes_the_text_and_keeps_the_replies(app, client, auth, world):
    ids = world["ids"]
    login(auth, world, "curator")
    assert client.post(f"/admin/moderation/{ids['theirs']}",
                       data={"action": "delete", "reason": "违规内容"}).status_code == 302
    auth.logout()
    page = case_page(client, world)
    block = page.split(f'id="comment-{ids["theirs"]}"')[1]
    assert "该评论已删除" in block and THEIR_TEXT not in page and "我们是按楼层分摊的。" in block
    told = notes(app, world["emails"]["author"], "report_decision")
    assert "已被管理员删除" in told[-1]["text"] and "违规内容" in told[-1]["text"]


def test_the_moderation_link_is_in_the_admin_navigation(app, client, auth, world):
    login(auth, world, "curator")
    assert 'href="/admin/moderation"' in client.get("/admin/").get_data(as_text=True)


def test_after_a_restore_new_reports_count_afresh(app, client, auth, world):
    """Reports resolved by a decision no longer count towards the threshold."""
    ids = world["ids"]
    login(auth, world, "curator")
    client.post(f"/admin/moderation/{ids['theirs']}", data={"action": "restore", "reason": "未违规"})
    auth.logout()
    for role in ("reporter2", "reporter3"):
        report_as(app, world, role)
    assert state(app)["comments"][ids["theirs"]]["status"] == "visible"
    report_as(app, world, "practitioner")
    assert state(app)["comments"][ids["theirs"]]["status"] == "hidden"
