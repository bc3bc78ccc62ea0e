"""mail outbox: outgoing mail written in the same transaction as the change, sent after it

Revision ID: 0011_mail_outbox
Revises: 0010_login_sessions
Create Date: 2026-12-02 23:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_mail_outbox'
down_revision = '0010_login_sessions'
branch_labels = None
depends_on = None

UNSENT = sa.text('sent_at IS NULL AND failed_at IS NULL')


def upgrade():
    op.create_table('outgoing_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.CheckConstraint('attempts IS NULL OR attempts >= 0', name=op.f('ck_outgoing_mail_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail'))
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_mail_due', ['next_attempt_at'], unique=False,
                              sqlite_where=UNSENT, postgresql_where=UNSENT)


def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_mail_due', sqlite_where=UNSENT, postgresql_where=UNSENT)
    op.drop_table('outgoing_mail')
