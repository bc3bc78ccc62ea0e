"""Writing for people who are not programmers (issue 12 §5): every Markdown textarea gets the editor
toolbar; its preview is the server's own rendering (login, CSRF token, rate limit, size limit) and
shows exactly what the saved page will; the case form says what its buttons do.

CSRF protection is on here, as in production: the preview is a POST made by a script.
"""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import csrf_token
from tests.test_case_permissions import make_png
from tests.test_case_workflow import PDF

DEMO_PASSWORD = "demo-password-2026"
TRICKY = (
    "### 议事规则\n\n"
    "居民**自己定规则**，社工*只做协调*。<script>alert('x')</script>\n\n"
    "- 每月一次议事会\n- 会前公示议题\n\n"
    "1. 收集意见\n2. 协商表决\n\n"
    "| 项目 | 说明 |\n| --- | --- |\n| 议事会 | 每月一次 |\n\n"
    "> 让居民说了算。\n\n"
    "[查看办法](javascript:alert(1)) [民政部](https://www.mca.gov.cn/) "
    "<a href=\"javascript:alert(2)\" onclick=\"alert(3)\">点这里</a>\n\n"
    "<img src=\"https://evil.example/a.png\" onerror=\"alert(4)\"> ![现场](/uploads/abc.png)"
)


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def world(app, factory, snapshot):
    def build():
        from portal.cases import services
        from portal.cases.models import Case
        from portal.extensions import db

        _, editor = factory.user("editor@example.org", "李社工")
        org = factory.org(editor, name="花溪区阳光社会工作服务中心")
        _, reader = factory.user("reader@example.org", "读者")
        draft = factory.case(org, "议事会草稿", status="draft")
        published = factory.case(org, "已发布的案例", status="published")
        with app.app_context():
            case = db.session.get(Case, draft)
            services.add_attachment(None, case, "议事会现场.png", make_png())
            services.add_attachment(None, case, "议事规则.pdf", PDF)
            db.session.commit()
            stored = [a.stored_name for a in case.attachments]
        return {"editor": editor, "reader": reader, "draft": draft, "published": published, "stored": stored}

    return snapshot(build)


def page_of(response) -> str:
    return response.get_data(as_text=True)


def preview(client, text, *, token: str | None = "page", via_header=False, path="/cases/new"):
    """POST to the preview as editor.js does (token from the page, JSON asked for)."""
    if token == "page":
        token = csrf_token(client, path)
    data, headers = {"text": text}, {"Accept": "application/json"}
    if token and via_header:
        headers["X-CSRFToken"] = token
    elif token:
        data["csrf_token"] = token
    return client.post("/markdown/preview", data=data, headers=headers)


def section_html(page: str, name: str) -> str:
    match = re.search(rf'<section id="section-{name}">\s*<h2>[^<]*</h2>\s*(.*?)\s*</section>', page, re.S)
    assert match, f"no section {name} on the page"
    return match.group(1).strip()


def edit_form(page: str) -> dict:
    from tests.test_case_workflow import browser_form

    return browser_form(page)


# The preview endpoint ------------------------------------------------------------------------------

def test_the_preview_is_only_for_logged_in_users(client, world):
    token = csrf_token(client, "/auth/login")
    response = preview(client, "**你好**", token=token)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


def test_the_preview_needs_the_pages_csrf_token(client, auth, world):
    auth.login(world["editor"])
    for token in (None, "forged-token"):
        response = preview(client, "**你好**", token=token)
        assert response.status_code == 400
        assert response.is_json and "安全令牌" in response.get_json()["error"]["message"]
    for via_header in (False, True):
        response = preview(client, "**你好**", via_header=via_header)
        assert response.status_code == 200
        assert response.get_json() == {"html": "<p><strong>你好</strong></p>"}


def test_the_preview_is_sanitised_and_identical_to_the_saved_case_page(client, auth, world):
    auth.login(world["editor"])
    case_id = world["draft"]
    form = edit_form(page_of(client.get(f"/cases/{case_id}/edit")))
    typed = "\r\n  " + TRICKY.replace("\n", "\r\n") + "  \r\n"  # as a browser sends the textarea
    form["approach"] = typed
    assert client.post(f"/cases/{case_id}/edit", data=form).status_code == 302

    shown = preview(client, typed)
    assert shown.status_code == 200
    rendered = shown.get_json()["html"]
    assert rendered == section_html(page_of(client.get(f"/cases/{case_id}")), "approach")

    assert "<h3>议事规则</h3>" in rendered
    assert "<strong>自己定规则</strong>" in rendered and "<em>只做协调</em>" in rendered
    assert "<li>每月一次议事会</li>" in rendered and "<ol>" in rendered and "<table>" in rendered
    assert "<blockquote>" in rendered and 'href="https://www.mca.gov.cn/"' in rendered
    assert '<img alt="现场" src="/uploads/abc.png">' in rendered  # the site's own uploads only
    lowered = html.unescape(rendered).lower()
    for bad in ("<script", "javascript:", "onclick", "onerror", "evil.example"):
        assert bad not in lowered, bad


def test_the_preview_refuses_oversized_text_in_chinese(client, auth, world):
    from portal.editor.services import MAX_PREVIEW_CHARS

    auth.login(world["editor"])
    response = preview(client, "字" * (MAX_PREVIEW_CHARS + 1))
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert "内容太长" in message and f"{MAX_PREVIEW_CHARS}" in message
    # the longest text a form stores (session minutes) still previews
    assert preview(client, "字" * MAX_PREVIEW_CHARS).status_code == 200


def test_the_preview_is_rate_limited_per_user(app, client, auth, world):
    app.config["PREVIEW_RATE_LIMIT"] = "3 per minute"
    auth.login(world["editor"])
    token = csrf_token(client, "/cases/new")
    assert [preview(client, "一", token=token).status_code for _ in range(3)] == [200, 200, 200]
    refused = preview(client, "一", token=token)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["message"] == "操作过于频繁，请稍后再试。"


# Which textareas get the toolbar -------------------------------------------------------------------

def marked_textareas(page: str) -> tuple[list[str], list[str]]:
    """(names of the textareas with the editor marker, names of those without)."""
    marked, plain = [], []
    for attrs in re.findall(r"<textarea\b([^>]*)>", page):
        name = re.search(r'name="([^"]+)"', attrs).group(1)
        (marked if re.search(r"\bdata-markdown-editor\b", attrs) else plain).append(name)
    return marked, plain


def loads_editor(page: str) -> bool:
    return 'id="md-editor-template"' in page and "/static/js/editor.js" in page


@pytest.fixture
def demo(app, snapshot):
    """The demo data: a published case with expert comments and discussion, sessions, experts."""
    def build():
        from sqlalchemy import func, select

        from portal.cases.models import Case
        from portal.demo import seed_demo
        from portal.extensions import db
        from portal.sessions.models import SharingSession

        with app.test_request_context():
            seed_demo()
            db.session.commit()
            ids = {"case": db.session.scalar(select(func.min(Case.id)).where(Case.status == "published")),
                   "session": db.session.scalar(select(func.min(SharingSession.id)))}
            db.session.remove()
        return ids

    return snapshot(build, "demo")


PAGES = [
    # who                         page                              Markdown textareas              plain ones
    ("unit.editor",    "/cases/new",                ["background", "approach", "outcomes", "lessons", "problems"], ["summary"]),
    ("reader",         "/cases/{case}",             ["body", "body", "body"], []),  # new comment, two replies
    ("tongren.admin",  "/cases/{case}/adoption",    ["changes", "results"], []),
    ("reader",         "/orgs/apply",               ["introduction"], []),
    ("expert.zhou",    "/experts/me/edit",          ["bio"], []),
    ("expert.zhou",    "/auth/account",             ["expert-bio"], []),
    ("admin",          "/admin/events/new",         ["description"], ["co_organizers"]),
    ("admin",          "/admin/series/new",         ["description"], []),
    ("admin",          "/admin/sessions/new",       ["description"], []),
    ("admin",          "/admin/sessions/{session}/close", ["minutes"], []),
]


@pytest.mark.parametrize(("who", "path", "markdown", "plain"), PAGES, ids=[f"{p[0]} {p[1]}" for p in PAGES])
def test_every_markdown_textarea_gets_the_editor(client, auth, demo, who, path, markdown, plain):
    auth.login(f"{who}@demo.example.org", password=DEMO_PASSWORD)
    response = client.get(path.format(**demo))
    assert response.status_code == 200
    page = page_of(response)
    marked, unmarked = marked_textareas(page)
    assert marked == markdown
    assert [name for name in unmarked if name != "reason"] == plain  # reasons for reports are plain text
    assert loads_editor(page)


def test_pages_without_markdown_textareas_do_not_load_the_editor(client, auth, demo):
    assert not loads_editor(page_of(client.get("/about")))
    auth.login("reader@demo.example.org", password=DEMO_PASSWORD)
    assert not loads_editor(page_of(client.get("/cases")))


def test_the_toolbar_texts_are_chinese_and_each_button_says_what_it_does(client, auth, world):
    auth.login(world["editor"])
    page = page_of(client.get("/cases/new"))
    toolbar = page[page.index('id="md-editor-template"'):page.index("</template>")]
    buttons = [(re.search(r'data-md="(\w+)"', attrs).group(1), re.search(r'title="([^"]*)"', attrs).group(1), label)
               for attrs, label in re.findall(r'<button type="button" ((?:[^>"]|"[^"]*")*)>([^<]+)</button>', toolbar)]
    assert [(action, label) for action, _title, label in buttons] == [
        ("heading", "标题"), ("bold", "加粗"), ("italic", "斜体"), ("ul", "无序列表"), ("ol", "有序列表"),
        ("link", "链接"), ("table", "表格"), ("quote", "引用"), ("image", "插入图片"), ("preview", "预览")]
    assert all(title.strip() for _action, title, _label in buttons)
    assert 'data-preview-url="/markdown/preview"' in toolbar


# The case editor -----------------------------------------------------------------------------------

def test_the_image_menu_lists_the_cases_images_at_addresses_the_renderer_keeps(client, auth, world):
    auth.login(world["editor"])
    page = page_of(client.get(f"/cases/{world['draft']}/edit"))
    raw = re.search(r"data-markdown-images='([^']*)'", page).group(1)
    import json

    images = json.loads(html.unescape(raw))
    png = next(name for name in world["stored"] if name.endswith(".png"))
    assert images == [{"name": "议事会现场.png", "url": f"/uploads/{png}"}]  # the PDF is not offered
    shown = preview(client, f"![议事会现场]({images[0]['url']})", path=f"/cases/{world['draft']}/edit")
    assert shown.get_json()["html"] == f'<p><img alt="议事会现场" src="/uploads/{png}"></p>'
    # the new-case form has no images yet, and says so through the editor
    assert "data-markdown-images-after-save" in page_of(client.get("/cases/new"))


def test_the_case_form_says_new_or_edit_and_offers_to_save_and_submit(app, client, auth, world):
    from tests.test_case_workflow import case_form

    auth.login(world["editor"])
    new = page_of(client.get("/cases/new"))
    assert "<h1>新建案例</h1>" in new and "发布案例</h1>" not in new
    assert ">保存草稿</button>" in new
    assert 'name="then" value="submit" class="button button-secondary">保存并提交审核</button>' in new

    # 保存草稿 stays on the editor; 保存并提交审核 saves, then opens the submit check.
    response = client.post("/cases/new", data={**case_form(), "csrf_token": csrf_token(client, "/cases/new")})
    edit_path = urlsplit(response.headers["Location"]).path
    assert re.fullmatch(r"/cases/\d+/edit", edit_path)
    case_id = int(edit_path.split("/")[2])
    edit = page_of(client.get(edit_path))
    assert "<h1>编辑案例</h1>" in edit and "保存并提交审核" in edit
    form = {**edit_form(edit), "then": "submit"}
    response = client.post(edit_path, data=form)
    assert urlsplit(response.headers["Location"]).path == f"/cases/{case_id}/submit"
    submit_page = page_of(client.get(f"/cases/{case_id}/submit"))
    assert "确认提交审核" in submit_page

    # A published case is not a draft: one button, 保存修改.
    published = page_of(client.get(f"/cases/{world['published']}/edit"))
    assert ">保存修改</button>" in published
    assert ">保存草稿</button>" not in published and ">保存并提交审核</button>" not in published


# Form controls ----------------------------------------------------------------------------------

def test_the_required_star_sits_with_its_label_and_checkbox_lists_are_groups(client, auth, world):
    auth.login(world["editor"])
    page = page_of(client.get("/cases/new"))
    assert re.search(r'<div class="field-label"><label for="title">标题</label> '
                     r'<span class="required" aria-hidden="true">\*</span></div>', page)
    group = re.search(r'<span class="label" id="themes-label">主题</span>\s*'
                      r'<div class="checkbox-grid" role="group" aria-labelledby="themes-label">\s*<ul id="themes">', page)
    assert group, "the themes are a labelled group of checkboxes"
