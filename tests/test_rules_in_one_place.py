"""A button is offered exactly when the action behind it is accepted: the page and the service
ask the same predicate in portal.permissions.

- The moderation queue offers hide / restore / delete per comment (can_moderate_comment), and
  the moderation service accepts exactly those.
- A comment's edit page sends its author back with the reason the edit itself gives
  (discussion.services.require_editable).
"""
from __future__ import annotations

import re

import pytest

ACTIONS = ("hide", "restore", "delete")
LINKS = " ".join(f"https://spam{n}.example.org" for n in range(5))


@pytest.fixture
def world(app, factory):
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.discussion import services
    from portal.extensions import db

    _id, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    _id, author = factory.user("author@example.org", "讨论者")
    reporters = [factory.user(f"r{n}@example.org", f"举报人{n}")[1] for n in range(3)]
    _id, unit_admin = factory.user("unit@example.org", "单位管理员")
    case_id = factory.case(factory.org(unit_admin))
    with app.app_context():
        user = get_user_by_email(author)
        moderator = get_user_by_email(admin)
        case = db.session.get(Case, case_id)

        def post(body):
            return services.post_comment(user, case, body)

        def report(comment, who):
            for email in who:
                services.report_comment(get_user_by_email(email), comment, "广告")

        comments = {
            "reported": post("被举报一次的评论"),
            "hidden_by_reports": post("被三人举报的评论"),
            "hidden_by_moderator": post("被管理员隐藏的评论"),
            "held": post("新账号的多链接评论 " + LINKS),
        }
        db.session.flush()
        report(comments["reported"], reporters[:1])
        report(comments["hidden_by_reports"], reporters)
        services.moderate(moderator, comments["hidden_by_moderator"], "hide", "人身攻击")
        db.session.commit()
        ids = {key: c.id for key, c in comments.items()}
        statuses = {key: c.status for key, c in comments.items()}
        db.session.remove()
    assert statuses == {"reported": "visible", "hidden_by_reports": "hidden",
                        "hidden_by_moderator": "hidden", "held": "held"}
    return {"admin": admin, "author": author, "case": case_id, "ids": ids}


def offered_actions(page: str, comment_id: int) -> set[str]:
    block = page.split(f'id="comment-{comment_id}"')[1].split("</article>")[0]
    return set(re.findall(r'name="action" value="(\w+)"', block))


def status_of(app, comment_id: int) -> str:
    return _comment(app, comment_id).status


def body_of(app, comment_id: int) -> str:
    return _comment(app, comment_id).body


def _comment(app, comment_id: int):
    from portal.discussion.models import Comment
    from portal.extensions import db

    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        db.session.expunge(comment)
        db.session.remove()
    return comment


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("kind", ["reported", "hidden_by_reports", "hidden_by_moderator", "held"])
def test_a_moderation_button_is_shown_exactly_when_the_action_is_accepted(app, client, auth, world, kind, action):
    comment_id = world["ids"][kind]
    auth.login(world["admin"])
    offered = action in offered_actions(client.get("/admin/moderation").get_data(as_text=True), comment_id)
    before = status_of(app, comment_id)
    response = client.post(f"/admin/moderation/{comment_id}", data={"action": action, "reason": "处理原因"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    if offered:
        assert "flash-success" in page and "flash-error" not in page
    else:
        assert "flash-error" in page and "该评论已被隐藏" in page
        assert status_of(app, comment_id) == before
    # The one refused combination: hiding again what a moderator already hid.
    assert offered == (not (kind == "hidden_by_moderator" and action == "hide"))


@pytest.mark.parametrize(("kind", "message"), [
    ("hidden_by_moderator", "该评论已被隐藏，不能编辑。"),
    ("deleted", "该评论已删除，不能编辑。"),
])
def test_the_edit_page_gives_the_author_the_reason_the_edit_gives(app, client, auth, world, kind, message):
    if kind == "deleted":
        auth.login(world["author"])
        assert client.post(f"/comments/{world['ids']['reported']}/delete").status_code == 302
        comment_id = world["ids"]["reported"]
    else:
        comment_id = world["ids"][kind]
        auth.login(world["author"])
    page = client.get(f"/comments/{comment_id}/edit", follow_redirects=True).get_data(as_text=True)
    assert "flash-error" in page and message in page
    response = client.post(f"/comments/{comment_id}/edit", data={"body": "改一下"})
    assert message in response.get_data(as_text=True) and body_of(app, comment_id) != "改一下"
    # Anyone else is refused outright, on the page as on the edit.
    auth.logout()
    auth.login(world["admin"])
    assert client.get(f"/comments/{comment_id}/edit").status_code == 403
    assert client.post(f"/comments/{comment_id}/edit", data={"body": "改一下"}).status_code == 403
