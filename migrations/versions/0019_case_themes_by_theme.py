"""case themes by theme: an index on (theme_id, case_id), so that the case list filtered by a
theme (the commonest filter) and its count read the theme's cases from the index instead of
scanning every case's themes

Revision ID: 0019_case_themes_by_theme
Revises: 0018_search_lookup_indexes
Create Date: 2026-12-04 04:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_case_themes_by_theme'
down_revision = '0018_search_lookup_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_themes', schema=None) as batch_op:
        batch_op.create_index('ix_case_themes_theme_id_case_id', ['theme_id', 'case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_themes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_themes_theme_id_case_id')
