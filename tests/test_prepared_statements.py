"""Prepared statements on PostgreSQL (portal/prepared.py): the marked pages' statements are
prepared and survive from view to view, because a request that only read commits; anything that
wrote, or failed, rolls back and keeps nothing; other pages prepare nothing."""
from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import event, select, text

from portal.cases.models import Theme
from portal.extensions import db

# Each test adds routes of its own, which Flask allows only before an app's first request.
SHARED_APP = False


@pytest.fixture
def ends(app, database):
    """The ways the app's transactions end during the test: a list of "commit" / "rollback",
    with the raw connection each ran on."""
    if database["backend"] != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite every request still rolls back")
    seen: list[tuple[str, object]] = []
    with app.app_context():
        engine = db.engine

    def on(kind):
        def listener(conn):
            seen.append((kind, conn.connection.dbapi_connection))
        return listener

    commit, rollback = on("commit"), on("rollback")
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    yield seen
    event.remove(engine, "commit", commit)
    event.remove(engine, "rollback", rollback)


def kinds(seen) -> list[str]:
    return [kind for kind, _conn in seen]


def prepared(dbapi_connection) -> int:
    """How many SELECT statements are prepared on that connection (read on it directly, while
    the pool holds it; rolled back afterwards, which forgets them). psycopg prepares the inserts
    of an executemany() too (the tests' own database reset)."""
    try:
        return dbapi_connection.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT%'").fetchone()[0]
    finally:
        dbapi_connection.rollback()


def theme_names(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Theme.name)))


def prepared_by(client, ends, path: str, views: int = 3) -> int:
    """Statements left prepared on the connection after ``views`` views of ``path``."""
    ends.clear()
    for _ in range(views):
        assert client.get(path).status_code == 200
    assert kinds(ends) == ["commit"] * views  # each view only read
    connections = {conn for _kind, conn in ends}
    assert len(connections) == 1
    return prepared(connections.pop())


def test_the_marked_pages_keep_their_statements_prepared_from_view_to_view(app, client, factory, ends):
    factory.user("unit@example.org")
    org = factory.org("unit@example.org")
    case_id = factory.case(org)
    home = prepared_by(client, ends, "/")
    assert home > 0
    on_case_page = prepared_by(client, ends, f"/cases/{case_id}", views=1)
    assert on_case_page > 0
    # Each statement is prepared once on the connection, not again at every view.
    assert prepared_by(client, ends, f"/cases/{case_id}", views=3) == on_case_page
    assert prepared_by(client, ends, f"/orgs/{org}") > 0
    assert prepared_by(client, ends, "/sessions") > 0


def test_a_filtered_list_prepares_nothing(app, client, ends):
    # A generic plan does not know the filter's values (a theme's share of the cases).
    assert prepared_by(client, ends, "/cases?sort=views", views=6) == 0


def test_turned_off_nothing_is_prepared_and_requests_roll_back(app, database, tmp_path, ends):
    from tests.conftest import make_app

    other = make_app(database, tmp_path / "off", DATABASE_PREPARED_STATEMENTS=False)
    seen = []
    with other.app_context():
        engine = db.engine
    event.listen(engine, "rollback", lambda conn: seen.append(conn.connection.dbapi_connection))
    try:
        client = other.test_client()
        for _ in range(6):
            assert client.get("/").status_code == 200
        assert len(seen) == 6 and prepared(seen[-1]) == 0
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_view_that_wrote_without_committing_rolls_back(app, client, ends):
    @app.get("/_test/write-and-forget")
    def write_and_forget():
        db.session.execute(select(Theme.id)).all()
        db.session.execute(text("UPDATE themes SET description = 'changed'"))
        db.session.add(Theme(name="未提交的主题"))
        db.session.flush()
        return "ok"

    before = theme_names(app)
    ends.clear()  # (an app context that only read commits too)
    assert client.get("/_test/write-and-forget").status_code == 200
    assert kinds(ends) == ["rollback"]
    assert theme_names(app) == before
    with app.app_context():
        assert "changed" not in set(db.session.scalars(select(Theme.description)))


def test_unflushed_changes_and_failed_requests_roll_back(app, client, ends):
    @app.get("/_test/unflushed")
    def unflushed():
        theme = db.session.scalars(select(Theme)).first()
        theme.description = "不会保存"
        return "ok"

    @app.get("/_test/read-then-404")
    def read_then_404():
        db.session.execute(select(Theme.id)).all()
        abort(404)

    @app.get("/_test/read-then-fail")
    def read_then_fail():
        db.session.execute(select(Theme.id)).all()
        raise RuntimeError("boom")

    with app.app_context():
        assert db.session.scalars(select(Theme)).first() is not None  # seeded by the migrations
    ends.clear()
    assert client.get("/_test/unflushed").status_code == 200
    assert kinds(ends) == ["rollback"]
    with app.app_context():
        assert "不会保存" not in set(db.session.scalars(select(Theme.description)))

    ends.clear()
    assert client.get("/_test/read-then-404").status_code == 404  # an answer, not a failure
    assert kinds(ends) == ["commit"]

    ends.clear()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/_test/read-then-fail").status_code == 500
    assert kinds(ends) == ["rollback"]
