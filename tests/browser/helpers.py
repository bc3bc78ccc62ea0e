"""Steps shared by the browser tests: logging in and out, reading the flash message."""
from __future__ import annotations

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    Page = expect = None

from tests.conftest import PASSWORD


def flash(page: Page):
    return page.get_by_role("status")


def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/auth/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base}/")
    expect(flash(page)).to_contain_text("欢迎回来")


def log_out(page: Page, display_name: str) -> None:
    menu = page.locator("details.user-menu")
    menu.get_by_text(display_name, exact=True).click()  # open the <details> menu
    menu.get_by_role("button", name="退出登录").click()
    expect(flash(page)).to_contain_text("您已退出登录。")
    expect(page.get_by_role("link", name="登录", exact=True)).to_be_visible()
