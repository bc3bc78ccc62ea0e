"""User Markdown is rendered and sanitised once, when it is saved (portal.rendering): pages show
the stored HTML instead of rendering on every view; rows without stored HTML are rendered safely
on the fly; a changed allow-list plus ``portal rerender-html`` updates every stored page; the
migration that added the columns filled them for the rows already there.

The world: the demo data (every kind of stored Markdown: case sections, expert comments and a
revision, unit responses, internal reviews, discussion comments, sessions, series, events,
units, expert bios, adoption reports), each text ending in a bold marker naming its row.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from portal.rendering import registered_tables, render_html
from tests.test_case_workflow import browser_form, case_form, page_of

ADMIN = "admin@demo.example.org"
EDITOR = "unit.editor@demo.example.org"
PASSWORD = "demo-password-2026"
MARKER = re.compile(r"<strong>(标记-([a-z_]+)-([a-z]+)-\d+)</strong>")
ATTACK = "**要点**<script>alert(1)</script><img src=x onerror=alert(2)>[链接](javascript:alert(3))"


def build_world(app) -> dict:
    from sqlalchemy import select

    from portal.auth.services import get_user_by_email
    from portal.demo import seed_demo
    from portal.extensions import db
    from portal.rendering import REGISTRY
    from portal.reviews import services as reviews
    from portal.reviews.models import ExpertComment

    with app.app_context():
        seed_demo()
        db.session.commit()
        # An edited expert comment, so that there is a revision to show.
        comment = db.session.scalar(select(ExpertComment).order_by(ExpertComment.id))
        reviews.edit_comment(comment.author, comment, reviews.CommentData(
            body=comment.body + "（修改）", declaration=reviews.NO_CONFLICT,
            scores={s.dimension_id: str(s.score) for s in comment.scores}))
        db.session.commit()
        # Every stored Markdown text gets a bold marker, written through the ORM like any save.
        for model, fields in REGISTRY.items():
            for row in db.session.scalars(select(model)):
                key = model.__mapper__.primary_key_from_instance(row)[0]
                for field in fields:
                    value = getattr(row, field) or ""
                    setattr(row, field, f"{value}\n\n**标记-{model.__tablename__}-{field}-{key}**")
        db.session.commit()
        ids = {"editor": get_user_by_email(EDITOR).id, "comment": comment.id}
        db.session.remove()
    return ids


@pytest.fixture
def world(app, snapshot):
    return snapshot(lambda: build_world(app))


def sql(app, statement: str, **params):
    from portal.extensions import db

    with app.app_context():
        result = db.session.execute(text(statement), params)
        rows = result.all() if result.returns_rows else []
        db.session.commit()
        db.session.remove()
    return rows


def one(app, statement: str, **params):
    return sql(app, statement, **params)[0][0]


def public_pages(app) -> list[str]:
    """Every page that shows stored Markdown, found from the database."""
    ids = lambda table, key="id": [r[0] for r in sql(app, f"SELECT {key} FROM {table} ORDER BY {key}")]  # noqa: E731
    return ([f"/cases/{i}" for i in ids("cases")] + [f"/sessions/{i}" for i in ids("sharing_sessions")]
            + [f"/events/{i}" for i in ids("events")] + [f"/series/{i}" for i in ids("session_series")]
            + [f"/orgs/{i}" for i in ids("organizations")] + ["/admin/orgs"]
            + [f"/experts/{i}" for i in ids("reviewer_profiles", "user_id")]
            + [f"/expert-comments/{i}/revisions" for i in ids("expert_comments")]
            + [f"/calls/{i}" for i in ids("case_calls")])


def markers_on(client, paths) -> dict[str, set[str]]:
    found = {}
    for path in paths:
        response = client.get(path)
        if response.status_code == 200:
            found[path] = {m.group(1) for m in MARKER.finditer(page_of(response))}
    return found


# Saving ----------------------------------------------------------------------------------------

def test_the_case_form_stores_sanitised_html_and_an_edit_updates_it(app, client, auth, world):
    auth.login(EDITOR, PASSWORD)
    response = client.post("/cases/new", data=case_form(background=ATTACK))
    case_id = int(re.search(r"/cases/(\d+)/edit", response.headers["Location"]).group(1))
    stored = one(app, "SELECT background_html FROM cases WHERE id = :id", id=case_id)
    assert "<strong>要点</strong>" in stored
    for bad in ("<script", "onerror", "javascript:", "src="):
        assert bad not in stored
    assert one(app, "SELECT approach_html FROM cases WHERE id = :id", id=case_id) == render_html(case_form()["approach"])

    form = browser_form(page_of(client.get(f"/cases/{case_id}/edit")))
    form["background"] = "改写后的*背景*"
    assert client.post(f"/cases/{case_id}/edit", data=form).status_code == 302
    assert one(app, "SELECT background_html FROM cases WHERE id = :id", id=case_id) == "<p>改写后的<em>背景</em></p>"


def test_discussion_and_expert_comments_store_sanitised_html(app, client, auth, world):
    from portal.extensions import db
    from portal.reviews import services as reviews
    from portal.reviews.models import ExpertComment

    case_id = one(app, "SELECT id FROM cases WHERE status = 'published' ORDER BY id")
    auth.login("reader@demo.example.org", PASSWORD)
    client.post(f"/cases/{case_id}/comments", data={"body": ATTACK})
    stored = one(app, "SELECT body_html FROM comments ORDER BY id DESC")
    assert "<strong>要点</strong>" in stored and "<script" not in stored and "onerror" not in stored

    with app.app_context():  # an edit through the service renders the new text
        comment = db.session.get(ExpertComment, world["comment"])
        reviews.edit_comment(comment.author, comment, reviews.CommentData(
            body="新的 <b onmouseover=x>点评</b>", declaration=reviews.NO_CONFLICT,
            scores={s.dimension_id: str(s.score) for s in comment.scores}))
        db.session.commit()
        db.session.remove()
    assert one(app, "SELECT body_html FROM expert_comments WHERE id = :id",
               id=world["comment"]) == "<p>新的 <b>点评</b></p>"


def stored_rows_out_of_date(app) -> list:
    """Rows whose stored HTML is not the rendering of their Markdown."""
    stale = []
    for table, key, fields in registered_tables():
        columns = ", ".join(f"{f}, {f}_html" for f in fields)
        for row in sql(app, f"SELECT {key}, {columns} FROM {table}"):
            for index, field in enumerate(fields):
                if row[2 + 2 * index] != render_html(row[1 + 2 * index]):
                    stale.append((table, row[0], field))
    return stale


def test_every_write_path_stores_html_matching_its_source(app, runner, world, tmp_path):
    """The demo seed, services and plain ORM writes made the world; a JSON Lines import adds a case."""
    import json

    line = {"external_id": "imp-1", "title": "导入的案例", "summary": "导入", "background": ATTACK,
            "approach": "做法", "outcomes": "成效", "lessons": "经验", "problems": "", "themes": ["五社联动"],
            "tags": [], "province": "贵州省", "city": "贵阳市", "county": "", "community": "",
            "community_type": "城市社区", "started_on": None, "ended_on": None, "beneficiaries": None}
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    result = runner.invoke(args=["cases", "import", str(path), "--org", "黔东南州示例社会工作服务中心"])
    assert result.exit_code == 0, result.output
    stored = one(app, "SELECT background_html FROM cases WHERE external_id = 'imp-1'")
    assert "<strong>要点</strong>" in stored and "<script" not in stored and "onerror" not in stored
    assert stored_rows_out_of_date(app) == []


# Showing ---------------------------------------------------------------------------------------

def test_pages_show_the_stored_html_without_rendering_again(app, client, auth, world):
    case_id = one(app, "SELECT id FROM cases WHERE status = 'published' ORDER BY id")
    session_id = one(app, "SELECT id FROM sharing_sessions WHERE minutes != '' ORDER BY id")
    sql(app, "UPDATE cases SET summary = '', background_html = '<p>存储的背景</p>' WHERE id = :id", id=case_id)
    sql(app, "UPDATE comments SET body_html = '<p>存储的讨论</p>' WHERE case_id = :id", id=case_id)
    sql(app, "UPDATE sharing_sessions SET minutes_html = '<p>存储的纪要</p>' WHERE id = :id", id=session_id)

    page = page_of(client.get(f"/cases/{case_id}"))
    assert "<p>存储的背景</p>" in page and "<p>存储的讨论</p>" in page
    assert re.search(r'<meta name="description" content="存储的背景', page)  # the meta description too
    assert "<p>存储的纪要</p>" in page_of(client.get(f"/sessions/{session_id}"))


def test_a_row_without_stored_html_is_rendered_safely(app, client, world):
    case_id = one(app, "SELECT id FROM cases WHERE status = 'published' ORDER BY id")
    # As a raw SQL write (or a row older than the columns) leaves it.
    sql(app, "UPDATE cases SET background = :md, background_html = NULL WHERE id = :id", md=ATTACK, id=case_id)
    sql(app, "UPDATE comments SET body = :md, body_html = NULL WHERE case_id = :id", md=ATTACK, id=case_id)
    page = page_of(client.get(f"/cases/{case_id}"))
    assert page.count("<strong>要点</strong>") >= 2
    assert "<script>alert(1)" not in page and "onerror" not in page and "javascript:alert" not in page


# Re-rendering ----------------------------------------------------------------------------------

def test_a_changed_allow_list_and_the_rerender_command_update_every_stored_page(
        app, client, auth, runner, world, monkeypatch):
    from portal import text as portal_text

    auth.login(ADMIN, PASSWORD)
    paths = public_pages(app)
    before = markers_on(client, paths)
    shown = set().union(*before.values())
    # Every kind of stored Markdown is on some page.
    assert {(m.split("-")[1], m.split("-")[2]) for m in shown} == {
        (table, field) for table, _key, fields in registered_tables() for field in fields}

    monkeypatch.setattr(portal_text, "_cleaner", portal_text.make_cleaner(portal_text.ALLOWED_TAGS - {"strong"}))
    # Stored pages do not change by themselves ...
    assert markers_on(client, paths) == before

    result = runner.invoke(args=["portal", "rerender-html", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    rows = sum(one(app, f"SELECT count(*) FROM {table}") for table, _k, _f in registered_tables())
    assert f"Re-rendered {rows} rows; {rows} had changed." in result.output
    assert re.search(r"cases\s+\d+ rows", result.output)

    # ... the command changed every one of them, and nothing is left in the database.
    after = {path: page_of(client.get(path)) for path in before}
    for path, markers in before.items():
        for marker in markers:
            assert marker in after[path] and f"<strong>{marker}" not in after[path], (path, marker)
    for table, _key, fields in registered_tables():
        for field in fields:
            assert one(app, f"SELECT count(*) FROM {table} WHERE {field}_html LIKE '%<strong>%'") == 0

    again = runner.invoke(args=["portal", "rerender-html"])
    assert f"Re-rendered {rows} rows; 0 had changed." in again.output


def test_the_migration_fills_the_html_of_existing_rows(app, world):
    from flask_migrate import downgrade, upgrade

    from portal.extensions import db

    with app.app_context():
        downgrade(revision="0008_notification_digests")
        db.session.remove()
        upgrade()
        db.session.remove()
    assert stored_rows_out_of_date(app) == []
    assert one(app, "SELECT count(*) FROM cases WHERE background_html LIKE '%<strong>标记-cases%'") == one(
        app, "SELECT count(*) FROM cases")


def test_templates_show_stored_markdown_only_through_the_stored_html():
    """``|markdown`` renders on every view; every Markdown text the templates show is stored."""
    from pathlib import Path

    templates = Path(__file__).parents[1] / "portal" / "templates"
    using = [str(path.relative_to(templates)) for path in templates.rglob("*.html")
             if re.search(r"\|\s*markdown\b", path.read_text(encoding="utf-8"))]
    assert using == []
