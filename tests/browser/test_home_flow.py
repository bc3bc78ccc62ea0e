"""In a real browser on a 390px-wide phone: the home page fits the screen, and a unit editor
registers for the next sharing session with the home page's 报名 button (CSRF protection on)
and finds 新建案例 in the personal panel, without the invitation to apply for a unit."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.helpers import flash, log_in

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

SESSION_TITLE = "社区议事能力提升分享会"


@pytest.fixture
def people(live_server):
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.sessions import services

    factory = live_server.factory()
    _, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    _, editor = factory.user("editor@example.org", "李编辑")
    org_id = factory.org(admin, name="花溪区社工服务中心")
    factory.member(org_id, editor, "editor")
    factory.case(org_id, "楼栋长制度激活邻里互助", status="published")
    with live_server.app.test_request_context():
        start = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(days=3)
        services.create_session(get_user_by_email(admin), services.SessionData(
            title=SESSION_TITLE, starts_at=start, ends_at=start + timedelta(hours=2), venue="腾讯会议"))
        db.session.commit()
    return {"editor": editor}


def test_home_page_on_a_phone_registers_for_the_next_session(live_server, context, people):
    base = live_server.url
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("#latest-cases")).to_contain_text("楼栋长制度激活邻里互助")

    log_in(page, base, people["editor"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    panel = page.locator("#my-panel")
    expect(panel.get_by_role("link", name="新建案例")).to_be_visible()
    expect(page.get_by_role("link", name="申请注册单位")).to_have_count(0)

    next_session = page.locator("#next-session")
    expect(next_session).to_contain_text(SESSION_TITLE)
    next_session.get_by_role("button", name="报名").click()
    expect(flash(page)).to_contain_text("报名成功")
    page.goto(f"{base}/")
    expect(page.locator("#next-session")).to_contain_text("已报名")
