"""Sessions in the site search: cases carry the sessions that presented them as a facet, and the
sessions themselves are found by their title, minutes, running order and speakers."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from portal.extensions import db as _db


@pytest.fixture
def app_config(search_backend):
    return {"WTF_CSRF_ENABLED": False, "SEARCH_BACKEND": search_backend}  # each test on each backend

TITLE = "社区治理案例分享会（第一阶段）"


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    _uid, email = factory.user()
    org = factory.org(email, name="黔东南示例社工中心")
    presented = factory.case(org, title="搬迁社区的共治工作台", themes=("五社联动",))
    other = factory.case(org, title="村寨火塘议事会", themes=("党建引领",))
    return {"org": org, "presented": presented, "other": other}


def add_session(app, title=TITLE, case_id=None, minutes="", speaker=""):
    from portal.sessions.models import AgendaItem, SessionSpeaker, SharingSession

    with app.app_context():
        session = SharingSession(title=title, starts_at=datetime(2025, 10, 12, 6), ends_at=datetime(2025, 10, 12, 9),
                                 minutes=minutes, status="archived")
        if case_id:
            session.agenda.append(AgendaItem(position=1, kind="case", title="案例分享", case_id=case_id))
        if speaker:
            session.speakers.append(SessionSpeaker(role="commentator", name=speaker))
        _db.session.add(session)
        _db.session.commit()
        return session.id


def found(client, **params) -> set[int]:
    data = client.get("/api/v1/search", query_string=params).get_json()
    return {hit["id"] for hit in data["hits"]}


def session_facet(client) -> dict[str, int]:
    data = client.get("/api/v1/search").get_json()
    return {f["value"]: f["count"] for f in data["facets"].get("session", [])}


def test_presented_case_carries_the_session_facet_and_follows_changes(app, client, world):
    session_id = add_session(app, case_id=world["presented"])
    assert session_facet(client) == {TITLE: 1}
    assert found(client, session=TITLE) == {world["presented"]}
    # The session's title is a word of the case in the index, too.
    assert world["presented"] in found(client, q="第一阶段")

    from portal.sessions.models import AgendaItem, SharingSession

    with app.app_context():
        _db.session.get(SharingSession, session_id).title = "社区治理案例分享会（第二阶段）"
        _db.session.commit()
    assert session_facet(client) == {"社区治理案例分享会（第二阶段）": 1}

    with app.app_context():  # the agenda item now presents the other case
        item = _db.session.get(SharingSession, session_id).agenda[0]
        item.case_id = world["other"]
        item_id = item.id
        _db.session.commit()
    assert found(client, session="社区治理案例分享会（第二阶段）") == {world["other"]}

    with app.app_context():
        _db.session.delete(_db.session.get(AgendaItem, item_id))
        _db.session.commit()
    assert session_facet(client) == {}


def test_an_awarded_case_carries_the_award_facet(app, client, factory, world):
    from tests.test_calls import award_case

    _id, admin = factory.user(admin=True)
    assert found(client, award="首届优秀案例征集 · 一等奖") == set()
    award_case(app, admin, world["presented"])
    data = client.get("/api/v1/search").get_json()
    assert {f["value"]: f["count"] for f in data["facets"]["award"]} == {"首届优秀案例征集 · 一等奖": 1}
    assert found(client, award="首届优秀案例征集 · 一等奖") == {world["presented"]}
    assert world["presented"] in found(client, q="首届优秀案例征集")


def session_block(page: str) -> str:
    match = re.search(r'<section class="session-results".*?</section>', page, re.S)
    return match.group(0) if match else ""


def test_search_page_lists_matching_sessions_next_to_cases(app, client, world):
    add_session(app, case_id=world["presented"], minutes="两位专家围绕社工站建设作了点评。", speaker="王示例教授")
    add_session(app, title="养老服务专题交流会", minutes="讨论了居家养老。")

    block = session_block(client.get("/search", query_string={"q": "社工站"}).get_data(as_text=True))
    assert TITLE in block and "养老服务专题交流会" not in block
    # Synonyms apply: 社会工作站 = 社工站.
    assert TITLE in session_block(client.get("/search", query_string={"q": "社会工作站"}).get_data(as_text=True))
    # Speakers and the running order are searched; exclusion removes.
    assert TITLE in session_block(client.get("/search", query_string={"q": "王示例"}).get_data(as_text=True))
    assert TITLE in session_block(client.get("/search", query_string={"q": "案例分享"}).get_data(as_text=True))
    assert session_block(client.get("/search", query_string={"q": "社工站 -专家"}).get_data(as_text=True)) == ""
    # Both sessions when both match; none for an empty query (browsing shows cases only).
    both = session_block(client.get("/search", query_string={"q": "专家 OR 养老"}).get_data(as_text=True))
    assert TITLE in both and "养老服务专题交流会" in both
    assert session_block(client.get("/search").get_data(as_text=True)) == ""
    # Nor with the cases narrowed by a facet: sessions have no theme or year to follow it.
    assert session_block(client.get("/search", query_string={"q": "社工站", "year": "2022"}).get_data(as_text=True)) == ""
