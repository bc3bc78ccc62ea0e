"""In a real browser: a unit writes a case, the curator returns it, the unit revises it, the
curator publishes it and an anonymous visitor reads it. Plus the live Markdown preview.

Runs with CSRF protection on, so every form (and the preview's fetch) uses the page's token.
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
TITLE = "“五社联动”破解老旧小区养老难题"
MOBILE, MASKED = "13812345678", "138****5678"
RETURN_REASON = "请在“成效”部分补充服务前后的对比数据。"
REPLY = "已补充入户探访前后的满意度对比。"


@pytest.fixture
def people(live_server):
    """A verified unit whose admin writes cases (the editor), and a platform admin (the curator)."""
    factory = live_server.factory()
    _, editor = factory.user("editor@example.org", "李社工")
    org_id = factory.org(editor, name=ORG_NAME)
    _, curator = factory.user("curator@example.org", "平台审核人", admin=True)
    return {"editor": editor, "curator": curator, "org_id": org_id}


def test_case_goes_from_draft_through_return_to_publication(live_server, browser, page, people):
    base = live_server.url

    # -- The editor writes a draft. -------------------------------------------------------------
    log_in(page, base, people["editor"])
    page.goto(f"{base}/cases/new")
    expect(page.get_by_role("heading", name="新建案例", level=1)).to_be_visible()
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("摘要").fill("以社区为平台，联动社会组织、社工、志愿者和慈善资源，为独居老人提供支持。")
    page.get_by_label("背景", exact=True).fill("阳光社区建成于上世纪八十年代，60 岁以上老人占比 **32%**。")
    page.get_by_label("做法", exact=True).fill(f"组建居民议事会，由楼栋长（电话 {MOBILE}）牵头入户探访。")
    page.get_by_label("成效", exact=True).fill("服务居民 1200 人次。")
    page.get_by_label("经验启示", exact=True).fill("坚持需求导向，发挥居民主体作用。")
    page.get_by_label("五社联动", exact=True).check()
    page.get_by_label("省级行政区").select_option("贵州省")
    page.get_by_label("城市（地级）").fill("贵阳市")
    page.get_by_label("社区类型").select_option("城市社区")
    page.get_by_role("button", name="保存草稿").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/cases/\d+/edit$"))
    case_url = page.url.removesuffix("/edit")
    expect(flash(page)).to_contain_text("草稿已保存")
    expect(page.get_by_role("heading", name="编辑案例", level=1)).to_be_visible()
    expect(page.get_by_text("必填内容已齐全。")).to_be_visible()

    # The privacy check found the mobile number; the editor masks it.
    privacy = page.locator("#privacy")
    expect(privacy).to_contain_text("隐私检查发现 1 处可能的个人信息")
    expect(privacy).to_contain_text("手机号码")
    expect(privacy).to_contain_text(f"【{MOBILE}】")
    privacy.get_by_role("button", name=f"遮盖为 {MASKED}").click()
    expect(flash(page)).to_contain_text("已遮盖该信息。")
    expect(page.locator("#privacy")).to_contain_text("隐私检查未发现个人信息。")
    expect(page.get_by_label("做法", exact=True)).to_have_value(re.compile(re.escape(MASKED)))

    # Submit for review.
    page.get_by_role("link", name="提交审核").click()
    expect(page).to_have_url(f"{case_url}/submit")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"提交审核：{TITLE}")
    page.get_by_label("给审核人的说明（选填）").fill("请审核。")
    page.get_by_role("button", name="确认提交审核").click()
    expect(page).to_have_url(case_url)
    expect(flash(page)).to_contain_text("已提交审核")
    expect(page.locator(".case-head .badge")).to_have_text("已提交")
    log_out(page, "李社工")

    # -- The curator returns it with a reason. ----------------------------------------------------
    log_in(page, base, people["curator"])
    page.goto(f"{base}/cases/queue")
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text(ORG_NAME)
    expect(row).to_contain_text("已提交")
    row.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(case_url)
    page.get_by_label("退回原因（单位会看到）").fill(RETURN_REASON)
    page.get_by_label("确认退回给单位修改").check()  # the action bar asks before returning
    page.get_by_role("button", name="退回修改").click()
    expect(flash(page)).to_contain_text("已完成：退回修改。")
    expect(page.locator(".case-head .badge")).to_have_text("退回修改")
    log_out(page, "平台审核人")

    # -- The editor reads the reason, revises and resubmits with a reply. -------------------------
    log_in(page, base, people["editor"])
    page.goto(case_url)
    expect(page.locator(".notice-error")).to_have_text(f"退回修改的原因：{RETURN_REASON}")
    page.get_by_role("link", name="编辑案例", exact=True).click()
    expect(page).to_have_url(f"{case_url}/edit")
    expect(page.get_by_text(RETURN_REASON)).to_be_visible()
    outcomes = page.get_by_label("成效", exact=True)
    outcomes.fill("服务居民 1200 人次，居民满意度由 62% 提升到 95%。")
    page.get_by_role("button", name="保存草稿", exact=True).click()
    expect(flash(page)).to_contain_text("已保存。")
    expect(outcomes).to_have_value("服务居民 1200 人次，居民满意度由 62% 提升到 95%。")

    page.get_by_role("link", name="提交审核").click()
    expect(page).to_have_url(f"{case_url}/submit")
    expect(page.locator(".notice")).to_contain_text(RETURN_REASON)
    page.get_by_label("修改说明（回复审核人）").fill(REPLY)
    page.get_by_role("button", name="确认提交审核").click()
    expect(flash(page)).to_contain_text("已提交审核")
    expect(page.locator("#timeline")).to_contain_text(REPLY)
    log_out(page, "李社工")

    # -- The curator publishes. -------------------------------------------------------------------
    log_in(page, base, people["curator"])
    page.goto(f"{base}/cases/queue")
    page.get_by_role("row").filter(has_text=TITLE).get_by_role("link", name=TITLE).click()
    expect(page.locator("#timeline")).to_contain_text(REPLY)
    page.get_by_label("确认公开发布").check()  # the action bar asks before publishing
    page.get_by_role("button", name="发布", exact=True).click()
    expect(flash(page)).to_contain_text("已完成：发布。")
    log_out(page, "平台审核人")

    # -- An anonymous visitor (fresh context, no cookies) reads it. -------------------------------
    visitor = browser.new_context(locale="zh-CN")
    visitor.set_default_timeout(10_000)
    try:
        anon = visitor.new_page()
        anon.goto(f"{base}/cases")
        card = anon.locator(".case-card").filter(has_text=TITLE)
        expect(card).to_contain_text(ORG_NAME)
        expect(card.get_by_role("link", name="五社联动", exact=True)).to_be_visible()
        card.get_by_role("link", name=TITLE).click()
        expect(anon).to_have_url(case_url)
        expect(anon.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
        body = anon.locator(".case-body")
        for heading in ("背景", "做法", "成效", "经验启示"):
            expect(body.get_by_role("heading", name=heading, exact=True, level=2)).to_be_visible()
        expect(anon.locator("#section-background strong")).to_have_text("32%")
        expect(anon.locator("#section-approach")).to_contain_text(f"楼栋长（电话 {MASKED}）")
        expect(anon.locator("#section-outcomes")).to_contain_text("由 62% 提升到 95%")
        assert MOBILE not in anon.content()
        expect(anon.locator("#timeline")).to_have_count(0)  # the workflow stays internal
        expect(anon.get_by_text(RETURN_REASON)).to_have_count(0)
    finally:
        visitor.close()


def draft_case(live_server, org_id: int, title: str, approach: str) -> int:
    """A draft case of the unit, made through the case services; its id."""
    from portal.cases import services
    from portal.extensions import db
    from portal.orgs.models import Organization

    with live_server.app.app_context():
        org = db.session.get(Organization, org_id)
        case = services.create_case(None, org, services.CaseData(title=title, approach=approach))
        db.session.commit()
        return case.id


def test_markdown_preview_on_the_edit_page(live_server, page, people):
    case_id = draft_case(live_server, people["org_id"], "预览测试", "已有内容。")
    base = live_server.url
    log_in(page, base, people["editor"])
    page.goto(f"{base}/cases/{case_id}/edit")
    textarea = page.get_by_label("做法", exact=True)
    editor = page.locator(".md-editor").filter(has=textarea)
    body = editor.locator(".md-preview-body")
    expect(body).to_be_hidden()

    toggle = editor.get_by_role("button", name="预览")
    toggle.click()  # renders the current text
    expect(body).to_be_visible()
    expect(body.locator("p")).to_have_text("已有内容。")

    toggle.click()  # back to writing
    textarea.press("Control+End")
    textarea.press("Enter")
    textarea.press("Enter")
    textarea.press_sequentially("**粗体** <script>window.pwned = 1</script>")
    toggle.click()
    expect(body.locator("strong")).to_have_text("粗体")
    assert body.inner_html().count("<strong>粗体</strong>") == 1
    expect(body.locator("script")).to_have_count(0)  # cleaned exactly as on the case page
    assert page.evaluate("window.pwned") is None

    # Other sections' previews stay closed and empty.
    background = page.locator(".md-editor").filter(has=page.get_by_label("背景", exact=True))
    expect(background.locator(".md-preview-body")).to_be_empty()
    expect(background.locator(".md-preview-body")).to_be_hidden()


def test_a_destructive_form_asks_first_even_before_the_deferred_scripts_have_run(live_server, page, people):
    """The data-confirm question comes from a script loaded in <head> (static/js/early.js), not
    from the deferred site.js: here site.js never arrives at all, and deleting a draft still
    asks first; declining keeps the case."""
    from portal.cases.models import Case
    from portal.extensions import db

    case_id = draft_case(live_server, people["org_id"], "待删除的草稿", "草稿内容。")
    base = live_server.url
    log_in(page, base, people["editor"])
    page.route("**/static/js/site.js*", lambda route: route.abort())
    page.goto(f"{base}/cases/{case_id}")
    asked = []

    def decline(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    danger = page.locator("form.danger-zone")
    danger.get_by_label("确认删除，无法恢复").check()
    danger.get_by_role("button", name="删除案例").click()
    expect(page).to_have_url(f"{base}/cases/{case_id}")
    assert asked and asked[0].endswith("确定删除吗？")
    with live_server.app.app_context():
        assert db.session.get(Case, case_id) is not None, "declined: nothing deleted"
