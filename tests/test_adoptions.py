"""Adoption reports (借鉴反馈): a member of another verified unit records that its unit adopted or
adapted a published case; the case page shows how many units did and where. One table for who
may do it (checked in the database), then bad input, one report per unit, and what the page shows.

The world: 阳光社工 (verified, publishes the case) with 单位管理员 and 单位编辑; 红花岗社工站
(verified) run by 他单位成员; 花溪社工站 (verified) run by 第三单位 has already reported adopting
the case; 待审社工站 is still pending; a practitioner, a reviewer and the platform admin belong to
no unit.
"""
from __future__ import annotations

import copy

import pytest

from tests.tables import DENY, DONE, HIDE, LOGIN, OK, REFUSED
from tests.test_discussion import check_response, row, state

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "other_unit", "pending_unit", "reviewer",
         "curator")
NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "other_unit": "他单位成员", "pending_unit": "待审单位管理员", "reviewer": "点评专家",
         "curator": "平台管理员", "third": "第三单位"}
UNIT, OTHER, THIRD, PENDING = "贵阳市阳光社工服务中心", "遵义市红花岗区社工站", "贵阳市花溪区社工站", "南明区待审社工站"


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    from portal.adoptions import services
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.extensions import db

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator",
                                         reviewer=role == "reviewer")
    unit = factory.org(emails["org_admin"], name=UNIT)
    factory.member(unit, emails["org_editor"], "editor")
    other = factory.org(emails["other_unit"], name=OTHER, province="贵州省")
    third = factory.org(emails["third"], name=THIRD)
    pending = factory.org(emails["pending_unit"], name=PENDING, status="pending")
    published = factory.case(unit, title="老旧小区加装电梯议事会")
    draft = factory.case(unit, title="草稿案例", status="draft")
    with app.app_context():
        report, _created = services.save_report(
            get_user_by_email(emails["third"]), db.session.get(Case, published),
            services.AdoptionData(org_id=third, kind="adopted", place="花溪区小河街道", results="加装电梯 3 部。"))
        db.session.commit()
        third_report = report.id
        db.session.remove()
    return {"emails": emails, "ids": {"unit": unit, "other": other, "third": third, "pending": pending,
                                      "published": published, "draft": draft, "third_report": third_report}}


FORM = {"org_id": "{other}", "kind": "adapted", "place": "红花岗区老城街道",
        "changes": "把议事会改成按单元召开。", "results": "已协商加装 2 部电梯。"}

TABLE = [
    #   method  route                              anon   pract  editor o-admin other  pending review curator
    row(ROLES, "GET",  "/cases/{published}/adoption", LOGIN, DENY, DENY,  DENY,  OK,    DENY,  DENY,  DENY),
    row(ROLES, "POST", "/cases/{published}/adoption", LOGIN, DENY, DENY,  DENY,  DONE,  DENY,  DENY,  DENY,
        data=FORM, effect=("saved", "other")),
    # A unit reports for itself only: the publishing unit or someone else's unit is not a choice.
    row(ROLES, "POST", "/cases/{published}/adoption#own-unit", LOGIN, DENY, DENY, DENY, REFUSED, DENY, DENY,
        DENY, data={**FORM, "org_id": "{unit}"}),
    row(ROLES, "POST", "/cases/{published}/adoption#third-unit", LOGIN, DENY, DENY, DENY, REFUSED, DENY, DENY,
        DENY, data={**FORM, "org_id": "{third}"}),
    row(ROLES, "POST", "/cases/{published}/adoption#no-place", LOGIN, DENY, DENY, DENY, REFUSED, DENY, DENY,
        DENY, data={**FORM, "place": ""}),
    # Unpublished and unknown cases: 404 for everyone.
    row(ROLES, "GET",  "/cases/{draft}/adoption",     LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    row(ROLES, "POST", "/cases/{draft}/adoption",     LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,
        data=FORM),
    row(ROLES, "POST", "/cases/999999/adoption",      LOGIN, HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,
        data=FORM),
    # Deleting a unit's report: its own members and platform admins.
    row(ROLES, "POST", "/adoptions/{third_report}/delete", LOGIN, DENY, DENY, DENY, DENY, DENY,  DENY,  DONE,
        effect=("deleted", "third_report")),
]


def run(app, client, auth, world, role, method, path, data):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    ids = world["ids"]
    url = path.split("#")[0].format(**ids)
    before = state(app)
    response = client.open(url, method=method, data={k: v.format(**ids) for k, v in data.items()})
    return before, state(app), response


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected", "effect"), TABLE)
def test_adoption_permission_table(app, client, auth, world, role, method, path, data, expected, effect):
    before, after, response = run(app, client, auth, world, role, method, path, data)
    outcome = expected[role]
    check_response(client, response, outcome)
    if outcome != DONE:
        assert after == before, "a refused request changed the database"
        return
    ids = world["ids"]
    expected_state = copy.deepcopy(before)
    if effect[0] == "saved":
        new = {k: v for k, v in after["adoptions"].items() if k not in before["adoptions"]}
        assert list(new.values()) == [{"case": ids["published"], "org": ids["other"], "kind": "adapted",
                                       "place": FORM["place"], "changes": FORM["changes"],
                                       "results": FORM["results"]}]
        expected_state["adoptions"].update(new)
    else:
        del expected_state["adoptions"][ids["third_report"]]
    assert after == expected_state


# The case page -------------------------------------------------------------------------------------

def case_page(client, world) -> str:
    return client.get(f"/cases/{world['ids']['published']}").get_data(as_text=True)


def submit(client, world, **overrides):
    data = {k: v.format(**world["ids"]) for k, v in FORM.items()} | overrides
    return client.post(f"/cases/{world['ids']['published']}/adoption", data=data)


def test_the_case_shows_how_many_units_adopted_it_and_where(app, client, auth, world):
    page = case_page(client, world)
    assert "已有 1 家单位借鉴了这个案例" in page and THIRD in page and "花溪区小河街道" in page
    assert "加装电梯 3 部。" in page and "直接借鉴" in page
    assert auth.login(world["emails"]["other_unit"]).status_code == 302
    response = submit(client, world)
    assert response.status_code == 302
    auth.logout()
    page = case_page(client, world)
    assert "已有 2 家单位借鉴了这个案例" in page
    for text in (OTHER, "红花岗区老城街道", "改造后借鉴", "把议事会改成按单元召开。", "已协商加装 2 部电梯。"):
        assert text in page


def test_one_report_per_unit_saving_again_updates_it(app, client, auth, world):
    assert auth.login(world["emails"]["other_unit"]).status_code == 302
    assert submit(client, world).status_code == 302
    first = state(app)["adoptions"]
    page = client.get(f"/cases/{world['ids']['published']}/adoption").get_data(as_text=True)
    assert "把议事会改成按单元召开。" in page and "更新反馈" in page  # the form opens with the unit's report
    assert submit(client, world, results="已加装 4 部电梯。").status_code == 302
    after = state(app)["adoptions"]
    assert set(after) == set(first)
    assert [r["results"] for r in after.values() if r["org"] == world["ids"]["other"]] == ["已加装 4 部电梯。"]
    assert "已有 2 家单位借鉴了这个案例" in case_page(client, world)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"place": "  "}, "请填写借鉴的地点"),
    ({"place": "地" * 101}, "地点不能超过 100 个字符"),
    ({"kind": "adapted", "changes": ""}, "改造后借鉴请说明做了哪些调整"),
    ({"results": "果" * 5001}, "不能超过 5000 个字符"),
])
def test_bad_adoption_reports_are_refused_in_chinese(app, client, auth, world, overrides, message):
    assert auth.login(world["emails"]["other_unit"]).status_code == 302
    before = state(app)
    response = submit(client, world, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert state(app) == before


def test_a_direct_adoption_needs_no_changes(app, client, auth, world):
    assert auth.login(world["emails"]["other_unit"]).status_code == 302
    assert submit(client, world, kind="adopted", changes="").status_code == 302


@pytest.mark.parametrize(("role", "offered"), [
    ("anonymous", False), ("practitioner", False), ("org_editor", False), ("org_admin", False),
    ("other_unit", True), ("pending_unit", False), ("reviewer", False), ("curator", False)])
def test_the_button_is_offered_only_to_other_verified_units(app, client, auth, world, role, offered):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    page = case_page(client, world)
    assert (f"/cases/{world['ids']['published']}/adoption" in page) is offered
    assert "已有 1 家单位借鉴了这个案例" in page  # everyone sees the reports


def test_a_member_of_two_units_chooses_which_one_reports(app, client, auth, world, factory):
    factory.member(world["ids"]["third"], world["emails"]["other_unit"], "editor")
    assert auth.login(world["emails"]["other_unit"]).status_code == 302
    form = client.get(f"/cases/{world['ids']['published']}/adoption").get_data(as_text=True)
    assert OTHER in form and THIRD in form
    assert submit(client, world, org_id=str(world["ids"]["third"]), place="花溪区新址").status_code == 302
    reports = state(app)["adoptions"]
    assert [r["place"] for r in reports.values()] == ["花溪区新址"]  # the third unit's report, updated


def test_a_unit_member_deletes_the_units_report(app, client, auth, world):
    assert auth.login(world["emails"]["third"]).status_code == 302
    response = client.post(f"/adoptions/{world['ids']['third_report']}/delete", follow_redirects=True)
    assert "借鉴反馈已删除" in response.get_data(as_text=True)
    assert state(app)["adoptions"] == {}
    assert "还没有单位反馈借鉴了这个案例" in case_page(client, world)


def test_adoption_texts_are_cleaned(app, client, auth, world):
    assert auth.login(world["emails"]["other_unit"]).status_code == 302
    assert submit(client, world, changes='<script>alert(1)</script>**改了** <img src=x onerror="alert(2)">'
                  ).status_code == 302
    page = case_page(client, world)
    assert "<strong>改了</strong>" in page and "<script>alert(1)" not in page and "onerror" not in page


def test_a_unit_that_is_no_longer_verified_drops_out_of_the_count(app, client, world):
    from portal.extensions import db
    from portal.orgs.models import Organization

    with app.app_context():
        db.session.get(Organization, world["ids"]["third"]).status = "rejected"
        db.session.commit()
    page = case_page(client, world)
    assert THIRD not in page and "还没有单位反馈借鉴了这个案例" in page
