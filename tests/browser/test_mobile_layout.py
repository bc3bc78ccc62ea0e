"""In a real browser, on a 390x844 phone and on a 1366x900 desktop screen (issue 12 §3):

- the phone header is one row (brand, a search button and a 菜单 button); the menu opens the
  navigation and the user menu under it and closes on Escape (focus back on the button) or a tap
  outside; the search button opens the search box; on the desktop the header is as before;
- on /cases and /search the results come first on the phone: the filters wait behind a "筛选（n）"
  button, and the active filters are chips above the results, each removing its own filter;
- admin tables become one card per row on the phone, each value next to its column's name, so
  names are never squeezed into a narrow column; on the desktop they are ordinary tables;
- without JavaScript, the phone header shows everything and the filters still open.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.helpers import log_in

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    Page = expect = None

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
ADMIN_NAME = "平台管理员（示例账号）"
LONG_NAME = "社区工作者小李（示例账号）"


@pytest.fixture
def world(live_server):
    factory = live_server.factory()
    _, admin = factory.user("admin@example.org", ADMIN_NAME, admin=True)
    _, editor = factory.user("editor@example.org", LONG_NAME)
    org = factory.org(editor, name="花溪区阳光社会工作服务中心")
    for n, (province, theme) in enumerate([("四川省", "养老服务"), ("贵州省", "养老服务"), ("四川省", "党建引领"),
                                          ("贵州省", "养老服务"), ("四川省", "养老服务")], start=1):
        factory.case(org, f"第{n}个老旧小区议事会的故事", province=province, themes=(theme,),
                     summary="居民议事会逐户协商，两年加装电梯十二部，老人上下楼不再难。")
    return {"admin": admin}


def notify(live_server, email: str, *texts: str) -> None:
    from portal.auth.services import get_user_by_email
    from portal.extensions import db
    from portal.notifications.models import Kind
    from portal.notifications.services import notify as tell

    with live_server.app.app_context():
        user = get_user_by_email(email)
        for text in texts:
            tell([user], Kind.COMMENT_REPLY, text, "/cases")
        db.session.commit()


def header(page: Page):
    return page.locator("header.site-header")


def height(locator) -> float:
    return locator.bounding_box()["height"]


def top_of_first(page: Page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


def filter_button(page: Page):
    """The <summary> of the filter panel's <details> (a button to assistive technology)."""
    return page.locator("details.filter-toggle > summary")


def query_of(page: Page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_phone_header_is_one_row_with_a_menu(live_server, page, world):
    base = live_server.url
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/cases")
    top = header(page)
    assert height(top) <= 64
    menu = top.get_by_role("button", name="菜单")
    nav = page.get_by_role("navigation", name="主导航")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    expect(top.get_by_role("link", name="登录")).to_be_hidden()
    assert set(menu.get_attribute("aria-controls").split()) == {"main-nav", "user-nav"}

    # The menu opens under the top row; Escape closes it and the focus goes back to the button.
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="分享会")).to_be_visible()
    expect(top.get_by_role("link", name="登录")).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="案例库")).to_be_focused()  # the menu follows its button
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()
    assert height(top) <= 64

    # A tap outside closes it too; a link in it works.
    menu.click()
    expect(nav).to_be_visible()
    page.locator("main h1").click()
    expect(nav).to_be_hidden()
    menu.click()
    nav.get_by_role("link", name="分享会").click()
    expect(page).to_have_url(f"{base}/sessions")
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()

    # The search button opens the search box in a second row, the focus in it; one panel at a time.
    page.goto(f"{base}/cases")
    search = top.get_by_role("button", name="搜索框")
    box = top.get_by_role("combobox", name="搜索案例")
    expect(box).to_be_hidden()
    search.click()
    expect(box).to_be_focused()
    assert height(top) <= 110
    top.get_by_role("button", name="菜单").click()
    expect(box).to_be_hidden()
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_visible()
    search.click()
    box.fill("议事会")
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/search\?q="))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Signed in: the user menu is in the same panel; the unread count shows on the closed menu's button.
    notify(live_server, world["admin"], "第一条通知", "第二条通知")
    log_in(page, base, world["admin"])
    page.goto(f"{base}/cases")
    assert height(top) <= 64
    menu = top.get_by_role("button", name="菜单 2 条未读")
    expect(menu).to_be_visible()
    menu.click()
    expect(top.get_by_role("link", name="通知 2 条未读")).to_be_visible()
    top.get_by_text(ADMIN_NAME, exact=True).click()
    top.get_by_role("link", name="管理后台").click()
    expect(page).to_have_url(f"{base}/admin/")


def test_phone_header_buttons_work_before_the_deferred_scripts_have_run(live_server, page, world):
    """The header's buttons show from the first paint, so they are handled by js/early.js (in
    <head>, not deferred): here the deferred scripts never arrive, and both buttons still work."""
    base = live_server.url
    page.set_viewport_size(PHONE)
    page.route(re.compile(r".*/static/js/(site|responsive)\.js.*"), lambda route: route.abort())
    page.goto(f"{base}/cases")
    top = header(page)
    menu = top.get_by_role("button", name="菜单")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="分享会")).to_be_visible()
    search = top.get_by_role("button", name="搜索框")
    search.click()
    expect(top.get_by_role("combobox", name="搜索案例")).to_be_focused()
    expect(menu).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Escape")
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(search).to_be_focused()


def test_desktop_header_filters_and_tables_stay_as_they_were(live_server, page, world):
    base = live_server.url
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/cases?province=四川省")
    top = header(page)
    assert height(top) == 64
    expect(top.get_by_role("button", name="菜单")).to_be_hidden()
    expect(top.get_by_role("button", name="搜索框")).to_be_hidden()
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="分享会")).to_be_visible()
    expect(top.get_by_role("combobox", name="搜索案例")).to_be_visible()
    # The filter panel sits beside the results with no button in front of it; the chips are shown too.
    expect(page.get_by_label("省级行政区", exact=True)).to_be_visible()
    expect(filter_button(page)).to_be_hidden()
    expect(page.get_by_role("link", name="移除筛选：省级行政区 四川省")).to_be_visible()
    panel = page.locator("form.filter-panel").bounding_box()
    first = page.locator(".case-grid > *").first.bounding_box()
    assert panel["x"] + panel["width"] <= first["x"]

    page.goto(f"{base}/search?theme=养老服务")
    expect(page.get_by_role("complementary", name="分面筛选")).to_be_visible()
    expect(filter_button(page)).to_be_hidden()

    log_in(page, base, world["admin"])
    page.goto(f"{base}/admin/users")
    table = page.locator("main table")
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    expect(table.locator("thead")).to_be_visible()
    row = table.locator("tbody tr").filter(has_text=LONG_NAME)
    tops = {round(td.bounding_box()["y"]) for td in row.locator("td").all()}
    assert len(tops) == 1  # the row's cells side by side


def test_phone_lists_show_results_first_and_chips_remove_filters(live_server, page, world):
    base = live_server.url
    page.set_viewport_size(PHONE)

    page.goto(f"{base}/cases?province=四川省&sort=views")
    button = filter_button(page)
    expect(button).to_have_text("筛选（1）")
    expect(button).to_be_visible()
    expect(page.get_by_label("省级行政区", exact=True)).to_be_hidden()
    expect(page.locator(".case-grid > *")).to_have_count(3)
    assert top_of_first(page, ".case-grid > *") < PHONE["height"]
    button.click()
    expect(page.get_by_label("省级行政区", exact=True)).to_be_visible()
    expect(page.get_by_label("省级行政区", exact=True)).to_have_value("四川省")
    page.get_by_label("主题", exact=True).select_option(label="养老服务")
    page.get_by_role("button", name="筛选", exact=True).click()  # the form's own submit button
    expect(filter_button(page)).to_have_text("筛选（2）")
    expect(page.get_by_label("主题", exact=True)).to_be_hidden()  # folded again after the new results arrive
    expect(page.locator(".case-grid > *")).to_have_count(2)
    assert top_of_first(page, ".case-grid > *") < PHONE["height"]

    page.get_by_role("link", name="移除筛选：省级行政区 四川省").click()
    expect(page.locator(".case-grid > *")).to_have_count(4)
    args = query_of(page)
    assert "province" not in args and args["sort"] == "views" and "theme" in args
    page.get_by_role("link", name="清除全部筛选").click()
    expect(page.locator(".case-grid > *")).to_have_count(5)
    assert query_of(page) == {"sort": "views"}

    page.goto(f"{base}/search?q=议事会&theme=养老服务&province=四川省")
    expect(page.get_by_role("complementary", name="分面筛选")).to_be_hidden()
    expect(page.locator(".results .result")).to_have_count(2)
    assert top_of_first(page, ".results .result") < PHONE["height"]
    expect(filter_button(page)).to_have_text("筛选（2）")
    filter_button(page).click()
    expect(page.get_by_role("complementary", name="分面筛选")).to_be_visible()
    page.get_by_role("link", name="移除筛选：主题 养老服务").click()
    expect(page.locator(".results .result")).to_have_count(3)
    args = query_of(page)
    assert "theme" not in args and args == {"q": "议事会", "province": "四川省"}
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # A pasted address as the query: its echo wraps instead of widening the page; nothing found,
    # so there is no 筛选 button opening an empty panel.
    page.goto(f"{base}/search?q=https://mp.example.org/s/Xq3kLmN0pQrStUvWxYz_AbCdEfGhIjKlMnOpQrStUv")
    expect(page.get_by_text("没有找到符合条件的案例")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator(".filter-toggle")).to_have_count(0)


def test_phone_admin_tables_are_cards(live_server, page, world):
    base = live_server.url
    log_in(page, base, world["admin"])
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/admin/users")
    table = page.locator("main table")
    assert height(table.locator("thead")) <= 1  # the column names are left to screen readers
    name_cell = table.locator("tbody tr").filter(has_text=LONG_NAME).locator("td").first
    em = name_cell.evaluate("td => parseFloat(getComputedStyle(td).fontSize)")
    content_width = name_cell.evaluate(
        "td => { const s = getComputedStyle(td); return td.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }")
    assert content_width >= 8 * em
    link = name_cell.get_by_role("link", name=LONG_NAME)
    line = float(link.evaluate("a => parseFloat(getComputedStyle(a).lineHeight)"))
    assert height(link) < 1.5 * line  # the whole name on one line
    assert name_cell.evaluate("td => getComputedStyle(td, '::before').content") == '"名称"'
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(f"{base}/admin/orgs?status=verified")
    org_cell = page.locator("main table tbody tr").first.locator("td").first
    expect(org_cell).to_have_text("花溪区阳光社会工作服务中心")
    assert org_cell.evaluate("td => getComputedStyle(td, '::before').content") == '"单位"'
    assert height(org_cell.get_by_role("link")) < 1.5 * line


def test_phone_without_javascript(live_server, browser, world):
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{base}/cases?province=四川省")
        # No menu button that could not work: the navigation, search box and login are all shown.
        expect(page.get_by_role("button", name="菜单")).to_be_hidden()
        expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="分享会")).to_be_visible()
        expect(header(page).get_by_role("combobox", name="搜索案例")).to_be_visible()
        expect(header(page).get_by_role("link", name="登录")).to_be_visible()
        # The filters open with the <details> element's own button.
        expect(page.get_by_label("省级行政区", exact=True)).to_be_hidden()
        expect(filter_button(page)).to_have_text("筛选（1）")
        filter_button(page).click()
        expect(page.get_by_label("省级行政区", exact=True)).to_be_visible()
    finally:
        context.close()
