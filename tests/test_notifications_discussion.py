"""Being told about the discussion under one's case, and helpful answers (有帮助的回答).

- A question or reply from outside the unit tells the case's unit (its admin and editor), in
  the app and by e-mail as each of them chose; never the person who wrote it. A reply also tells
  the thread's starter and the person replied to, once each. The unit writing under its own case
  tells no colleague.
- The unit (and platform admins) mark replies as 有帮助的回答 (several per thread), shown with a
  badge to everyone; everyone else is refused by the service and the route.

The world: 阳光社工 (verified) with 单位管理员 and 单位编辑 publishes a case; 遵义社工站 is another
unit with its own editor; a practitioner, an expert (点评专家) and the platform admin. The
practitioner asked a question and the expert answered it.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import mail_messages
from tests.tables import DENY, DONE, LOGIN, check_outcome

QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

UNIT = "贵阳市阳光社工服务中心"
TITLE = "老旧小区加装电梯议事会"
QUESTION = "加装电梯的费用是怎么分摊的？"
ANSWER = "我们是按楼层分摊的，一楼不出钱。"
ROLES = ("anonymous", "practitioner", "other_editor", "org_editor", "org_admin", "expert", "curator")
NAMES = {"practitioner": "实务工作者", "other_editor": "外单位编辑", "org_editor": "单位编辑",
         "org_admin": "单位管理员", "expert": "点评专家", "curator": "平台管理员"}


def build_world(app, factory) -> dict:
    from sqlalchemy import update

    from portal.auth.models import User
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.discussion import services
    from portal.extensions import db
    from portal.models_base import utcnow

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator",
                                         reviewer=role == "expert")
    unit = factory.org(emails["org_admin"], name=UNIT)
    factory.member(unit, emails["org_editor"], "editor")
    factory.org(emails["other_editor"], name="遵义市红花岗区社工站")
    case_id = factory.case(unit, title=TITLE)
    with app.app_context():
        # Old accounts: their link-free posts are never held for moderation.
        db.session.execute(update(User).values(created_at=utcnow() - timedelta(days=2)))
        case = db.session.get(Case, case_id)
        question = services.post_comment(get_user_by_email(emails["practitioner"]), case, QUESTION)
        answer = services.post_comment(get_user_by_email(emails["expert"]), case, ANSWER, question.id)
        db.session.commit()
        ids = {"case": case_id, "question": question.id, "answer": answer.id}
        db.session.remove()
    return {"emails": emails, "ids": ids}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def notes(app, email, kind="case_discussion") -> list[dict]:
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications.models import Notification

    with app.app_context():
        user = get_user_by_email(email)
        out = [{"kind": n.kind, "text": n.text, "url": n.url} for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
            if kind is None or n.kind == kind]
        db.session.remove()
    return out


def mails_to(app, email, subject_part="") -> list:
    return [m for m in mail_messages(app) if m["To"] == email and subject_part in m["Subject"]]


def login(auth, world, role):
    auth.sign_in(world["emails"][role])


def post(client, world, body, parent=None):
    data = {"body": body} if parent is None else {"body": body, "parent_id": str(parent)}
    response = client.post(f"/cases/{world['ids']['case']}/comments", data=data)
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("#comment-", 1)[1])


def set_preference(app, email, in_app, by_mail):
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications import services

    with app.app_context():
        user = get_user_by_email(email)
        choices = services.preferences(user)
        choices["case_discussion"] = (in_app, by_mail)
        services.save_preferences(user, choices)
        db.session.commit()


# The unit hears about the discussion ------------------------------------------------------------

def test_the_world_told_the_unit_about_the_question_and_the_answer(app, world):
    e, ids = world["emails"], world["ids"]
    for member in ("org_admin", "org_editor"):
        assert [(n["text"], n["url"]) for n in notes(app, e[member])] == [
            (f"实务工作者 在本单位案例《{TITLE}》下发表了评论：{QUESTION}", f"/cases/{ids['case']}#comment-{ids['question']}"),
            (f"点评专家 在本单位案例《{TITLE}》的讨论中回复：{ANSWER}", f"/cases/{ids['case']}#comment-{ids['answer']}"),
        ]
        assert len(mails_to(app, e[member], f"本单位案例有新评论：《{TITLE}》")) == 2
    # The question's author hears about the answer as a reply, not as the unit.
    assert notes(app, e["practitioner"]) == []
    assert len(notes(app, e["practitioner"], "comment_reply")) == 1


def test_a_question_tells_the_units_editors_and_never_its_author(app, client, auth, world):
    e, ids = world["emails"], world["ids"]
    login(auth, world, "other_editor")
    new_id = post(client, world, "议事会多久开一次？每次大概多少人参加？")

    for member in ("org_admin", "org_editor"):
        last = notes(app, e[member])[-1]
        assert last["text"] == f"外单位编辑 在本单位案例《{TITLE}》下发表了评论：议事会多久开一次？每次大概多少人参加？"
        assert last["url"] == f"/cases/{ids['case']}#comment-{new_id}"
        mail = mails_to(app, e[member])[-1]
        assert mail["Subject"] == f"本单位案例有新评论：《{TITLE}》"
        body = mail.get_body(("plain",)).get_content()
        assert f"外单位编辑 在您所在单位“{UNIT}”的案例《{TITLE}》下发表了评论" in body
        assert f"/cases/{ids['case']}#comment-{new_id}" in body
    assert notes(app, e["other_editor"], None) == [] and mails_to(app, e["other_editor"]) == []
    for outsider in ("practitioner", "expert", "curator"):
        assert notes(app, e[outsider]) == [], outsider


def test_a_reply_tells_the_thread_starter_and_the_unit_once_each(app, client, auth, world):
    e, ids = world["emails"], world["ids"]
    # The unit's editor starts a thread; the practitioner replies under it.
    login(auth, world, "org_editor")
    thread = post(client, world, "欢迎大家交流加装电梯的经验。")
    auth.logout()
    assert len(notes(app, e["org_admin"])) == 2, "the unit writing under its own case tells no colleague"

    login(auth, world, "practitioner")
    reply = post(client, world, "我们小区也在筹备。", parent=thread)
    editor_notes = notes(app, e["org_editor"], None)
    assert [n["kind"] for n in editor_notes[-1:]] == ["comment_reply"], "the starter is told once, as such"
    assert "实务工作者 回复了您在《老旧小区加装电梯议事会》下的评论。" == editor_notes[-1]["text"]
    assert len(notes(app, e["org_editor"])) == 2, "and not a second time as the unit"
    assert notes(app, e["org_admin"])[-1] == {
        "kind": "case_discussion", "url": f"/cases/{ids['case']}#comment-{reply}",
        "text": f"实务工作者 在本单位案例《{TITLE}》的讨论中回复：我们小区也在筹备。"}
    assert notes(app, e["practitioner"], None)[-1:] == notes(app, e["practitioner"], "comment_reply")[-1:]
    assert all("我们小区也在筹备" not in n["text"] for n in notes(app, e["practitioner"], None))


def test_each_editors_preferences_are_respected(app, client, auth, world):
    e = world["emails"]
    set_preference(app, e["org_admin"], True, False)
    set_preference(app, e["org_editor"], False, True)
    before = {m: (len(notes(app, e[m])), len(mails_to(app, e[m]))) for m in ("org_admin", "org_editor")}

    login(auth, world, "practitioner")
    post(client, world, "有没有居民反对加装的情况？")
    assert (len(notes(app, e["org_admin"])), len(mails_to(app, e["org_admin"]))) == (before["org_admin"][0] + 1,
                                                                                        before["org_admin"][1])
    assert (len(notes(app, e["org_editor"])), len(mails_to(app, e["org_editor"]))) == (before["org_editor"][0],
                                                                                          before["org_editor"][1] + 1)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "本单位案例下有新的评论或回复" in page


def test_a_held_question_tells_the_unit_only_once_approved(app, client, auth, world, factory):
    e = world["emails"]
    _id, newcomer = factory.user("newcomer@example.org", "新来的")
    before = len(notes(app, e["org_admin"]))
    assert auth.login(newcomer).status_code == 302
    links = " ".join(f"https://example{n}.org" for n in range(5))
    held = post(client, world, f"参考资料：{links}")
    assert len(notes(app, e["org_admin"])) == before
    auth.logout()
    login(auth, world, "curator")
    client.post(f"/admin/moderation/{held}", data={"action": "restore", "reason": "正常分享"})
    assert notes(app, e["org_admin"])[-1]["text"].startswith(f"新来的 在本单位案例《{TITLE}》下发表了评论：参考资料")


# Helpful answers: the rule in the service, for every role ---------------------------------------

ALLOWED = {"org_editor", "org_admin", "curator"}


def _user(email):
    from flask_login import AnonymousUserMixin

    from portal.auth.services import get_user_by_email

    return get_user_by_email(email) if email else AnonymousUserMixin()


def helpful_at(app, comment_id):
    from portal.discussion.models import Comment
    from portal.extensions import db

    with app.app_context():
        value = db.session.get(Comment, comment_id).helpful_at
        db.session.remove()
    return value


@pytest.mark.parametrize("role", ROLES)
def test_only_the_unit_and_platform_admins_mark_helpful_answers(app, world, role):
    from portal.discussion import services
    from portal.discussion.models import Comment
    from portal.errors import PermissionDenied
    from portal.extensions import db

    answer = world["ids"]["answer"]
    with app.app_context():
        user = _user(world["emails"].get(role))
        comment = db.session.get(Comment, answer)
        if role in ALLOWED:
            services.set_helpful(user, comment, True)
            db.session.commit()
        else:
            with pytest.raises(PermissionDenied, match="只有发布该案例的单位和平台管理员可以标记有帮助的回答"):
                services.set_helpful(user, comment, True)
            db.session.rollback()
        db.session.remove()
    assert (helpful_at(app, answer) is not None) == (role in ALLOWED)

    # Taking the mark back follows the same rule.
    with app.app_context():
        services.set_helpful(_user(world["emails"]["org_editor"]), db.session.get(Comment, answer), True)
        db.session.commit()
        user, comment = _user(world["emails"].get(role)), db.session.get(Comment, answer)
        if role in ALLOWED:
            services.set_helpful(user, comment, False)
            db.session.commit()
        else:
            with pytest.raises(PermissionDenied):
                services.set_helpful(user, comment, False)
            db.session.rollback()
        db.session.remove()
    assert (helpful_at(app, answer) is None) == (role in ALLOWED)


@pytest.mark.parametrize("role", ROLES)
def test_the_helpful_route_for_every_role(app, client, auth, world, role):
    expected = {"anonymous": LOGIN, "practitioner": DENY, "other_editor": DENY, "org_editor": DONE,
                "org_admin": DONE, "expert": DENY, "curator": DONE}[role]
    answer = world["ids"]["answer"]
    if role != "anonymous":
        login(auth, world, role)
    response = client.post(f"/comments/{answer}/helpful", data={"helpful": "1"})
    check_outcome(client, response, expected, done_prefix=f"/cases/{world['ids']['case']}")
    assert (helpful_at(app, answer) is not None) == (expected == DONE)


def test_helpful_answers_carry_a_badge_for_everyone_and_several_may_be_marked(app, client, auth, world):
    ids = world["ids"]
    login(auth, world, "org_admin")
    page = client.get(f"/cases/{ids['case']}").get_data(as_text=True)
    answer_block = page.split(f'id="comment-{ids["answer"]}"')[1].split("</article>")[0]
    assert "标记为有帮助的回答" in answer_block and "badge-helpful" not in answer_block
    question_block = page.split(f'id="comment-{ids["question"]}"')[1].split(f'id="comment-{ids["answer"]}"')[0]
    assert "标记为有帮助的回答" not in question_block, "the question itself is not an answer"
    auth.logout()

    login(auth, world, "practitioner")
    second = post(client, world, "补充：二楼出一半。", parent=ids["question"])
    auth.logout()
    login(auth, world, "org_editor")
    for answer in (ids["answer"], second):
        response = client.post(f"/comments/{answer}/helpful", data={"helpful": "1"})
        assert "已标记为有帮助的回答" in client.get(response.headers["Location"]).get_data(as_text=True)
    client.post(f"/comments/{ids['answer']}/helpful", data={"helpful": "1"})  # twice: harmless
    auth.logout()

    page = client.get(f"/cases/{ids['case']}").get_data(as_text=True)
    assert page.count('<span class="badge badge-helpful"') == 2
    assert "标记为有帮助的回答" not in page and "取消“有帮助”标记" not in page, "visitors see the badge, not the button"

    login(auth, world, "org_editor")
    response = client.post(f"/comments/{second}/helpful", data={"helpful": "0"})
    assert "已取消“有帮助的回答”标记" in client.get(response.headers["Location"]).get_data(as_text=True)
    page = client.get(f"/cases/{ids['case']}").get_data(as_text=True)
    assert page.count('<span class="badge badge-helpful"') == 1
    assert "取消“有帮助”标记" in page.split(f'id="comment-{ids["answer"]}"')[1].split("</article>")[0]


def test_the_answers_author_hears_that_it_was_marked_helpful_once(app, client, auth, world):
    e, ids = world["emails"], world["ids"]
    assert notes(app, e["expert"], "comment_reply") == []
    login(auth, world, "org_editor")
    client.post(f"/comments/{ids['answer']}/helpful", data={"helpful": "1"})
    client.post(f"/comments/{ids['answer']}/helpful", data={"helpful": "1"})  # twice: told once
    told = notes(app, e["expert"], "comment_reply")
    assert [(n["text"], n["url"]) for n in told] == [
        (f"您在《{TITLE}》下的回答被标记为有帮助的回答。", f"/cases/{ids['case']}#comment-{ids['answer']}")]
    # The unit's own members, who marked it, are not told about their own click.
    assert all("有帮助" not in n["text"] for n in notes(app, e["org_editor"], "comment_reply"))


def test_only_visible_replies_can_be_marked(app, client, auth, world):
    from portal.discussion.models import Comment
    from portal.extensions import db

    ids = world["ids"]
    login(auth, world, "org_editor")
    response = client.post(f"/comments/{ids['question']}/helpful", data={"helpful": "1"})
    assert "只能把回复标记为有帮助的回答" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert helpful_at(app, ids["question"]) is None

    with app.app_context():
        db.session.get(Comment, ids["answer"]).status = "hidden"
        db.session.commit()
    response = client.post(f"/comments/{ids['answer']}/helpful", data={"helpful": "1"})
    assert "该回复未公开显示，不能标记" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert helpful_at(app, ids["answer"]) is None


def test_titles_holding_quotes_do_not_nest_in_the_notice(app, client, auth, world, factory):
    """Case titles sit in 《》 (tests/test_details.py), so a title with “” never nests in “…”."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.orgs.models import Organization

    title = "“火塘会”里的村寨议事"
    with app.app_context():
        unit = db.session.scalar(select(Organization.id).where(Organization.name == UNIT))
    case_id = factory.case(unit, title)
    login(auth, world, "practitioner")
    assert client.post(f"/cases/{case_id}/comments", data={"body": "请问“火塘会”多久开一次？"}).status_code == 302
    text = notes(app, world["emails"]["org_admin"])[-1]["text"]
    assert text == f"实务工作者 在本单位案例《{title}》下发表了评论：请问“火塘会”多久开一次？"
