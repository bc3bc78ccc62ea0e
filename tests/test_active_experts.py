"""One rule for "an active expert" (permissions.is_active_expert): the reviewer role is held and
the account is not disabled. Every place that shows, links or uses an expert follows it: the
directory, the expert page, the names on a case page, the assignment choices.

The bug this guards: an expert whose account was disabled kept a link on the case page to
/experts/<id>, which answers 404."""
from __future__ import annotations

import re

import pytest

EXPERTS = {"active": "在册专家", "disabled": "停用账号的专家", "revoked": "已撤销专家"}


@pytest.fixture
def world(app, factory):
    from portal.admin.services import revoke_reviewer, set_disabled
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.reviews import services

    _id, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    _id, unit_admin = factory.user("unit@example.org", "单位管理员")
    unit = factory.org(unit_admin, name="阳光社工")
    published = factory.case(unit, title="公开的案例")
    submitted = factory.case(unit, title="待审的案例", status="submitted")
    emails = {key: factory.user(f"{key}@example.org", name, reviewer=True)[1] for key, name in EXPERTS.items()}
    with app.app_context():
        case = db.session.get(Case, published)
        for key, email in emails.items():
            services.post_comment(get_user_by_email(email), case,
                                  services.CommentData(body=f"{EXPERTS[key]}的点评", declaration="none"))
        db.session.commit()
        set_disabled(None, get_user_by_email(emails["disabled"]), True)
        revoke_reviewer(None, get_user_by_email(emails["revoked"]))
        db.session.commit()
        ids = {key: get_user_by_email(email).id for key, email in emails.items()}
        db.session.remove()
    return {"admin": admin, "unit_admin": unit_admin, "published": published, "submitted": submitted, "ids": ids}


def expert_links(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/experts/(\d+)"', page)}


@pytest.mark.parametrize("viewer", ["anonymous", "unit_admin", "admin"])
def test_case_page_links_only_active_experts_and_every_link_opens(client, auth, world, viewer):
    if viewer != "anonymous":
        auth.login(world[viewer])
    page = client.get(f"/cases/{world['published']}").get_data(as_text=True)
    # Every comment is still shown, signed with its author's name.
    for name in EXPERTS.values():
        assert f"{name}的点评" in page and f"<strong>{name}</strong>" in page
    ids = world["ids"]
    assert expert_links(page) == {ids["active"]}
    for user_id in expert_links(page):
        assert client.get(f"/experts/{user_id}").status_code == 200


@pytest.mark.parametrize("key", ["disabled", "revoked"])
def test_an_expert_who_is_no_longer_active_is_gone_everywhere(client, auth, world, key):
    user_id, name = world["ids"][key], EXPERTS[key]
    directory = client.get("/experts").get_data(as_text=True)
    assert EXPERTS["active"] in directory and name not in directory
    assert client.get(f"/experts/{user_id}").status_code == 404
    # Not offered to the curator for a review assignment, and refused if sent anyway.
    auth.login(world["admin"])
    case_page = client.get(f"/cases/{world['submitted']}").get_data(as_text=True)
    assert EXPERTS["active"] in case_page and name not in case_page
    response = client.post(f"/cases/{world['submitted']}/assignments", data={"reviewer_id": str(user_id)})
    assert response.status_code == 422 and "不是在册的点评专家" in response.get_data(as_text=True)


def test_the_admin_editing_a_disabled_experts_profile_is_not_sent_to_a_missing_page(client, auth, world):
    auth.login(world["admin"])
    user_id = world["ids"]["disabled"]
    form = client.get(f"/experts/{user_id}/edit").get_data(as_text=True)
    assert "账号已停用，资料不在专家库中显示" in form and f'href="/experts/{user_id}"' not in form
    response = client.post(f"/experts/{user_id}/edit", data={"title": "研究员"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/experts/{user_id}/edit")
