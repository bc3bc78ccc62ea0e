"""我的案例 (/cases/mine) at the size of a busy unit: a page at a time, filtered by state with
the count of each state, and found by title; never another unit's cases."""
from __future__ import annotations

import re

import pytest


def build_world(app, factory) -> dict:
    _id, editor = factory.user("editor@example.org", "单位编辑")
    _id, other = factory.user("other@example.org", "其他单位")
    unit = factory.org(editor, name="阳光社工")
    stranger = factory.org(other, name="晨曦社工")
    for n in range(28):
        factory.case(unit, f"已发布案例{n:02d}")
    for n in range(5):
        factory.case(unit, f"草稿{n}：社区食堂", status="draft")
    factory.case(unit, "退回的案例", status="returned")
    factory.case(stranger, "其他单位的草稿", status="draft")
    return {"editor": editor}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def titles(page: str) -> list[str]:
    return re.findall(r'<td data-label="标题"><a href="/cases/\d+">([^<]+)</a>', page)


def test_my_cases_come_a_page_at_a_time(client, auth, world):
    auth.login(world["editor"])
    first = client.get("/cases/mine").get_data(as_text=True)
    assert len(titles(first)) == 30 and "第 1 / 2 页" in first
    second = client.get("/cases/mine?page=2").get_data(as_text=True)
    assert len(titles(second)) == 4
    assert not set(titles(first)) & set(titles(second))
    assert "其他单位的草稿" not in first + second


def test_filtering_by_state_with_counts_and_finding_by_title(client, auth, world):
    auth.login(world["editor"])
    page = client.get("/cases/mine").get_data(as_text=True)
    for label, n in (("全部", 34), ("已发布", 28), ("草稿", 5), ("退回修改", 1)):
        assert re.search(rf'>{label} <span class="muted">{n}</span></a>', page), label
    drafts = client.get("/cases/mine?status=draft").get_data(as_text=True)
    assert sorted(titles(drafts)) == [f"草稿{n}：社区食堂" for n in range(5)]
    assert titles(client.get("/cases/mine?q=退回").get_data(as_text=True)) == ["退回的案例"]
    assert titles(client.get("/cases/mine?status=draft&q=草稿3").get_data(as_text=True)) == ["草稿3：社区食堂"]
    empty = client.get("/cases/mine?q=不存在的标题").get_data(as_text=True)
    assert "没有符合条件的案例。" in empty
    assert len(titles(client.get("/cases/mine?status=bogus").get_data(as_text=True))) == 30  # ignored
    assert client.get("/cases/mine?page=99999999999").status_code == 400
