"""rendered html: the sanitised HTML of user Markdown, stored next to its source

Revision ID: 0009_rendered_html
Revises: 0008_notification_digests
Create Date: 2026-12-02 23:00:00.000000

Each Markdown column gets a nullable ``<column>_html`` twin (portal.rendering), filled here by
rendering every existing row with portal.text.render_markdown, in batches. The list below is
spelled out as it is at this revision; a later change of the allow-list or the renderer needs a
migration of its own calling portal.rendering.rerender_table (or `portal rerender-html`).
"""
from alembic import op
import sqlalchemy as sa

from portal.rendering import rerender_table


# revision identifiers, used by Alembic.
revision = '0009_rendered_html'
down_revision = '0008_notification_digests'
branch_labels = None
depends_on = None

#: table -> (primary-key column, Markdown columns)
RENDERED = {
    'adoption_reports': ('id', ['changes', 'results']),
    'cases': ('id', ['background', 'approach', 'outcomes', 'lessons', 'problems']),
    'comments': ('id', ['body']),
    'events': ('id', ['description']),
    'expert_comment_revisions': ('id', ['body']),
    'expert_comments': ('id', ['body']),
    'internal_reviews': ('id', ['body']),
    'organizations': ('id', ['introduction']),
    'reviewer_profiles': ('user_id', ['bio']),
    'session_series': ('id', ['description']),
    'sharing_sessions': ('id', ['description', 'minutes']),
    'unit_responses': ('id', ['body']),
}


def upgrade():
    for table, (_key, fields) in RENDERED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for field in fields:
                batch_op.add_column(sa.Column(f'{field}_html', sa.Text(), nullable=True))
    if op.get_context().as_sql:
        return  # offline (--sql): no rows to read; pages render NULL HTML until `portal rerender-html`
    bind = op.get_bind()
    for table, (key, fields) in RENDERED.items():
        rerender_table(bind, table, key, fields)


def downgrade():
    for table, (_key, fields) in RENDERED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for field in reversed(fields):
                batch_op.drop_column(f'{field}_html')
