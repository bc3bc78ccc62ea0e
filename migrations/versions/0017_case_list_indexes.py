"""case list indexes: the newest and the featured published cases read from partial indexes
(home page, /cases) instead of sorting every published case

Revision ID: 0017_case_list_indexes
Revises: 0016_calls
Create Date: 2026-12-03 17:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_case_list_indexes'
down_revision = '0016_calls'
branch_labels = None
depends_on = None

PUBLISHED = sa.text("status = 'published'")
FEATURED = sa.text("status = 'published' AND featured")
FEATURED_SQLITE = sa.text("status = 'published' AND featured = 1")


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_published_order', ['published_at', 'id'], unique=False,
                              sqlite_where=PUBLISHED, postgresql_where=PUBLISHED)
        batch_op.create_index('ix_cases_featured_order', ['published_at', 'id'], unique=False,
                              sqlite_where=FEATURED_SQLITE, postgresql_where=FEATURED)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_featured_order', sqlite_where=FEATURED_SQLITE, postgresql_where=FEATURED)
        batch_op.drop_index('ix_cases_published_order', sqlite_where=PUBLISHED, postgresql_where=PUBLISHED)
