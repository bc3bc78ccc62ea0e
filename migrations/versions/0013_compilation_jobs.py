"""compilation jobs: PDF compilations (案例汇编) built in the background and kept until a case changes

Revision ID: 0013_compilation_jobs
Revises: 0012_facet_versions
Create Date: 2026-12-03 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_compilation_jobs'
down_revision = '0012_facet_versions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('compilation_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('selection', sa.String(length=300), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('spec', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name=op.f('ck_compilation_jobs_status')),
    sa.CheckConstraint('done IS NULL OR done >= 0', name=op.f('ck_compilation_jobs_done')),
    sa.CheckConstraint('total IS NULL OR total >= 0', name=op.f('ck_compilation_jobs_total')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_compilation_jobs_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compilation_jobs')),
    sa.UniqueConstraint('key', name=op.f('uq_compilation_jobs_key'))
    )
    with op.batch_alter_table('compilation_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compilation_jobs_selection'), ['selection'], unique=False)
        batch_op.create_index(batch_op.f('ix_compilation_jobs_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('compilation_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compilation_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_compilation_jobs_selection'))
    op.drop_table('compilation_jobs')
