"""JSON Lines import and export of cases through the Flask CLI (`flask cases import|export`).

Each command runs through the app's test CLI runner, exactly as an operator would run it;
the database is then inspected in a fresh app context.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from portal.cases.models import Case, CaseStatus, CaseVersion, Tag
from portal.extensions import db as _db

ORG_A = "花溪区阳光社会工作服务中心"
ORG_B = "云岩区邻里社会工作服务中心"
SUMMARY_RE = re.compile(r"^导入完成：新建 (\d+) 个，更新 (\d+) 个，失败 (\d+) 行。$", re.M)
ERROR_RE = re.compile(r"^第 (\d+) 行：(.+)$", re.M)


# -- helpers ------------------------------------------------------------------------------------

def record(external_id: str, **overrides) -> dict:
    """A complete case record in the import format (publishable as is)."""
    base = {
        "external_id": external_id,
        "title": f"五社联动助力老旧小区治理（{external_id}）",
        "summary": "以社区为平台、社工为支撑，联动社会组织、志愿者和慈善资源，解决老旧小区的养老难题。",
        "background": "某社区建成于上世纪八十年代，**老年人口占比高**。",
        "approach": "1. 开展入户需求调查\n2. 组建居民议事会\n\n| 活动 | 场次 |\n| --- | --- |\n| 议事会 | 12 |",
        "outcomes": "共服务居民 1200 人次，居民满意度达 95%。",
        "lessons": "坚持需求导向，发挥居民主体作用。",
        "problems": "",
        "themes": ["需求导向", "五社联动"],  # display (position) order, as exported
        "tags": ["老旧小区", "议事会"],  # name order, as exported
        "province": "贵州省",
        "city": "贵阳市",
        "county": "花溪区",
        "community": "阳光社区",
        "community_type": "城市社区",
        "started_on": "2022-03-01",
        "ended_on": "2023-06-30",
        "partners": "花溪区民政局",
        "beneficiaries": 1200,
        "funding_source": "政府购买服务",
        "contact": "",
    }
    base.update(overrides)
    return base


def jsonl(*items) -> str:
    """Each item is a dict (dumped as JSON) or a raw string (written as is)."""
    lines = [item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in items]
    return "\n".join(lines) + "\n"


def write(tmp_path, *items, name="cases.jsonl"):
    path = tmp_path / name
    path.write_text(jsonl(*items), encoding="utf-8")
    return path


def run_import(runner, path, org=ORG_A, publish=False):
    args = ["cases", "import", str(path), "--org", org]
    if publish:
        args.append("--publish")
    return runner.invoke(args=args)


def counts(result) -> tuple[int, int, int]:
    match = SUMMARY_RE.search(result.stdout)
    assert match, f"no summary line in {result.output!r}"
    return tuple(int(g) for g in match.groups())


def errors(result) -> dict[int, str]:
    found = {}
    for number, message in ERROR_RE.findall(result.stderr):
        assert int(number) not in found, f"line {number} reported twice"
        found[int(number)] = message
    return found


def cases_of(app, org_name=ORG_A) -> dict[str, dict]:
    """external_id -> a plain view of that org's cases (read in a fresh app context)."""
    from portal.orgs.models import Organization

    with app.app_context():
        org = _db.session.scalar(select(Organization).where(Organization.name == org_name))
        out = {}
        for case in _db.session.scalars(select(Case).where(Case.org_id == org.id).order_by(Case.id)):
            out[case.external_id] = {
                "id": case.id, "title": case.title, "status": case.status, "summary": case.summary,
                "background": case.background, "themes": [t.name for t in case.themes],
                "tags": [t.name for t in case.tags], "province": case.province,
                "started_on": case.started_on, "ended_on": case.ended_on,
                "beneficiaries": case.beneficiaries, "published_at": case.published_at,
                "versions": [json.loads(v.snapshot) for v in case.versions],
                "transitions": [(t.from_status, t.to_status, t.reason, t.actor_id) for t in case.transitions],
            }
        return out


def total_cases(app) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count(Case.id)))


def tag_names(app) -> set[str]:
    with app.app_context():
        return set(_db.session.scalars(select(Tag.name)))


@pytest.fixture
def orgs(factory):
    """Two verified units, each with its own admin."""
    _, email_a = factory.user("a-admin@example.org", "阳光社工")
    _, email_b = factory.user("b-admin@example.org", "邻里社工")
    return {ORG_A: factory.org(email_a, name=ORG_A), ORG_B: factory.org(email_b, name=ORG_B)}


# -- import: valid files ------------------------------------------------------------------------

def test_valid_file_imports_every_line_as_draft(app, runner, orgs, tmp_path):
    path = write(tmp_path, record("gy-001"), "", record("gy-002", beneficiaries=0, ended_on=None,
                                                          themes=["党建引领"], tags=[]))

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert counts(result) == (2, 0, 0)
    assert result.stdout.strip() == "导入完成：新建 2 个，更新 0 个，失败 0 行。"
    assert result.stderr == ""
    cases = cases_of(app)
    assert set(cases) == {"gy-001", "gy-002"}
    first = cases["gy-001"]
    assert first["status"] == CaseStatus.DRAFT
    assert first["title"] == "五社联动助力老旧小区治理（gy-001）"
    assert first["themes"] == ["需求导向", "五社联动"]
    assert sorted(first["tags"]) == ["老旧小区", "议事会"]
    assert first["province"] == "贵州省"
    assert str(first["started_on"]) == "2022-03-01" and str(first["ended_on"]) == "2023-06-30"
    assert first["beneficiaries"] == 1200
    assert first["published_at"] is None and first["transitions"] == []
    second = cases["gy-002"]
    assert second["beneficiaries"] == 0 and second["ended_on"] is None
    assert second["themes"] == ["党建引领"] and second["tags"] == []


def test_file_with_bom_and_crlf_line_endings(app, runner, orgs, tmp_path):
    path = tmp_path / "windows.jsonl"
    path.write_bytes("\ufeff".encode() + jsonl(record("w-1"), record("w-2")).replace("\n", "\r\n").encode())

    result = run_import(runner, path)

    assert result.exit_code == 0, result.output
    assert counts(result) == (2, 0, 0)
    assert set(cases_of(app)) == {"w-1", "w-2"}


def test_unknown_org_is_refused(app, runner, orgs, tmp_path):
    result = run_import(runner, write(tmp_path, record("x-1")), org="不存在的单位")

    assert result.exit_code != 0
    assert "没有名为“不存在的单位”的单位" in result.output
    assert total_cases(app) == 0


# -- import: bad lines -------------------------------------------------------------------------

BAD_LINES = [
    # (id, the raw line or record, words the reason must contain)
    ("malformed-json", '{"external_id": "bad", "title": "缺右括号"', ["JSON"]),
    ("not-an-object", '["external_id", "bad"]', ["JSON 对象"]),
    ("unknown-key", record("bad", 标题="多余字段", colour="red"), ["未知字段", "colour", "标题"]),
    ("missing-external-id", {k: v for k, v in record("bad").items() if k != "external_id"}, ["external_id"]),
    ("blank-external-id", record("   "), ["external_id"]),
    ("numeric-external-id", record(17), ["external_id"]),
    ("too-long-external-id", record("x" * 101), ["external_id"]),
    ("unknown-theme", record("bad", themes=["五社联动", "宇宙探索"]), ["themes", "宇宙探索"]),
    ("unknown-province", record("bad", province="火星省"), ["province", "火星省"]),
    ("ended-before-started", record("bad", started_on="2023-05-01", ended_on="2023-04-30"), ["ended_on"]),
    ("negative-beneficiaries", record("bad", beneficiaries=-5), ["beneficiaries"]),
    ("float-beneficiaries", record("bad", beneficiaries=12.5), ["beneficiaries"]),
    ("string-beneficiaries", record("bad", beneficiaries="1200"), ["beneficiaries"]),
    ("boolean-beneficiaries", record("bad", beneficiaries=True), ["beneficiaries"]),
    ("summary-too-long", record("bad", summary="长" * 301), ["summary", "300"]),
    ("title-too-long", record("bad", title="题" * 121), ["title", "120"]),
    ("missing-title", {k: v for k, v in record("bad").items() if k != "title"}, ["title"]),
    ("title-not-a-string", record("bad", title=123), ["title"]),
    ("themes-a-string", record("bad", themes="五社联动"), ["themes"]),
    ("themes-an-object", record("bad", themes={"name": "五社联动"}), ["themes"]),
    ("themes-an-empty-object", record("bad", themes={}), ["themes"]),
    ("themes-list-of-numbers", record("bad", themes=[1, 2]), ["themes"]),
    ("tags-a-string", record("bad", tags="老旧小区"), ["tags"]),
    ("tag-too-long", record("bad", tags=["签" * 31]), ["tags"]),
    ("bad-date", record("bad", started_on="2023年5月1日"), ["started_on", "2023年5月1日"]),
    ("impossible-date", record("bad", ended_on="2023-02-30"), ["ended_on"]),
    ("date-a-number", record("bad", started_on=20230501), ["started_on"]),
    ("unknown-community-type", record("bad", community_type="工业园区"), ["community_type"]),
]


@pytest.mark.parametrize("bad, words", [(b, w) for _, b, w in BAD_LINES], ids=[i for i, _, _ in BAD_LINES])
def test_bad_line_is_reported_and_skipped(app, runner, orgs, tmp_path, bad, words):
    if isinstance(bad, dict):
        bad = {**bad, "tags": bad.get("tags", []) if not isinstance(bad.get("tags"), list)
               else [*bad["tags"], "坏行专用标签"]}
    path = write(tmp_path, record("good-1"), bad, record("good-2"))

    result = run_import(runner, path, publish=True)

    assert result.exit_code != 0
    assert counts(result) == (2, 0, 1)
    reported = errors(result)
    assert list(reported) == [2]
    for word in words:
        assert word in reported[2], f"{word!r} not in {reported[2]!r}"
    cases = cases_of(app)
    assert set(cases) == {"good-1", "good-2"}  # only the good lines, both published
    assert all(c["status"] == CaseStatus.PUBLISHED for c in cases.values())
    assert "坏行专用标签" not in tag_names(app)  # nothing from the bad line leaks into the database


def test_every_bad_line_is_reported_with_its_own_number(app, runner, orgs, tmp_path):
    items = [record("ok-1")]
    expected = {}
    for index, (_, bad, words) in enumerate(BAD_LINES):
        items.append(bad)
        expected[len(items)] = words
        if index % 3 == 0:  # good lines and blank lines mixed in keep their numbers
            items.append(record(f"ok-{index + 2}"))
        if index % 5 == 0:
            items.append("   ")
    good = [i["external_id"] for i in items if isinstance(i, dict) and str(i.get("external_id")).startswith("ok-")]
    path = write(tmp_path, *items)

    result = run_import(runner, path)

    assert result.exit_code == 1
    assert counts(result) == (len(good), 0, len(BAD_LINES))
    reported = errors(result)
    assert set(reported) == set(expected)
    for number, words in expected.items():
        for word in words:
            assert word in reported[number], f"line {number}: {word!r} not in {reported[number]!r}"
    assert set(cases_of(app)) == set(good)
    # The summary line goes to stdout, the per-line errors to stderr.
    assert "第 " not in result.stdout


def test_huge_beneficiaries_is_a_line_error_not_a_crash(app, runner, orgs, tmp_path):
    path = write(tmp_path, record("big", beneficiaries=10 ** 20), record("fine"))

    result = run_import(runner, path)

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert counts(result) == (1, 0, 1)
    assert "beneficiaries" in errors(result)[1]
    assert set(cases_of(app)) == {"fine"}


def test_file_of_only_bad_lines_saves_nothing(app, runner, orgs, tmp_path):
    path = write(tmp_path, "not json", record("b", province="火星省"))

    result = run_import(runner, path, publish=True)

    assert result.exit_code == 1
    assert counts(result) == (0, 0, 2)
    assert total_cases(app) == 0


# -- --publish ---------------------------------------------------------------------------------

def test_publish_publishes_complete_cases_and_reports_incomplete_ones(app, runner, orgs, tmp_path):
    path = write(
        tmp_path,
        record("complete"),
        record("no-lessons", lessons=""),
        record("no-themes", themes=[], community_type=""),
        record("personal-data", outcomes="联系人手机 13812345678。"),
        record("complete-2", problems="资金来源单一。"),
    )

    result = run_import(runner, path, publish=True)

    assert result.exit_code == 1
    assert counts(result) == (2, 0, 3)
    reported = errors(result)
    assert set(reported) == {2, 3, 4}
    assert "无法发布" in reported[2] and "经验启示" in reported[2]
    assert "至少一个主题" in reported[3] and "社区类型" in reported[3]
    assert "隐私检查" in reported[4]
    cases = cases_of(app)
    assert set(cases) == {"complete", "complete-2"}
    for case in cases.values():
        assert case["status"] == CaseStatus.PUBLISHED
        assert case["published_at"] is not None
        # Recorded through the workflow, by the system (no user), with the import as the reason.
        assert case["transitions"] == [("draft", "submitted", "批量导入", None),
                                       ("submitted", "published", "批量导入", None)]


def test_publish_refuses_cases_of_an_unverified_unit(app, runner, factory, tmp_path):
    _, email = factory.user()
    factory.org(email, name=ORG_A, status="pending")

    result = run_import(runner, write(tmp_path, record("p-1")), publish=True)

    assert result.exit_code == 1
    assert "尚未通过认证" in errors(result)[1]
    assert total_cases(app) == 0


# -- re-import ---------------------------------------------------------------------------------

def test_reimport_updates_a_draft_instead_of_duplicating(app, runner, orgs, tmp_path):
    assert run_import(runner, write(tmp_path, record("r-1"), record("r-2"))).exit_code == 0
    before = cases_of(app)

    changed = record("r-1", title="修改后的标题", themes=["乡村振兴"], tags=["新标签"])
    result = run_import(runner, write(tmp_path, changed, record("r-3"), name="second.jsonl"))

    assert result.exit_code == 0, result.output
    assert counts(result) == (1, 1, 0)
    after = cases_of(app)
    assert set(after) == {"r-1", "r-2", "r-3"}
    assert total_cases(app) == 3
    assert after["r-1"]["id"] == before["r-1"]["id"]
    assert after["r-1"]["title"] == "修改后的标题"
    assert after["r-1"]["themes"] == ["乡村振兴"] and after["r-1"]["tags"] == ["新标签"]
    assert after["r-1"]["status"] == CaseStatus.DRAFT
    assert after["r-1"]["versions"] == []  # drafts keep no versions


def test_reimport_of_a_published_case_keeps_the_previous_version(app, runner, orgs, tmp_path):
    assert run_import(runner, write(tmp_path, record("v-1")), publish=True).exit_code == 0
    original = cases_of(app)["v-1"]
    assert original["status"] == CaseStatus.PUBLISHED

    result = run_import(runner, write(tmp_path, record("v-1", title="第二版标题", beneficiaries=1500),
                                      name="v2.jsonl"), publish=True)

    assert result.exit_code == 0, result.output
    assert counts(result) == (0, 1, 0)
    case = cases_of(app)["v-1"]
    assert case["id"] == original["id"] and total_cases(app) == 1
    assert case["status"] == CaseStatus.PUBLISHED
    assert case["title"] == "第二版标题" and case["beneficiaries"] == 1500
    assert case["published_at"] == original["published_at"]
    assert len(case["versions"]) == 1
    assert case["versions"][0]["title"] == original["title"]
    assert case["versions"][0]["beneficiaries"] == 1200
    assert case["transitions"] == original["transitions"]  # no second publication

    # Without --publish too: a published case stays published and keeps one more version.
    result = run_import(runner, write(tmp_path, record("v-1", title="第三版标题"), name="v3.jsonl"))
    assert result.exit_code == 0 and counts(result) == (0, 1, 0)
    case = cases_of(app)["v-1"]
    assert case["status"] == CaseStatus.PUBLISHED
    assert [v["title"] for v in case["versions"]] == [original["title"], "第二版标题"]


def test_reimporting_identical_content_keeps_no_extra_version(app, runner, orgs, tmp_path):
    # Themes and tags deliberately not in display order.
    same = record("same-1", themes=["五社联动", "需求导向"], tags=["议事会", "老旧小区", "阿"])
    path = write(tmp_path, same)
    assert run_import(runner, path, publish=True).exit_code == 0

    for _ in range(2):
        result = run_import(runner, path, publish=True)
        assert result.exit_code == 0 and counts(result) == (0, 1, 0)

    assert cases_of(app)["same-1"]["versions"] == []


def test_failed_reimport_leaves_the_existing_case_untouched(app, runner, orgs, tmp_path):
    assert run_import(runner, write(tmp_path, record("keep")), publish=True).exit_code == 0
    before = cases_of(app)["keep"]

    result = run_import(runner, write(tmp_path, record("keep", title="不会保存", province="火星省"),
                                      name="bad.jsonl"), publish=True)

    assert result.exit_code == 1
    assert counts(result) == (0, 0, 1)
    assert cases_of(app)["keep"] == before


def test_same_external_id_in_another_org_is_a_separate_case(app, runner, orgs, tmp_path):
    path = write(tmp_path, record("shared-id"))
    assert counts(run_import(runner, path, org=ORG_A)) == (1, 0, 0)
    assert counts(run_import(runner, path, org=ORG_B)) == (1, 0, 0)

    assert total_cases(app) == 2
    assert cases_of(app, ORG_A)["shared-id"]["id"] != cases_of(app, ORG_B)["shared-id"]["id"]


# -- export ------------------------------------------------------------------------------------

def run_export(runner, *args):
    return runner.invoke(args=["cases", "export", *args])


def parse_jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_export_writes_published_cases_as_jsonl_to_stdout(app, runner, orgs, tmp_path):
    assert run_import(runner, write(tmp_path, record("e-1"), record("e-2")), publish=True).exit_code == 0
    assert run_import(runner, write(tmp_path, record("draft-1"), name="d.jsonl")).exit_code == 0
    assert run_import(runner, write(tmp_path, record("other-org"), name="o.jsonl"), org=ORG_B,
                      publish=True).exit_code == 0

    result = run_export(runner, "--org", ORG_A, "--status", "published")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "五社联动" in lines[0]  # UTF-8, not \u escapes
    records = [json.loads(line) for line in lines]
    assert [r["external_id"] for r in records] == ["e-1", "e-2"]
    assert records[0] == {**record("e-1"), "org": ORG_A, "org_credit_code": None}  # the export names the unit

    everything = parse_jsonl(run_export(runner, "--org", ORG_A).stdout)
    assert {r["external_id"] for r in everything} == {"e-1", "e-2", "draft-1"}
    drafts = parse_jsonl(run_export(runner, "--org", ORG_A, "--status", "draft").stdout)
    assert [r["external_id"] for r in drafts] == ["draft-1"]
    all_orgs = parse_jsonl(run_export(runner, "--status", "published").stdout)
    assert {r["external_id"] for r in all_orgs} == {"e-1", "e-2", "other-org"}


def test_export_rejects_unknown_status_and_org(runner, orgs):
    assert run_export(runner, "--status", "secret").exit_code != 0
    result = run_export(runner, "--org", "不存在的单位")
    assert result.exit_code != 0
    assert "没有名为“不存在的单位”的单位" in result.output


def test_export_then_import_into_another_org_round_trips(app, runner, orgs, factory, tmp_path):
    rich = record(
        "rt-1",
        title="“三社联动”与 <老旧小区> & 加装电梯",
        summary="摘要里有引号\"、反斜杠\\和表情😀。",
        background="# 标题\n\n- 列表一\n- 列表二\n\n```\ncode block\n```\n\n> 引用",
        problems="下一步：扩大覆盖面。\n\n第二段。",
        themes=["社工站建设", "五社联动", "乡村振兴"],
        tags=["乙", "甲", "#丙"],
        community_type="城乡结合部",
        contact="中心热线（公开）",
    )
    sparse = record("rt-2", county="", community="", started_on=None, ended_on=None, partners="",
                    beneficiaries=None, funding_source="", tags=[], themes=["党建引领"])
    assert run_import(runner, write(tmp_path, rich, sparse), publish=True).exit_code == 0
    # A case written through the web has no external_id: export names it case-<id>.
    with app.app_context():
        from portal.cases import services
        from portal.orgs.models import Organization

        org_a = _db.session.scalar(select(Organization).where(Organization.name == ORG_A))
        web_case = services.create_case(None, org_a, services.CaseData(**{
            k: v for k, v in record("unused").items() if k not in ("external_id", "started_on", "ended_on")}))
        services.transition(None, web_case, "submit")
        services.transition(None, web_case, "publish")
        _db.session.commit()
        web_id = web_case.id

    exported = run_export(runner, "--org", ORG_A, "--status", "published")
    assert exported.exit_code == 0
    first = parse_jsonl(exported.stdout)
    assert [r["external_id"] for r in first] == ["rt-1", "rt-2", f"case-{web_id}"]

    dump = tmp_path / "export-a.jsonl"
    dump.write_text(exported.stdout, encoding="utf-8")
    imported = run_import(runner, dump, org=ORG_B, publish=True)
    assert imported.exit_code == 0, imported.output
    assert counts(imported) == (3, 0, 0)

    second = parse_jsonl(run_export(runner, "--org", ORG_B, "--status", "published").stdout)
    mapping = {a["external_id"]: b["external_id"] for a, b in zip(first, second)}
    assert mapping == {"rt-1": "rt-1", "rt-2": "rt-2", f"case-{web_id}": f"case-{web_id}"}
    assert {r["org"] for r in first} == {ORG_A} and {r["org"] for r in second} == {ORG_B}
    own = ("external_id", "org", "org_credit_code")
    strip = [{k: v for k, v in r.items() if k not in own} for r in first]
    assert [{k: v for k, v in r.items() if k not in own} for r in second] == strip
    assert first[0]["themes"] == ["五社联动", "社工站建设", "乡村振兴"]  # display order
    assert first[0]["tags"] == sorted(["乙", "甲", "丙"])  # '#' stripped, name order
    assert first[0]["title"] == rich["title"] and first[0]["summary"] == rich["summary"]

    # The dump is a fixpoint: importing it again updates in place and keeps no versions.
    again = run_import(runner, dump, org=ORG_B, publish=True)
    assert again.exit_code == 0 and counts(again) == (0, 3, 0)
    with app.app_context():
        assert _db.session.scalar(select(func.count(CaseVersion.id))) == 0
    assert total_cases(app) == 6


# -- Markdown is sanitised when shown ------------------------------------------------------------

def test_imported_markdown_with_script_is_rendered_clean(app, runner, orgs, client, tmp_path):
    hostile = record(
        "xss-1",
        title="<script>alert('title')</script>标题",
        summary="<img src=x onerror=alert('summary')>摘要",
        background="正文 **粗体**\n\n<script>alert('background')</script>\n\n"
                   "<img src=\"x\" onerror=\"alert('img')\">\n\n[点我](javascript:alert('link'))\n\n"
                   "<a href=\"https://example.org\" onclick=\"alert('click')\">外链</a>\n\n"
                   "<iframe src=\"https://evil.example\"></iframe><style>body{display:none}</style>",
    )
    result = run_import(runner, write(tmp_path, hostile), publish=True)
    assert result.exit_code == 0, result.output
    case_id = cases_of(app)["xss-1"]["id"]
    # The raw Markdown is stored as written (the export gives back what was imported) ...
    assert "<script>alert('background')</script>" in cases_of(app)["xss-1"]["background"]

    response = client.get(f"/cases/{case_id}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # ... and cleaned when shown.
    section = page.split('id="section-background"', 1)[1].split("</section>", 1)[0]
    assert "<strong>粗体</strong>" in section
    assert "<script" not in section.lower()
    assert "onerror" not in section and "onclick" not in section
    assert "javascript:" not in section
    assert "<iframe" not in section and "<style" not in section
    assert 'href="https://example.org"' in section
    for marker in ("alert('title')</script>", "alert('summary')>", "<img src=x"):
        assert marker not in page
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;标题" in page  # plain text, escaped


# -- the unit travels with each line ------------------------------------------------------------

def _credit_code(first17: str) -> str:
    from portal.orgs.creditcode import check_character

    return first17 + check_character(first17)


def _set_org(app, name, **values):
    from portal.orgs.models import Organization

    with app.app_context():
        org = _db.session.scalar(select(Organization).where(Organization.name == name))
        for key, value in values.items():
            setattr(org, key, value)
        _db.session.commit()


def _delete_all_cases(app):
    with app.app_context():
        for case in _db.session.scalars(select(Case)):
            _db.session.delete(case)
        _db.session.commit()


def test_export_of_several_units_goes_back_to_each_unit_without_org(app, runner, orgs, tmp_path):
    code_b = _credit_code("91520103MA6DK1234")
    _set_org(app, ORG_B, credit_code=code_b)
    assert run_import(runner, write(tmp_path, record("a-1"), record("a-2")), publish=True).exit_code == 0
    assert run_import(runner, write(tmp_path, record("b-1"), record("a-1", title="邻里的同编号案例"), name="b.jsonl"),
                      org=ORG_B, publish=True).exit_code == 0

    exported = run_export(runner, "--status", "published")
    lines = parse_jsonl(exported.stdout)
    assert [(r["external_id"], r["org"], r["org_credit_code"]) for r in lines] == [
        ("a-1", ORG_A, None), ("a-2", ORG_A, None), ("b-1", ORG_B, code_b), ("a-1", ORG_B, code_b)]

    # The same file into an empty library (here: the same one emptied), no --org.
    _delete_all_cases(app)
    dump = tmp_path / "all.jsonl"
    dump.write_text(exported.stdout, encoding="utf-8")
    result = runner.invoke(args=["cases", "import", str(dump), "--publish"])

    assert result.exit_code == 0, result.output
    assert counts(result) == (4, 0, 0) and result.stderr == ""
    a, b = cases_of(app, ORG_A), cases_of(app, ORG_B)
    assert set(a) == {"a-1", "a-2"} and set(b) == {"b-1", "a-1"}
    assert b["a-1"]["title"] == "邻里的同编号案例" and a["a-1"]["title"] == record("a-1")["title"]
    assert {c["status"] for c in (*a.values(), *b.values())} == {CaseStatus.PUBLISHED}
    # Exporting again gives the same file: the round trip keeps the unit.
    assert parse_jsonl(run_export(runner, "--status", "published").stdout) == lines

    # Re-importing it updates each unit's own cases in place.
    again = runner.invoke(args=["cases", "import", str(dump)])
    assert again.exit_code == 0 and counts(again) == (0, 4, 0)
    assert total_cases(app) == 4


def test_the_credit_code_finds_a_unit_that_was_renamed(app, runner, orgs, tmp_path):
    code_b = _credit_code("52520102MJ0012345")
    _set_org(app, ORG_B, credit_code=code_b)
    line = record("moved-1", org="云岩区邻里社会工作服务中心（旧名）", org_credit_code=code_b.lower())

    result = runner.invoke(args=["cases", "import", str(write(tmp_path, line))])

    assert result.exit_code == 0, result.output
    assert set(cases_of(app, ORG_B)) == {"moved-1"} and cases_of(app, ORG_A) == {}


def test_lines_whose_unit_does_not_exist_are_refused_with_their_number(app, runner, orgs, tmp_path):
    unknown_code = _credit_code("91520100MA6DK9999")
    path = write(tmp_path,
                 record("ok-1", org=ORG_A),
                 record("gone-1", org="已注销的社工站"),
                 record("gone-2", org=ORG_A, org_credit_code=unknown_code),
                 record("nowhere-1"),
                 record("bad-1", org=ORG_A, org_credit_code=915201),
                 record("ok-2", org=ORG_B, org_credit_code=None))

    result = runner.invoke(args=["cases", "import", str(path)])

    assert result.exit_code == 1
    assert counts(result) == (2, 0, 4)
    reported = errors(result)
    assert set(reported) == {2, 3, 4, 5}
    assert "没有名为“已注销的社工站”的单位" in reported[2]
    assert f"没有统一社会信用代码为 {unknown_code} 的单位" in reported[3]
    assert "缺少单位" in reported[4] and "--org" in reported[4]
    assert "org_credit_code" in reported[5]
    assert set(cases_of(app, ORG_A)) == {"ok-1"} and set(cases_of(app, ORG_B)) == {"ok-2"}


def test_org_option_files_every_line_under_that_unit_and_says_so(app, runner, orgs, tmp_path):
    path = write(tmp_path, record("x-1", org=ORG_A), record("x-2", org=ORG_B), record("x-3"))

    result = run_import(runner, path, org=ORG_B)

    assert result.exit_code == 0, result.output
    assert counts(result) == (3, 0, 0)
    assert f"注意：1 行写明的是其他单位，已按 --org 导入到“{ORG_B}”。" in result.stderr
    assert set(cases_of(app, ORG_B)) == {"x-1", "x-2", "x-3"} and cases_of(app, ORG_A) == {}
