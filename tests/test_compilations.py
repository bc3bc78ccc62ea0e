"""案例汇编 (portal.compilations): a PDF of a session's running order, an event, a theme, a search
result or a hand-picked list, read back with poppler (pdftotext, pdffonts) as a reader's tools
would: the cases' titles in the contents' order, the CJK fonts embedded; built once and kept
until a case in it changes; large ones laid out in the background with visible progress; clear
refusals for selections with nothing anyone may read.

The world: unit 阳光社工 publishes three cases (two on 党建引领) and keeps a draft; a session
presents two of them (the second-published first); 点评专家甲 commented on one.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

SHARED_APP = True

TITLES = {"party": "党建引领：楼栋议事会", "canteen": "五社联动：社区食堂助老", "station": "党建引领：乡镇社工站建设"}


@pytest.fixture(autouse=True)
def _poppler():
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        pytest.skip("poppler-utils (pdftotext, pdffonts) are missing: apt-get install poppler-utils")


def build_world(app, factory) -> dict:
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.reviews import services as reviews
    from portal.sessions import services as sessions

    _id, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    expert_id, expert = factory.user("expert@example.org", "点评专家甲", reviewer=True)
    _id, editor = factory.user("editor@example.org", "单位编辑")
    unit = factory.org(editor, name="阳光社工")
    ids = {
        "party": factory.case(unit, TITLES["party"], themes=("党建引领",), body="每月一次**楼栋议事会**。"),
        "canteen": factory.case(unit, TITLES["canteen"], themes=("五社联动",)),
        "station": factory.case(unit, TITLES["station"], themes=("党建引领",)),
        "draft": factory.case(unit, "草稿：尚未完成", status="draft"),
    }
    with app.test_request_context():
        admin_user = get_user_by_email(admin)
        reviews.post_comment(get_user_by_email(expert), db.session.get(Case, ids["party"]), reviews.CommentData(
            body="议事规则清晰，值得推广。", declaration="none"))
        start = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(days=3)
        session = sessions.create_session(admin_user, sessions.SessionData(
            title="第一阶段分享会", starts_at=start, ends_at=start + timedelta(hours=3)))
        for key in ("canteen", "party"):
            sessions.add_agenda_item(admin_user, session, sessions.AgendaData(kind="case", case_id=ids[key]))
        empty = sessions.create_session(admin_user, sessions.SessionData(
            title="没有案例的一场", starts_at=start, ends_at=start + timedelta(hours=1)))
        db.session.commit()
        return {"ids": ids, "session": session.id, "empty_session": empty.id, "editor": editor, "expert": expert_id}


@pytest.fixture
def world(app, factory, snapshot):
    return snapshot(lambda: build_world(app, factory))


def pdf_of(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert re.fullmatch(r"/compilations/\d+\.pdf", response.headers["Location"])
    pdf = client.get(response.headers["Location"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    return pdf.data


def poppler(tool: str, pdf: bytes, tmp_path) -> str:
    path = tmp_path / "book.pdf"
    path.write_bytes(pdf)
    args = [tool, str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def test_a_session_compilation_has_the_running_order_in_its_contents_and_embeds_cjk_fonts(client, world, tmp_path):
    pdf = pdf_of(client, f"/compilations/build?session={world['session']}")
    text = poppler("pdftotext", pdf, tmp_path)
    assert "第一阶段分享会" in text and "收录案例 2 个" in text
    contents = text[text.index("目录"):]
    # The contents list the cases in the running order, each with the page it starts on.
    first, second = contents.index("1. " + TITLES["canteen"]), contents.index("2. " + TITLES["party"])
    assert first < second
    pages = [int(n) for n in re.findall(r"\.{3,}\s*(\d+)", contents[:second + 200])]
    assert len(pages) >= 2 and pages[0] < pages[1]
    body = text[text.index("1. " + TITLES["canteen"], text.index("目录") + 10):]
    assert body.index(TITLES["canteen"]) < body.index(TITLES["party"])
    assert "楼栋议事会" in text and "议事规则清晰，值得推广。" in text and "点评专家甲" in text
    assert re.search(r"第\s*\d+\s*页\s*/\s*共\s*\d+\s*页", text)  # the footer
    assert TITLES["station"] not in text and "草稿" not in text

    fonts = poppler("pdffonts", pdf, tmp_path)
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # the emb column: embedded


def test_theme_search_and_hand_picked_lists(client, world, tmp_path):
    from portal.cases.models import Theme
    from portal.extensions import db

    with client.application.app_context():
        theme = db.session.scalar(db.select(Theme.id).where(Theme.name == "党建引领"))
    text = poppler("pdftotext", pdf_of(client, f"/compilations/build?theme={theme}"), tmp_path)
    assert "“党建引领”主题案例汇编" in text and TITLES["station"] in text and TITLES["canteen"] not in text

    ids = world["ids"]
    text = poppler("pdftotext", pdf_of(client, f"/compilations/build?cases={ids['station']}, {ids['party']}"), tmp_path)
    contents = text[text.index("目录"):]
    assert contents.index(TITLES["station"]) < contents.index(TITLES["party"])  # the order given

    text = poppler("pdftotext", pdf_of(client, "/compilations/build?q=食堂"), tmp_path)
    assert "“食堂”的搜索结果" in text and TITLES["canteen"] in text


@pytest.mark.parametrize(("query", "status", "message"), [
    ("cases={draft}", 400, "以下编号的案例不存在或尚未公开，无法汇编：{draft}"),
    ("cases=99999", 400, "以下编号的案例不存在或尚未公开"),
    ("cases=", 400, "请填写要汇编的案例编号"),
    ("session={empty_session}", 400, "这里没有已公开的案例，无法生成案例汇编。"),
    ("q=完全不存在的词语组合", 400, "这里没有已公开的案例"),
    ("session=99999", 404, "未找到该分享会"),
    ("session=1&theme=1", 400, "请选择一项要汇编的内容"),
    ("", 400, "请选择一项要汇编的内容"),
])
def test_nothing_to_compile_is_a_clear_message_not_an_empty_pdf(client, world, query, status, message):
    values = {"draft": world["ids"]["draft"], "empty_session": world["empty_session"]}
    response = client.get("/compilations/build?" + query.format(**values))
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert message.format(**values) in response.get_data(as_text=True)


def test_a_compilation_is_kept_until_a_case_in_it_changes(app, client, world, auth):
    from portal.cases.models import Case
    from portal.cases.services import CaseData, update_case
    from portal.compilations.models import CompilationJob
    from portal.extensions import db

    path = f"/compilations/build?session={world['session']}"
    first = client.get(path).headers["Location"]
    assert client.get(path).headers["Location"] == first  # laid out once
    with app.test_request_context():
        case = db.session.get(Case, world["ids"]["canteen"])
        data = {name: getattr(case, name) for name in ("summary", "background", "approach", "outcomes", "lessons",
                                                        "province", "city", "community_type")}
        update_case(None, case, CaseData(title="五社联动：社区食堂助老（修订）", themes=["五社联动"], **data))
        db.session.commit()
    second = client.get(path).headers["Location"]
    assert second != first
    # The outdated build is gone (the pages link the selection, which always gives the current one).
    assert client.get(first).status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CompilationJob)) == 1


def test_a_large_compilation_is_laid_out_in_the_background_with_progress(app, client, world, monkeypatch):
    from portal.compilations import services
    from portal.compilations.builder import builder

    monkeypatch.setattr(services, "SYNC_LIMIT", 1)
    app.config["COMPILATION_BUILD"] = "off"  # only the worker's pass below lays it out
    response = client.get(f"/compilations/build?session={world['session']}")
    progress = response.headers["Location"]
    assert re.fullmatch(r"/compilations/\d+", progress)
    page = client.get(progress).get_data(as_text=True)
    assert "正在整理案例：0 / 2" in page and '<meta http-equiv="refresh" content="3">' in page
    assert client.get(progress + ".pdf").headers["Location"] == progress  # not ready yet

    assert builder(app).run_once() == 1
    page = client.get(progress).get_data(as_text=True)
    assert "已生成：2 个案例" in page and "http-equiv" not in page
    assert client.get(progress + ".pdf").data.startswith(b"%PDF-")


def test_a_job_whose_worker_stopped_is_taken_over(app, world):
    from portal.compilations import services
    from portal.compilations.models import CompilationJob, JobStatus
    from portal.extensions import db
    from portal.models_base import utcnow

    with app.test_request_context():
        job = services.request_compilation(None, "session", str(world["session"]), "http://localhost/")
        job.status, job.updated_at = JobStatus.RUNNING, utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert services.claim() is None  # still reporting: left to its worker
        job.updated_at = utcnow() - services.STALE_AFTER - timedelta(seconds=1)
        db.session.commit()
        taken = services.claim()
        assert taken is not None and taken.id == job.id
        assert db.session.get(CompilationJob, job.id).status == JobStatus.RUNNING


def test_the_layout_loads_only_the_sites_own_images_of_published_cases(app, world):
    from portal.cases.models import Case
    from portal.cases.services import add_attachment
    from portal.compilations.services import _site_images
    from portal.extensions import db
    from tests.test_case_permissions import make_png

    with app.test_request_context():
        published = add_attachment(None, db.session.get(Case, world["ids"]["party"]), "照片.png", make_png())
        draft = add_attachment(None, db.session.get(Case, world["ids"]["draft"]), "草稿.png", make_png())
        db.session.commit()
        fetcher = _site_images("http://localhost/")
        image = fetcher.fetch(f"http://localhost/uploads/{published.stored_name}")
        assert image.read().startswith(b"\x89PNG")
        for url in (f"http://localhost/uploads/{draft.stored_name}", f"http://evil.example/uploads/{published.stored_name}",
                    "file:///etc/passwd", "http://127.0.0.1:6379/", "data:image/png;base64,iVBORw0KGgo="):
            with pytest.raises(ValueError):
                fetcher.fetch(url)


def test_pages_offer_their_compilation(client, world):
    assert f"/compilations/build?session={world['session']}" in client.get(
        f"/sessions/{world['session']}").get_data(as_text=True)
    assert "/compilations/build?session=" not in client.get(f"/sessions/{world['empty_session']}").get_data(as_text=True)
    assert "/compilations/build?q=" in client.get("/search?q=食堂").get_data(as_text=True)
    page = client.get("/compilations")
    assert page.status_code == 200 and 'name="cases"' in page.get_data(as_text=True)
    assert "Disallow: /compilations/build" in client.get("/robots.txt").get_data(as_text=True)
