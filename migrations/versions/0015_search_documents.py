"""search documents: the PostgreSQL search backend's tables: documents (tsvector with a GIN
index), word counts per case (BM25), the lexicon and, on PostgreSQL, the sequences that stamp each write and each committed change

Revision ID: 0015_search_documents
Revises: 0014_api_tokens
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0015_search_documents'
down_revision = '0014_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.create_table('search_documents',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stamp', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('published', sa.DateTime(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('organization', sa.Text(), nullable=False),
    sa.Column('theme', sa.Text(), nullable=False),
    sa.Column('session', sa.Text(), nullable=False),
    sa.Column('province', sa.String(length=40), nullable=False),
    sa.Column('year', sa.String(length=8), nullable=False),
    sa.Column('community_type', sa.String(length=40), nullable=False),
    sa.Column('org_type', sa.String(length=40), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('tsv', postgresql.TSVECTOR() if postgres else sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_search_documents'))
    )
    # fastupdate off: no pending list to scan on every search after a burst of writes.
    op.create_index('ix_search_documents_tsv', 'search_documents', ['tsv'], unique=False, postgresql_using='gin',
                    postgresql_with={'fastupdate': 'off'})
    op.create_table('search_postings',
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tf', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('term', 'case_id', name=op.f('pk_search_postings'), postgresql_include=['tf'])
    )
    with op.batch_alter_table('search_postings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_postings_case_id'), ['case_id'], unique=False)
    op.create_table('search_terms',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_terms')),
    sa.UniqueConstraint('term', name=op.f('uq_search_terms_term'))
    )
    if postgres:
        # search_seq stamps each row as written; search_generation is advanced after each
        # commit that changed rows, so that caches keyed on it never outlive what they saw.
        op.execute('CREATE SEQUENCE search_seq')
        op.execute('CREATE SEQUENCE search_generation')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP SEQUENCE IF EXISTS search_generation')
        op.execute('DROP SEQUENCE IF EXISTS search_seq')
    op.drop_table('search_terms')
    with op.batch_alter_table('search_postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_postings_case_id'))
    op.drop_table('search_postings')
    op.drop_index('ix_search_documents_tsv', table_name='search_documents', postgresql_using='gin')
    op.drop_table('search_documents')
