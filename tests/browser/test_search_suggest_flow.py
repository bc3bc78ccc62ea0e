"""In a real browser, on a desktop screen and on a 390x844 phone: the header search box suggests as
you type in a list right under the box (never over the text being typed), the arrow keys move
through it, Enter opens the chosen case's page, Enter with nothing chosen searches, and Escape,
leaving the box or clearing it closes the list. The home page's search box, on the phone, too."""
from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    Page = expect = None

pytestmark = pytest.mark.browser

TITLE = "楼栋长制度激活邻里互助"
NEIGHBOURS = "邻里守望服务社"


@pytest.fixture
def world(live_server):
    factory = live_server.factory()
    _, editor = factory.user("editor@example.org", "李编辑")
    org_id = factory.org(editor, name="花溪区社工服务中心")
    case_id = factory.case(org_id, TITLE)
    factory.org(factory.user()[1], name=NEIGHBOURS)
    return {"case": case_id}


def header_box(page: Page):
    return page.locator("header").get_by_role("combobox", name="搜索案例")


def open_header_search(page: Page):
    """On a phone the header's search box sits behind the search button next to 菜单 (it works
    from the first paint: js/early.js)."""
    button = page.locator("header").get_by_role("button", name="搜索框")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(header_box(page)).to_be_focused()


def assert_list_below_box(page: Page, box, listbox) -> None:
    """The list starts at or below the box's bottom edge, shares no area with it, fits the screen
    width and is on top of the page (the point in the middle of its first option is that option)."""
    b, lb = box.bounding_box(), listbox.bounding_box()
    assert lb["y"] >= b["y"] + b["height"] - 0.5, (b, lb)
    overlap_w = min(b["x"] + b["width"], lb["x"] + lb["width"]) - max(b["x"], lb["x"])
    overlap_h = min(b["y"] + b["height"], lb["y"] + lb["height"]) - max(b["y"], lb["y"])
    assert overlap_w <= 0 or overlap_h <= 0.5, (b, lb)
    width = page.viewport_size["width"]
    assert lb["x"] >= 0 and lb["x"] + lb["width"] <= width, (lb, width)
    first = listbox.get_by_role("option").first.bounding_box()
    on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('[role=option]') !== null",
                           [first["x"] + first["width"] / 2, first["y"] + first["height"] / 2])
    assert on_top
    middle = page.evaluate("([x, y]) => document.elementFromPoint(x, y).id",
                           [b["x"] + b["width"] / 2, b["y"] + b["height"] / 2])
    assert middle == box.get_attribute("id")  # the text being typed stays visible


def test_header_suggestions_on_a_desktop_screen(live_server, page, world):
    base = live_server.url
    page.goto(f"{base}/cases")
    box = header_box(page)
    listbox = page.get_by_role("listbox", name="搜索建议")
    expect(box).to_have_attribute("aria-expanded", "false")

    box.press_sequentially("邻里")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_have_text(re.compile(rf"^{TITLE}\s*案例$"))
    expect(options.nth(1)).to_have_text(re.compile(rf"^{NEIGHBOURS}\s*单位$"))
    assert_list_below_box(page, box, listbox)
    # Wider than the header's narrow box (a case title on one line, not five), growing leftwards.
    b, lb = box.bounding_box(), listbox.bounding_box()
    assert lb["width"] >= 400 > b["width"], (b, lb)
    assert abs((lb["x"] + lb["width"]) - (b["x"] + b["width"])) <= 1, (b, lb)
    first = options.nth(0).bounding_box()
    assert first["height"] < 2.5 * 24, first  # the case title on one line (two at most)

    # Escape closes and keeps the text; ArrowDown opens again.
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("邻里")
    box.press("ArrowDown")
    expect(listbox).to_be_visible()

    # Clearing the box closes the list; leaving the box closes it too.
    box.fill("")
    expect(listbox).to_be_hidden()
    box.press_sequentially("邻里")
    expect(listbox).to_be_visible()
    page.locator("main h1").click()
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")

    # The arrows move the active option; Enter opens the case page.
    box.fill("")
    box.press_sequentially("邻里")
    expect(listbox).to_be_visible()
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(options.nth(1)).to_have_attribute("aria-selected", "false")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id"))
    box.press("Enter")
    expect(page).to_have_url(f"{base}/cases/{world['case']}")
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()


def test_header_suggestions_between_phone_and_desktop_stay_on_screen(live_server, page, world):
    """From 761 to 1000 pixels the header's box is on the left of a second row: its wider list
    grows rightwards there (leftwards, it would start off the screen)."""
    page.set_viewport_size({"width": 900, "height": 800})
    page.goto(f"{live_server.url}/cases")
    box = header_box(page)
    listbox = page.get_by_role("listbox", name="搜索建议")
    box.press_sequentially("邻里")
    expect(listbox).to_be_visible()
    assert_list_below_box(page, box, listbox)
    b, lb = box.bounding_box(), listbox.bounding_box()
    assert abs(lb["x"] - b["x"]) <= 1 and lb["width"] >= 400, (b, lb)


def test_header_suggestions_on_a_phone(live_server, page, world):
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/cases")
    open_header_search(page)
    box = header_box(page)
    listbox = page.get_by_role("listbox", name="搜索建议")
    box.press_sequentially("邻里互助")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(1)
    assert_list_below_box(page, box, listbox)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A tap on the suggestion opens the case.
    listbox.get_by_role("option", name=re.compile(TITLE)).click()
    expect(page).to_have_url(f"{base}/cases/{world['case']}")

    # Enter with no option chosen searches for the text, as before.
    open_header_search(page)
    box = header_box(page)
    box.press_sequentially("邻里")
    expect(listbox).to_be_visible()
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/search\?q="))
    expect(page.get_by_role("combobox", name="搜索词")).to_have_value("邻里")

    # The home page's own search box (in a row with its button) behaves the same.
    page.goto(f"{base}/")
    box = page.get_by_role("combobox", name="搜索案例")
    box.press_sequentially("邻里")
    expect(listbox).to_be_visible()
    assert_list_below_box(page, box, listbox)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
