"""The database itself refuses impossible rows (migration 0006), on SQLite and PostgreSQL:
unknown states and kinds, scores outside 1-5, negative counts and capacities, periods that end
before they start, and e-mail addresses that are not stored normalised. Log-in finds an account
by its normalised address with a plain comparison on the unique index.

The migration normalises the e-mail addresses already stored, refuses (naming them) accounts
whose addresses differ only by case, refuses rows that break a new rule, and keeps every row
of the tables it rebuilds on SQLite.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from portal.extensions import db as _db

PREVIOUS = "0005_session_archives"


@pytest.fixture
def world(app, factory):
    """A unit with a published case (with an attachment, an expert comment with a score, a
    discussion comment and an adoption report), a pending invitation and a session with a
    registration and the case in its running order."""
    from portal.adoptions.services import AdoptionData, save_report
    from portal.auth.services import get_user_by_email
    from portal.cases.models import Case
    from portal.cases.services import CaseData, add_attachment, snapshot, update_case
    from portal.discussion.services import post_comment as discuss
    from portal.orgs.services import invite_member
    from portal.reviews.services import NO_CONFLICT, CommentData, active_dimensions, post_comment
    from portal.sessions import participation
    from portal.sessions import services as sessions
    from portal.sessions.services import AgendaData
    from tests.test_case_permissions import make_png

    admin_id, admin_email = factory.user("admin@example.org", "管理员", admin=True)
    _id, reviewer_email = factory.user("expert@example.org", "专家", reviewer=True)
    _id, unit_email = factory.user("unit@example.org", "单位管理员")
    _id, other_email = factory.user("other@example.org", "他单位管理员")
    unit = factory.org(unit_email, name="贵阳市阳光社工服务中心")
    other = factory.org(other_email, name="遵义市红花岗区社工站")
    case_id = factory.case(unit, beneficiaries=300, started_on=date(2022, 3, 1), ended_on=date(2023, 6, 30))
    with app.test_request_context():  # the invitation e-mail holds a link
        admin, reviewer, unit_admin, other_admin = (get_user_by_email(e) for e in
                                                    (admin_email, reviewer_email, unit_email, other_email))
        case = _db.session.get(Case, case_id)
        add_attachment(None, case, "照片.png", make_png())
        content = {**snapshot(case), "title": "改过标题的案例", "started_on": case.started_on, "ended_on": case.ended_on}
        update_case(None, case, CaseData(**content))  # keeps a version
        dimension = active_dimensions()[0]
        post_comment(reviewer, case, CommentData(body="很好。", scores={dimension.id: "4"}, declaration=NO_CONFLICT))
        discuss(other_admin, case, "请问经费从哪里来？")
        save_report(other_admin, case, AdoptionData(org_id=other, kind="adopted", place="红花岗区"))
        invite_member(unit_admin, case.org, "Newcomer@Example.org", "editor")
        start = datetime(2030, 5, 1, 6, 0)
        session = sessions.create_session(admin, sessions.SessionData(
            title="第一期分享会", starts_at=start, ends_at=start + timedelta(hours=2), capacity=50))
        sessions.add_agenda_item(admin, session, AgendaData(kind="case", case_id=case.id, duration_minutes=20))
        participation.register(other_admin, session)
        _db.session.commit()
        ids = {"case": case_id, "session": session.id, "admin": admin_id}
        _db.session.remove()
    return ids


def _refused(app, sql: str, **params) -> bool:
    """Run one UPDATE; True when the database refuses it (nothing is kept either way)."""
    with app.app_context():
        try:
            _db.session.execute(text(sql), params)
            _db.session.flush()
        except IntegrityError:
            return True
        finally:
            _db.session.rollback()
            _db.session.remove()
    return False


BAD = [
    ("UPDATE cases SET status = 'deleted'", {}),
    ("UPDATE cases SET community_type = '城镇社区'", {}),
    ("UPDATE cases SET beneficiaries = -1", {}),
    ("UPDATE cases SET started_on = :a, ended_on = :b", {"a": date(2023, 1, 2), "b": date(2023, 1, 1)}),
    ("UPDATE case_transitions SET to_status = 'gone'", {}),
    ("UPDATE case_versions SET status = 'gone'", {}),
    ("UPDATE attachments SET size = -5", {}),
    ("UPDATE expert_scores SET score = 6", {}),
    ("UPDATE expert_scores SET score = 0", {}),
    ("UPDATE comments SET status = 'spam'", {}),
    ("UPDATE adoption_reports SET kind = 'copied'", {}),
    ("UPDATE organizations SET status = 'deleted'", {}),
    ("UPDATE organizations SET org_type = '公司'", {}),
    ("UPDATE memberships SET role = 'owner'", {}),
    ("UPDATE invitations SET role = 'owner'", {}),
    ("UPDATE users SET email = 'Expert@Example.org' WHERE email = 'expert@example.org'", {}),
    ("UPDATE users SET email = ' expert@example.org' WHERE email = 'expert@example.org'", {}),
    ("UPDATE sharing_sessions SET status = 'cancelled'", {}),
    ("UPDATE sharing_sessions SET format = 'radio'", {}),
    ("UPDATE sharing_sessions SET capacity = -1", {}),
    ("UPDATE sharing_sessions SET participants = -3", {}),
    ("UPDATE sharing_sessions SET ends_at = :e", {"e": datetime(2030, 5, 1, 5, 59)}),
    ("UPDATE agenda_items SET kind = 'song'", {}),
    ("UPDATE agenda_items SET duration_minutes = -20", {}),
    ("UPDATE session_registrations SET status = 'maybe'", {}),
]

GOOD = [
    ("UPDATE cases SET status = 'archived', community_type = '', beneficiaries = 0", {}),
    ("UPDATE cases SET started_on = :a, ended_on = :a", {"a": date(2023, 1, 1)}),
    ("UPDATE cases SET started_on = NULL, beneficiaries = NULL", {}),
    ("UPDATE expert_scores SET score = 5", {}),
    ("UPDATE expert_scores SET score = 1", {}),
    ("UPDATE sharing_sessions SET capacity = 0, participants = 0, ends_at = starts_at", {}),
    ("UPDATE sharing_sessions SET capacity = NULL", {}),
    ("UPDATE users SET email = 'expert.new@example.org' WHERE email = 'expert@example.org'", {}),
]


@pytest.mark.parametrize(("sql", "params"), BAD, ids=[s for s, _p in BAD])
def test_the_database_refuses_impossible_rows(app, world, sql, params):
    assert _refused(app, sql, **params)


@pytest.mark.parametrize(("sql", "params"), GOOD, ids=[s for s, _p in GOOD])
def test_the_limits_themselves_are_allowed(app, world, sql, params):
    assert not _refused(app, sql, **params)


def test_every_check_the_models_declare_is_in_the_migrated_database(app, database):
    from sqlalchemy import CheckConstraint

    with app.app_context():
        declared = {(t.name, c.name) for t in _db.metadata.sorted_tables for c in t.constraints
                    if isinstance(c, CheckConstraint)}
        inspector = inspect(_db.engine)
        present = {(table, ck["name"]) for table in inspector.get_table_names()
                   for ck in inspector.get_check_constraints(table)}
    assert len(declared) >= 30
    assert declared <= present, f"missing on {database['backend']}: {sorted(declared - present)}"


# E-mail addresses ---------------------------------------------------------------------------------

def test_addresses_are_stored_normalised_and_found_however_they_are_typed(app, client, auth, factory):
    from portal.auth.services import get_user_by_email

    _id, stored = factory.user("  Wang.Li@Example.ORG ", "王立")
    assert stored == "wang.li@example.org"
    with app.app_context():
        assert get_user_by_email("WANG.LI@example.org ").id == _id
    response = auth.login("Wang.Li@EXAMPLE.org")
    assert response.status_code == 302 and response.headers["Location"] != "/auth/login"


def test_login_lookup_uses_the_unique_index(app, database, factory):
    """The lookup is ``email = ?`` on the unique index, not a scan over ``lower(email)``."""
    from sqlalchemy import event

    from portal.auth.services import get_user_by_email

    factory.user("someone@example.org")
    statements = []
    with app.app_context():
        engine = _db.engine

        def remember(_conn, _cursor, statement, parameters, _context, _many):
            if "FROM users" in statement:
                statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", remember)
        try:
            assert get_user_by_email("SomeOne@example.org") is not None
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        statement, parameters = statements[0]
        assert "lower(" not in statement.lower()
        connection = _db.session.connection()
        if database["backend"] == "sqlite":
            explain = "EXPLAIN QUERY PLAN "
        else:  # a tiny table would be scanned anyway unless the planner is told otherwise
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN "
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(explain + statement, parameters))
        _db.session.rollback()
        _db.session.remove()
    assert "INDEX" in plan.upper() and "SCAN USERS" not in plan.upper() and "SEQ SCAN" not in plan.upper(), plan


# The migration -----------------------------------------------------------------------------------

def _alembic(app, action: str, revision: str) -> None:
    """Run an Alembic command directly (Flask-Migrate would turn errors into exit status 1)."""
    from alembic import command

    config = app.extensions["migrate"].migrate.get_config()
    getattr(command, action)(config, revision)


def _rows(app, sql: str) -> list:
    with app.app_context():
        rows = [tuple(r) for r in _db.session.execute(text(sql))]
        _db.session.remove()
    return rows


COUNTS = ("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM attachments), "
          "(SELECT count(*) FROM case_versions), "
          "(SELECT count(*) FROM case_transitions), (SELECT count(*) FROM expert_comments), "
          "(SELECT count(*) FROM expert_scores), (SELECT count(*) FROM comments), "
          "(SELECT count(*) FROM adoption_reports), (SELECT count(*) FROM agenda_items), "
          "(SELECT count(*) FROM session_registrations), (SELECT count(*) FROM memberships)")


def _current(app) -> str:
    return _rows(app, "SELECT version_num FROM alembic_version")[0][0]


def test_upgrade_normalises_addresses_and_keeps_every_row(app, world):
    with app.app_context():
        before = _rows(app, COUNTS)
        assert all(before[0]), before
        _alembic(app, "downgrade", PREVIOUS)
        assert _current(app) == PREVIOUS
        # Rows written before addresses were normalised everywhere.
        _db.session.execute(text("UPDATE users SET email = ' Expert@Example.ORG ' WHERE email = 'expert@example.org'"))
        _db.session.execute(text("UPDATE invitations SET email = 'NEWCOMER@example.org'"))
        _db.session.commit()
        _db.session.remove()
        _alembic(app, "upgrade", "head")

    assert _current(app) != PREVIOUS
    assert _rows(app, COUNTS) == before  # rebuilding tables on SQLite cascaded nothing away
    emails = sorted(r[0] for r in _rows(app, "SELECT email FROM users"))
    assert "expert@example.org" in emails and all(e == e.strip().lower() for e in emails)
    assert _rows(app, "SELECT email FROM invitations") == [("newcomer@example.org",)]
    assert _refused(app, "UPDATE expert_scores SET score = 9")
    with app.app_context():
        broken = _db.session.execute(text("PRAGMA foreign_key_check")).all() \
            if _db.engine.dialect.name == "sqlite" else []
        enforced = _db.session.execute(text("PRAGMA foreign_keys")).scalar() \
            if _db.engine.dialect.name == "sqlite" else 1
        _db.session.remove()
    assert broken == [] and enforced == 1


def test_upgrade_refuses_accounts_that_differ_only_by_case(app, world):
    with app.app_context():
        _alembic(app, "downgrade", PREVIOUS)
        user_id = _db.session.execute(text("SELECT id FROM users WHERE email = 'expert@example.org'")).scalar()
        _db.session.execute(text(
            "INSERT INTO users (email, display_name, password_hash, is_admin, session_token, created_at) "
            "VALUES ('Expert@Example.org', '重复账号', 'x', false, 'token', :now)"), {"now": datetime(2026, 1, 1)})
        _db.session.execute(text("UPDATE users SET email = 'Unit@example.org' WHERE email = 'unit@example.org'"))
        _db.session.commit()
        twin_id = _db.session.execute(text("SELECT id FROM users WHERE email = 'Expert@Example.org'")).scalar()
        _db.session.remove()
        try:
            with pytest.raises(RuntimeError) as refused:
                _alembic(app, "upgrade", "head")
            message = str(refused.value)
            assert "只有大小写或空格不同" in message and "differ only by case" in message
            assert f"{user_id}:expert@example.org" in message and f"{twin_id}:Expert@Example.org" in message
            # Nothing changed: still the previous revision, the other address not normalised either.
            assert _current(app) == PREVIOUS
            assert ("Unit@example.org",) in _rows(app, "SELECT email FROM users")
        finally:
            _db.session.execute(text("DELETE FROM users WHERE id = :id"), {"id": twin_id})
            _db.session.commit()
            _db.session.remove()
            _alembic(app, "upgrade", "head")
    assert ("unit@example.org",) in _rows(app, "SELECT email FROM users")


def test_upgrade_refuses_rows_that_break_a_rule_and_names_them(app, world):
    case_id = world["case"]
    with app.app_context():
        _alembic(app, "downgrade", PREVIOUS)
        _db.session.execute(text("UPDATE cases SET beneficiaries = -7"))
        _db.session.commit()
        _db.session.remove()
        try:
            with pytest.raises(RuntimeError) as refused:
                _alembic(app, "upgrade", "head")
            message = str(refused.value)
            assert "现有数据不符合新的约束" in message
            assert f"cases (ck_cases_beneficiaries: beneficiaries IS NULL OR beneficiaries >= 0) id {case_id}" in message
            assert _current(app) == PREVIOUS
        finally:
            _db.session.execute(text("UPDATE cases SET beneficiaries = 7"))
            _db.session.commit()
            _db.session.remove()
            _alembic(app, "upgrade", "head")
    assert _current(app) != PREVIOUS
