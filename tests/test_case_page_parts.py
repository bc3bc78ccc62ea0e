"""Other features add sections and header buttons to the case page through ``portal.cases.page``.

A reader sees them in the order the features ask for, wherever that falls among the built-in
sections (借鉴反馈, 讨论), and sees nothing of a part that has nothing for them.
"""
from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader

from portal.cases.page import CaseAction, register_action, register_panel

TITLE = "老旧小区停车难的协商解决"


@pytest.fixture
def world(app, factory):
    _id, admin = factory.user("unit.admin@example.org", "单位管理员")
    _id, reader = factory.user("reader@example.org", "读者小王")
    case_id = factory.case(factory.org(admin), title=TITLE)
    app.jinja_env.loader = ChoiceLoader([DictLoader({
        "test/early.html": '<section id="test-early">{{ case.title }}</section>',
        "test/late.html": '<section id="test-late">{{ note }}</section>',
        "test/members.html": '<section id="test-members">你好，{{ name }}</section>',
    }), app.jinja_env.loader])
    return {"case": case_id, "reader": reader}


def _in_order(page: str, *markers: str) -> bool:
    positions = [page.index(marker) for marker in markers]
    return positions == sorted(positions)


def test_panels_follow_their_order_and_a_panel_with_nothing_to_show_is_left_out(app, client, auth, world):
    # Registered out of order on purpose: the page follows ``order``, not registration.
    register_panel(app, "test-late", order=45, template="test/late.html",
                   build=lambda case, user: {"note": "排在借鉴反馈与讨论之间"})
    register_panel(app, "test-members", order=5, template="test/members.html",
                   build=lambda case, user: {"name": user.display_name} if user.is_authenticated else None)
    register_panel(app, "test-early", order=1, template="test/early.html", build=lambda case, user: {})

    page = client.get(f"/cases/{world['case']}").get_data(as_text=True)
    assert _in_order(page, 'id="section-approach"', 'id="test-early"', 'id="adoptions"', 'id="test-late"',
                     'id="discussion"', 'class="facts"')
    assert f'<section id="test-early">{TITLE}</section>' in page
    assert "排在借鉴反馈与讨论之间" in page
    assert "test-members" not in page  # built None for the anonymous reader

    auth.login(world["reader"])
    page = client.get(f"/cases/{world['case']}").get_data(as_text=True)
    assert '<section id="test-members">你好，读者小王</section>' in page
    assert _in_order(page, 'id="test-early"', 'id="test-members"', 'id="adoptions"')


def test_header_actions_follow_their_order_and_refused_ones_are_left_out(app, client, auth, world):
    register_action(app, "test-second", order=20, build=lambda case, user: CaseAction("第二个按钮", "/second"))
    register_action(app, "test-first", order=5, build=lambda case, user: CaseAction("第一个按钮", f"/first/{case.id}"))
    register_action(app, "test-refused", order=10, build=lambda case, user: None)

    page = client.get(f"/cases/{world['case']}").get_data(as_text=True)
    header = page[page.index('<header class="case-head">'):page.index("</header>", page.index('class="case-head"'))]
    first = f'<a class="button button-secondary" href="/first/{world["case"]}">第一个按钮</a>'
    second = '<a class="button button-secondary" href="/second">第二个按钮</a>'
    assert first in header and second in header
    assert header.index(first) < header.index(second) < header.index("data-print")
    assert header.count('class="button button-secondary"') == 3  # the two actions and 打印

