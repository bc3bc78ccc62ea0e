"""facet versions: a counter per kind of data, raised by every change, for per-worker caches

Revision ID: 0012_facet_versions
Revises: 0011_mail_outbox
Create Date: 2026-12-02 23:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_facet_versions'
down_revision = '0011_mail_outbox'
branch_labels = None
depends_on = None


def upgrade():
    facet_versions = op.create_table('facet_versions',
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_facet_versions'))
    )
    op.bulk_insert(facet_versions, [{'name': 'cases', 'version': 0}])


def downgrade():
    op.drop_table('facet_versions')
