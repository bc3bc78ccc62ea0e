"""search term characters: the PostgreSQL search backend looks up the lexicon's words that
contain a short query word through a GIN index on each word's characters, instead of every
process reading the whole lexicon

Revision ID: 0018_search_term_characters
Revises: 0017_case_list_indexes
Create Date: 2026-12-03 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_search_term_characters'
down_revision = '0017_case_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL only: the table exists on SQLite too, unused there (no string_to_array).
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_search_terms_chars', 'search_terms', [sa.text('string_to_array(term, NULL)')],
                        unique=False, postgresql_using='gin')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_search_terms_chars', table_name='search_terms', postgresql_using='gin')
