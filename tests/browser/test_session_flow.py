"""In a real browser: an admin creates a sharing session, a member unit proposes its published case,
the admin accepts it into the running order, a practitioner registers, the admin closes the session
with minutes, numbers and a recording, and a visitor opens the archive and jumps to the case.

Runs with CSRF protection on. Only the accounts, the unit and its published case are set up
through the factory; everything else goes through the pages, as users would.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.helpers import flash, log_in, log_out

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser

ORG_NAME = "云岩区同心社会工作服务中心"
CASE_TITLE = "“院落议事会”化解停车难"
SESSION_TITLE = "社会组织参与社区治理线上分享会"
PLATFORM = "腾讯会议"
PRESENTER = "王芳（项目主管）"
NOTE = "案例协商过程完整，适合与其他城市社区交流停车治理经验。"
MINUTES = "本场分享会围绕**院落议事**展开交流。\n\n- 议事规则公开透明\n- 少数意见得到尊重"
RECORDING = "https://video.example.org/rec/1"


@pytest.fixture
def people(live_server):
    """A platform admin, a verified unit (its admin) with one published case, and a practitioner."""
    factory = live_server.factory()
    _, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    _, unit_admin = factory.user("unit@example.org", "王主任")
    org_id = factory.org(unit_admin, name=ORG_NAME)
    case_id = factory.case(org_id, CASE_TITLE, status="published")
    _, practitioner = factory.user("social@example.org", "社工小陈")
    return {"admin": admin, "unit_admin": unit_admin, "practitioner": practitioner, "case_id": case_id}


def test_session_created_case_proposed_and_accepted_registration_closing_and_archive(live_server, page, people):
    base = live_server.url
    starts = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=7)).replace(
        hour=14, minute=0, second=0, microsecond=0)
    ends = starts.replace(hour=16, minute=30)
    when = f"{starts:%Y-%m-%d} 14:00–16:30"

    # -- 1. The admin creates the session and sees it among the upcoming ones. --------------------
    log_in(page, base, people["admin"])
    page.goto(f"{base}/admin/sessions")
    expect(page.get_by_role("heading", name="分享会管理", level=1)).to_be_visible()
    page.get_by_role("link", name="新建场次").click()
    expect(page.get_by_role("heading", name="新建场次", level=1)).to_be_visible()
    page.get_by_label("标题", exact=True).fill(SESSION_TITLE)
    page.get_by_label("开始时间（北京时间）").fill(f"{starts:%Y-%m-%dT%H:%M}")
    page.get_by_label("结束时间（北京时间）").fill(f"{ends:%Y-%m-%dT%H:%M}")
    page.get_by_label("形式").select_option(label="线上")
    page.get_by_label("平台或地点").fill(PLATFORM)
    page.get_by_label("容量（人）").fill("50")
    page.get_by_label("开放报名").check()
    page.get_by_role("button", name="保存").click()
    expect(flash(page)).to_contain_text("场次已创建。")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/admin/sessions/\d+$"))
    expect(page.get_by_text("报名开放中")).to_be_visible()
    expect(page.get_by_text("已报名 0 人（容量 50 人）", exact=False)).to_be_visible()

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="分享会").click()
    expect(page).to_have_url(f"{base}/sessions")
    card = page.locator("#upcoming .session-card").filter(has_text=SESSION_TITLE)
    expect(card.locator(".badge")).to_have_text("即将举行")
    expect(card).to_contain_text(when)
    expect(card).to_contain_text(f"线上 · {PLATFORM}")
    expect(page.locator("#archive")).to_contain_text("暂无往期分享会。")
    card.get_by_role("link", name=SESSION_TITLE).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/sessions/\d+$"))
    session_url = page.url
    log_out(page, "平台管理员")

    # -- 2. The unit proposes its published case. --------------------------------------------------
    log_in(page, base, people["unit_admin"])
    page.goto(f"{base}/sessions")
    page.locator("#upcoming").get_by_role("link", name=SESSION_TITLE).click()
    expect(page).to_have_url(session_url)
    expect(page.get_by_role("heading", name=SESSION_TITLE, level=1)).to_be_visible()
    expect(page.locator("#agenda")).to_contain_text("议程尚未公布。")
    page.locator("#proposals").get_by_role("link", name="推荐本单位案例").click()
    expect(page.get_by_role("heading", name="推荐案例到分享会", level=1)).to_be_visible()
    page.get_by_label("推荐的案例").select_option(label=f"{CASE_TITLE}（{ORG_NAME}）")
    page.get_by_label("分享人").fill(PRESENTER)
    page.get_by_label("推荐说明").fill(NOTE)
    page.get_by_role("button", name="提交推荐").click()
    expect(flash(page)).to_contain_text("已推荐。平台管理员处理后会通知本单位成员。")
    expect(page).to_have_url(f"{session_url}#proposals")
    mine = page.locator("#proposals .proposal").filter(has_text=CASE_TITLE)
    expect(mine.locator(".badge")).to_have_text("待处理")
    expect(mine).to_contain_text(f"分享人：{PRESENTER}")
    log_out(page, "王主任")

    # -- 3. The admin accepts it into the running order. ------------------------------------------
    log_in(page, base, people["admin"])
    page.goto(session_url)
    proposals = page.locator("#proposals")
    expect(proposals.get_by_role("heading", name="待处理的推荐（1）")).to_be_visible()
    pending = proposals.locator(".proposal-pending").filter(has_text=CASE_TITLE)
    expect(pending).to_contain_text(ORG_NAME)
    expect(pending).to_contain_text(f"分享人：{PRESENTER}")
    expect(pending).to_contain_text("王主任 推荐于")
    expect(pending.locator(".proposal-note")).to_have_text(NOTE)
    pending.get_by_role("button", name="接受并加入议程").click()
    expect(flash(page)).to_contain_text("已接受推荐，案例已加入议程末尾。")
    expect(page.locator("#proposals").get_by_role("heading", name="待处理的推荐（0）")).to_be_visible()
    decided = page.locator("#proposals .proposal").filter(has_text=CASE_TITLE)
    expect(decided.locator(".badge")).to_have_text("已接受")
    item = page.locator("#agenda .agenda-item")
    expect(item).to_have_count(1)
    expect(item.locator(".badge")).to_have_text("案例分享")
    expect(item.get_by_role("link", name=CASE_TITLE)).to_be_visible()
    expect(item.locator(".agenda-meta")).to_contain_text(f"{ORG_NAME} · 分享人：{PRESENTER}")
    log_out(page, "平台管理员")

    # -- 4. A practitioner registers and gets the calendar file. ----------------------------------
    log_in(page, base, people["practitioner"])
    page.goto(session_url)
    participation = page.locator("#participation")
    expect(participation).to_contain_text("已报名 0 人，名额 50 人，剩余 50 个。")
    participation.get_by_role("button", name="报名参加").click()
    expect(flash(page)).to_contain_text("报名成功。")
    participation = page.locator("#participation")
    expect(participation.locator(".participation-status .badge")).to_have_text("已报名")
    expect(participation.locator(".participation-status")).to_contain_text("您已报名本场分享会")
    expect(participation).to_contain_text("已报名 1 人，名额 50 人，剩余 49 个。")
    expect(participation.get_by_role("button", name="报名参加")).to_have_count(0)
    ics_link = participation.get_by_role("link", name="下载日历文件（.ics）")
    expect(ics_link).to_have_attribute("href", re.compile(r"\.ics$"))
    ics = page.request.get(base + ics_link.get_attribute("href"))
    assert ics.ok
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.text().startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VEVENT" in ics.text()
    log_out(page, "社工小陈")

    # -- 5. The admin closes the session with minutes, numbers and the recording. -----------------
    log_in(page, base, people["admin"])
    page.goto(session_url)
    page.get_by_role("link", name="关闭并归档").click()
    expect(page.get_by_role("heading", name="关闭并归档", level=1)).to_be_visible()
    expect(page.get_by_text("已报名的 1 人会收到“档案已可回看”的通知")).to_be_visible()
    expect(page.get_by_text("当前 1 个")).to_be_visible()
    page.get_by_label("参会人数").fill("495")
    page.get_by_label("覆盖省份数").fill("28")
    page.get_by_label("参会单位数").fill("36")
    page.get_by_label("录像链接").fill(RECORDING)
    page.get_by_label("会议纪要").fill(MINUTES)
    page.get_by_role("button", name="关闭并归档").click()
    expect(flash(page)).to_contain_text("场次已归档，档案已公开。")
    expect(page).to_have_url(session_url)
    expect(page.locator(".session-head .badge")).to_have_text("已归档")
    numbers = page.locator(".session-numbers")
    expect(numbers.locator("dt")).to_have_text(["参会人数", "覆盖省份", "参会单位", "分享案例"])
    expect(numbers.locator("dd")).to_have_text(["495", "28", "36", "1"])
    expect(page.locator("#minutes .prose strong")).to_have_text("院落议事")
    expect(page.locator("#minutes .prose li")).to_have_text(["议事规则公开透明", "少数意见得到尊重"])
    expect(page.get_by_role("link", name="观看录像")).to_have_attribute("href", RECORDING)
    expect(page.get_by_role("link", name="修改归档记录")).to_be_visible()
    log_out(page, "平台管理员")

    # The practitioner is told the archive is ready and follows the notification.
    log_in(page, base, people["practitioner"])
    page.goto(f"{base}/notifications")
    note = page.locator(".notification").filter(has_text=SESSION_TITLE)
    expect(note).to_contain_text(f"您报名的分享会《{SESSION_TITLE}》已归档，可以回看议程、分享案例、纪要和资料。")
    note.get_by_role("button").click()
    expect(page).to_have_url(session_url)
    expect(page.locator(".session-head .badge")).to_have_text("已归档")
    log_out(page, "社工小陈")

    # -- 6. A visitor finds the session in the archive and jumps to the case. ---------------------
    page.goto(f"{base}/sessions")
    expect(page.locator("#upcoming")).to_contain_text("暂无即将举行的分享会。")
    year = page.locator("#archive .session-year").filter(
        has=page.get_by_role("heading", name=f"{starts.year} 年", level=3))
    card = year.locator(".session-card").filter(has_text=SESSION_TITLE)
    expect(card.locator(".badge")).to_have_text("已归档")
    expect(card.locator(".session-card-numbers")).to_contain_text("参会 495 人 · 分享案例 1 个")
    card.get_by_role("link", name=SESSION_TITLE).click()
    expect(page).to_have_url(session_url)
    expect(page.get_by_role("heading", name=SESSION_TITLE, level=1)).to_be_visible()
    expect(page.locator(".session-numbers dd")).to_have_text(["495", "28", "36", "1"])
    expect(page.get_by_role("heading", name="会议纪要")).to_be_visible()
    expect(page.locator("#minutes")).to_contain_text("议事规则公开透明")
    expect(page.get_by_role("link", name="观看录像")).to_have_attribute("href", RECORDING)
    expect(page.get_by_role("link", name="关闭并归档")).to_have_count(0)
    expect(page.locator("#participation").get_by_role("button", name="报名参加")).to_have_count(0)
    agenda = page.locator("#agenda")
    expect(agenda.get_by_role("heading", name="议程")).to_be_visible()
    item = agenda.locator(".agenda-item").filter(has_text=CASE_TITLE)
    expect(item.locator(".agenda-meta")).to_contain_text(f"{ORG_NAME} · 分享人：{PRESENTER}")
    item.get_by_role("link", name=CASE_TITLE).click()

    case_url = f"{base}/cases/{people['case_id']}"
    expect(page).to_have_url(case_url)
    expect(page.get_by_role("heading", name=CASE_TITLE, level=1)).to_be_visible()
    shared = page.locator("#case-sessions")
    expect(shared.get_by_role("heading", name="在分享会上分享")).to_be_visible()
    expect(shared.locator("li")).to_contain_text(f"在{SESSION_TITLE}上分享")
    expect(shared.locator("li")).to_contain_text(f"{starts:%Y-%m-%d} · 分享人：{PRESENTER}")
    shared.get_by_role("link", name=SESSION_TITLE).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(session_url)}#agenda-\d+$"))
    expect(page.get_by_role("heading", name=SESSION_TITLE, level=1)).to_be_visible()
