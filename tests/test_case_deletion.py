"""Deleting a case never takes other people's work with it.

A published (or archived) case, and any case holding what people outside the unit wrote about it
(signed expert comments, internal review recommendations, discussion, adoption reports, session
running-order items), cannot be deleted by anyone: it is archived instead. Deleting is for the
unit's own drafts; the page says what will be lost before the button is pressed.

The world: 阳光社工 (verified) with 单位管理员 and 单位编辑; 红花岗社工站 (verified) run by 他单位管理员;
a practitioner (实务工作者), a reviewer (点评专家) and the platform admin (审核人) belong to no unit.
阳光社工 published a case with a PNG attachment, on which the reviewer wrote a signed expert
comment, the practitioner started a discussion and 红花岗社工站 reported adopting it.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.test_case_permissions import make_png

NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "other_unit": "他单位管理员", "reviewer": "点评专家", "curator": "平台管理员"}
UNIT, OTHER = "贵阳市阳光社工服务中心", "遵义市红花岗区社工站"
REFUSAL = "已发布或含有他人内容（专家点评、讨论、借鉴反馈）的案例不能删除，只能归档。"


@pytest.fixture
def world(app, factory):
    from portal.adoptions.services import AdoptionData, save_report
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.cases.services import add_attachment
    from portal.discussion.services import post_comment as discuss
    from portal.extensions import db
    from portal.reviews.services import NO_CONFLICT, CommentData, post_comment

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator",
                                         reviewer=role == "reviewer")
    unit = factory.org(emails["org_admin"], name=UNIT)
    factory.member(unit, emails["org_editor"], "editor")
    other = factory.org(emails["other_unit"], name=OTHER)
    published = factory.case(unit, title="老旧小区加装电梯议事会")
    with app.app_context():
        user = {role: get_user_by_email(email) for role, email in emails.items()}
        case = db.session.get(Case, published)
        add_attachment(None, case, "议事会照片.png", make_png())
        post_comment(user["reviewer"], case, CommentData(body="议事规则清楚，值得推广。", declaration=NO_CONFLICT))
        discuss(user["practitioner"], case, "电梯费用是怎么分摊的？")
        save_report(user["other_unit"], case, AdoptionData(org_id=other, kind="adopted", place="红花岗区老城街道",
                                                           results="加装电梯 2 部。"))
        db.session.commit()
        db.session.remove()
    return {"emails": emails, "unit": unit, "published": published}


def login(client, auth, email):
    auth.logout()
    assert auth.login(email).status_code == 302


def contents(app, case_id) -> dict | None:
    """The case and everything hanging off it, read fresh from the database (None once deleted)."""
    from sqlalchemy import func, select

    from portal.adoptions.models import AdoptionReport
    from portal.cases.models import Case
    from portal.discussion.models import Comment
    from portal.extensions import db
    from portal.reviews.models import ExpertComment, InternalReview, ReviewAssignment

    with app.app_context():
        case = db.session.get(Case, case_id)
        if case is None:
            return None

        def count(model, *where):
            return db.session.scalar(select(func.count()).select_from(model).where(*where))

        found = {"status": case.status, "attachments": [a.original_name for a in case.attachments],
                 "transitions": len(case.transitions),
                 "expert_comments": count(ExpertComment, ExpertComment.case_id == case_id),
                 "internal_reviews": db.session.scalar(select(func.count(InternalReview.id)).join(ReviewAssignment)
                                                       .where(ReviewAssignment.case_id == case_id)),
                 "discussion": count(Comment, Comment.case_id == case_id),
                 "adoptions": count(AdoptionReport, AdoptionReport.case_id == case_id)}
        db.session.remove()
        return found


def stored_files(app) -> list[str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def page_after(client, response) -> str:
    return client.get(urlsplit(response.headers["Location"]).path).get_data(as_text=True)


def test_a_published_case_with_others_content_cannot_be_deleted_by_anyone(app, client, auth, world):
    case_id = world["published"]
    before, files = contents(app, case_id), stored_files(app)
    assert before == {"status": "published", "attachments": ["议事会照片.png"], "transitions": 2,
                      "expert_comments": 1, "internal_reviews": 0, "discussion": 1, "adoptions": 1}
    assert len(files) == 1

    for role in ("org_admin", "curator"):
        login(client, auth, world["emails"][role])
        # No delete button is offered ...
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert f'action="/cases/{case_id}/delete"' not in page
        # ... and a forged request is refused with the reason, back on the case page.
        response = client.post(f"/cases/{case_id}/delete")
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == f"/cases/{case_id}"
        follow = page_after(client, response)
        assert REFUSAL in follow
        assert "本案例含有：专家点评 1 条、讨论 1 条、借鉴反馈 1 份。" in follow
        assert "已删除" not in follow
        assert contents(app, case_id) == before and stored_files(app) == files

    for role in ("org_editor", "other_unit", "reviewer", "practitioner"):
        login(client, auth, world["emails"][role])
        assert client.post(f"/cases/{case_id}/delete").status_code == 403
        assert contents(app, case_id) == before and stored_files(app) == files

    # Everything is still on the public page.
    auth.logout()
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    for text in ("议事规则清楚，值得推广。", "电梯费用是怎么分摊的？", OTHER, "议事会照片.png"):
        assert text in page


def test_archiving_is_the_way_out_and_an_archived_case_still_cannot_be_deleted(app, client, auth, world):
    case_id = world["published"]
    login(client, auth, world["emails"]["curator"])
    response = client.post(f"/cases/{case_id}/transition", data={"action": "archive"})
    assert "已完成：归档。" in page_after(client, response)
    before = contents(app, case_id)
    assert before["status"] == "archived"

    for role in ("curator", "org_admin"):
        login(client, auth, world["emails"][role])
        response = client.post(f"/cases/{case_id}/delete")
        assert REFUSAL in page_after(client, response)
        assert contents(app, case_id) == before


def test_a_published_case_without_others_content_is_still_only_archived(app, client, auth, factory, world):
    case_id = factory.case(world["unit"], title="没有人评论过的案例")
    login(client, auth, world["emails"]["curator"])
    response = client.post(f"/cases/{case_id}/delete")
    follow = page_after(client, response)
    assert REFUSAL in follow and "本案例含有" not in follow
    assert contents(app, case_id)["status"] == "published"


def test_a_returned_case_with_a_reviewers_recommendation_cannot_be_deleted(app, client, auth, factory, world):
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.cases.services import transition
    from portal.extensions import db
    from portal.reviews.assignments import assign_reviewer, save_internal_review

    case_id = factory.case(world["unit"], title="送审后退回的案例", status="submitted")
    with app.app_context():
        curator, reviewer = (get_user_by_email(world["emails"][r]) for r in ("curator", "reviewer"))
        case = db.session.get(Case, case_id)
        assign_reviewer(curator, case, reviewer.id)
        save_internal_review(reviewer, case, "return", "成效部分缺少数据。", "请补充前后对比。")
        transition(curator, case, "return", "请按专家意见补充数据。")
        db.session.commit()
        db.session.remove()
    before = contents(app, case_id)
    assert (before["status"], before["internal_reviews"]) == ("returned", 1)

    login(client, auth, world["emails"]["org_admin"])
    assert f'action="/cases/{case_id}/delete"' not in client.get(f"/cases/{case_id}").get_data(as_text=True)
    follow = page_after(client, client.post(f"/cases/{case_id}/delete"))
    assert "含有他人内容（专家点评、评审意见等）的案例不能删除" in follow
    assert "本案例含有：评审意见 1 条。" in follow
    assert contents(app, case_id) == before


def test_a_submitted_case_must_be_withdrawn_before_it_is_deleted(app, client, auth, factory, world):
    case_id = factory.case(world["unit"], title="刚提交的案例", status="submitted")
    login(client, auth, world["emails"]["org_admin"])
    follow = page_after(client, client.post(f"/cases/{case_id}/delete"))
    assert "已提交审核的案例不能删除：请先撤回提交" in follow
    assert contents(app, case_id)["status"] == "submitted"

    client.post(f"/cases/{case_id}/transition", data={"action": "withdraw"})
    response = client.post(f"/cases/{case_id}/delete")
    assert urlsplit(response.headers["Location"]).path == "/cases/mine"
    assert contents(app, case_id) is None


def test_the_unit_deletes_its_own_draft_after_being_told_what_is_lost(app, client, auth, factory, world):
    from portal.cases.models import Case
    from portal.cases.services import add_attachment
    from portal.extensions import db

    draft_id = factory.case(world["unit"], title="写了一半的草稿", status="draft")
    with app.app_context():
        add_attachment(None, db.session.get(Case, draft_id), "草稿照片.png", make_png())
        db.session.commit()
        db.session.remove()
    assert len(stored_files(app)) == 2  # the published case's photo and the draft's

    # Editors never see or use the button.
    login(client, auth, world["emails"]["org_editor"])
    assert f'action="/cases/{draft_id}/delete"' not in client.get(f"/cases/{draft_id}").get_data(as_text=True)
    assert client.post(f"/cases/{draft_id}/delete").status_code == 403

    login(client, auth, world["emails"]["org_admin"])
    page = client.get(f"/cases/{draft_id}").get_data(as_text=True)
    assert f'action="/cases/{draft_id}/delete"' in page
    losses = "删除后无法恢复：案例正文、1 个附件、0 个历史版本和全部流转记录将一并删除。"
    assert page.count(losses) == 2  # in the confirmation dialog and next to the button
    assert f'data-confirm="{losses} 确定删除吗？"' in page

    response = client.post(f"/cases/{draft_id}/delete")
    assert urlsplit(response.headers["Location"]).path == "/cases/mine"
    assert "案例“写了一半的草稿”已删除。" in page_after(client, response)
    assert contents(app, draft_id) is None
    assert len(stored_files(app)) == 1  # the draft's file left the disk; the published case's stayed
    assert contents(app, world["published"])["expert_comments"] == 1
