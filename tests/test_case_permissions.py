"""Who may open which case page and press which case button: one table, every role against every route.

Each row is a request; each column is what a person in that role gets back:

    OK         200, the page is shown
    DONE       302 (not to the login page), a success message, and the row's change is in the database
    KEPT       302 (not to the login page), an error message, and nothing changed in the database
    LOGIN      302 to /auth/login
    DENY       403, the Chinese "无权访问" page
    HIDE       404, the Chinese "未找到" page (cases that are not published do not leak)
    TO_ORGS    302 to /orgs/mine with the message that only members of a verified unit publish cases
    TO_SUBMIT  302 to the case's submit page (the submit button leads to the privacy/completeness check)
    REFUSED    422, the same page again with an error message, and nothing changed in the database

For every outcome except DONE the database must be exactly as before the request: a refused
button changes nothing.

The world every row runs in: 单位管理员 runs a verified unit (阳光社工) in which 单位编辑 is an
editor, and has applied for a second unit that is still pending; 他单位管理员 runs another
verified unit; the practitioner and the reviewer (点评专家) belong to no unit; the platform
admin is the case curator (审核人). 阳光社工 has one case in every workflow state, built
through the services, plus a second draft whose text holds a mobile number for the privacy
check. The draft and the published case each have a PNG attachment.
"""
from __future__ import annotations

import copy
import io
import struct
import zlib
from urllib.parse import urlsplit

import pytest

from tests.tables import DENY, DONE, HIDE, KEPT, LOGIN, OK, REFUSED, check_outcome, table_row

SHARED_APP = True  # one app per backend for the whole table (see the app fixture)
QUICK_SIGN_IN = True  # table rows sign in by the world's saved cookies (see conftest.AuthActions.sign_in)

TO_ORGS, TO_SUBMIT = "TO_ORGS", "TO_SUBMIT"

ROLES = ("anonymous", "practitioner", "org_editor", "org_admin", "other_unit", "reviewer", "curator")
NAMES = {"practitioner": "实务工作者", "org_editor": "单位编辑", "org_admin": "单位管理员",
         "other_unit": "他单位管理员", "reviewer": "点评专家", "curator": "平台管理员"}

UNIT_NAME = "贵阳市阳光社工服务中心"
PENDING_NAME = "南明区待审社工站"
HOTLINE = "13900001111"
UPLOAD = object()  # placeholder: a fresh small PNG file for a multipart upload


def make_png() -> bytes:
    def chunk(tag: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


CASE_FORM = {
    "title": "改写后的标题", "summary": "一句话摘要", "background": "背景内容", "approach": "做法内容",
    "outcomes": "成效内容", "lessons": "经验内容", "problems": "", "themes": ["五社联动"], "tags": "邻里、议事",
    "province": "贵州省", "city": "贵阳市", "county": "南明区", "community": "花果园社区",
    "community_type": "城市社区", "started_on": "2022-03-01", "ended_on": "2023-06-30", "partners": "",
    "beneficiaries": "300", "funding_source": "", "contact": "",
}


def row(method, path, *expected, data=None, effect=None):
    """``effect`` names what a DONE changes: ("status", case, new), ("featured", case, True),
    ("deleted", case), ("attachments", case, delta), ("title", case, new), ("decisions", case, delta),
    ("new_case",), ("theme", field, value) or ("new_theme",)."""
    return table_row(ROLES, method, path, *expected, data=data, effect=effect)


def transition(case, action, *expected, reason="", effect=None):
    data = {"action": action, **({"reason": reason} if reason else {})}
    suffix = f"#{action}" + ("+reason" if reason else "")
    return row("POST", f"/cases/{{{case}}}/transition{suffix}", *expected, data=data, effect=effect)


TABLE = [
    #   method  route                                   anon   pract  editor o-admin other  review curator
    # Reading: published cases are public; every other state only for the unit and the curator.
    row("GET",  "/cases",                               OK,    OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/cases/{published}",                   OK,    OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/cases/{draft}",                       HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{submitted}",                   HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{in_review}",                   HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{returned}",                    HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{archived}",                    HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/999999",                        HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    # The timeline and versions: the unit and the curator only, whatever the state (log in first).
    row("GET",  "/cases/{published}/history",           LOGIN, HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{draft}/history",               LOGIN, HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{archived}/history",            LOGIN, HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    # Lists.
    row("GET",  "/cases/mine",                          LOGIN, OK,    OK,    OK,    OK,    OK,    OK),
    row("GET",  "/cases/queue",                         LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK),
    # Writing a new case: members of a verified unit only; everyone else is sent to "my units".
    row("GET",  "/cases/new",                           LOGIN, TO_ORGS, OK,  OK,    OK,    TO_ORGS, TO_ORGS),
    row("POST", "/cases/new",                           LOGIN, TO_ORGS, DONE, DONE, DONE,  TO_ORGS, TO_ORGS,
        data={**CASE_FORM, "title": "新写的案例"}, effect=("new_case",)),
    row("GET",  "/cases/import",                        LOGIN, TO_ORGS, OK,  OK,    OK,    TO_ORGS, TO_ORGS),
    # Editing: the unit while draft/returned/submitted/published, the curator in any state but archived.
    row("GET",  "/cases/{draft}/edit",                  LOGIN, HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{returned}/edit",               LOGIN, HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{submitted}/edit",              LOGIN, HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{in_review}/edit",              LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  OK),
    row("GET",  "/cases/{published}/edit",              LOGIN, DENY,  OK,    OK,    DENY,  DENY,  OK),
    row("GET",  "/cases/{archived}/edit",               LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DENY),
    row("POST", "/cases/{draft}/edit",                  LOGIN, HIDE,  DONE,  DONE,  HIDE,  HIDE,  DONE,
        data=CASE_FORM, effect=("title", "draft", CASE_FORM["title"])),
    row("POST", "/cases/{published}/edit",              LOGIN, DENY,  DONE,  DONE,  DENY,  DENY,  DONE,
        data=CASE_FORM, effect=("title", "published", CASE_FORM["title"])),
    row("POST", "/cases/{in_review}/edit",              LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DONE,
        data=CASE_FORM, effect=("title", "in_review", CASE_FORM["title"])),
    row("POST", "/cases/{archived}/edit",               LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DENY,
        data=CASE_FORM),
    # The privacy check: the unit (and the curator) decide about each finding.
    row("POST", "/cases/{private}/privacy",             LOGIN, HIDE,  DONE,  DONE,  HIDE,  HIDE,  DONE,
        data={"key": "{hotline_key}", "decision": "confirm"}, effect=("decisions", "private", 1)),
    row("POST", "/cases/{private}/privacy#unknown-key", LOGIN, HIDE,  KEPT,  KEPT,  HIDE,  HIDE,  KEPT,
        data={"key": "mobile:0000000000000000", "decision": "confirm"}),
    # Submitting is the unit's step; the curator only reviews.
    row("GET",  "/cases/{draft}/submit",                LOGIN, HIDE,  OK,    OK,    HIDE,  HIDE,  DENY),
    row("GET",  "/cases/{returned}/submit",             LOGIN, HIDE,  OK,    OK,    HIDE,  HIDE,  DENY),
    row("GET",  "/cases/{submitted}/submit",            LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DENY),
    row("GET",  "/cases/{published}/submit",            LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DENY),
    row("POST", "/cases/{draft}/submit",                LOGIN, HIDE,  DONE,  DONE,  HIDE,  HIDE,  DENY,
        effect=("status", "draft", "submitted")),
    row("POST", "/cases/{returned}/submit",             LOGIN, HIDE,  DONE,  DONE,  HIDE,  HIDE,  DENY,
        data={"reason": "已按意见补充数据"}, effect=("status", "returned", "submitted")),
    row("POST", "/cases/{private}/submit",              LOGIN, HIDE,  REFUSED, REFUSED, HIDE, HIDE, DENY),
    # Workflow buttons (POST /cases/<id>/transition), each in a state where it applies and one where it does not.
    transition("draft", "submit",                       LOGIN, HIDE,  TO_SUBMIT, TO_SUBMIT, HIDE, HIDE, TO_SUBMIT),
    transition("submitted", "withdraw",                 LOGIN, HIDE,  DONE,  DONE,  HIDE,  HIDE,  DENY,
               effect=("status", "submitted", "draft")),
    transition("published", "withdraw",                 LOGIN, DENY,  KEPT,  KEPT,  DENY,  DENY,  DENY),
    transition("submitted", "start_review",             LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DONE,
               effect=("status", "submitted", "in_review")),
    transition("draft", "start_review",                 LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  KEPT),
    transition("submitted", "publish",                  LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DONE,
               effect=("status", "submitted", "published")),
    transition("in_review", "publish",                  LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DONE,
               effect=("status", "in_review", "published")),
    transition("draft", "publish",                      LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  KEPT),
    transition("returned", "publish",                   LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  KEPT),
    transition("in_review", "return",                   LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DONE,
               reason="请补充服务前后的对比数据", effect=("status", "in_review", "returned")),
    transition("submitted", "return",                   LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DONE,
               reason="请补充服务前后的对比数据", effect=("status", "submitted", "returned")),
    transition("in_review", "return",                   LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  KEPT),
    transition("published", "archive",                  LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
               effect=("status", "published", "archived")),
    transition("draft", "archive",                      LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  KEPT),
    transition("archived", "restore",                   LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DONE,
               effect=("status", "archived", "published")),
    transition("published", "restore",                  LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  KEPT),
    transition("draft", "no_such_action",               LOGIN, HIDE,  KEPT,  KEPT,  HIDE,  HIDE,  KEPT),
    # Featuring is the curator's, and only for published cases.
    row("POST", "/cases/{published}/feature",           LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        data={"featured": "1"}, effect=("featured", "published", True)),
    row("POST", "/cases/{draft}/feature",               LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  KEPT,
        data={"featured": "1"}),
    # Deleting: the unit's admin and the curator, only while draft or returned (never published,
    # nothing of others'); submitted, published and archived cases are refused with the reason;
    # editors never.
    row("POST", "/cases/{draft}/delete",                LOGIN, HIDE,  DENY,  DONE,  HIDE,  HIDE,  DONE,
        effect=("deleted", "draft")),
    row("POST", "/cases/{returned}/delete",             LOGIN, HIDE,  DENY,  DONE,  HIDE,  HIDE,  DONE,
        effect=("deleted", "returned")),
    row("POST", "/cases/{submitted}/delete",            LOGIN, HIDE,  DENY,  KEPT,  HIDE,  HIDE,  KEPT,
        effect=("deleted", "submitted")),
    row("POST", "/cases/{published}/delete",            LOGIN, DENY,  DENY,  KEPT,  DENY,  DENY,  KEPT,
        effect=("deleted", "published")),
    row("POST", "/cases/{archived}/delete",             LOGIN, HIDE,  DENY,  KEPT,  HIDE,  HIDE,  KEPT,
        effect=("deleted", "archived")),
    # Attachments: uploading follows the editing rule; downloading follows the reading rule.
    row("POST", "/cases/{draft}/attachments",           LOGIN, HIDE,  DONE,  DONE,  HIDE,  HIDE,  DONE,
        data={"file": UPLOAD}, effect=("attachments", "draft", 1)),
    row("POST", "/cases/{published}/attachments",       LOGIN, DENY,  DONE,  DONE,  DENY,  DENY,  DONE,
        data={"file": UPLOAD}, effect=("attachments", "published", 1)),
    row("POST", "/cases/{in_review}/attachments",       LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DONE,
        data={"file": UPLOAD}, effect=("attachments", "in_review", 1)),
    row("POST", "/cases/{archived}/attachments",        LOGIN, HIDE,  DENY,  DENY,  HIDE,  HIDE,  DENY,
        data={"file": UPLOAD}),
    row("POST", "/cases/{draft}/attachments/{draft_file}/delete",
                                                        LOGIN, HIDE,  DONE,  DONE,  HIDE,  HIDE,  DONE,
        effect=("attachments", "draft", -1)),
    row("POST", "/cases/{published}/attachments/{published_file}/delete",
                                                        LOGIN, DENY,  DONE,  DONE,  DENY,  DENY,  DONE,
        effect=("attachments", "published", -1)),
    row("GET",  "/cases/{draft}/attachments/{draft_file}",
                                                        HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/cases/{published}/attachments/{published_file}",
                                                        OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # An attachment id of a hidden case, asked for through a public case, is not found either.
    row("GET",  "/cases/{published}/attachments/{draft_file}",
                                                        HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE,  HIDE),
    # Images embedded in text, by stored name.
    row("GET",  "/uploads/{draft_stored}",              HIDE,  HIDE,  OK,    OK,    HIDE,  HIDE,  OK),
    row("GET",  "/uploads/{published_stored}",          OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # The theme vocabulary is the curator's.
    row("GET",  "/admin/themes",                        LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  OK),
    row("POST", "/admin/themes",                        LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        data={"name": "城市更新", "description": "老旧小区改造"}, effect=("new_theme",)),
    row("POST", "/admin/themes/{theme}",                LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        data={"name": "五社联动机制"}, effect=("theme", "name", "五社联动机制")),
    row("POST", "/admin/themes/{theme}#retire",         LOGIN, DENY,  DENY,  DENY,  DENY,  DENY,  DONE,
        data={"retired": "1"}, effect=("theme", "retired", True)),
]


def complete(title, **overrides):
    from datetime import date

    from portal.cases.services import CaseData

    fields = dict(title=title, summary=f"{title}的摘要", background="社区基本情况", approach="具体做法",
                  outcomes="取得的成效", lessons="可借鉴的经验", themes=["五社联动", "社工站建设"],
                  tags=["邻里互助"], province="贵州省", city="贵阳市", county="南明区", community="花果园社区",
                  community_type="城市社区", started_on=date(2022, 3, 1), ended_on=date(2023, 6, 30),
                  beneficiaries=300, contact="王老师 0851-85550000")
    fields.update(overrides)
    return CaseData(**fields)


#: how each case reaches its state, from a fresh draft: (action, reason)
PATHS = {
    "draft": [],
    "submitted": [("submit", "")],
    "in_review": [("submit", ""), ("start_review", "")],
    "published": [("submit", ""), ("publish", "")],
    "returned": [("submit", ""), ("return", "请补充数据")],
    "archived": [("submit", ""), ("publish", ""), ("archive", "")],
}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    """Everyone and everything the table talks about, built through the real services."""
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.cases import privacy, services
    from portal.cases.models import Theme
    from portal.extensions import db
    from portal.orgs.models import Organization

    emails = {}
    for role, name in NAMES.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator",
                                         reviewer=role == "reviewer")
    unit = factory.org(emails["org_admin"], name=UNIT_NAME)
    pending = factory.org(emails["org_admin"], name=PENDING_NAME, status="pending")
    factory.org(emails["other_unit"], name="遵义市红花岗区社工站")
    factory.member(unit, emails["org_editor"], "editor")

    ids = {}
    with app.app_context():
        org = db.session.get(Organization, unit)
        editor = get_user_by_email(emails["org_editor"])
        curator = get_user_by_email(emails["curator"])
        cases = {}
        for state, steps in PATHS.items():
            case = services.create_case(editor, org, complete(f"{state}案例"))
            for action, reason in steps:
                # The unit's steps run as the system (actor None), the reviewing ones as the curator.
                services.transition(None if action == "submit" else curator, case, action, reason)
            cases[state] = case
        cases["private"] = services.create_case(
            editor, org, complete("含电话的草稿", outcomes=f"服务热线 {HOTLINE} 全天开通"))
        draft_file = services.add_attachment(None, cases["draft"], "草稿照片.png", make_png())
        published_file = services.add_attachment(None, cases["published"], "活动照片.png", make_png())
        db.session.commit()
        for key, case in cases.items():
            ids[key] = case.id
        ids.update(unit=unit, pending=pending, draft_file=draft_file.id, published_file=published_file.id,
                   draft_stored=draft_file.stored_name, published_stored=published_file.stored_name,
                   hotline_key=privacy.finding_key("mobile", HOTLINE),
                   theme=db.session.scalar(select(Theme.id).where(Theme.name == "五社联动")))
        assert {k: cases[k].status for k in PATHS} == {k: k for k in PATHS}
    return {"emails": emails, "ids": ids}


def _state(app) -> dict:
    """Everything a case button could change, read fresh from the database."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from portal.cases.models import Case, Theme
    from portal.extensions import db

    with app.app_context():
        query = select(Case).options(selectinload(Case.attachments), selectinload(Case.privacy_decisions),
                                     selectinload(Case.versions))
        cases = {c.id: {"status": c.status, "featured": c.featured, "title": c.title,
                        "attachments": len(c.attachments), "decisions": len(c.privacy_decisions),
                        "versions": len(c.versions)}
                 for c in db.session.scalars(query)}
        themes = {t.id: {"name": t.name, "retired": t.retired} for t in db.session.scalars(select(Theme))}
        db.session.remove()
    return {"cases": cases, "themes": themes}


def _expected_after(before: dict, effect: tuple, ids: dict) -> dict:
    after = copy.deepcopy(before)
    kind = effect[0]
    if kind == "deleted":
        del after["cases"][ids[effect[1]]]
    elif kind in ("attachments", "decisions"):
        after["cases"][ids[effect[1]]][kind] += effect[2]
    elif kind in ("status", "featured", "title"):
        after["cases"][ids[effect[1]]][kind] = effect[2]
    elif kind == "theme":
        after["themes"][ids["theme"]][effect[1]] = effect[2]
    return after


def _check_effect(before, after, effect, ids):
    kind = effect[0]
    if kind == "new_case":
        new = set(after["cases"]) - set(before["cases"])
        assert len(new) == 1
        assert after["cases"][new.pop()]["status"] == "draft"
        after = {**after, "cases": {k: v for k, v in after["cases"].items() if k in before["cases"]}}
    elif kind == "new_theme":
        assert [t["name"] for k, t in after["themes"].items() if k not in before["themes"]] == ["城市更新"]
        after = {**after, "themes": {k: v for k, v in after["themes"].items() if k in before["themes"]}}
    else:
        before = _expected_after(before, effect, ids)
    if kind == "title" and before["cases"][ids[effect[1]]]["status"] in ("submitted", "in_review", "published"):
        # Saving new content of a submitted or published case keeps the old content as a version.
        before["cases"][ids[effect[1]]]["versions"] += 1
    assert after == before


def _check(client, response, expected, url):
    location = urlsplit(response.headers.get("Location", "")).path
    if expected == TO_ORGS:
        assert (response.status_code, location) == (302, "/orgs/mine")
        assert "只有已认证单位的成员可以发布案例" in client.get(location).get_data(as_text=True)
    elif expected == TO_SUBMIT:
        assert (response.status_code, location) == (302, url.replace("/transition", "/submit"))
    else:
        if expected == REFUSED:
            assert "flash-error" in response.get_data(as_text=True)
        check_outcome(client, response, expected)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "data", "expected", "effect"), TABLE)
def test_case_permission_table(app, client, auth, world, role, method, path, data, expected, effect):
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    ids = world["ids"]
    url = path.split("#")[0].format(**ids)
    form = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in data.items()}
    kwargs = {}
    if form.get("file") is UPLOAD:
        form["file"] = (io.BytesIO(make_png()), "新照片.png")
        kwargs["content_type"] = "multipart/form-data"

    before = _state(app)
    response = client.open(url, method=method, data=form, **kwargs)
    after = _state(app)

    outcome = expected[role]
    _check(client, response, outcome, url)
    if outcome == DONE:
        _check_effect(before, after, effect, ids)
    else:
        assert after == before, "a refused request changed the database"


# Lists never show what a person may not open --------------------------------------------------

HIDDEN_STATES = ("draft", "submitted", "in_review", "returned", "archived", "private")


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_cases_the_person_may_open(app, client, auth, world, role):
    """/cases, the unit's page and "my cases": other people's drafts never appear in any list,
    and filtering by a pending unit does not reveal its name."""
    if role != "anonymous":
        auth.sign_in(world["emails"][role])
    titles = {state: f"{state}案例" for state in PATHS} | {"private": "含电话的草稿"}
    unit_id, pending_id = world["ids"]["unit"], world["ids"]["pending"]

    by_pending = client.get(f"/cases?org={pending_id}")
    assert by_pending.status_code == 200 and "共 0 个案例" in by_pending.get_data(as_text=True)
    assert (PENDING_NAME in by_pending.get_data(as_text=True)) == (role in ("org_admin", "curator"))

    for url in ("/cases", f"/orgs/{unit_id}", f"/cases?org={unit_id}"):
        page = client.get(url).get_data(as_text=True)
        assert titles["published"] in page
        for state in HIDDEN_STATES:
            assert titles[state] not in page, (url, state)

    mine = client.get("/cases/mine")
    if role == "anonymous":
        assert mine.status_code == 302
        return
    page = mine.get_data(as_text=True)
    in_unit = role in ("org_editor", "org_admin")
    for state, title in titles.items():
        assert (title in page) == in_unit, (state, page)
