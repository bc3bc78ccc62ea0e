"""The discussion under a published case: who may comment, reply, edit and delete (one table,
every role against every route, checked in the database), and what people notice: bad input is
refused in Chinese and changes nothing, one level of replies, the 30-minute edit window, deleted
comments leaving a stub only when they have replies, link-heavy posts from new accounts held for
moderation, a per-user posting limit, replies notified, and no script ever reaching the page.

The world: 阳光社工 (verified) publishes a case and keeps a draft; 单位管理员 and 单位编辑 are its
members; a practitioner, a reviewer (点评专家) and the platform admin are outside it. 讨论者 (not a
table role) wrote a comment with one reply and a comment she deleted; every table role also wrote
one comment of its own. Accounts are old (created two days ago) unless a test says otherwise.
"""
from __future__ import annotations

import copy
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tests.conftest import mail_messages
from tests.tables import DENY, DONE, HIDE, LOGIN, OK, REFUSED, check_outcome, table_row

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "reviewer", "curator")
NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "reviewer": "点评专家", "curator": "平台管理员", "author": "讨论者",
         "reporter1": "举报人甲", "reporter2": "举报人乙", "reporter3": "举报人丙"}
UNIT = "贵阳市阳光社工服务中心"


# The world ------------------------------------------------------------------------------------

def age_accounts(app, days=2):
    """Make every account older than the "new account" window."""
    from sqlalchemy import update

    from portal.auth.models import User
    from portal.extensions import db
    from portal.models_base import utcnow

    with app.app_context():
        db.session.execute(update(User).values(created_at=utcnow() - timedelta(days=days)))
        db.session.commit()
        db.session.remove()


def build_world(app, factory) -> dict:
    """Users, the unit's published and draft cases, and the comments the tables act on."""
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.discussion import services
    from portal.extensions import db

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator",
                                         reviewer=role == "reviewer")
    unit = factory.org(emails["org_admin"], name=UNIT)
    factory.member(unit, emails["org_editor"], "editor")
    other_unit = factory.org(emails["reporter1"], name="遵义市红花岗区社工站")
    published = factory.case(unit, title="老旧小区加装电梯议事会")
    draft = factory.case(unit, title="草稿里的案例", status="draft")
    archived = factory.case(unit, title="已归档的案例")
    age_accounts(app)

    ids = {"published": published, "draft": draft, "archived_case": archived, "unit": unit,
           "other_unit": other_unit}
    with app.app_context():
        user = {role: get_user_by_email(email) for role, email in emails.items()}
        case = db.session.get(Case, published)
        theirs = services.post_comment(user["author"], case, "加装电梯的费用是怎么分摊的？")
        their_reply = services.post_comment(user["practitioner"], case, "我们是按楼层分摊的。", theirs.id)
        gone = services.post_comment(user["author"], case, "这条我后来删了。")
        services.delete_comment(user["author"], gone)
        for role in ROLES[1:]:
            ids[f"mine:{role}"] = services.post_comment(user[role], case, f"{NAMES[role]}的评论").id
        old_case = db.session.get(Case, archived)
        on_archived = services.post_comment(user["author"], old_case, "归档前的讨论。")
        db.session.flush()
        ids.update(theirs=theirs.id, their_reply=their_reply.id, deleted=gone.id, on_archived=on_archived.id)
        db.session.commit()
        from portal.cases.services import transition

        transition(user["curator"], db.session.get(Case, archived), "archive", "")
        db.session.commit()
        db.session.remove()
    ids["mine:anonymous"] = ids["mine:practitioner"]  # the anonymous are sent to log in anyway
    return {"emails": emails, "ids": ids}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def state(app) -> dict:
    """Everything the discussion, moderation and adoption routes could change, read afresh."""
    from sqlalchemy import func, select

    from portal.admin.models import AuditEntry
    from portal.adoptions.models import AdoptionReport
    from portal.discussion.models import Comment, CommentReport
    from portal.extensions import db
    from portal.notifications.models import Notification

    with app.app_context():
        out = {
            "comments": {c.id: {"status": c.status, "body": c.body, "parent": c.parent_id,
                                "edited": c.edited_at is not None, "note": c.moderation_note}
                         for c in db.session.scalars(select(Comment))},
            "reports": {r.id: {"comment": r.comment_id, "reporter": r.reporter_id, "open": r.resolved_at is None,
                               "decision": r.decision}
                        for r in db.session.scalars(select(CommentReport))},
            "adoptions": {r.id: {"case": r.case_id, "org": r.org_id, "kind": r.kind, "place": r.place,
                                 "changes": r.changes, "results": r.results}
                          for r in db.session.scalars(select(AdoptionReport))},
            "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.action.startswith("comment."))),
            "notifications": db.session.scalar(select(func.count()).select_from(Notification)),
        }
        db.session.remove()
    return out


def new_rows(before: dict, after: dict, table: str) -> dict:
    return {k: v for k, v in after[table].items() if k not in before[table]}


def check_response(client, response, expected, role=None):
    check_outcome(client, response, expected)


def run_row(app, client, auth, world, role, method, path, data):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    ids = {k.replace(":" + role, ""): v for k, v in world["ids"].items() if k.endswith(":" + role)}
    ids.update({k: v for k, v in world["ids"].items() if ":" not in k})
    url = path.split("#")[0].format(**ids)
    form = {k: v.format(**ids) for k, v in data.items()}
    before = state(app)
    response = client.open(url, method=method, data=form)
    after = state(app)
    return ids, before, after, response


row = table_row


# The permission table ----------------------------------------------------------------------------

BODY = {"body": "我们社区也想试试议事会的办法。"}
TABLE = [
    #   method  route                                     anon   pract  editor o-admin review curator
    # Commenting on a published case: anyone logged in. Unpublished or unknown cases: 404 for all.
    row(ROLES, "POST", "/cases/{published}/comments",     LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,
        data=BODY, effect=("new_comment", None)),
    row(ROLES, "POST", "/cases/{draft}/comments",         LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE, data=BODY),
    row(ROLES, "POST", "/cases/{archived_case}/comments", LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE, data=BODY),
    row(ROLES, "POST", "/cases/999999/comments",          LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE, data=BODY),
    # Replies: one level deep; replying to a reply attaches to the top-level comment.
    row(ROLES, "POST", "/cases/{published}/comments#reply", LOGIN, DONE, DONE, DONE,  DONE,  DONE,
        data={**BODY, "parent_id": "{theirs}"}, effect=("new_comment", "theirs")),
    row(ROLES, "POST", "/cases/{published}/comments#reply-to-reply", LOGIN, DONE, DONE, DONE, DONE, DONE,
        data={**BODY, "parent_id": "{their_reply}"}, effect=("new_comment", "theirs")),
    row(ROLES, "POST", "/cases/{published}/comments#reply-to-deleted", LOGIN, REFUSED, REFUSED, REFUSED,
        REFUSED, REFUSED, data={**BODY, "parent_id": "{deleted}"}),
    row(ROLES, "POST", "/cases/{published}/comments#empty", LOGIN, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED,
        data={"body": "   "}),
    # Editing: the author only (moderators act through the queue).
    row(ROLES, "GET",  "/comments/{mine}/edit",           LOGIN, OK,    OK,    OK,    OK,    OK),
    row(ROLES, "GET",  "/comments/{theirs}/edit",         LOGIN, DENY,  DENY,  DENY,  DENY,  DENY),
    row(ROLES, "POST", "/comments/{mine}/edit",           LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,
        data={"body": "补充：费用按楼层分摊。"}, effect=("edited", "mine", "补充：费用按楼层分摊。")),
    row(ROLES, "POST", "/comments/{theirs}/edit",         LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,
        data={"body": "改别人的评论"}),
    row(ROLES, "POST", "/comments/{deleted}/edit",        LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,
        data={"body": "改已删除的评论"}),
    # Deleting: the author only.
    row(ROLES, "POST", "/comments/{mine}/delete",         LOGIN, DONE,  DONE,  DONE,  DONE,  DONE,
        effect=("status", "mine", "deleted")),
    row(ROLES, "POST", "/comments/{theirs}/delete",       LOGIN, DENY,  DENY,  DENY,  DENY,  DENY),
    # Comments on a case that is no longer public do not leak (the unit and the curator still see it).
    row(ROLES, "POST", "/comments/{on_archived}/delete",  LOGIN, HIDE,  DENY,  DENY,  HIDE,  DENY),
    row(ROLES, "GET",  "/comments/999999/edit",           LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
]


def check_effect(before, after, effect, ids):
    kind = effect[0]
    expected = copy.deepcopy(before)
    if kind == "new_comment":
        new = new_rows(before, after, "comments")
        assert len(new) == 1, new
        (new_id, comment), = new.items()
        assert comment["status"] == "visible"
        assert comment["parent"] == (ids[effect[1]] if effect[1] else None)
        expected["comments"][new_id] = comment
    elif kind == "edited":
        expected["comments"][ids[effect[1]]].update(body=effect[2], edited=True)
    elif kind == "status":
        expected["comments"][ids[effect[1]]]["status"] = effect[2]
    # Notifications (a reply tells the parent's author) are checked by their own tests.
    expected["notifications"] = after["notifications"]
    assert after == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected", "effect"), TABLE)
def test_discussion_permission_table(app, client, auth, world, role, method, path, data, expected, effect):
    ids, before, after, response = run_row(app, client, auth, world, role, method, path, data)
    outcome = expected[role]
    check_response(client, response, outcome)
    if outcome == DONE:
        check_effect(before, after, effect, ids)
    else:
        assert after == before, "a refused request changed the database"


# Helpers for the behaviour tests -------------------------------------------------------------------

def login(auth, world, role):
    auth.sign_in(world["emails"][role])


def case_page(client, world) -> str:
    return client.get(f"/cases/{world['ids']['published']}").get_data(as_text=True)


def post(client, world, body, parent=None):
    data = {"body": body}
    if parent is not None:
        data["parent_id"] = str(parent)
    return client.post(f"/cases/{world['ids']['published']}/comments", data=data)


def comment_row(app, comment_id) -> dict:
    return state(app)["comments"][comment_id]


def notes(app, email, kind=None) -> list[dict]:
    """The user's notifications as saved, oldest first."""
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications.models import Notification

    with app.app_context():
        user = get_user_by_email(email)
        stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        out = [{"kind": n.kind, "text": n.text, "url": n.url}
               for n in db.session.scalars(stmt) if kind is None or n.kind == kind]
        db.session.remove()
    return out


def newest_comment(app) -> tuple[int, dict]:
    comments = state(app)["comments"]
    newest = max(comments)
    return newest, comments[newest]


# Posting and bad input -------------------------------------------------------------------------------

def test_a_comment_appears_on_the_case_page_for_everyone(app, client, auth, world):
    login(auth, world, "practitioner")
    response = post(client, world, "**议事会**每月开一次。")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/cases/{world['ids']['published']}"
    auth.logout()
    page = case_page(client, world)
    assert "<strong>议事会</strong>每月开一次。" in page
    assert "实务工作者" in page
    assert "登录后参与讨论" in page and 'name="body"' not in page.split('id="discussion"')[1]


@pytest.mark.parametrize(("body", "message"), [
    ("", "请填写评论内容"),
    ("   \n  ", "请填写评论内容"),
    ("字" * 2001, "评论不能超过 2000 个字符"),
    ("<script></script>", "评论内容不能为空"),
])
def test_bad_comments_are_refused_in_chinese_and_keep_the_text(app, client, auth, world, body, message):
    login(auth, world, "practitioner")
    before = state(app)
    response = post(client, world, body)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    if body.strip() and "<" not in body:
        assert body[:50] in page  # what the user typed is still in the form
    assert state(app) == before


def test_a_comment_of_exactly_2000_characters_is_accepted(app, client, auth, world):
    login(auth, world, "practitioner")
    assert post(client, world, "字" * 2000).status_code == 302
    assert newest_comment(app)[1]["body"] == "字" * 2000


def test_script_and_event_handlers_never_reach_the_page(app, client, auth, world):
    login(auth, world, "practitioner")
    attack = ('<script>alert("x")</script>**粗体** <img src="x" onerror="alert(1)"> '
              '[点我](javascript:alert(2)) <a href="#" onclick="alert(3)">链接</a>')
    assert post(client, world, attack).status_code == 302
    page = case_page(client, world)
    assert "<strong>粗体</strong>" in page
    assert '<script>alert("x")' not in page
    assert "onerror" not in page and "onclick" not in page and "javascript:alert" not in page


# Replies -------------------------------------------------------------------------------------------

def test_a_reply_to_a_reply_joins_the_top_level_thread_and_both_authors_are_told(app, client, auth, world):
    ids = world["ids"]
    login(auth, world, "org_editor")
    assert post(client, world, "我们也是按楼层分摊，一楼不出钱。", ids["their_reply"]).status_code == 302
    new_id, comment = newest_comment(app)
    assert comment["parent"] == ids["theirs"]

    for role in ("author", "practitioner"):  # the thread's author and the person replied to
        told = notes(app, world["emails"][role], "comment_reply")
        assert [n["url"] for n in told][-1] == f"/cases/{ids['published']}#comment-{new_id}"
        assert "单位编辑 回复了您在《老旧小区加装电梯议事会》下的评论" in told[-1]["text"]
    assert notes(app, world["emails"]["org_editor"], "comment_reply") == []  # never the replier
    subjects = [(m["To"], m["Subject"]) for m in mail_messages(app)]
    assert (world["emails"]["author"], "有人回复了您的评论") in subjects

    page = case_page(client, world)
    thread = page.split(f'id="comment-{ids["theirs"]}"')[1].split(f'id="comment-{ids["mine:practitioner"]}"')[0]
    assert "我们也是按楼层分摊" in thread


@pytest.mark.parametrize("target", ["deleted", "hidden", "held"])
def test_replying_to_a_deleted_hidden_or_held_comment_is_refused(app, client, auth, world, target):
    from portal.discussion.models import Comment
    from portal.extensions import db

    comment_id = world["ids"]["deleted"] if target == "deleted" else world["ids"]["theirs"]
    if target != "deleted":
        with app.app_context():
            db.session.get(Comment, comment_id).status = target
            db.session.commit()
    login(auth, world, "author" if target == "held" else "practitioner")
    before = state(app)
    response = post(client, world, "回复一下", comment_id)
    assert response.status_code == 422
    message = {"deleted": "该评论已删除，无法回复", "hidden": "该评论已被隐藏，无法回复",
               "held": "该评论正在等待审核"}[target]
    assert message in response.get_data(as_text=True)
    assert "回复一下" in response.get_data(as_text=True)
    assert state(app) == before


def test_a_reply_to_a_comment_of_another_case_is_refused(app, client, auth, world, factory):
    other = factory.case(world["ids"]["unit"], title="另一个案例")
    login(auth, world, "practitioner")
    before = state(app)
    response = client.post(f"/cases/{other}/comments", data={"body": "串台", "parent_id": world["ids"]["theirs"]})
    assert response.status_code == 422 and "要回复的评论不存在" in response.get_data(as_text=True)
    assert state(app) == before


# Editing --------------------------------------------------------------------------------------------

def test_an_edited_comment_is_marked_and_keeps_its_place(app, client, auth, world):
    mine = world["ids"]["mine:practitioner"]
    login(auth, world, "practitioner")
    assert "已编辑" not in case_page(client, world).split(f'id="comment-{mine}"')[1].split("</header>")[0]
    assert client.post(f"/comments/{mine}/edit", data={"body": "改过的内容"}).status_code == 302
    auth.logout()
    block = case_page(client, world).split(f'id="comment-{mine}"')[1]
    assert "已编辑" in block.split("</header>")[0] and "改过的内容" in block


def set_created(app, comment_id, minutes_ago):
    from portal.discussion.models import Comment
    from portal.extensions import db
    from portal.models_base import utcnow

    with app.app_context():
        db.session.get(Comment, comment_id).created_at = utcnow() - timedelta(minutes=minutes_ago)
        db.session.commit()
        db.session.remove()


def test_editing_after_30_minutes_is_refused_and_the_text_is_kept(app, client, auth, world):
    mine = world["ids"]["mine:practitioner"]
    set_created(app, mine, 31)
    login(auth, world, "practitioner")
    before = state(app)
    response = client.post(f"/comments/{mine}/edit", data={"body": "太晚了的修改"})
    assert response.status_code == 422
    assert "评论发布超过 30 分钟后不能再编辑" in response.get_data(as_text=True)
    assert state(app) == before
    # The button is gone and the edit page sends the author back with the same message.
    assert f"/comments/{mine}/edit" not in case_page(client, world)
    follow = client.get(f"/comments/{mine}/edit", follow_redirects=True).get_data(as_text=True)
    assert "评论发布超过 30 分钟后不能再编辑" in follow


def test_editing_at_29_minutes_still_works(app, client, auth, world):
    mine = world["ids"]["mine:practitioner"]
    set_created(app, mine, 29)
    login(auth, world, "practitioner")
    assert client.post(f"/comments/{mine}/edit", data={"body": "及时的修改"}).status_code == 302
    assert comment_row(app, mine)["body"] == "及时的修改"


@pytest.mark.parametrize(("body", "message"), [("", "请填写评论内容"), ("长" * 2001, "评论不能超过 2000 个字符")])
def test_bad_edits_are_refused_and_the_old_text_stays(app, client, auth, world, body, message):
    mine = world["ids"]["mine:practitioner"]
    login(auth, world, "practitioner")
    before = state(app)
    response = client.post(f"/comments/{mine}/edit", data={"body": body})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert state(app) == before


# Deleting ------------------------------------------------------------------------------------------

def test_a_deleted_comment_with_replies_leaves_a_stub_above_the_replies(app, client, auth, world):
    ids = world["ids"]
    login(auth, world, "author")
    assert client.post(f"/comments/{ids['theirs']}/delete").status_code == 302
    assert comment_row(app, ids["theirs"])["status"] == "deleted"
    auth.logout()
    page = case_page(client, world)
    block = page.split(f'id="comment-{ids["theirs"]}"')[1]
    assert "该评论已删除" in block and "加装电梯的费用是怎么分摊的" not in page
    assert "我们是按楼层分摊的。" in block  # the reply stays, under the stub


def test_a_deleted_comment_without_replies_disappears(app, client, auth, world):
    ids = world["ids"]
    page = case_page(client, world)
    assert f'id="comment-{ids["deleted"]}"' not in page and "这条我后来删了" not in page
    login(auth, world, "practitioner")
    mine = ids["mine:practitioner"]
    assert client.post(f"/comments/{mine}/delete").status_code == 302
    assert f'id="comment-{mine}"' not in case_page(client, world)


def test_deleting_twice_says_so(app, client, auth, world):
    login(auth, world, "author")
    before = state(app)
    response = client.post(f"/comments/{world['ids']['deleted']}/delete", follow_redirects=True)
    assert "该评论已删除" in response.get_data(as_text=True) and "flash-error" in response.get_data(as_text=True)
    assert state(app) == before


# Held for moderation --------------------------------------------------------------------------------

LINKS = "参考：https://a.example.org https://b.example.org [c](https://c.example.org) www.d-example.org"


def test_many_links_from_a_new_account_are_held_until_reviewed(app, client, auth, world, factory):
    _id, email = factory.user("newcomer@example.org", "新来的")
    assert auth.login(email).status_code == 302
    response = post(client, world, LINKS)
    assert response.status_code == 302
    new_id, comment = newest_comment(app)
    assert comment["status"] == "held"
    own_view = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "需管理员审核后才会公开显示" in own_view  # the flash
    assert "等待审核" in own_view.split(f'id="comment-{new_id}"')[1] and "c.example.org" in own_view

    auth.logout()
    assert "a.example.org" not in case_page(client, world)
    login(auth, world, "practitioner")
    assert "a.example.org" not in case_page(client, world)
    auth.logout()
    login(auth, world, "curator")
    assert "a.example.org" in case_page(client, world)
    queue = client.get("/admin/moderation").get_data(as_text=True)
    assert f'id="comment-{new_id}"' in queue and "等待审核" in queue


def test_many_links_from_an_old_account_are_shown(app, client, auth, world):
    login(auth, world, "practitioner")
    assert post(client, world, LINKS).status_code == 302
    assert newest_comment(app)[1]["status"] == "visible"
    auth.logout()
    assert "a.example.org" in case_page(client, world)


def test_three_links_from_a_new_account_are_not_held(app, client, auth, world, factory):
    _id, email = factory.user("newcomer@example.org", "新来的")
    assert auth.login(email).status_code == 302
    assert post(client, world, "https://a.example.org https://b.example.org https://c.example.org").status_code == 302
    assert newest_comment(app)[1]["status"] == "visible"


def test_adding_links_by_editing_holds_the_comment_too(app, client, auth, world, factory):
    _id, email = factory.user("newcomer@example.org", "新来的")
    assert auth.login(email).status_code == 302
    assert post(client, world, "普通的评论").status_code == 302
    new_id, _comment = newest_comment(app)
    assert client.post(f"/comments/{new_id}/edit", data={"body": LINKS}).status_code == 302
    assert comment_row(app, new_id)["status"] == "held"


def test_a_held_reply_tells_nobody_until_approved(app, client, auth, world, factory):
    _id, email = factory.user("newcomer@example.org", "新来的")
    earlier = notes(app, world["emails"]["author"], "comment_reply")
    assert auth.login(email).status_code == 302
    assert post(client, world, LINKS, world["ids"]["theirs"]).status_code == 302
    new_id, comment = newest_comment(app)
    assert comment["status"] == "held"
    assert notes(app, world["emails"]["author"], "comment_reply") == earlier
    auth.logout()
    login(auth, world, "curator")
    assert client.post(f"/admin/moderation/{new_id}", data={"action": "restore", "reason": "正常分享"}).status_code == 302
    assert comment_row(app, new_id)["status"] == "visible"
    told = notes(app, world["emails"]["author"], "comment_reply")
    assert len(told) == len(earlier) + 1 and told[-1]["text"].startswith("新来的 回复了您")
    decided = notes(app, email, "report_decision")
    assert decided and "已通过审核" in decided[-1]["text"]


# Rate limit ------------------------------------------------------------------------------------------

class TestPostingLimit:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": False, "COMMENT_RATE_LIMIT": "3 per minute"}

    def test_the_fourth_post_in_a_minute_gets_a_chinese_429(self, app, client, auth, world):
        login(auth, world, "practitioner")
        for n in range(3):
            assert post(client, world, f"第 {n} 条").status_code == 302
        response = post(client, world, "第四条")
        assert response.status_code == 429
        assert "操作过于频繁" in response.get_data(as_text=True)
        assert "第四条" not in {c["body"] for c in state(app)["comments"].values()}
        # The limit is per person: someone else can still post.
        auth.logout()
        login(auth, world, "org_editor")
        assert post(client, world, "另一个人的评论").status_code == 302

    def test_refused_posts_do_not_use_up_the_limit(self, app, client, auth, world):
        login(auth, world, "practitioner")
        for _ in range(4):
            assert post(client, world, "").status_code == 422
        assert post(client, world, "终于写好了").status_code == 302


# CSRF --------------------------------------------------------------------------------------------

class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_comment_without_the_token_is_refused_and_with_it_accepted(self, app, client, auth, world):
        from tests.conftest import csrf_token

        login(auth, world, "practitioner")
        before = state(app)
        response = post(client, world, "没有令牌")
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
        assert state(app) == before
        token = csrf_token(client, f"/cases/{world['ids']['published']}")
        assert token
        response = client.post(f"/cases/{world['ids']['published']}/comments",
                               data={"body": "带着令牌", "csrf_token": token})
        assert response.status_code == 302
