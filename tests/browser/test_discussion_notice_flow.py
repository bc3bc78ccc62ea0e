"""In a real browser: a practitioner asks a question under a published case, and the unit's editor
sees the notification, opens it and lands on the question."""
from __future__ import annotations

import re

import pytest

from tests.browser.helpers import flash, log_in, log_out

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

TITLE = "楼栋议事会推动加装电梯"
QUESTION = "加装电梯的费用是怎么分摊的？"


@pytest.fixture
def people(live_server):
    factory = live_server.factory()
    _, unit_admin = factory.user("unit@example.org", "王主任")
    org_id = factory.org(unit_admin, name="花溪区阳光社会工作服务中心")
    _, editor = factory.user("editor@example.org", "李编辑")
    factory.member(org_id, editor, "editor")
    _, practitioner = factory.user("a@example.org", "社工小李")
    return {"editor": editor, "practitioner": practitioner, "case_id": factory.case(org_id, TITLE)}


def test_the_units_editor_is_told_of_a_question(live_server, page, people):
    base = live_server.url
    case_url = f"{base}/cases/{people['case_id']}"

    log_in(page, base, people["practitioner"])
    page.goto(case_url)
    discussion = page.locator("#discussion")
    discussion.get_by_label("评论内容").fill(QUESTION)
    discussion.get_by_role("button", name="发表评论").click()
    expect(flash(page)).to_contain_text("评论已发表。")
    expect(page.locator(".nav-notifications .count-badge")).to_have_count(0)  # the author is not told
    log_out(page, "社工小李")

    log_in(page, base, people["editor"])
    nav = page.locator(".nav-notifications")
    # Unread: the case's submission and publication, and the question.
    expect(nav.locator(".count-badge")).to_have_text(re.compile(r"^3\s*条未读"))
    nav.click()
    notice = page.get_by_role("button", name=re.compile(f"社工小李 在本单位案例《{TITLE}》下发表了评论"))
    expect(notice).to_contain_text(QUESTION)
    notice.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(case_url)}#comment-\d+$"))
    expect(page.locator("#discussion .comment").filter(has_text=QUESTION)).to_be_visible()
    expect(page.locator(".nav-notifications .count-badge")).to_have_text(re.compile(r"^2\s*条未读"))
