"""The migrations and the models describe the same schema, on every backend under test."""
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db as _db


def test_models_and_migrations_agree(app, database):
    with app.app_context():
        with _db.engine.connect() as conn, warnings.catch_warnings():
            # SQLite cannot reflect expression indexes (ix_search_terms_chars exists on PostgreSQL
            # only); the PostgreSQL run of this test compares it.
            warnings.filterwarnings("ignore", message=".*skipping metadata-specified expression-based index")
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, _db.metadata)
    assert diff == [], f"models differ from migrations on {database['backend']}: {diff}"


def test_migrations_downgrade_and_upgrade_cleanly(app):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        downgrade(revision="base")
        upgrade()
        from sqlalchemy import inspect

        assert {"users", "organizations", "memberships", "invitations", "audit_log"} <= set(
            inspect(_db.engine).get_table_names())
