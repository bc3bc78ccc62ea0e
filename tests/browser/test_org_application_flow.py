"""In a real browser: a new user applies for an organization and an admin verifies it.

Runs with CSRF protection on, so every form goes through the token the page rendered.
"""
from __future__ import annotations

import re

import pytest

from tests.browser.helpers import flash, log_in, log_out

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    Page = expect = None

pytestmark = pytest.mark.browser

ORG_NAME = "花溪区阳光社会工作服务中心"


def test_user_applies_for_org_and_admin_verifies_it(live_server, browser, page):
    base = live_server.url
    admin_email = "admin@example.org"
    live_server.factory().user(admin_email, "平台管理员", admin=True)

    # A new user registers and is logged in straight away.
    page.goto(f"{base}/auth/register")
    expect(page.get_by_role("heading", name="注册账号")).to_be_visible()
    page.get_by_label("邮箱").fill("liu@example.org")
    page.get_by_label("显示名称").fill("刘社工")
    page.get_by_label("密码", exact=True).fill("a-long-password")
    page.get_by_label("确认密码").fill("a-long-password")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page).to_have_url(f"{base}/")
    expect(flash(page)).to_contain_text("注册成功，欢迎加入社区治理案例共享平台。")
    expect(page.locator("details.user-menu summary")).to_have_text("刘社工")

    # They apply for their organization.
    page.goto(f"{base}/orgs/apply")
    expect(page.get_by_role("heading", name="申请注册单位")).to_be_visible()
    page.get_by_label("单位名称").fill(ORG_NAME)
    page.get_by_label("单位类型").select_option("社工机构")
    page.get_by_label("省级行政区").select_option("贵州省")
    page.get_by_label("城市").fill("贵阳市")
    page.get_by_label("联系人", exact=True).fill("刘社工")
    page.get_by_label("单位简介").fill("扎根花溪区的社工机构，开展**五社联动**实践。")
    page.get_by_role("button", name="提交申请").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/orgs/\d+$"))
    org_url = page.url
    expect(flash(page)).to_contain_text("申请已提交，平台管理员审核后会通知您。")
    expect(page.get_by_role("heading", name=ORG_NAME, level=1)).to_be_visible()
    expect(page.get_by_text("该单位的注册申请正在等待平台管理员审核")).to_be_visible()
    expect(page.locator(".org-page .badge")).to_have_text("待审核")
    expect(page.locator(".prose strong")).to_have_text("五社联动")  # introduction rendered as Markdown

    log_out(page, "刘社工")

    # While pending, the page is hidden from anonymous visitors.
    response = page.goto(org_url)
    assert response is not None and response.status == 404

    # The admin logs in through the form and verifies the application.
    log_in(page, base, admin_email)
    page.goto(f"{base}/admin/orgs")
    tabs = page.get_by_role("navigation", name="按状态筛选")
    expect(tabs.locator("[aria-current=page]")).to_have_text("待审核 (1)")
    row = page.get_by_role("row").filter(has_text=ORG_NAME)
    expect(row).to_contain_text("贵州省 贵阳市")
    expect(row).to_contain_text("刘社工")
    row.get_by_role("link", name=ORG_NAME).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(ORG_NAME)
    expect(page.get_by_text("liu@example.org")).to_be_visible()
    page.get_by_role("button", name="通过认证").click()
    expect(flash(page)).to_contain_text(f"已通过“{ORG_NAME}”的认证。")
    expect(page.get_by_text("暂无单位。")).to_be_visible()
    expect(tabs.get_by_role("link", name="已认证 (1)")).to_be_visible()
    log_out(page, "平台管理员")

    # The applicant sees the verified organization among their own.
    log_in(page, base, "liu@example.org", "a-long-password")
    page.goto(f"{base}/orgs/mine")
    mine = page.get_by_role("row").filter(has_text=ORG_NAME)
    expect(mine.get_by_role("cell").nth(1)).to_have_text("已认证")
    expect(mine.get_by_role("cell").nth(2)).to_have_text("管理员")

    # An anonymous visitor (fresh context, no cookies) can now read the public page.
    visitor = browser.new_context(locale="zh-CN")
    try:
        anon = visitor.new_page()
        response = anon.goto(org_url)
        assert response is not None and response.status == 200
        expect(anon.get_by_role("heading", name=ORG_NAME, level=1)).to_be_visible()
        expect(anon.get_by_text("贵州省 贵阳市").first).to_be_visible()
        expect(anon.get_by_text("该单位的注册申请正在等待平台管理员审核")).to_have_count(0)
        expect(anon.locator(".org-page .badge")).to_have_count(0)
        expect(anon.get_by_role("link", name="登录后可见")).to_be_visible()  # contacts stay private
        expect(anon.get_by_role("link", name="登录", exact=True)).to_be_visible()
    finally:
        visitor.close()


def test_short_password_shows_chinese_error_and_keeps_input(live_server, page):
    base = live_server.url
    page.goto(f"{base}/auth/register")
    page.get_by_label("邮箱").fill("short@example.org")
    page.get_by_label("显示名称").fill("小王")
    page.get_by_label("密码", exact=True).fill("12345")
    page.get_by_label("确认密码").fill("12345")
    page.get_by_role("button", name="注册", exact=True).click()

    expect(page).to_have_url(f"{base}/auth/register")
    expect(page.get_by_role("alert")).to_contain_text("请修正以下问题后再提交：")
    expect(page.get_by_role("alert")).to_contain_text("密码：密码长度须为 10 到 128 个字符。")
    password = page.get_by_label("密码", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_have_text("密码长度须为 10 到 128 个字符。")
    expect(page.get_by_label("邮箱")).to_have_value("short@example.org")
    expect(page.get_by_label("显示名称")).to_have_value("小王")
    expect(password).to_have_value("")  # passwords are never echoed back
    expect(page.get_by_role("button", name="注册", exact=True)).to_be_visible()
    expect(page.locator("details.user-menu")).to_have_count(0)  # not logged in
