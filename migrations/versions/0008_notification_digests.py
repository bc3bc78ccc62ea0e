"""notification digests: grouped in-app notifications, digest e-mail of followed cases, helpful answers

Revision ID: 0008_notification_digests
Revises: 0006_integrity_checks
Create Date: 2026-12-02 18:00:00.000000

- notifications: ``group_key`` and ``count`` (one unread row per user and followed thing, its
  count raised by each new case; a partial unique index keeps it to one).
- notification_preferences: ``digest`` (daily / weekly) for the e-mail of followed cases.
- notification_digests (one row per digest e-mail sent) and digest_items (each new case
  waiting for, or listed in, one user's digest; unique per user and case).
- comments: ``helpful_at`` / ``helpful_by_id`` (有帮助的回答, marked by the case's unit).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_notification_digests'
down_revision = '0006_integrity_checks'
branch_labels = None
depends_on = None

UNREAD_GROUP = sa.text('read_at IS NULL AND group_key IS NOT NULL')


def upgrade():
    op.create_table('notification_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('case_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("frequency IN ('daily', 'weekly')", name=op.f('ck_notification_digests_frequency')),
    sa.CheckConstraint('case_count IS NULL OR case_count >= 1', name=op.f('ck_notification_digests_case_count')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_digests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_digests'))
    )
    with op.batch_alter_table('notification_digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_digests_user_id'), ['user_id'], unique=False)

    op.create_table('digest_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=10), nullable=False),
    sa.Column('target_key', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("target_type IN ('theme', 'province', 'org')", name=op.f('ck_digest_items_target_type')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_digest_items_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['digest_id'], ['notification_digests.id'], name=op.f('fk_digest_items_digest_id_notification_digests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_digest_items_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_items')),
    sa.UniqueConstraint('user_id', 'case_id', name=op.f('uq_digest_items_user_id_case_id'))
    )
    with op.batch_alter_table('digest_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_items_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_digest_items_digest_id'), ['digest_id'], unique=False)

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('helpful_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('helpful_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_comments_helpful_by_id_users'), 'users', ['helpful_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest', sa.String(length=10), nullable=False, server_default='daily'))
        batch_op.create_check_constraint(op.f('ck_notification_preferences_digest'), "digest IN ('daily', 'weekly')")

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_key', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('count', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_check_constraint(op.f('ck_notifications_count'), 'count IS NULL OR count >= 1')
    # Outside the batch: SQLite's table copy above must not have to carry a partial index.
    op.create_index('uq_notifications_unread_group', 'notifications', ['user_id', 'group_key'], unique=True,
                    sqlite_where=UNREAD_GROUP, postgresql_where=UNREAD_GROUP)


def downgrade():
    op.drop_index('uq_notifications_unread_group', table_name='notifications')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_count'), type_='check')
        batch_op.drop_column('count')
        batch_op.drop_column('group_key')

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_preferences_digest'), type_='check')
        batch_op.drop_column('digest')

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_comments_helpful_by_id_users'), type_='foreignkey')
        batch_op.drop_column('helpful_by_id')
        batch_op.drop_column('helpful_at')

    with op.batch_alter_table('digest_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_items_digest_id'))
        batch_op.drop_index(batch_op.f('ix_digest_items_case_id'))
    op.drop_table('digest_items')

    with op.batch_alter_table('notification_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_digests_user_id'))
    op.drop_table('notification_digests')
