"""In a real browser: a curator assigns a reviewer to a submitted case, the reviewer recommends it
internally and posts a scored expert comment, the curator publishes it, the unit responds, a
practitioner comments, another reports the comment and the admin resolves the report.

Runs with CSRF protection on. Only the accounts, the unit and the submitted case are set up
through the factory; everything else goes through the pages, as users would.
"""
from __future__ import annotations

import re

import pytest

from tests.browser.helpers import flash, log_in, log_out

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

ORG_NAME = "南明区邻里守望社会工作服务中心"
TITLE = "“楼栋议事会”推动老旧小区加装电梯"
REVIEW_BODY = "协商过程记录完整，成效数据可信，建议发布。"
EXPERT_BODY = "议事规则清晰，**少数意见**得到尊重，值得在同类小区推广。"
RESPONSE = "感谢专家点评，我们会继续完善议事规则并公开协商记录。"
DISCUSSION = "我们社区也准备加装电梯，请问费用分摊是怎么协商的？"
REPORT_REASON = "与案例无关的广告内容。"
HIDE_REASON = "经核实含推广信息，予以隐藏。"


@pytest.fixture
def people(live_server):
    """A verified unit (its admin), the curator, a reviewer and two practitioners."""
    factory = live_server.factory()
    _, unit_admin = factory.user("unit@example.org", "王主任")
    org_id = factory.org(unit_admin, name=ORG_NAME)
    case_id = factory.case(org_id, TITLE, status="submitted")
    _, curator = factory.user("curator@example.org", "平台审核人", admin=True)
    _, reviewer = factory.user("expert@example.org", "张教授", reviewer=True)
    _, first = factory.user("a@example.org", "社工小李")
    _, second = factory.user("b@example.org", "居民老赵")
    return {"unit_admin": unit_admin, "curator": curator, "reviewer": reviewer,
            "first": first, "second": second, "case_id": case_id}


def test_assign_review_comment_respond_discuss_report_and_moderate(live_server, page, people):
    base = live_server.url
    case_url = f"{base}/cases/{people['case_id']}"

    # -- The curator assigns the reviewer. --------------------------------------------------------
    log_in(page, base, people["curator"])
    page.goto(case_url)
    expect(page.locator(".case-head .badge")).to_have_text("已提交")
    panel = page.locator("#review-assignments")
    expect(panel.get_by_role("heading", name="专家评审（内部）")).to_be_visible()
    expect(panel).to_contain_text("尚未指派点评专家。")
    panel.get_by_label("点评专家").select_option(label="张教授（教授）")
    panel.get_by_label("截止日期（选填）").fill("2099-12-31")
    panel.get_by_role("button", name="指派", exact=True).click()
    expect(flash(page)).to_contain_text("已指派点评专家，并已通知对方。")
    panel = page.locator("#review-assignments")
    card = panel.locator(".review-card").filter(has_text="张教授")
    expect(card).to_contain_text("待点评")
    expect(card).to_contain_text("截止 2099-12-31")
    expect(card).to_contain_text("尚未提交内部评审意见。")
    log_out(page, "平台审核人")

    # -- The reviewer finds it in the queue, recommends it and posts a scored expert comment. -----
    log_in(page, base, people["reviewer"])
    page.goto(f"{base}/review/queue")
    expect(page.get_by_role("heading", name="待点评", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text(ORG_NAME)
    expect(row).to_contain_text("2099-12-31")
    row.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(f"{case_url}#internal-review")
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()

    mine = page.locator("#internal-review")
    expect(mine).to_contain_text("截止日期：2099-12-31")
    mine.get_by_label("建议发布").check()
    mine.get_by_label("评审意见").fill(REVIEW_BODY)
    mine.get_by_role("button", name="提交意见").click()
    expect(flash(page)).to_contain_text("内部评审意见已保存。")
    expect(page.locator("#internal-review").get_by_label("建议发布")).to_be_checked()
    expect(page.locator("#internal-review").get_by_label("评审意见")).to_have_value(REVIEW_BODY)

    form = page.locator(".expert-comment-form")
    expect(form.get_by_role("heading", name="发表专家点评")).to_be_visible()
    form.get_by_label("点评内容").fill(EXPERT_BODY)
    form.get_by_label("创新性").select_option("4")
    form.get_by_label("实效性").select_option("5")
    form.get_by_label("可推广性").select_option("3")
    form.get_by_label(re.compile("^无利益关联")).check()
    form.get_by_role("button", name="发表点评").click()
    expect(flash(page)).to_contain_text("专家点评已发表。")
    comment = page.locator("#expert-comments .expert-comment").filter(has_text="张教授")
    expect(comment.locator(".expert-byline")).to_contain_text("张教授 · 教授 · 某大学")
    expect(comment.locator(".expert-score-chips li")).to_have_text(["创新性 4 分", "实效性 5 分", "可推广性 3 分"])
    expect(comment.locator(".prose strong")).to_have_text("少数意见")
    expect(comment.locator(".conflict-declaration")).to_have_text(re.compile(r"利益关联声明：\s*无利益关联"))
    expect(page.locator(".expert-averages")).to_have_count(0)  # averages need two scoring experts
    log_out(page, "张教授")

    # -- The curator sees the recommendation and publishes. ---------------------------------------
    log_in(page, base, people["curator"])
    page.goto(f"{base}/review/queue")
    overview = page.get_by_role("row").filter(has_text=TITLE)
    expect(overview).to_contain_text("张教授")
    expect(overview).to_contain_text("建议发布")
    overview.get_by_role("link", name=TITLE).click()
    card = page.locator("#review-assignments .review-card").filter(has_text="张教授")
    expect(card).to_contain_text("已提交意见")
    expect(card.locator(".recommendation")).to_have_text("建议发布")
    expect(card).to_contain_text(REVIEW_BODY)
    page.get_by_label("确认公开发布").check()  # the action bar asks before publishing
    page.get_by_role("button", name="发布", exact=True).click()
    expect(flash(page)).to_contain_text("已完成：发布。")
    expect(page.locator(".case-head .badge")).to_have_count(0)  # published cases carry no status badge
    expect(page.locator("#review-assignments .review-card .recommendation")).to_have_text("建议发布")
    log_out(page, "平台审核人")

    # -- The unit answers the expert comment. -----------------------------------------------------
    log_in(page, base, people["unit_admin"])
    page.goto(case_url)
    expect(page.locator("#internal-reviews")).to_contain_text(REVIEW_BODY)
    comment = page.locator("#expert-comments .expert-comment").filter(has_text="张教授")
    comment.get_by_label("以本单位名义回应").fill(RESPONSE)
    comment.get_by_role("button", name="发布回应").click()
    expect(flash(page)).to_contain_text("回应已发布。")
    response = page.locator("#expert-comments .expert-comment .unit-response")
    expect(response).to_contain_text(f"单位回应 · {ORG_NAME}")
    expect(response).to_contain_text(RESPONSE)
    expect(page.get_by_label("以本单位名义回应")).to_have_count(0)  # one response per comment
    log_out(page, "王主任")

    # -- Practitioner A joins the discussion. -----------------------------------------------------
    log_in(page, base, people["first"])
    page.goto(case_url)
    discussion = page.locator("#discussion")
    expect(discussion).to_contain_text("还没有评论。")
    discussion.get_by_label("评论内容").fill(DISCUSSION)
    discussion.get_by_role("button", name="发表评论").click()
    expect(flash(page)).to_contain_text("评论已发表。")
    item = page.locator("#discussion .comment").filter(has_text=DISCUSSION)
    expect(item.locator(".comment-meta")).to_contain_text("社工小李")
    expect(item.get_by_text("举报", exact=True)).to_have_count(0)  # nobody reports their own comment
    log_out(page, "社工小李")

    # -- Practitioner B reports it. ---------------------------------------------------------------
    log_in(page, base, people["second"])
    page.goto(case_url)
    item = page.locator("#discussion .comment").filter(has_text=DISCUSSION)
    item.get_by_text("举报", exact=True).click()  # opens the <details>
    item.get_by_label("举报原因").fill(REPORT_REASON)
    item.get_by_role("button", name="提交举报").click()
    expect(flash(page)).to_contain_text("感谢您的举报，管理员会尽快处理。")
    # One report does not hide it.
    expect(page.locator("#discussion .comment-body")).to_have_text(DISCUSSION)
    log_out(page, "居民老赵")

    # -- The admin resolves the report by hiding the comment. -------------------------------------
    log_in(page, base, people["curator"])
    page.goto(f"{base}/admin/moderation")
    expect(page.get_by_role("heading", name="内容审核", level=1)).to_be_visible()
    entry = page.locator(".moderation-item").filter(has_text=DISCUSSION)
    expect(entry.locator(".badge")).to_have_text("显示中")
    expect(entry).to_contain_text("社工小李")
    expect(entry.get_by_role("heading", name="举报（1）")).to_be_visible()
    expect(entry.locator(".moderation-reports")).to_contain_text("居民老赵")
    expect(entry.locator(".moderation-reports")).to_contain_text(REPORT_REASON)
    hide = entry.locator("form").filter(has=page.get_by_role("button", name="隐藏", exact=True))
    hide.get_by_label("原因（会告知作者）").fill(HIDE_REASON)
    hide.get_by_role("button", name="隐藏", exact=True).click()
    expect(flash(page)).to_contain_text("评论已隐藏，作者已收到通知。")
    entry = page.locator(".moderation-item").filter(has_text=DISCUSSION)
    expect(entry.locator(".badge")).to_have_text("已隐藏")
    expect(entry).to_contain_text(f"上次处理原因：{HIDE_REASON}")
    expect(entry.locator(".moderation-reports")).to_have_count(0)  # the report is closed

    page.goto(case_url)
    expect(page.locator("#discussion .comment-stub")).to_have_text("该评论已被管理员隐藏")
    log_out(page, "平台审核人")

    # -- The author is told; other readers see only the stub. -------------------------------------
    log_in(page, base, people["first"])
    page.goto(f"{base}/notifications")
    note = page.locator(".notification").filter(has_text="已被管理员隐藏")
    expect(note).to_contain_text(f"您在《{TITLE}》下的评论已被管理员隐藏。原因：{HIDE_REASON}")
    expect(note.get_by_text("未读", exact=True)).to_be_visible()
    log_out(page, "社工小李")

    log_in(page, base, people["second"])
    page.goto(f"{base}/notifications")
    expect(page.locator(".notification").filter(has_text="您举报的评论")).to_contain_text(TITLE)
    page.goto(case_url)
    expect(page.locator("#discussion .comment-stub")).to_have_text("该评论已被管理员隐藏")
    expect(page.get_by_text(DISCUSSION)).to_have_count(0)
    expect(page.get_by_text(HIDE_REASON)).to_have_count(0)
    expect(page.locator("#expert-comments .expert-byline")).to_contain_text("张教授")
    expect(page.locator("#expert-comments .expert-score-chips")).to_contain_text("实效性 5 分")
    expect(page.locator("#expert-comments .unit-response")).to_contain_text(RESPONSE)
