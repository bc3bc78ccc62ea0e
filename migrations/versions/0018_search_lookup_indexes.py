"""search lookup indexes: the PostgreSQL search backend looks up the lexicon's words that
contain a short query word through a GIN index on each word's characters (instead of every
process reading the whole lexicon), and counts the documents and their average length from an
index on the length (instead of reading every row)

Revision ID: 0018_search_lookup_indexes
Revises: 0017_case_list_indexes
Create Date: 2026-12-03 19:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_search_lookup_indexes'
down_revision = '0017_case_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index('ix_search_documents_length', ['length'], unique=False)
    # PostgreSQL only: the table exists on SQLite too, unused there (no string_to_array).
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_search_terms_chars', 'search_terms', [sa.text('string_to_array(term, NULL)')],
                        unique=False, postgresql_using='gin')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_search_terms_chars', table_name='search_terms', postgresql_using='gin')
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_search_documents_length')
