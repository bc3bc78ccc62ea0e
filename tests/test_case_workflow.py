"""The case library, told as the stories its users live through: a unit writes a case, fixes what
the form refuses, clears the privacy check, submits; the curator returns it with a reason, the unit
answers and resubmits, the curator publishes; visitors browse and filter the library; editing a
published case keeps versions; the curator maintains the theme vocabulary; files are checked,
served safely and removed with their case."""
from __future__ import annotations

import html
import io
import re
import struct
import zlib
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# One app per backend for the module (tests/conftest.py resets its configuration, rate limits,
# caches and counted visitors between tests).
SHARED_APP = True

UNIT_NAME = "贵阳市阳光社工服务中心"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(body17: str) -> str:
    """A resident ID number with a valid GB 11643 check character."""
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, WEIGHTS)) % 11]


def make_png() -> bytes:
    def chunk(tag: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


PNG = make_png()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def case_form(**overrides) -> dict:
    """What a unit types into the new-case form."""
    form = {
        "title": "“五社联动”激活老旧小区议事会",
        "summary": "花果园社区以议事会为平台，联动社工、志愿者和社区社会组织解决加装电梯难题。",
        "background": "花果园社区是典型的老旧小区，老年居民多，上下楼难。",
        "approach": "社工站牵头组建居民议事会，每月组织一次议事会，逐栋协商加装电梯方案。",
        "outcomes": "两年内 12 栋楼完成加装电梯，服务覆盖 300 户。",
        "lessons": "先议事、后施工，让居民自己定规则。",
        "problems": "资金筹措仍依赖政府补贴。",
        "themes": ["五社联动", "社工站建设"],
        "tags": "甲、乙",
        "province": "贵州省", "city": "贵阳市", "county": "南明区", "community": "花果园社区",
        "community_type": "城市社区",
        "started_on": "2021-03-01", "ended_on": "2023-06-30",
        "partners": "南明区民政局、贵州大学社会工作系",
        "beneficiaries": "1200",
        "funding_source": "政府购买服务",
        "contact": "王老师 0851-85550000",
    }
    form.update(overrides)
    return form


# Helpers ------------------------------------------------------------------------------------

def page_of(response) -> str:
    return response.get_data(as_text=True)


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def text_of(page: str) -> str:
    """The page as a reader sees it: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def section(page: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', page, re.S)
    return match.group(0) if match else ""


def flashes(page: str) -> str:
    return " ".join(re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page, re.S))


def login(auth, email):
    auth.logout()
    response = auth.login(email)
    assert response.status_code == 302, "login should succeed"


def in_db(app, fn):
    """Run ``fn(session)`` in a fresh app context, as a separate observer of what was saved."""
    from portal.extensions import db

    with app.app_context():
        try:
            return fn(db.session)
        finally:
            db.session.remove()


def case_row(app, case_id) -> dict | None:
    """The saved case as plain data (None once deleted)."""
    from portal.cases.models import Case
    from portal.cases.services import snapshot

    def read(s):
        case = s.get(Case, case_id)
        if case is None:
            return None
        return {**snapshot(case), "status": case.status, "featured": case.featured,
                "versions": len(case.versions), "attachments": [a.original_name for a in case.attachments],
                "stored": [a.stored_name for a in case.attachments], "cover": case.cover_id,
                "decisions": [(d.kind, d.masked_value, d.decided_by.display_name if d.decided_by else None)
                              for d in case.privacy_decisions],
                "transitions": [(t.from_status, t.to_status, t.reason) for t in case.transitions]}

    return in_db(app, read)


def case_count(app) -> int:
    from portal.cases.models import Case

    return in_db(app, lambda s: s.query(Case).count())


def theme_id(app, name) -> int:
    from portal.cases.models import Theme

    return in_db(app, lambda s: s.query(Theme).filter_by(name=name).one().id)


def uploaded_files(app) -> list[str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


class _FormReader(HTMLParser):
    """Reads the case form's fields the way a browser submits them (document order,
    checked boxes only, the selected option, textarea newlines sent as CRLF)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea = None
        self._select = None
        self._option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "case-form":
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = [a["name"], ""]
        elif tag == "select":
            self._select = [a["name"], None, None]  # name, first option, selected option
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            name, value = self._textarea
            value = value.replace("\r\n", "\n").replace("\r", "\n")
            if value.startswith("\n"):  # HTML drops the line break right after <textarea>
                value = value[1:]
            value = value.replace("\n", "\r\n")
            self.fields.append((name, value))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, first, selected = self._select
            self.fields.append((name, selected if selected is not None else (first or "")))
            self._select = None


def browser_form(page: str) -> dict:
    """The case form on ``page`` as a browser would submit it, unchanged."""
    reader = _FormReader()
    reader.feed(page)
    form: dict = {}
    for name, value in reader.fields:
        if name == "themes":
            form.setdefault("themes", []).append(value)
        else:
            form[name] = value
    form.setdefault("themes", [])
    return form


def finding_keys(page: str) -> dict[str, str]:
    """kind -> the key of the privacy finding, read from the page's hidden inputs."""
    keys = re.findall(r'name="key" value="([^"]+)"', page)
    return {key.split(":")[0]: key for key in keys}


# The world ------------------------------------------------------------------------------------

@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def build_world(app, factory):
    """A verified unit (管理员 + 编辑), the curator, a practitioner outside any unit."""
    emails = {}
    for role, name in {"org_admin": "单位管理员", "editor": "单位编辑", "curator": "平台管理员",
                       "practitioner": "实务工作者"}.items():
        _id, emails[role] = factory.user(f"{role}@example.org", name, admin=role == "curator")
    unit = factory.org(emails["org_admin"], name=UNIT_NAME)
    factory.member(unit, emails["editor"], "editor")
    return {**emails, "unit": unit}


def service_case(app, world, title, *, status="published", featured=False, **fields) -> int:
    """A case built through the services (as imports and the CLI do), moved to ``status``."""
    from portal.auth.services import get_user_by_email
    from portal.cases import services
    from portal.extensions import db
    from portal.orgs.models import Organization

    data = dict(title=title, summary=f"{title}的摘要", background="背景", approach="做法", outcomes="成效",
                lessons="经验", themes=["五社联动"], tags=[], province="贵州省", city="贵阳市",
                community_type="城市社区", started_on=date(2022, 3, 1))
    data.update(fields)
    steps = {"draft": [], "submitted": ["submit"], "published": ["submit", "publish"],
             "archived": ["submit", "publish", "archive"]}[status]
    with app.app_context():
        curator = get_user_by_email(world["curator"])
        case = services.create_case(get_user_by_email(world["editor"]), db.session.get(Organization, world["unit"]),
                                    services.CaseData(**data))
        for action in steps:
            services.transition(None if action == "submit" else curator, case, action)
        if featured:
            services.set_featured(curator, case, True)
        db.session.commit()
        case_id = case.id
        db.session.remove()
    return case_id


def create_through_form(client, **overrides) -> int:
    response = client.post("/cases/new", data=case_form(**overrides))
    assert response.status_code == 302, page_of(response)[:2000]
    match = re.fullmatch(r"/cases/(\d+)/edit", path_of(response))
    assert match, response.headers["Location"]
    return int(match.group(1))


# Writing a case ---------------------------------------------------------------------------------

def test_an_editor_writes_a_case_and_it_is_saved_as_a_draft_only_the_unit_sees(app, client, auth, world):
    login(auth, world["editor"])
    form_page = page_of(client.get("/cases/new"))
    assert "<h1>新建案例</h1>" in form_page and 'value="五社联动"' in form_page

    case_id = create_through_form(client)
    edit = page_of(client.get(f"/cases/{case_id}/edit"))
    assert "草稿已保存" in flashes(edit)
    assert "必填内容已齐全" in edit and "隐私检查未发现个人信息" in edit

    saved = case_row(app, case_id)
    assert saved["status"] == "draft"
    assert saved["themes"] == ["五社联动", "社工站建设"]
    assert saved["tags"] == sorted(["甲", "乙"])
    assert (saved["province"], saved["city"], saved["county"], saved["community"]) == \
        ("贵州省", "贵阳市", "南明区", "花果园社区")
    assert (saved["started_on"], saved["ended_on"], saved["beneficiaries"]) == ("2021-03-01", "2023-06-30", 1200)
    assert saved["contact"] == "王老师 0851-85550000"

    show = page_of(client.get(f"/cases/{case_id}"))
    assert "草稿" in show and "“五社联动”激活老旧小区议事会" in text_of(show)
    assert "贵州省 贵阳市 南明区 花果园社区" in text_of(show)
    assert "1,200 人" in text_of(show)
    assert "“五社联动”激活老旧小区议事会" in page_of(client.get("/cases/mine"))
    # Not in the public library, and not for anyone outside the unit.
    assert "激活老旧小区议事会" not in page_of(client.get("/cases"))
    login(auth, world["practitioner"])
    assert client.get(f"/cases/{case_id}").status_code == 404
    auth.logout()
    assert client.get(f"/cases/{case_id}").status_code == 404


BAD_INPUT = [
    pytest.param({"summary": "长" * 301}, "摘要", "摘要不能超过 300 个字符", "长" * 301, id="summary-too-long"),
    pytest.param({"province": "火星省"}, "省级行政区", "不是有效的选择", None, id="unknown-province"),
    pytest.param({"started_on": "2023-05-01", "ended_on": "2023-01-01"}, "结束日期", "结束日期不能早于开始日期",
                 'value="2023-01-01"', id="ends-before-it-starts"),
    pytest.param({"beneficiaries": "-5"}, "受益居民人数", "不能为负数", 'value="-5"', id="negative-beneficiaries"),
    pytest.param({"themes": ["五社联动", "星际治理"]}, "主题", "未知主题：星际治理", None, id="unknown-theme"),
    pytest.param({"tags": "、".join(f"标签{i}" for i in range(11))}, "标签", "标签最多 10 个",
                 "、".join(f"标签{i}" for i in range(11)), id="eleven-tags"),
]


@pytest.mark.parametrize(("overrides", "label", "message", "kept"), BAD_INPUT)
def test_bad_input_is_refused_in_chinese_naming_the_field_and_keeps_what_was_typed(
        app, client, auth, world, overrides, label, message, kept):
    login(auth, world["editor"])
    response = client.post("/cases/new", data=case_form(title="我的第一个案例", **overrides))
    page = page_of(response)
    assert response.status_code == 422
    summary = text_of(re.search(r'<div class="form-summary".*?</div>', page, re.S).group(0))
    assert f"{label}：" in summary and message in summary, summary
    assert re.search(r'<p class="error"[^>]*>[^<]*' + re.escape(message), page), "shown next to the field too"
    # Everything typed is still there, the bad value included.
    assert 'value="我的第一个案例"' in page
    assert "每月组织一次议事会" in page
    assert 'value="王老师 0851-85550000"' in page
    if kept:
        assert kept in page
    assert case_count(app) == 0


def test_a_retired_theme_cannot_be_chosen_for_a_new_case(app, client, auth, world):
    login(auth, world["curator"])
    client.post(f"/admin/themes/{theme_id(app, '社工站建设')}", data={"retired": "1"})
    login(auth, world["editor"])
    response = client.post("/cases/new", data=case_form())
    assert response.status_code == 422
    assert "主题“社工站建设”已停用，不能再选择。" in page_of(response)
    assert case_count(app) == 0


# Completeness and privacy -------------------------------------------------------------------------

def test_an_incomplete_case_lists_what_is_missing_and_cannot_be_submitted(app, client, auth, world):
    login(auth, world["editor"])
    empty = dict.fromkeys(("summary", "background", "approach", "outcomes", "lessons", "problems", "province",
                           "city", "county", "community", "community_type", "started_on", "ended_on",
                           "beneficiaries"), "")
    case_id = create_through_form(client, title="只写了标题", themes=[], tags="", **empty)

    expected = ["摘要", "背景", "做法", "成效", "经验启示", "至少一个主题", "地区（省级行政区和城市）", "社区类型"]
    submit_page = page_of(client.get(f"/cases/{case_id}/submit"))
    listed = re.findall(r"<li>(.*?)</li>", re.search(r'<ul class="missing-list">(.*?)</ul>', submit_page, re.S)[1])
    assert listed == expected
    assert "确认提交审核" not in submit_page
    # The edit page says the same.
    edit = page_of(client.get(f"/cases/{case_id}/edit"))
    assert re.findall(r"<li>(.*?)</li>", re.search(r'<ul class="missing-list">(.*?)</ul>', edit, re.S)[1]) == expected

    # Submitting anyway (e.g. from an old tab) is refused with the list, and nothing changes.
    response = client.post(f"/cases/{case_id}/submit", data={"reason": ""})
    assert "还缺少以下内容，补全后才能提交：" + "、".join(expected) in flashes(page_of(response))
    assert case_row(app, case_id)["status"] == "draft"
    # The workflow button on the case page leads to the same check.
    response = client.post(f"/cases/{case_id}/transition", data={"action": "submit"})
    assert path_of(response) == f"/cases/{case_id}/submit"
    assert case_row(app, case_id)["status"] == "draft"
    assert case_row(app, case_id)["transitions"] == []


def test_privacy_findings_are_shown_masked_or_confirmed_and_then_the_case_can_be_submitted(app, client, auth, world):
    resident_id = id_number("11010519491231002")
    assert resident_id == "11010519491231002X"
    login(auth, world["editor"])
    case_id = create_through_form(
        client,
        background=f"独居老人张某（身份证号 {resident_id}）主动求助。",
        approach="社工留下联系电话 13812345678，每周回访一次。",
        outcomes="回访电话 13812345678 已转交网格员。",
        lessons="意见统一发到机构公开邮箱 service@sunshine-sw.org 汇总。")

    page = page_of(client.get(f"/cases/{case_id}/submit"))
    found = text_of(section(page, "privacy"))
    assert "身份证号" in found and "手机号码" in found and "电子邮箱" in found
    assert f"独居老人张某（身份证号 【{resident_id}】）主动求助" in found
    assert "社工留下联系电话 【13812345678】，每周回访一次" in found
    assert "回访电话 【13812345678】 已转交网格员" in found
    assert "机构公开邮箱 【service@sunshine-sw.org】 汇总" in found
    assert "遮盖为 138****5678" in found
    assert "确认提交审核" not in page
    keys = finding_keys(page)
    assert set(keys) == {"id_card", "mobile", "email"}

    # Submitting now is refused: four findings are open (the mobile number appears twice).
    response = client.post(f"/cases/{case_id}/submit", data={"reason": ""})
    assert "隐私检查发现 4 处可能的个人信息" in flashes(page_of(response))
    assert case_row(app, case_id)["status"] == "draft"

    # Mask the mobile number: it is replaced in every field where it appears.
    response = client.post(f"/cases/{case_id}/privacy",
                           data={"key": keys["mobile"], "decision": "mask", "back": "submit"})
    assert path_of(response) == f"/cases/{case_id}/submit"
    page = page_of(client.get(response.headers["Location"]))
    assert "已遮盖该信息" in flashes(page)
    saved = case_row(app, case_id)
    assert saved["approach"] == "社工留下联系电话 138****5678，每周回访一次。"
    assert saved["outcomes"] == "回访电话 138****5678 已转交网格员。"
    assert not any("13812345678" in str(v) for v in saved.values())
    assert "mobile" not in finding_keys(page)

    # The public mailbox is not personal data: the unit says so, and it is recorded.
    client.post(f"/cases/{case_id}/privacy", data={"key": keys["email"], "decision": "confirm", "back": "submit"})
    saved = case_row(app, case_id)
    assert saved["decisions"] == [("email", "s***@sunshine-sw.org", "单位编辑")]
    assert "service@sunshine-sw.org" in saved["lessons"]
    page = page_of(client.get(f"/cases/{case_id}/submit"))
    assert set(finding_keys(page)) == {"id_card"}
    assert "service@sunshine-sw.org" not in text_of(section(page, "privacy"))

    # Still one open finding: still refused.
    response = client.post(f"/cases/{case_id}/submit", data={"reason": ""})
    assert "隐私检查发现 1 处可能的个人信息" in flashes(page_of(response))
    assert case_row(app, case_id)["status"] == "draft"

    # Mask the ID number from the edit page.
    response = client.post(f"/cases/{case_id}/privacy", data={"key": keys["id_card"], "decision": "mask"})
    assert path_of(response) == f"/cases/{case_id}/edit"
    background = case_row(app, case_id)["background"]
    assert re.fullmatch(r"独居老人张某（身份证号 110105\*{8}\d{3}[\dX]）主动求助。", background)
    assert resident_id not in background

    page = page_of(client.get(f"/cases/{case_id}/submit"))
    assert "未发现个人信息" in page and "确认提交审核" in page
    response = client.post(f"/cases/{case_id}/submit", data={"reason": "请审核"})
    assert path_of(response) == f"/cases/{case_id}"
    assert "已提交审核" in flashes(page_of(client.get(f"/cases/{case_id}")))
    assert case_row(app, case_id)["status"] == "submitted"


def test_a_stale_privacy_button_is_refused_without_changing_anything(app, client, auth, world):
    login(auth, world["editor"])
    case_id = create_through_form(client, approach="社工留下联系电话 13812345678，每周回访一次。")
    key = finding_keys(page_of(client.get(f"/cases/{case_id}/submit")))["mobile"]
    client.post(f"/cases/{case_id}/privacy", data={"key": key, "decision": "mask"})
    before = case_row(app, case_id)
    # The same button pressed again in another tab: the finding is gone.
    response = client.post(f"/cases/{case_id}/privacy", data={"key": key, "decision": "confirm"})
    assert "该项已处理或不存在" in flashes(page_of(client.get(response.headers["Location"])))
    assert case_row(app, case_id) == before


# The editorial workflow ------------------------------------------------------------------------------

def test_returned_with_a_reason_answered_resubmitted_and_published(app, client, auth, world):
    login(auth, world["editor"])
    case_id = create_through_form(client)
    client.post(f"/cases/{case_id}/submit", data={"reason": ""})
    title = case_form()["title"]

    # The curator finds it in the queue, starts the review and returns it with a reason.
    login(auth, world["curator"])
    assert title in page_of(client.get("/cases/queue"))
    client.post(f"/cases/{case_id}/transition", data={"action": "start_review"})
    response = client.post(f"/cases/{case_id}/transition",
                           data={"action": "return", "reason": "请补充加装电梯前后居民出行情况的对比数据。"})
    assert "已完成：退回修改" in flashes(page_of(client.get(response.headers["Location"])))
    assert case_row(app, case_id)["status"] == "returned"
    assert title not in page_of(client.get("/cases/queue"))

    # The unit sees why, on the case page, the edit page and the submit page.
    login(auth, world["editor"])
    show = text_of(page_of(client.get(f"/cases/{case_id}")))
    assert "退回修改的原因： 请补充加装电梯前后居民出行情况的对比数据。" in show
    edit_page = page_of(client.get(f"/cases/{case_id}/edit"))
    assert "审核人退回的原因： 请补充加装电梯前后居民出行情况的对比数据。" in text_of(edit_page)
    submit_page = page_of(client.get(f"/cases/{case_id}/submit"))
    assert "请补充加装电梯前后居民出行情况的对比数据" in submit_page and "修改说明（回复审核人）" in submit_page

    # It answers: edits the outcomes, then resubmits with a reply.
    form = browser_form(edit_page)
    form["outcomes"] = "两年内 12 栋楼完成加装电梯；老人每周下楼次数从 1 次增至 4 次。"
    assert client.post(f"/cases/{case_id}/edit", data=form).status_code == 302
    response = client.post(f"/cases/{case_id}/submit", data={"reason": "已补充出行次数的前后对比。"})
    assert path_of(response) == f"/cases/{case_id}"
    assert case_row(app, case_id)["status"] == "submitted"

    # The timeline tells the whole story with who did what and why.
    timeline = text_of(section(page_of(client.get(f"/cases/{case_id}")), "timeline"))
    assert "创建草稿 · 单位编辑" in timeline
    assert "草稿 → 已提交 · 单位编辑" in timeline
    assert "已提交 → 审核中 · 平台管理员" in timeline
    assert "审核中 → 退回修改 · 平台管理员 请补充加装电梯前后居民出行情况的对比数据。" in timeline
    assert "退回修改 → 已提交 · 单位编辑 已补充出行次数的前后对比。" in timeline
    assert timeline.index("审核中 → 退回修改") < timeline.index("退回修改 → 已提交")

    # Published: it is in the library and on the unit's page.
    login(auth, world["curator"])
    client.post(f"/cases/{case_id}/transition", data={"action": "publish"})
    assert case_row(app, case_id)["status"] == "published"
    auth.logout()
    assert title in page_of(client.get("/cases"))
    assert title in page_of(client.get(f"/orgs/{world['unit']}"))

    # Visitors read the case, but neither the workflow record nor the contact.
    show = page_of(client.get(f"/cases/{case_id}"))
    assert "老人每周下楼次数从 1 次增至 4 次" in show
    assert section(show, "timeline") == "" and "流程记录" not in show
    assert "请补充加装电梯前后居民出行情况" not in show and "已补充出行次数" not in show
    assert "登录后可见" in show and "0851-85550000" not in show
    assert path_of(client.get(f"/cases/{case_id}/history")) == "/auth/login"
    # A logged-in practitioner sees the contact, still not the timeline.
    login(auth, world["practitioner"])
    show = page_of(client.get(f"/cases/{case_id}"))
    assert "王老师 0851-85550000" in show and "登录后可见" not in show
    assert "流程记录" not in show and "请补充加装电梯前后居民出行情况" not in show
    assert client.get(f"/cases/{case_id}/history").status_code == 404


def test_returning_without_a_reason_is_refused(app, client, auth, world):
    case_id = service_case(app, world, "待审案例", status="submitted")
    login(auth, world["curator"])
    response = client.post(f"/cases/{case_id}/transition", data={"action": "return", "reason": "   "})
    assert "退回时必须写明需要修改的地方" in flashes(page_of(client.get(response.headers["Location"])))
    assert case_row(app, case_id)["status"] == "submitted"


def test_the_unit_withdraws_a_submission_and_can_edit_it_again(app, client, auth, world):
    case_id = service_case(app, world, "想撤回的案例", status="submitted")
    login(auth, world["editor"])
    response = client.post(f"/cases/{case_id}/transition", data={"action": "withdraw"})
    assert "已完成：撤回提交" in flashes(page_of(client.get(response.headers["Location"])))
    assert case_row(app, case_id)["status"] == "draft"
    login(auth, world["curator"])
    assert "想撤回的案例" not in page_of(client.get("/cases/queue"))


def test_archived_cases_leave_the_library_and_come_back_when_restored(app, client, auth, world):
    case_id = service_case(app, world, "将被归档的案例", featured=True)
    login(auth, world["curator"])
    client.post(f"/cases/{case_id}/transition", data={"action": "archive"})
    assert (case_row(app, case_id)["status"], case_row(app, case_id)["featured"]) == ("archived", False)
    auth.logout()
    assert "将被归档的案例" not in page_of(client.get("/cases"))
    assert client.get(f"/cases/{case_id}").status_code == 404
    login(auth, world["curator"])
    client.post(f"/cases/{case_id}/transition", data={"action": "restore"})
    auth.logout()
    assert "将被归档的案例" in page_of(client.get("/cases"))


# Versions -------------------------------------------------------------------------------------------

def test_editing_a_published_case_keeps_a_version_and_history_shows_the_change(app, client, auth, world):
    case_id = service_case(app, world, "议事会案例", approach="社工站每月组织一次议事会。")
    login(auth, world["editor"])
    edit_page = page_of(client.get(f"/cases/{case_id}/edit"))
    assert "每次保存都会保留上一个版本" in edit_page

    form = browser_form(edit_page)
    form["approach"] = "社工站每周组织一次议事会。"
    response = client.post(f"/cases/{case_id}/edit", data=form)
    assert "已保存" in flashes(page_of(client.get(response.headers["Location"])))
    saved = case_row(app, case_id)
    assert (saved["versions"], saved["approach"], saved["status"]) == (1, "社工站每周组织一次议事会。", "published")

    history_page = page_of(client.get(f"/cases/{case_id}/history"))
    assert "第 1 版" in history_page and "单位编辑" in history_page
    diff = page_of(client.get(f"/cases/{case_id}/history?a=1&b=0"))
    body = re.search(r'<section class="diff">.*?</section>', diff, re.S).group(0)
    assert "<h3>做法</h3>" in body
    assert "社工站每<del>月</del><ins>周</ins>组织一次议事会。" in body
    assert "<h3>标题</h3>" not in body  # only what changed

    # Markup typed into the text is shown as text in the comparison, never run.
    form["lessons"] = "经验<script>alert(1)</script>"
    client.post(f"/cases/{case_id}/edit", data=form)
    assert case_row(app, case_id)["versions"] == 2
    body = page_of(client.get(f"/cases/{case_id}/history?a=2&b=0"))
    assert "经验<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in body
    assert "<script>alert(1)" not in body

    # The published page shows the new text right away (and the script is cleaned out).
    auth.logout()
    show = page_of(client.get(f"/cases/{case_id}"))
    assert "社工站每周组织一次议事会。" in show and "<script>alert(1)" not in show


def test_saving_without_changes_keeps_no_version(app, client, auth, world):
    # Built like imported cases are: multi-line text with plain newlines, tags and two themes.
    case_id = service_case(app, world, "原样保存的案例", approach="第一段。\n\n第二段：\n- 要点一\n- 要点二",
                           themes=["五社联动", "社工站建设"], tags=["议事", "加装电梯"], beneficiaries=80,
                           ended_on=date(2023, 1, 31))
    login(auth, world["editor"])
    form = browser_form(page_of(client.get(f"/cases/{case_id}/edit")))
    assert form["themes"] == ["五社联动", "社工站建设"] and form["title"] == "原样保存的案例"
    response = client.post(f"/cases/{case_id}/edit", data=form)
    assert response.status_code == 302
    assert case_row(app, case_id)["versions"] == 0
    history_page = page_of(client.get(f"/cases/{case_id}/history"))
    assert "尚无历史版本" in history_page


# Browsing the library -------------------------------------------------------------------------------

@pytest.fixture
def library(app, factory, snapshot):
    """14 published cases, plus a draft, a submitted and an archived case that match every filter:
    built once (with the world) and restored for each test, as the world is."""
    return snapshot(lambda: build_library(app, build_world(app, factory)), "library")


def build_library(app, world) -> dict[str, int]:
    titles = {}
    titles["elderly"] = service_case(app, world, "川西农村互助养老", themes=["养老服务"], province="四川省",
                                     city="成都市", community_type="农村社区", started_on=date(2019, 5, 1))
    titles["featured"] = service_case(app, world, "精选：儿童之家", themes=["未成年人关爱"], featured=True)
    for i in range(12):
        titles[f"plain{i}"] = service_case(app, world, f"普通案例{i:02d}")
    for status in ("draft", "submitted", "archived"):
        titles[status] = service_case(app, world, f"不公开的{status}养老", status=status, themes=["养老服务"],
                                      province="四川省", city="成都市", community_type="农村社区",
                                      started_on=date(2019, 5, 1))
    return titles


def cards(page: str) -> list[str]:
    return re.findall(r'<article class="case-card card">.*?<h3><a href="[^"]+">(.*?)</a></h3>', page, re.S)


def test_the_library_paginates_newest_first_and_never_shows_unpublished_cases(client, library):
    first = page_of(client.get("/cases"))
    assert "共 14 个案例" in first
    assert "第 1 / 2 页" in first and 'rel="next"' in first
    second = page_of(client.get("/cases?page=2"))
    assert "第 2 / 2 页" in second and 'rel="prev"' in second
    shown = cards(first) + cards(second)
    assert len(cards(first)) == 12 and len(cards(second)) == 2
    assert len(set(shown)) == 14
    assert shown[0] == "普通案例11" and shown[-1] == "川西农村互助养老"  # newest published first
    assert not any("不公开" in t for t in shown)
    # A page past the end is simply empty.
    assert cards(page_of(client.get("/cases?page=9"))) == []


@pytest.mark.parametrize("query", ["theme={theme}", "province=四川省", "community_type=农村社区", "year=2019",
                                   "theme={theme}&province=四川省&community_type=农村社区&year=2019"])
def test_filters_narrow_the_library_to_published_matches(app, client, library, query):
    page = page_of(client.get("/cases?" + query.format(theme=theme_id(app, "养老服务"))))
    assert cards(page) == ["川西农村互助养老"]
    assert "共 1 个案例" in page


def test_the_year_and_featured_filters(client, library):
    page = page_of(client.get("/cases"))
    years = re.search(r'<select id="f-year".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', years) == ["2022", "2019"]
    assert len(cards(page_of(client.get("/cases?year=2022")))) == 12
    assert cards(page_of(client.get("/cases?featured=1"))) == ["精选：儿童之家"]
    # Unknown filter values are ignored instead of failing.
    assert "共 14 个案例" in page_of(client.get("/cases?province=火星省&community_type=x&theme=abc"))


def flush_views(app) -> None:
    """Write the buffered page views to the database, as the background flush does."""
    from portal.cases import viewcount

    with app.app_context():
        viewcount.flush()


def test_most_viewed_first(app, client, library):
    for visitor in range(3):  # three visitors (a repeat view by the same one is not counted)
        client.get(f"/cases/{library['plain3']}", environ_base={"REMOTE_ADDR": f"10.0.0.{visitor + 1}"})
    client.get(f"/cases/{library['elderly']}")
    flush_views(app)
    page = page_of(client.get("/cases?sort=views"))
    assert cards(page)[:2] == ["普通案例03", "川西农村互助养老"]
    assert "浏览 3 次" in page_of(client.get(f"/cases/{library['plain3']}"))


def test_the_units_own_visits_are_not_counted(app, client, auth, world):
    from portal.cases.models import Case

    case_id = service_case(app, world, "计数案例")
    login(auth, world["editor"])
    client.get(f"/cases/{case_id}")
    login(auth, world["practitioner"])
    client.get(f"/cases/{case_id}")
    client.get(f"/cases/{case_id}")  # the same reader again soon after: one view
    auth.logout()
    client.get(f"/cases/{case_id}")
    flush_views(app)
    assert in_db(app, lambda s: s.get(Case, case_id).view_count) == 2


# Themes ---------------------------------------------------------------------------------------------

def test_renaming_a_theme_renames_it_on_every_case(app, client, auth, world):
    case_id = service_case(app, world, "主题改名", themes=["五社联动"])
    login(auth, world["curator"])
    response = client.post(f"/admin/themes/{theme_id(app, '五社联动')}", data={"name": "五社联动机制"})
    assert "主题已重命名" in flashes(page_of(client.get(response.headers["Location"])))
    auth.logout()
    show = page_of(client.get(f"/cases/{case_id}"))
    assert ">五社联动机制</a>" in show and ">五社联动</a>" not in show
    assert "五社联动机制" in page_of(client.get("/cases"))


@pytest.mark.parametrize(("retired", "active"), [("社工站建设", "五社联动"), ("五社联动", "社工站建设")])
def test_a_retired_theme_leaves_the_form_but_stays_on_old_cases_which_can_still_be_saved(
        app, client, auth, world, retired, active):
    case_id = service_case(app, world, "旧主题案例", themes=["社工站建设", "五社联动"])
    login(auth, world["curator"])
    response = client.post(f"/admin/themes/{theme_id(app, retired)}", data={"retired": "1"})
    assert "主题已停用" in flashes(page_of(client.get(response.headers["Location"])))

    login(auth, world["editor"])
    new_form = page_of(client.get("/cases/new"))
    assert f'value="{retired}"' not in new_form and f'value="{active}"' in new_form
    show = page_of(client.get(f"/cases/{case_id}"))
    assert f">{retired}</a>" in show and f">{active}</a>" in show

    edit_page = page_of(client.get(f"/cases/{case_id}/edit"))
    form = browser_form(edit_page)
    assert sorted(form["themes"]) == ["五社联动", "社工站建设"]  # still ticked on the old case
    response = client.post(f"/cases/{case_id}/edit", data=form)
    assert response.status_code == 302
    saved = case_row(app, case_id)
    assert sorted(saved["themes"]) == ["五社联动", "社工站建设"]
    assert saved["versions"] == 0, "saving unchanged content must not add a version"

    form["summary"] = "改过的摘要"
    assert client.post(f"/cases/{case_id}/edit", data=form).status_code == 302
    saved = case_row(app, case_id)
    assert saved["summary"] == "改过的摘要" and sorted(saved["themes"]) == ["五社联动", "社工站建设"]


# Files ----------------------------------------------------------------------------------------------

def upload(client, case_id, data: bytes, name: str, *, cover=False):
    form = {"file": (io.BytesIO(data), name)}
    if cover:
        form["cover"] = "1"
    return client.post(f"/cases/{case_id}/attachments", data=form, content_type="multipart/form-data")


def test_an_attachment_is_downloaded_under_its_chinese_name_and_never_sniffed(app, client, auth, world):
    case_id = service_case(app, world, "有附件的案例")
    login(auth, world["editor"])
    response = upload(client, case_id, PNG, "图.png")
    assert path_of(response) == f"/cases/{case_id}/edit"
    assert "附件已上传" in flashes(page_of(client.get(response.headers["Location"])))
    saved = case_row(app, case_id)
    assert saved["attachments"] == ["图.png"]
    assert uploaded_files(app) == saved["stored"]
    assert (Path(app.config["UPLOAD_DIR"]) / saved["stored"][0]).read_bytes() == PNG

    auth.logout()
    show = page_of(client.get(f"/cases/{case_id}"))
    link = re.search(r'<a href="(/cases/\d+/attachments/\d+)">图.png</a>', show).group(1)
    download = client.get(link)
    assert download.status_code == 200
    assert download.data == PNG
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E5%9B%BE.png" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "image/png"


def test_a_drafts_files_are_never_cached_publicly_and_a_published_cases_may_be(app, client, auth, world):
    """A draft's attachment is seen by its unit only: no shared cache may keep it."""
    draft = service_case(app, world, "草稿附件", status="draft")
    login(auth, world["editor"])
    upload(client, draft, PNG, "图.png")
    page = page_of(client.get(f"/cases/{draft}/edit"))
    link = re.search(r'href="(/cases/\d+/attachments/\d+)"', page).group(1)
    private = client.get(link)
    assert private.status_code == 200
    assert private.headers["Cache-Control"] == "private, no-store"
    inline = client.get(f"/uploads/{case_row(app, draft)['stored'][0]}")
    assert inline.status_code == 200 and inline.headers["Cache-Control"] == "private, no-store"

    published = service_case(app, world, "已发布附件")
    upload(client, published, PNG, "图.png")
    auth.logout()
    link = re.search(r'href="(/cases/\d+/attachments/\d+)"', page_of(client.get(f"/cases/{published}"))).group(1)
    cache = client.get(link).headers["Cache-Control"]
    assert "public" in cache and "max-age=3600" in cache


@pytest.mark.parametrize(("name", "saved_as"), [("截图.html", "截图.png"), ("截图", "截图.png"), ("截图.PNG", "截图.PNG"),
                                                ("a.svg", "a.png")])
def test_a_download_is_named_with_the_extension_of_its_detected_type(app, client, auth, world, name, saved_as):
    case_id = service_case(app, world, "改名的图片")
    login(auth, world["editor"])
    upload(client, case_id, PNG, name)
    auth.logout()
    link = re.search(r'href="(/cases/\d+/attachments/\d+)"', page_of(client.get(f"/cases/{case_id}"))).group(1)
    from werkzeug.http import parse_options_header

    _kind, options = parse_options_header(client.get(link).headers["Content-Disposition"])
    assert options["filename"] == saved_as


def test_an_html_file_renamed_pdf_is_refused_and_nothing_is_saved(app, client, auth, world):
    case_id = service_case(app, world, "草稿", status="draft")
    login(auth, world["editor"])
    response = upload(client, case_id, b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
                      "活动总结.pdf")
    assert path_of(response) == f"/cases/{case_id}/edit"
    message = flashes(page_of(client.get(response.headers["Location"])))
    assert "无法识别的文件类型：只接受 PDF、Word、Excel、PowerPoint、JPEG、PNG 文件（按文件内容判断，不看扩展名）。" in message
    assert case_row(app, case_id)["attachments"] == []
    assert uploaded_files(app) == []


def test_the_cover_must_be_an_image(app, client, auth, world):
    case_id = service_case(app, world, "要封面的案例", status="draft")
    login(auth, world["editor"])
    response = upload(client, case_id, PDF, "封面.pdf", cover=True)
    assert "此处只接受 JPEG、PNG 文件（所传文件是 PDF）。" in flashes(page_of(client.get(response.headers["Location"])))
    saved = case_row(app, case_id)
    assert (saved["cover"], saved["attachments"], uploaded_files(app)) == (None, [], [])

    response = upload(client, case_id, PNG, "封面.png", cover=True)
    assert "封面已更新" in flashes(page_of(client.get(response.headers["Location"])))
    saved = case_row(app, case_id)
    assert saved["cover"] is not None and saved["attachments"] == ["封面.png"]
    show = page_of(client.get(f"/cases/{case_id}"))
    src = re.search(r'<img class="cover" src="([^"]+)"', show).group(1)
    assert src == f"/uploads/{saved['stored'][0]}"
    image = client.get(src)
    assert image.status_code == 200 and image.data == PNG
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert not image.headers["Content-Disposition"].startswith("attachment")


def test_deleting_a_case_removes_its_files_from_disk(app, client, auth, world):
    case_id = service_case(app, world, "要删除的草稿", status="draft")
    login(auth, world["editor"])
    upload(client, case_id, PNG, "图.png")
    upload(client, case_id, PNG, "封面.png", cover=True)
    upload(client, case_id, PDF, "总结.pdf")
    stored = case_row(app, case_id)["stored"]
    assert len(stored) == 3 and uploaded_files(app) == sorted(stored)

    # Editors cannot delete; the unit's admin can.
    assert client.post(f"/cases/{case_id}/delete").status_code == 403
    assert uploaded_files(app) == sorted(stored)
    login(auth, world["org_admin"])
    response = client.post(f"/cases/{case_id}/delete")
    assert path_of(response) == "/cases/mine"
    assert "案例“要删除的草稿”已删除。" in flashes(page_of(client.get("/cases/mine")))
    assert case_row(app, case_id) is None
    assert uploaded_files(app) == []


def test_deleting_one_attachment_removes_its_file(app, client, auth, world):
    case_id = service_case(app, world, "附件增删", status="draft")
    login(auth, world["editor"])
    upload(client, case_id, PNG, "留下.png")
    upload(client, case_id, PDF, "删掉.pdf")
    edit = page_of(client.get(f"/cases/{case_id}/edit"))
    ids = re.findall(r'action="/cases/\d+/attachments/(\d+)/delete"', edit)
    response = client.post(f"/cases/{case_id}/attachments/{ids[1]}/delete")
    assert "附件已删除" in flashes(page_of(client.get(response.headers["Location"])))
    saved = case_row(app, case_id)
    assert saved["attachments"] == ["留下.png"]
    assert uploaded_files(app) == saved["stored"]
