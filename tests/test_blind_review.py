"""Blind review: the names an assignment promises to hide never reach the person they are hidden from.

``hide_unit``: the reviewer sees no trace of the unit (name, link to its page, the case's contact
line) on the case page, in the 待点评 queue, in the notification centre or in the mail they receive.
``hide_reviewer``: the unit sees "匿名专家" instead of the reviewer's name on the case page and in
its notifications and mails. Curators always see both. Each check is run with the option off too,
where the name must appear, so the test would notice a page that never showed it in the first place.
"""
from __future__ import annotations

import pytest

from tests.conftest import mail_messages

QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

UNIT_NAME = "黔东南州同心社区服务中心"
CONTACT = "同心热线 0855-8123456"
REVIEWER_NAME = "欧阳明远"
TITLE = "苗寨议事坪推动村规民约修订"


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    emails = {}
    for role, name in (("curator", "平台管理员"), ("org_admin", "单位管理员"), ("org_editor", "单位编辑"),
                       ("reviewer", REVIEWER_NAME)):
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator",
                                         reviewer=role == "reviewer")
    unit = factory.org(emails["org_admin"], name=UNIT_NAME)
    factory.member(unit, emails["org_editor"], "editor")
    case_id = factory.case(unit, title=TITLE, status="submitted", contact=CONTACT)
    with app.app_context():
        from portal.auth.services import get_user_by_email

        reviewer_id = get_user_by_email(emails["reviewer"]).id
    return {"emails": emails, "unit": unit, "case": case_id, "reviewer_id": reviewer_id}


def _assign(client, auth, world, **options):
    auth.login(world["emails"]["curator"])
    data = {"reviewer_id": str(world["reviewer_id"]), **{k: "y" for k, on in options.items() if on}}
    response = client.post(f"/cases/{world['case']}/assignments", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    auth.logout()


def _mail_text(msg) -> str:
    return f"{msg['Subject']}\n{msg.get_content()}"


def _pages(client, *urls) -> dict[str, str]:
    out = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out[url] = response.get_data(as_text=True)
    return out


@pytest.mark.parametrize("hide_unit", [True, False], ids=["blind", "open"])
def test_hide_unit_keeps_the_unit_from_the_reviewer(app, client, auth, world, hide_unit):
    _assign(client, auth, world, hide_unit=hide_unit)
    auth.login(world["emails"]["reviewer"])
    case_url = f"/cases/{world['case']}"
    pages = _pages(client, case_url, "/review/queue", "/notifications")
    mails = [_mail_text(m) for m in mail_messages(app) if m["To"] == world["emails"]["reviewer"]]
    assert len(mails) == 1 and TITLE in mails[0]
    # The assignment reached the reviewer in every channel (so the checks below look at real content).
    assert all(TITLE in page for page in pages.values())

    for where, text in [*pages.items(), ("mail", mails[0])]:
        assert (UNIT_NAME in text) == (not hide_unit), where
    case_page = pages[case_url]
    assert (f'href="/orgs/{world["unit"]}"' in case_page) == (not hide_unit)
    assert (CONTACT in case_page) == (not hide_unit)
    if hide_unit:
        assert "匿名评审" in case_page

    # The reviewer posts an internal review on the case page: still nothing about the unit.
    response = client.post(f"/cases/{world['case']}/internal-review",
                           data={"recommendation": "publish", "body": "建议作为民族地区典型推广。"},
                           follow_redirects=True)
    assert response.status_code == 200 and "内部评审意见已保存" in response.get_data(as_text=True)
    assert (UNIT_NAME in response.get_data(as_text=True)) == (not hide_unit)
    auth.logout()

    # Curators and the unit always see the unit's name.
    for role in ("curator", "org_editor"):
        auth.sign_in(world["emails"][role])
        assert UNIT_NAME in client.get(case_url).get_data(as_text=True), role
        auth.logout()


def test_blind_review_ends_when_the_case_is_published(app, client, auth, world):
    """Once the case is public anyone can read the unit's name; hiding it from the reviewer alone would
    hide nothing. The queue keeps the assignment's promise, though."""
    _assign(client, auth, world, hide_unit=True)
    auth.login(world["emails"]["curator"])
    client.post(f"/cases/{world['case']}/transition", data={"action": "publish"})
    auth.logout()
    auth.login(world["emails"]["reviewer"])
    assert UNIT_NAME in client.get(f"/cases/{world['case']}").get_data(as_text=True)
    assert UNIT_NAME not in client.get("/review/queue").get_data(as_text=True)


@pytest.mark.parametrize("hide_reviewer", [True, False], ids=["anonymous", "named"])
def test_hide_reviewer_keeps_the_reviewer_from_the_unit(app, client, auth, world, hide_reviewer):
    _assign(client, auth, world, hide_reviewer=hide_reviewer)
    auth.login(world["emails"]["reviewer"])
    response = client.post(f"/cases/{world['case']}/internal-review",
                           data={"recommendation": "return", "body": "思路清晰。", "reasons": "请补充村民参与的数据。"})
    assert response.status_code == 302
    auth.logout()

    case_url = f"/cases/{world['case']}"
    for role in ("org_admin", "org_editor"):
        auth.sign_in(world["emails"][role])
        pages = _pages(client, case_url, "/notifications")
        # The review and the notification about it reached the unit ...
        assert "请补充村民参与的数据。" in pages[case_url] and TITLE in pages["/notifications"]
        for where, page in pages.items():
            # ... with the reviewer's name, or "匿名专家" in its place.
            assert (REVIEWER_NAME in page) == (not hide_reviewer), (role, where)
            assert ("匿名专家" in page) == hide_reviewer, (role, where)
        mails = [_mail_text(m) for m in mail_messages(app) if m["To"] == world["emails"][role]]
        about_review = [m for m in mails if "内部评审意见" in m]
        assert len(about_review) == 1 and TITLE in about_review[0]
        assert ("匿名专家" in about_review[0]) == hide_reviewer
        for mail in mails:
            assert (REVIEWER_NAME in mail) == (not hide_reviewer and mail in about_review), mail
        auth.logout()

    # The curator sees who wrote it, and that the unit does not.
    auth.login(world["emails"]["curator"])
    page = client.get(case_url).get_data(as_text=True)
    assert REVIEWER_NAME in page and "请补充村民参与的数据。" in page
    assert ("单位看不到专家" in page) == hide_reviewer
    assert REVIEWER_NAME in client.get("/review/queue").get_data(as_text=True)
