"""The case page (issue 12 §2): a summary block under the title, a table of contents that also
reaches the panels, and the curator's workflow buttons in an action bar near the top that asks
before anything public or irreversible.

The summary's expert verdict, adoption count and sessions come from what the panels already
computed; the average per dimension only where the expert-comment panel shows it (two scorers).
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

UNIT_NAME = "六盘水市凉都社区服务中心"
OTHER_UNIT = "遵义市红花岗社工站"
TITLE = "凉都社区院坝协商会"
SUBMITTED_TITLE = "待审核的楼栋自治案例"
SESSION_TITLE = "西南片区院坝协商分享会"


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    from sqlalchemy import select

    from portal.adoptions import services as adoptions
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.reviews import services as reviews
    from portal.reviews.models import RubricDimension
    from portal.sessions import services as sessions

    emails = {}
    for role, name in (("curator", "平台管理员"), ("unit_admin", "单位管理员"), ("other_admin", "外单位管理员"),
                       ("reader", "读者小王"), ("expert1", "专家甲"), ("expert2", "专家乙"), ("expert3", "专家丙")):
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator",
                                         reviewer=role.startswith("expert"))
    unit = factory.org(emails["unit_admin"], name=UNIT_NAME)
    other = factory.org(emails["other_admin"], name=OTHER_UNIT)
    case_id = factory.case(unit, title=TITLE, themes=("党建引领", "五社联动"), started_on=date(2023, 3, 1),
                           ended_on=date(2024, 6, 30), beneficiaries=1200, community_type="城乡结合部")
    submitted = factory.case(unit, title=SUBMITTED_TITLE, status="submitted")
    returned = factory.case(unit, title="退回修改的案例", status="returned")
    with app.app_context():
        case = db.session.get(Case, case_id)
        first, second = db.session.scalars(select(RubricDimension).order_by(RubricDimension.position)).all()[:2]
        # Two experts score the first dimension (its average is shown), one the second (not shown).
        for email, scores in (("expert1", {first.id: "4", second.id: "2"}), ("expert2", {first.id: "5"}),
                              ("expert3", {})):
            reviews.post_comment(get_user_by_email(emails[email]), case, reviews.CommentData(
                body="协商过程记录完整。", scores=scores, declaration="none"))
        adoptions.save_report(get_user_by_email(emails["other_admin"]), case, adoptions.AdoptionData(
            org_id=other, kind="adopted", place="遵义市红花岗区"))
        curator = get_user_by_email(emails["curator"])
        start = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) + timedelta(days=20)
        session = sessions.create_session(curator, sessions.SessionData(
            title=SESSION_TITLE, starts_at=start, ends_at=start + timedelta(hours=3), venue="腾讯会议"))
        sessions.add_agenda_item(curator, session, sessions.AgendaData(kind="case", case_id=case_id))
        db.session.commit()
        names = {"first": first.name, "second": second.name}
        db.session.remove()
    return {"emails": emails, "case": case_id, "submitted": submitted, "returned": returned, "dimensions": names}


def _page(client, case_id) -> str:
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _block(page: str, start: str, end: str) -> str:
    """The HTML from the element opening with ``start`` to the first ``end`` after it ('' if absent)."""
    i = page.find(start)
    return "" if i < 0 else page[i:page.index(end, i)]


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def _summary(page: str) -> str:
    return _text(_block(page, '<section class="case-summary"', "</section>"))


def test_the_summary_under_the_title_gives_the_facts_and_what_the_panels_found(client, world):
    page = _page(client, world["case"])
    summary = _summary(page)
    for fact in (UNIT_NAME, "贵州省 贵阳市", "城乡结合部", "2023-03-01 — 2024-06-30", "1,200 人",
                 "党建引领", "五社联动", "3 条专家点评", f"{world['dimensions']['first']} 4.5", "1 家单位借鉴",
                 SESSION_TITLE):
        assert fact in summary, fact
    # One expert scored the second dimension: the panel shows no average for it, nor does the summary.
    assert world["dimensions"]["second"] not in summary
    assert "2.0" not in summary
    # Under the title, before the long text and the discussion (also on a phone: it is in the header).
    assert page.index("<h1>") < page.index('class="case-summary"') < page.index('id="section-')
    assert page.index('class="case-summary"') < page.index('id="discussion"')


def test_a_case_with_no_comments_adoptions_or_sessions_has_no_verdict_in_its_summary(client, auth, world):
    auth.login(world["emails"]["curator"])
    summary = _summary(_page(client, world["submitted"]))
    assert UNIT_NAME in summary
    assert "专家点评" not in summary and "单位借鉴" not in summary and SESSION_TITLE not in summary


def test_the_table_of_contents_reaches_comments_sessions_adoptions_and_discussion(client, auth, world):
    page = _page(client, world["case"])
    toc = _block(page, '<nav class="toc"', "</nav>")
    anchors = re.findall(r'href="#([^"]+)"', toc)
    for anchor in ("expert-comments", "case-sessions", "adoptions", "discussion"):
        assert anchor in anchors, anchor
    for anchor in anchors:  # every entry leads somewhere on the page
        assert f'id="{anchor}"' in page, anchor

    # A panel with nothing to show has no entry (nor a section to link to).
    auth.login(world["emails"]["curator"])
    toc = _block(_page(client, world["submitted"]), '<nav class="toc"', "</nav>")
    assert "#case-sessions" not in toc and "#adoptions" not in toc and "#expert-comments" not in toc
    assert "#timeline" in toc


def test_the_curator_decides_from_an_action_bar_near_the_top_that_asks_before_publishing(client, auth, world):
    auth.login(world["emails"]["curator"])
    page = _page(client, world["submitted"])
    bar = _block(page, 'id="curator-actions"', "</header>")
    assert bar, "no action bar for the curator"
    assert page.index('id="curator-actions"') < page.index('id="section-')  # above the case text
    forms = {m.group(1): m.group(0) for m in re.finditer(
        r'<form[^>]*>(?:(?!</form>).)*?name="action" value="(\w+)"(?:(?!</form>).)*</form>', bar, re.S)}
    assert set(forms) == {"start_review", "publish", "return"}
    # Publishing and returning need a ticked confirmation, in the browser, with or without JavaScript.
    for action in ("publish", "return"):
        assert re.search(r'<input type="checkbox" required>', forms[action]), action
    assert "确认公开发布" in _text(forms["publish"])
    assert 'type="checkbox"' not in forms["start_review"]

    bar = _block(_page(client, world["case"]), 'id="curator-actions"', "</header>")  # published
    assert 'value="archive"' in bar and "设为精选" in bar
    assert re.search(r'<input type="checkbox" required> 确认归档', _block(bar, 'value="archive"', "</form>"))

    bar = _block(_page(client, world["returned"]), 'id="curator-actions"', "</header>")  # never published
    delete = _block(bar, 'class="danger-zone"', "</form>")
    assert "删除案例" in delete and re.search(r'<input type="checkbox" required> 确认删除', delete)


def test_the_action_bar_is_the_curators_only(client, auth, world):
    for who in ("curator", "unit_admin", "reader", "expert1", None):
        auth.logout()
        if who:
            auth.login(world["emails"][who])
        for case in ("case", "submitted", "returned"):
            response = client.get(f"/cases/{world[case]}")
            if response.status_code != 200:
                assert who != "curator"
                continue
            page = response.get_data(as_text=True)
            assert ('id="curator-actions"' in page) == (who == "curator"), (who, case)
            if who != "curator":
                assert 'value="publish"' not in page and 'value="archive"' not in page


def test_the_summary_does_not_name_a_unit_hidden_from_the_reviewer(app, client, auth, world):
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.reviews.assignments import assign_reviewer

    with app.app_context():
        curator = get_user_by_email(world["emails"]["curator"])
        reviewer = get_user_by_email(world["emails"]["expert1"])
        assign_reviewer(curator, db.session.get(Case, world["submitted"]), reviewer.id, hide_unit=True)
        db.session.commit()
    auth.login(world["emails"]["expert1"])
    summary = _summary(_page(client, world["submitted"]))
    assert summary and UNIT_NAME not in summary and "已隐去" in summary
    auth.logout()
    auth.login(world["emails"]["curator"])
    assert UNIT_NAME in _summary(_page(client, world["submitted"]))
