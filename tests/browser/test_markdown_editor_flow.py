"""In a real browser, on a laptop (1366x900) and a phone (390x844): a social worker writes a case
section with the Markdown toolbar and the keyboard, previews it, saves, and the case page shows
what the preview showed. The form's controls line up: dates as tall as text boxes, the required
star beside its label, checkboxes beside their names.

Runs with CSRF protection on, so the preview's fetch uses the page's token.
"""
from __future__ import annotations

import re

import pytest

from tests.browser.helpers import flash, log_in

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    Page = expect = None

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param({"width": 1366, "height": 900}, id="laptop"),
             pytest.param({"width": 390, "height": 844}, id="phone")]


@pytest.fixture
def people(live_server):
    factory = live_server.factory()
    _, editor = factory.user("editor@example.org", "李社工")
    factory.org(editor, name="花溪区阳光社会工作服务中心")
    _, expert = factory.user("expert@example.org", "周教授", reviewer=True)
    return {"editor": editor, "expert": expert}


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_writing_a_section_with_the_toolbar_and_previewing_it(live_server, page, people, viewport):
    base = live_server.url
    page.set_viewport_size(viewport)
    log_in(page, base, people["editor"])
    page.goto(f"{base}/cases/new")
    page.get_by_label("标题").fill("议事会的故事")

    approach = page.get_by_label("做法", exact=True)
    editor = page.locator(".md-editor").filter(has=approach)
    toolbar = editor.get_by_role("toolbar", name="格式工具")
    bold = toolbar.get_by_role("button", name="加粗")

    # Select the words just typed and make them bold: the focus stays in the text, the words stay selected.
    approach.click()
    approach.press_sequentially("居民议事会")
    approach.press("Shift+Home")
    bold.click()
    expect(approach).to_have_value("**居民议事会**")
    assert focused_id(page) == "approach"
    assert page.evaluate("(t => [t.selectionStart, t.selectionEnd])(document.getElementById('approach'))") == [2, 7]

    # Undo takes the marks away again, redo puts them back (the insert is a normal edit).
    approach.press("Control+z")
    expect(approach).to_have_value("居民议事会")
    approach.press("Control+Shift+z")
    expect(approach).to_have_value("**居民议事会**")

    # A list on the next line: the empty line Markdown needs comes by itself, the placeholder is typed over.
    approach.press("End")
    approach.press("Enter")
    toolbar.get_by_role("button", name="无序列表").click()
    expect(approach).to_have_value("**居民议事会**\n\n- 列表项")
    approach.press_sequentially("每月一次")
    approach.press("Enter")
    toolbar.get_by_role("button", name="无序列表").click()
    approach.press_sequentially("会前公示")
    expect(approach).to_have_value("**居民议事会**\n\n- 每月一次\n- 会前公示")

    # The keyboard: Ctrl+B, then typing replaces the selected placeholder.
    approach.press("Enter")
    approach.press("Enter")
    approach.press("Control+b")
    approach.press_sequentially("重点")
    expect(approach).to_have_value("**居民议事会**\n\n- 每月一次\n- 会前公示\n\n**重点**")
    approach.press("End")
    approach.press("Enter")
    approach.press("Enter")
    approach.press_sequentially("<script>window.pwned = 1</script>")

    # 预览 shows the server's rendering in place of the text; 预览 again goes back to writing.
    toggle = toolbar.get_by_role("button", name="预览")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(approach).to_be_hidden()
    expect(bold).to_be_disabled()
    body = editor.locator(".md-preview-body")
    expect(body.locator("strong")).to_have_text(["居民议事会", "重点"])
    expect(body.locator("ul > li")).to_have_text(["每月一次", "会前公示"])
    expect(body.locator("script")).to_have_count(0)
    assert page.evaluate("window.pwned") is None
    previewed = body.inner_html()

    if viewport["width"] < 500:
        # Phone: 44 px touch targets; the buttons scroll sideways inside the toolbar, never the page.
        for button in toolbar.get_by_role("button").all():
            assert button.bounding_box()["height"] >= 44
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        box = toggle.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(approach).to_be_visible()
    expect(approach).to_be_focused()

    # Saved, the case page shows exactly what the preview showed.
    page.get_by_role("button", name="保存草稿").click()
    expect(flash(page)).to_contain_text("草稿已保存")
    page.get_by_role("link", name="查看案例页").click()
    section = page.locator("#section-approach")
    expect(section.locator("strong")).to_have_text(["居民议事会", "重点"])
    shown = re.sub(r"^\s*<h2>做法</h2>", "", section.inner_html())
    assert re.sub(r"\s+", "", shown) == re.sub(r"\s+", "", previewed)
    assert "window.pwned" in shown  # the script's text, as plain text, on both


def test_the_toolbar_is_one_tab_stop_walked_with_the_arrow_keys(live_server, page, people):
    base = live_server.url
    log_in(page, base, people["editor"])
    page.goto(f"{base}/cases/new")
    page.get_by_label("摘要").focus()
    page.keyboard.press("Tab")  # into the 背景 toolbar, on its first button
    assert page.evaluate("document.activeElement.textContent") == "标题"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == "加粗"
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.textContent") == "预览"
    page.keyboard.press("Tab")  # out of the toolbar: into the text
    assert focused_id(page) == "background"
    page.keyboard.type("社区")
    page.keyboard.press("Shift+Tab")  # back to the button used last
    assert page.evaluate("document.activeElement.textContent") == "预览"
    page.keyboard.press("Enter")
    expect(page.locator(".md-editor").first.locator(".md-preview-body p")).to_have_text("社区")


def test_typing_before_the_editor_script_has_run_keeps_the_box_focused(live_server, page, people):
    # editor.js is deferred: on a slow connection the text boxes show, and take typing, before it
    # wraps each one in its editor. Moving a box in the page takes the focus away from it, and
    # what was typed next went nowhere (a browser test once saved a case without the words just
    # typed). The script is held back here until the writer is halfway through a word.
    base = live_server.url
    log_in(page, base, people["editor"])
    held = []
    page.route("**/static/js/editor.js*", lambda route: held.append(route))
    page.goto(f"{base}/cases/new", wait_until="commit")
    approach = page.get_by_label("做法", exact=True)
    approach.click()
    page.keyboard.type("居民")
    page.keyboard.press("ArrowLeft")  # the caret between the two words' characters
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page did not ask for editor.js"
    expect(page.locator(".md-editor")).to_have_count(0)
    held[0].continue_()
    expect(page.locator(".md-editor").filter(has=approach)).to_be_visible()

    page.keyboard.type("议事")  # where the caret was
    expect(approach).to_have_value("居议事民")
    assert focused_id(page) == "approach"


def _middle(box) -> float:
    return box["y"] + box["height"] / 2


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_form_controls_line_up(live_server, page, people, viewport):
    base = live_server.url
    page.set_viewport_size(viewport)
    log_in(page, base, people["editor"])
    page.goto(f"{base}/cases/new")

    # Date, number and select boxes are as tall as a text box (44 px on the phone).
    text_height = page.get_by_label("城市（地级）").bounding_box()["height"]
    for label in ("开始日期", "受益居民人数", "省级行政区", "社区类型"):
        assert page.get_by_label(label).bounding_box()["height"] == text_height, label
    if viewport["width"] < 500:
        assert text_height == 44

    # The required star sits on its label's line, right after the text.
    label = page.locator('label[for="title"]').bounding_box()
    star = page.locator(".field-label").filter(has=page.locator('label[for="title"]')).locator(".required").bounding_box()
    assert abs(_middle(star) - _middle(label)) < label["height"] / 2
    assert label["x"] + label["width"] <= star["x"] < label["x"] + label["width"] + 20

    # Theme checkboxes: the box, then its name, on one line.
    box = page.get_by_label("五社联动", exact=True).bounding_box()
    name = page.locator('label[for^="themes-"]', has_text="五社联动").bounding_box()
    assert box["x"] + box["width"] <= name["x"]
    assert abs(_middle(box) - _middle(name)) < name["height"] / 2


def test_the_expert_profile_themes_are_box_and_name_pairs_on_a_phone(live_server, page, people):
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, base, people["expert"])
    page.goto(f"{base}/experts/me/edit")
    group = page.get_by_role("group", name="专长主题")
    boxes = group.get_by_role("checkbox")
    assert boxes.count() > 4
    for i in range(boxes.count()):
        checkbox = boxes.nth(i)
        box = checkbox.bounding_box()
        name = page.locator(f'label[for="{checkbox.get_attribute("id")}"]').bounding_box()
        assert box["x"] + box["width"] <= name["x"] and abs(_middle(box) - _middle(name)) < name["height"] / 2
    # two columns side by side, not one long list
    first, second = boxes.nth(0).bounding_box(), boxes.nth(1).bounding_box()
    assert first["y"] == second["y"] and second["x"] > first["x"]
