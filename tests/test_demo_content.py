"""The demo cases (portal/cases/demo_cases.py) follow the content rules: twelve cases spread
over the demo units, themes, provinces and years; sections of a readable length; no real
person, no personal data except the draft's one fake mobile number (so that the privacy check
has something to find); nothing copied verbatim from the newspaper page the facts come from.

The seed page lives outside the repository (../shared/seed/); the test that compares against
it skips when it is absent.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from portal.cases import privacy
from portal.cases.demo_cases import CHONGQING, DEMO_CASES, QDN, SHANGHAI, TONGREN
from portal.regions import PROVINCES
from portal.text import render_markdown

SEED_DIR = Path(__file__).parents[1].parent / "shared" / "seed"
SEED_FILE = SEED_DIR / "000_8a5136433a6fa638.txt"
MAX_SHARED_RUN = 15  # longest run of characters a field may share verbatim with the seed page

VERIFIED_ORGS = (QDN, TONGREN, CHONGQING, SHANGHAI)
PENDING_ORG = "安顺市示例志愿服务协会"
THEME_VOCABULARY = (
    "党建引领", "需求导向", "专业能力建设", "五社联动", "三社联动", "社工站建设", "乡村振兴",
    "牵手计划与东西部协作", "养老服务", "未成年人关爱", "社会救助", "志愿服务", "司法社工",
    "社区协商议事", "资源链接与慈善", "数字化治理",
)
REQUIRED_THEMES = (
    "党建引领", "五社联动", "社工站建设", "乡村振兴", "牵手计划与东西部协作", "司法社工",
    "未成年人关爱", "养老服务", "社区协商议事", "志愿服务", "数字化治理",
)
KEYS = (
    "external_id", "org", "status", "featured", "title", "summary", "background", "approach",
    "outcomes", "lessons", "problems", "themes", "tags", "province", "city", "county", "community",
    "community_type", "started_on", "ended_on", "beneficiaries", "partners", "funding_source",
)
STATUS_COUNTS = {"published": 8, "draft": 1, "submitted": 1, "returned": 1, "in_review": 1}
COMMUNITY_TYPES = ("城市社区", "农村社区", "城乡结合部", "其他")
SECTION_KEYS = ("background", "approach", "outcomes", "lessons")
TEXT_KEYS = ("title", "summary", *SECTION_KEYS, "problems", "partners", "funding_source",
             "city", "county", "community", "return_reason")
#: People named on the seed page; none may appear in the demo data.
SEED_PEOPLE = ("李雪梅", "王铮键", "康鹏", "陈雪梅", "汤后虎", "陈海生", "祝金岳", "戴爱姣",
               "唐忠新", "潘烈青", "杜传宇", "皮磊")
FAKE_MOBILE = "13800138000"
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PERSONAL_RE = re.compile(r"@|(?<!\d)\d{15,19}(?!\d)|\d{17}[\dXx]")


def _cjk(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def _longest_shared_run(text: str, source: str) -> str:
    """Longest substring of *text* that also occurs in *source* (whitespace already removed)."""
    best = ""
    for i in range(len(text)):
        length = len(best) + 1
        while i + length <= len(text) and text[i:i + length] in source:
            best = text[i:i + length]
            length += 1
    return best


def _expected_mobiles(case: dict, key: str) -> list[str]:
    """Exactly one fake mobile, in the draft's approach; nothing anywhere else."""
    return [FAKE_MOBILE] if (case["status"] == "draft" and key == "approach") else []


def _case_problems(n: int, case: dict) -> list[str]:  # a flat list of rules reads best
    """What is wrong with the ``n``-th demo case (1-based); [] when it follows every rule."""
    errors: list[str] = []
    err = errors.append
    cid = case.get("external_id", f"#{n}")
    expected = set(KEYS) | ({"return_reason"} if case.get("status") == "returned" else set())
    if set(case) != expected:
        return [f"{cid}: keys differ: missing {sorted(expected - set(case))}, extra {sorted(set(case) - expected)}"]
    if cid != f"demo-{n:03d}":
        err(f"{cid}: external_id should be demo-{n:03d}")
    if case["org"] not in VERIFIED_ORGS or case["org"] == PENDING_ORG:
        err(f"{cid}: org {case['org']!r} is not a verified demo org")
    if case["status"] not in STATUS_COUNTS:
        err(f"{cid}: unknown status {case['status']!r}")
    if not isinstance(case["featured"], bool):
        err(f"{cid}: featured must be a bool")
    if case["featured"] and case["status"] != "published":
        err(f"{cid}: only published cases may be featured")
    if case["status"] == "returned" and not (isinstance(case["return_reason"], str)
                                             and _cjk(case["return_reason"]) >= 20):
        err(f"{cid}: returned case needs a curator's return_reason")

    for key in TEXT_KEYS:
        if key in case and not isinstance(case[key], str):
            err(f"{cid}: {key} must be a string")
    if not isinstance(case["title"], str) or not 0 < len(case["title"]) <= 60:
        err(f"{cid}: title must be 1–60 chars ({len(case['title'])})")
    summary = case["summary"]
    sentences = len(re.findall(r"[。！？]", summary))
    if len(summary) > 300 or not 2 <= sentences <= 3 or not summary.endswith(("。", "！", "？")):
        err(f"{cid}: summary must be ≤300 chars and 2–3 sentences (len {len(summary)}, {sentences} sentences)")
    for key in SECTION_KEYS:
        text = case[key]
        if _cjk(text) < 150 or len(text) > 450:
            err(f"{cid}: {key} must hold 150–450 Chinese characters (cjk {_cjk(text)}, len {len(text)})")
        if text.count("**") > 2:
            err(f"{cid}: {key} uses bold more than once")
    problems = case["problems"]
    if problems and (_cjk(problems) < 60 or len(problems) > 200):
        err(f"{cid}: problems must be empty or 60–200 chars (cjk {_cjk(problems)}, len {len(problems)})")
    if sum(case[k].count("**") for k in (*SECTION_KEYS, "problems")) > 4:
        err(f"{cid}: too much bold")

    themes = case["themes"]
    if not isinstance(themes, list) or not 1 <= len(themes) <= 3 or len(set(themes)) != len(themes):
        err(f"{cid}: themes must be 1–3 distinct names")
    for theme in themes:
        if theme not in THEME_VOCABULARY:
            err(f"{cid}: theme {theme!r} is not in the vocabulary")
    tags = case["tags"]
    if (not isinstance(tags, list) or not 1 <= len(tags) <= 4 or len(set(tags)) != len(tags)
            or not all(isinstance(t, str) and 0 < len(t) <= 12 for t in tags)):
        err(f"{cid}: tags must be 1–4 distinct short strings")

    if case["province"] not in PROVINCES:
        err(f"{cid}: province {case['province']!r} is not an official name")
    for key in ("city", "county", "community"):
        if not case[key].strip() or "某" in case[key]:
            err(f"{cid}: {key} must be a concrete (fictional) name")
    if case["community_type"] not in COMMUNITY_TYPES:
        err(f"{cid}: bad community_type {case['community_type']!r}")

    try:
        started = date.fromisoformat(case["started_on"])
        if not 2020 <= started.year <= 2024:
            err(f"{cid}: started_on outside 2020–2024")
        if case["ended_on"] is not None:
            ended = date.fromisoformat(case["ended_on"])
            if ended < started or ended.year > 2024:
                err(f"{cid}: ended_on must be ≥ started_on and within 2020–2024")
    except (TypeError, ValueError) as exc:
        err(f"{cid}: bad date ({exc})")
    ben = case["beneficiaries"]
    if ben is not None and (isinstance(ben, bool) or not isinstance(ben, int) or ben <= 0):
        err(f"{cid}: beneficiaries must be a positive int or None")
    for key in ("partners", "funding_source"):
        if not 0 < len(case[key]) <= 60:
            err(f"{cid}: {key} must be a short non-empty string")

    for key in TEXT_KEYS:
        text = case.get(key, "")
        mobiles = MOBILE_RE.findall(text)
        if mobiles != _expected_mobiles(case, key):
            err(f"{cid}: {key} has mobiles {mobiles}, expected {_expected_mobiles(case, key)}")
        if PERSONAL_RE.search(text):
            err(f"{cid}: {key} contains something that looks like personal data")
        if "某某" in text:
            err(f"{cid}: {key} contains a placeholder 某某")
        for person in SEED_PEOPLE:
            if person in text:
                err(f"{cid}: {key} names a real person ({person})")
    try:
        json.dumps(case, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        err(f"{cid}: not JSON-serialisable ({exc})")
    return errors


def _collection_problems(cases: list[dict]) -> list[str]:
    """What is wrong with the set of demo cases as a whole; [] when it is well spread."""
    errors: list[str] = []
    err = errors.append
    if len(cases) != 12:
        err(f"expected 12 cases, got {len(cases)}")
    statuses = Counter(c.get("status") for c in cases)
    if dict(statuses) != STATUS_COUNTS:
        err(f"status counts {dict(statuses)} != {STATUS_COUNTS}")
    featured = [c for c in cases if c.get("featured")]
    if len(featured) != 2:
        err(f"expected 2 featured cases, got {len(featured)}")
    if PENDING_ORG in {c.get("org") for c in cases}:
        err("the pending org must not publish cases")
    orgs = Counter(c.get("org") for c in cases)
    if set(orgs) != set(VERIFIED_ORGS):
        err(f"cases should be spread over all four verified orgs: {dict(orgs)}")
    guizhou = sum(1 for c in cases if c.get("province") == "贵州省")
    if guizhou <= len(cases) // 2:
        err("most cases should be in Guizhou")
    if len({c.get("province") for c in cases}) < 3:
        err("cases must cover at least 3 provinces")
    covered = {t for c in cases for t in c.get("themes", [])}
    missing = [t for t in REQUIRED_THEMES if t not in covered]
    if missing:
        err(f"themes not covered: {missing}")
    start_years = {c["started_on"][:4] for c in cases if isinstance(c.get("started_on"), str)}
    if start_years != {"2020", "2021", "2022", "2023", "2024"}:
        err(f"start years should spread over 2020–2024: {sorted(start_years)}")
    empty_problems = sum(1 for c in cases if c.get("problems") == "")
    if not 3 <= empty_problems <= 5:
        err(f"about a third of cases should have empty problems, got {empty_problems}")
    with_list = sum(1 for c in cases if re.search(r"^(?:\d+\.|-) ", c.get("approach", ""), re.MULTILINE))
    if with_list < 10:
        err(f"approach should usually contain a list ({with_list}/12)")
    tables = sum(1 for c in cases if re.search(r"^\|\s*-+", c.get("outcomes", ""), re.MULTILINE))
    if tables < 2:
        err(f"at least two outcomes need a Markdown table ({tables})")
    if len({c.get("title") for c in cases}) != len(cases):
        err("titles must be unique")
    return errors


@pytest.mark.parametrize("n, case", list(enumerate(DEMO_CASES, 1)),
                         ids=[c.get("external_id", "?") for c in DEMO_CASES])
def test_each_demo_case_follows_the_content_rules(n, case):
    assert _case_problems(n, case) == []


def test_the_demo_cases_are_spread_over_units_themes_provinces_and_years():
    assert _collection_problems(DEMO_CASES) == []


def test_the_rules_catch_a_broken_case():
    """The checks above can fail: a real name, a second mobile and a copied title are reported."""
    case = dict(DEMO_CASES[0], summary="李雪梅说。电话 13912345678。", external_id="demo-002")
    problems = "\n".join(_case_problems(1, case))
    assert "external_id should be demo-001" in problems
    assert "names a real person (李雪梅)" in problems
    assert "summary has mobiles ['13912345678']" in problems
    assert "titles must be unique" in _collection_problems(DEMO_CASES + [DEMO_CASES[0]])


def test_outcome_tables_render_as_html_tables():
    """Markdown tables need the blank line before them; at least two outcomes show one."""
    rendered = sum(1 for c in DEMO_CASES if "<table>" in str(render_markdown(c["outcomes"])))
    assert rendered >= 2


def test_the_privacy_scanner_finds_only_the_drafts_fake_number():
    for case in DEMO_CASES:
        for key in TEXT_KEYS:
            text = case.get(key, "")
            found = [f.value for f in privacy.scan_text(text, key)] if text else []
            assert found == _expected_mobiles(case, key), f"{case['external_id']}.{key}"


@pytest.mark.skipif(not SEED_FILE.is_file(), reason=f"seed page not found at {SEED_FILE} (../shared/seed/)")
def test_no_demo_text_copies_the_seed_page():
    seed = re.sub(r"\s+", "", SEED_FILE.read_text(encoding="utf-8"))
    copied = []
    for case in DEMO_CASES:
        for key in ("summary", *SECTION_KEYS, "problems", "return_reason"):
            run = _longest_shared_run(re.sub(r"\s+", "", case.get(key, "")), seed)
            if len(run) > MAX_SHARED_RUN:
                copied.append(f"{case['external_id']}.{key}: {run!r}")
    assert copied == []


def test_the_demo_has_a_closed_call_with_published_awards_and_an_open_call(runner, app, client):
    """``seed-demo`` adds a call whose results are out (awarded cases listed on the results page,
    the award badge on a winning case's page) and a call still open for entries."""
    from sqlalchemy import select

    from portal.calls import services as calls
    from portal.calls.models import CaseCall
    from portal.extensions import db

    assert runner.invoke(args=["portal", "seed-demo"]).exit_code == 0
    with app.app_context():
        found = list(db.session.scalars(select(CaseCall).order_by(CaseCall.id)))
        states = {c.title: calls.state(c) for c in found}
        closed = next(c for c in found if states[c.title] == calls.State.CLOSED)
        awarded = [(e.case_id, e.case.title, e.award.name) for e in calls.active_entries(closed) if e.award]
        unawarded = [e.case.title for e in calls.active_entries(closed) if not e.award]
        call_id, call_title = closed.id, closed.title
    assert calls.State.OPEN in states.values()
    assert len(awarded) == 5 and unawarded
    results = client.get(f"/calls/{call_id}/results")
    assert results.status_code == 200
    page = results.get_data(as_text=True)
    for _case_id, title, level in awarded:
        assert title in page and level in page
    assert not any(title in page for title in unawarded)
    first = next(case_id for case_id, _title, level in awarded if level == "一等奖")
    case_page = client.get(f"/cases/{first}").get_data(as_text=True)
    assert "获奖" in case_page and f"{call_title} · 一等奖" in case_page
