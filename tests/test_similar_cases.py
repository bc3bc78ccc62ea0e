"""Similar cases on the case page: computed once per case and kept until the index changes
(in this process; every index commit, by any process, changes the index generation), never
showing a case that is not published now, and still there after a publication or an edit.

Cases are indexed right after each commit (SEARCH_SYNC="inline") unless a test turns it off to
stand for the moment between a database commit and the index catching up.
"""
from __future__ import annotations

import pytest

from portal.extensions import db as _db
from portal.search import service, sync
from portal.search.backend import get_backend
from tests.test_search import make_case, make_org, page_of, similar_ids

TEXT = "推行时间银行，志愿者的服务时长存入积分账户，积分可兑换助餐、理发等助老服务。"


@pytest.fixture
def org_id(factory):
    return make_org(factory)


@pytest.fixture
def calls(app, monkeypatch):
    """How many times the backend itself computed similar cases."""
    backend = get_backend(app)
    counted = []
    original = backend.similar

    def similar(case_id, limit=5):
        counted.append(case_id)
        return original(case_id, limit)

    monkeypatch.setattr(backend, "similar", similar)
    return counted


@pytest.fixture
def library(app, org_id):
    """A target case and seven cases sharing its words."""
    target = make_case(app, org_id, "时间银行积分兑换助老", TEXT * 2)
    others = [make_case(app, org_id, f"时间银行实践{n}", f"第{n}期：" + TEXT) for n in range(1, 8)]
    return target, others


def set_status(app, case_id, action):
    from portal.cases.models import Case
    from portal.cases.services import transition

    with app.app_context():
        transition(None, _db.session.get(Case, case_id), action)
        _db.session.commit()


def test_a_repeat_view_is_served_from_the_cache(app, client, library, calls):
    target, others = library
    first = similar_ids(client, target)
    assert len(first) == 5 and set(first) <= set(others)
    assert calls == [target]
    assert similar_ids(client, target) == first
    assert similar_ids(client, target) == first
    assert calls == [target]  # computed once
    similar_ids(client, others[0])
    assert calls == [target, others[0]]  # each case its own entry


def test_the_cache_keeps_at_most_the_configured_number_of_lists(app, client, library, calls):
    target, others = library
    app.config["SEARCH_SIMILAR_CACHE"] = 1
    for case_id in (target, others[0], target, target):
        similar_ids(client, case_id)
    assert calls == [target, others[0], target]  # others[0] pushed the target's list out
    app.config["SEARCH_SIMILAR_CACHE"] = 0  # none kept
    similar_ids(client, others[1])
    similar_ids(client, others[1])
    assert calls[3:] == [others[1], others[1]]


def test_publishing_editing_and_unpublishing_change_what_the_page_shows(app, client, org_id, library, calls):
    target, others = library
    before = similar_ids(client, target)

    # A new case closer to the target than any other: it leads the list once indexed.
    closest = make_case(app, org_id, "时间银行积分兑换助老新模式", TEXT * 3)
    after = similar_ids(client, target)
    assert after[0] == closest and after != before
    assert calls.count(target) == 2  # the publication changed the index: computed again

    # An edited title reaches the box.
    from portal.cases.models import Case
    with app.app_context():
        case = _db.session.get(Case, closest)
        case.title = "时间银行积分兑换助老新模式（修订）"
        _db.session.commit()
    assert "时间银行积分兑换助老新模式（修订）" in page_of(client.get(f"/cases/{target}"))
    assert calls.count(target) == 3  # the edit reached the index: computed again

    # Archived: gone from the box, which stays full.
    set_status(app, closest, "archive")
    listed = similar_ids(client, target)
    assert closest not in listed and len(listed) == 5


def test_a_case_unpublished_before_the_index_catches_up_never_appears(app, client, library, calls):
    target, others = library
    listed = similar_ids(client, target)
    gone = listed[0]

    app.config["SEARCH_SYNC"] = "off"  # the database changes; the index does not, yet
    set_status(app, gone, "archive")
    with app.app_context():
        assert sync.pending_count() == 1
        assert gone in service.similar_ids(target, 8)  # still in the index and the cache
    now = similar_ids(client, target)
    assert gone not in now and len(now) == 5
    assert calls == [target]  # from the cache, filtered

    app.config["SEARCH_SYNC"] = "inline"
    sync.drain(app)
    assert gone not in similar_ids(client, target)
    assert calls == [target, target]


def test_an_index_problem_leaves_the_case_page_working(app, client, library, monkeypatch):
    target, _others = library
    backend = get_backend(app)

    def broken(_case_id, _limit=5):
        raise OSError("index missing")

    monkeypatch.setattr(backend, "similar", broken)
    response = client.get(f"/cases/{target}")
    assert response.status_code == 200
    assert "相似案例" not in page_of(response)
