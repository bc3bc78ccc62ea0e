"""In a real browser: an admin opens a call for cases (案例征集), two units enter a case each, the
deadline passes, two reviewers score with very different hands so one entry is flagged for its
disagreement, the admin shortlists and awards the other, puts the shortlist on a linked sharing
session's running order and publishes the results; a visitor sees the results page, the award
badge on the case and the case in the session's running order.

Runs with CSRF protection on. The accounts, the two units with their published cases and the
planned sharing session are set up through the factory; the deadline passing is the one step
done in the database ("time passes"); everything else goes through the pages, as users would.
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

CALL_TITLE = "2026 年社区治理优秀案例征集"
CALL_TEXT = "面向成员单位征集**五社联动**、乡村振兴等方向的社区治理实践案例。"
SESSION_TITLE = "优秀案例入围交流会"
ORG_A = "贵阳市阳光社会工作服务中心"
CASE_A = "“五社联动”守护独居老人"
ORG_B = "花溪区乡村社区服务社"
CASE_B = "乡村儿童之家“四点半课堂”"
PRESENTER_A = "张社工"
PRESENTER_B = "李老师（项目负责人）"
NOTE_HIGH = "做法扎实，成效数据完整。"
NOTE_LOW = "创新不足，成效缺少对照数据。"
REASON = "两位专家评分一致且较高，成效突出，评为一等奖并入围交流。"


@pytest.fixture
def people(live_server):
    """The platform admin, two verified units (their admins) each with one published case, two
    reviewers, and a planned sharing session that the call's shortlist can feed."""
    from portal.extensions import db
    from portal.models_base import utcnow
    from portal.sessions.models import SharingSession

    factory = live_server.factory()
    _, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    _, unit_a = factory.user("unit-a@example.org", "王主任")
    _, unit_b = factory.user("unit-b@example.org", "刘站长")
    org_a = factory.org(unit_a, name=ORG_A)
    org_b = factory.org(unit_b, name=ORG_B, org_type="社区社会组织")
    case_a = factory.case(org_a, CASE_A, themes=("五社联动",))
    case_b = factory.case(org_b, CASE_B, themes=("乡村振兴",))
    _, high = factory.user("expert-a@example.org", "专家甲", reviewer=True)
    _, low = factory.user("expert-b@example.org", "专家乙", reviewer=True)
    with live_server.app.app_context():
        now = utcnow()
        sharing = SharingSession(title=SESSION_TITLE, starts_at=now + timedelta(days=30),
                                 ends_at=now + timedelta(days=30, hours=2))
        db.session.add(sharing)
        db.session.commit()
        session_id = sharing.id
        db.session.remove()
    return {"admin": admin, "unit_a": unit_a, "unit_b": unit_b, "high": high, "low": low,
            "case_a": case_a, "case_b": case_b, "session_id": session_id}


def _confirming(page, seen: list[str]) -> None:
    """Accept the next data-confirm dialog, remembering what it asked."""
    def accept(dialog):
        seen.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)


def _enter(page, base: str, call_url: str, case: str, org: str, presenter: str) -> None:
    page.goto(base + "/calls")
    page.locator(".call-card").get_by_role("link", name=CALL_TITLE).click()
    expect(page).to_have_url(call_url)
    mine = page.locator("#mine")
    expect(mine).to_contain_text("贵单位还没有提交案例。")
    mine.get_by_role("link", name="提交参评案例").click()
    expect(page.get_by_role("heading", name="提交参评案例", level=1)).to_be_visible()
    page.get_by_label("参评案例").select_option(label=f"{case}（{org}）")
    page.get_by_label("拟分享人").fill(presenter)
    page.get_by_role("button", name="提交参评").click()
    expect(flash(page)).to_contain_text("参评案例已提交。截止前可以撤回或替换。")
    expect(page).to_have_url(f"{call_url}#mine")
    row = page.locator("#mine .entry-row").filter(has_text=case)
    expect(row).to_contain_text(org)
    expect(row.locator(".entry-status")).to_have_text("已提交，截止前可撤回或替换")
    expect(row.get_by_role("button", name="撤回")).to_be_visible()


def _score(page, base: str, call_url: str, marks: dict[str, tuple[int, str]]) -> None:
    """A reviewer scores each of their entries: case title -> (the mark for every dimension, note)."""
    page.goto(call_url)
    page.get_by_role("link", name="您有本次征集的评审任务，去评分").click()
    expect(page).to_have_url(f"{call_url}/review")
    expect(page.get_by_role("heading", name="我的评审任务", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"已完成 0 / {len(marks)}")
    for done, (case, (mark, note)) in enumerate(marks.items(), start=1):
        row = page.get_by_role("row").filter(has_text=case)
        expect(row).to_contain_text("待评分")
        row.get_by_role("link", name="评分", exact=True).click()
        expect(page.get_by_role("heading", name=case, level=1)).to_be_visible()
        expect(page.locator("main")).to_contain_text(f"征集：{CALL_TITLE}")
        box = page.locator(".score-box")
        for dimension in ("创新性", "实效性", "可推广性", "规范性"):
            box.get_by_label(dimension, exact=True).fill(str(mark))
        box.get_by_label("评审意见（仅管理员可见）").fill(note)
        box.get_by_role("button", name="保存评分").click()
        expect(flash(page)).to_contain_text("评分已保存。")
        expect(page).to_have_url(f"{call_url}/review")
        expect(page.get_by_role("row").filter(has_text=case)).to_contain_text("已评分")
        expect(page.locator("main")).to_contain_text(f"已完成 {done} / {len(marks)}")


def test_call_opened_entered_scored_flagged_shortlisted_awarded_and_published(live_server, page, people):
    from portal.calls.models import CaseCall
    from portal.extensions import db
    from portal.models_base import utcnow

    base = live_server.url
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(second=0, microsecond=0)
    opens, closes = now - timedelta(days=1), now + timedelta(days=14)
    asked: list[str] = []

    # -- 1. The admin drafts the call, linked to the planned session, and announces it. -----------
    log_in(page, base, people["admin"])
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="案例征集").click()
    expect(page).to_have_url(f"{base}/calls")
    expect(page.locator("main")).to_contain_text("暂时没有案例征集。")
    page.get_by_role("link", name="新建征集").click()
    expect(page.get_by_role("heading", name="新建征集", level=1)).to_be_visible()
    page.get_by_label("征集标题").fill(CALL_TITLE)
    page.get_by_label("征集说明").fill(CALL_TEXT)
    page.get_by_label("开始时间（北京时间）").fill(f"{opens:%Y-%m-%dT%H:%M}")
    page.get_by_label("截止时间（北京时间）").fill(f"{closes:%Y-%m-%dT%H:%M}")
    page.get_by_role("group", name="征集主题").get_by_label("五社联动", exact=True).check()
    page.get_by_role("group", name="征集主题").get_by_label("乡村振兴", exact=True).check()
    # The defaults: four weighted dimensions, two reviewers per entry, a 3-point disagreement threshold.
    expect(page.get_by_label("评分维度和权重")).to_have_value("创新性 25\n实效性 35\n可推广性 25\n规范性 15")
    expect(page.get_by_label("每个案例的评审专家人数")).to_have_value("2")
    expect(page.get_by_label("分歧阈值（分）")).to_have_value("3.0")
    page.get_by_label("奖项和名额").fill("一等奖 1\n优秀案例 3")
    page.get_by_role("group", name="对接的分享会").get_by_label(SESSION_TITLE).check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(flash(page)).to_contain_text("征集草稿已保存。检查无误后点击“发布征集”。")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/calls/\d+$"))
    call_url = page.url
    call_id = int(call_url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name=CALL_TITLE, level=1)).to_be_visible()
    expect(page.locator(".call .card-meta .badge")).to_have_text("草稿（未发布）")
    expect(page.locator(".call .prose strong")).to_have_text("五社联动")
    rules = page.locator(".call .details")
    expect(rules).to_contain_text("五社联动、乡村振兴")
    expect(rules).to_contain_text("一等奖 1 名；优秀案例 3 名")
    expect(rules.get_by_role("link", name=SESSION_TITLE)).to_be_visible()

    _confirming(page, asked)
    page.get_by_role("button", name="发布征集").click()
    expect(flash(page)).to_contain_text("征集已发布，关注相关主题的用户会收到通知。")
    assert asked == ["发布后所有人都能看到这个征集，关注相关主题的用户会收到通知。确定发布吗？"]
    expect(page).to_have_url(call_url)
    expect(page.locator(".call .card-meta .badge")).to_have_text("征集中")
    expect(page.locator(".entry-count")).to_have_text("已收到 0 个案例")
    expect(page.locator(".countdown")).to_contain_text("距截止还有")
    expect(page.get_by_role("button", name="发布征集")).to_have_count(0)
    log_out(page, "平台管理员")

    # -- 2. Two units enter a case each. ----------------------------------------------------------
    log_in(page, base, people["unit_a"])
    _enter(page, base, call_url, CASE_A, ORG_A, PRESENTER_A)
    expect(page.locator(".entry-count")).to_have_text("已收到 1 个案例")
    log_out(page, "王主任")

    log_in(page, base, people["unit_b"])
    _enter(page, base, call_url, CASE_B, ORG_B, PRESENTER_B)
    expect(page.locator(".entry-count")).to_have_text("已收到 2 个案例")
    expect(page.locator("#mine .entry-row")).to_have_count(1)  # a unit sees its own entries only
    log_out(page, "刘站长")

    # -- Time passes: the deadline is now behind us. ----------------------------------------------
    with live_server.app.app_context():
        db.session.get(CaseCall, call_id).closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        db.session.remove()

    # -- 3. The admin has the reviewers assigned automatically. -----------------------------------
    log_in(page, base, people["admin"])
    page.goto(call_url)
    expect(page.locator(".call .card-meta .badge")).to_have_text("评审中")
    page.get_by_role("link", name="评审管理").click()
    expect(page).to_have_url(f"{call_url}/manage")
    expect(page.get_by_role("heading", name="评审管理", level=1)).to_be_visible()
    expect(page.locator("main .card-meta")).to_contain_text("2 个参评案例，每个需要 2 位专家评分")
    entries = page.locator("#entries tbody tr")
    expect(entries).to_have_count(2)
    expect(entries.filter(has_text=CASE_A)).to_contain_text(ORG_A)
    expect(entries.filter(has_text=CASE_B)).to_contain_text(ORG_B)
    _confirming(page, asked)
    page.get_by_role("button", name="自动分配评审专家").click()
    expect(flash(page)).to_contain_text("已自动分配评审任务。")
    assert asked[-1].startswith("按专业领域和工作量为每个案例补足评审专家")
    expect(page).to_have_url(f"{call_url}/manage#entries")
    for case in (CASE_A, CASE_B):
        reviewers = page.locator("#entries tbody tr").filter(has_text=case).locator("li")
        expect(reviewers).to_have_count(2)
        expect(reviewers.filter(has_text="专家甲")).to_contain_text("待评分")
        expect(reviewers.filter(has_text="专家乙")).to_contain_text("待评分")
    progress = page.locator("#progress tbody tr")
    expect(progress.filter(has_text="专家甲")).to_contain_text("0 / 2")
    expect(progress.filter(has_text="专家乙")).to_contain_text("0 / 2")
    log_out(page, "平台管理员")

    # -- 4. The reviewers score: they agree on one entry and are far apart on the other. ----------
    log_in(page, base, people["high"])
    _score(page, base, call_url, {CASE_A: (9, NOTE_HIGH), CASE_B: (7, "成效明显，可推广。")})
    log_out(page, "专家甲")

    log_in(page, base, people["low"])
    _score(page, base, call_url, {CASE_A: (2, NOTE_LOW), CASE_B: (6, "做法规范，值得推广。")})
    log_out(page, "专家乙")

    # -- 5. The admin sees the disagreement, shortlists and awards, and fills the session. --------
    log_in(page, base, people["admin"])
    page.goto(f"{call_url}/manage")
    expect(page.locator("#progress tbody tr").filter(has_text="专家甲")).to_contain_text("2 / 2")
    expect(page.locator("#progress tbody tr").filter(has_text="专家乙")).to_contain_text("2 / 2")
    ranking = page.locator("#ranking")
    expect(ranking.get_by_role("heading", name="评分汇总")).to_be_visible()
    expect(ranking.locator(".badge-warning").filter(has_text="评分未齐")).to_have_count(0)
    flagged = ranking.locator("tbody tr").filter(has_text=CASE_A)
    expect(flagged).to_have_class(re.compile(r"\bdisagree\b"))
    expect(flagged).to_contain_text("专家甲 9.00")
    expect(flagged).to_contain_text("专家乙 2.00")
    expect(flagged.locator(".badge-warning")).to_have_text("分歧较大")
    for summary in flagged.locator("summary").all():  # the reviewers' internal notes, for the admin only
        summary.click()
    expect(flagged.get_by_text(NOTE_HIGH)).to_be_visible()
    expect(flagged.get_by_text(NOTE_LOW)).to_be_visible()
    agreed = ranking.locator("tbody tr").filter(has_text=CASE_B)
    expect(agreed).not_to_have_class(re.compile(r"\bdisagree\b"))
    expect(agreed).not_to_contain_text("分歧较大")
    expect(agreed.locator("td").first).to_have_text("1")  # the better raw mean (6.50 against 5.50)
    expect(agreed.locator("td").nth(3)).to_have_text("6.50")
    expect(flagged.locator("td").nth(3)).to_have_text("5.50")

    agreed.get_by_label("入围").check()
    agreed.get_by_label("奖项").select_option(label="一等奖")
    agreed.get_by_label("理由").fill(REASON)
    agreed.get_by_role("button", name="保存", exact=True).click()
    expect(flash(page)).to_contain_text("决定已保存，并记入操作日志。")
    agreed = page.locator("#ranking tbody tr").filter(has_text=CASE_B)
    expect(agreed.get_by_label("入围")).to_be_checked()
    expect(agreed.get_by_label("奖项").locator("option:checked")).to_have_text("一等奖")
    expect(agreed).to_contain_text(f"上次理由：{REASON}")
    flagged = page.locator("#ranking tbody tr").filter(has_text=CASE_A)
    expect(flagged.get_by_label("入围")).not_to_be_checked()

    shortlist = page.locator("#shortlist")
    expect(shortlist.get_by_label("分享会").locator("option:checked")).to_contain_text(SESSION_TITLE)
    shortlist.get_by_role("button", name="把入围案例列入议程").click()
    expect(flash(page)).to_contain_text("入围案例已列入分享会议程，参评单位已收到通知。")
    expect(page).to_have_url(f"{call_url}/manage#shortlist")

    # All scores are in, so no override reason is asked for.
    publish = page.locator("#publish")
    expect(publish.locator(".flash-error")).to_have_count(0)
    expect(publish.get_by_label("评分未齐仍要公布的理由")).to_have_count(0)
    _confirming(page, asked)
    publish.get_by_role("button", name="公布结果").click()
    expect(flash(page)).to_contain_text("评选结果已公布。")
    assert asked[-1] == "公布后获奖名单对所有人可见，获奖单位会收到通知。确定公布吗？"
    expect(page).to_have_url(f"{call_url}/results")
    expect(page.locator("main")).to_contain_text("公布时间：")
    log_out(page, "平台管理员")

    # -- 6. A visitor finds the results, the badge on the case and the case on the session. -------
    page.goto(f"{base}/calls")
    card = page.locator(".call-card").filter(has_text=CALL_TITLE)
    expect(card.locator(".badge")).to_have_text("结果已公布")
    expect(card).to_contain_text("已收到 2 个案例")
    card.get_by_role("link", name="查看评选结果").click()
    expect(page).to_have_url(f"{call_url}/results")
    expect(page.get_by_role("heading", name="评选结果", level=1)).to_be_visible()
    level = page.locator("section.award-level").filter(has=page.get_by_role("heading", name="一等奖", level=2))
    winner = level.locator(".award-entry")
    expect(winner).to_have_count(1)
    expect(winner.get_by_role("heading", level=3)).to_contain_text(CASE_B)
    expect(winner.locator(".badge-award")).to_have_text("一等奖")
    expect(winner.locator(".card-meta")).to_contain_text(ORG_B)
    expect(page.get_by_role("heading", name="优秀案例")).to_have_count(0)  # no entry got that level
    expect(page.get_by_text(CASE_A)).to_have_count(0)  # entries without an award are not listed
    expect(page.locator("main")).not_to_contain_text(NOTE_HIGH)  # the reviewers' notes stay internal

    winner.get_by_role("link", name=CASE_B).click()
    expect(page).to_have_url(f"{base}/cases/{people['case_b']}")
    expect(page.get_by_role("heading", name=CASE_B, level=1)).to_be_visible()
    awards = page.locator(".case-summary .summary-awards")
    expect(awards.locator("dt")).to_have_text("获奖")
    badge = awards.get_by_role("link", name=f"{CALL_TITLE} · 一等奖")
    expect(badge).to_have_class(re.compile(r"\bbadge-award\b"))
    expect(badge).to_have_attribute("href", f"/calls/{call_id}/results")

    page.goto(f"{base}/cases/{people['case_a']}")  # the other entry carries no badge
    expect(page.get_by_role("heading", name=CASE_A, level=1)).to_be_visible()
    expect(page.locator(".summary-awards")).to_have_count(0)

    page.goto(call_url)
    expect(page.locator(".call .card-meta .badge")).to_have_text("结果已公布")
    page.locator(".call .details").get_by_role("link", name=SESSION_TITLE).click()
    expect(page).to_have_url(f"{base}/sessions/{people['session_id']}")
    expect(page.get_by_role("heading", name=SESSION_TITLE, level=1)).to_be_visible()
    item = page.locator("#agenda .agenda-item")
    expect(item).to_have_count(1)
    expect(item.locator(".badge")).to_have_text("案例分享")
    expect(item.get_by_role("link", name=CASE_B)).to_be_visible()
    expect(item.locator(".agenda-meta")).to_contain_text(f"{ORG_B} · 分享人：{PRESENTER_B}")
