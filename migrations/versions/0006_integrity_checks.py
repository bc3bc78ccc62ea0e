"""integrity: CHECK constraints for states, kinds, scores, counts and periods; e-mails stored normalised

Revision ID: 0006_integrity_checks
Revises: 0005_session_archives
Create Date: 2026-12-01 09:00:00.000000

The lists are spelled out here as they are at this revision (the models build the same
constraints from their enums); a later change to an enum needs its own migration.

Before adding anything, the upgrade
- normalises e-mail addresses (trimmed, lower case) in `users` and `invitations`, and refuses,
  naming them, accounts whose addresses differ only by case or spaces (an admin merges or
  renames them first: log-in would otherwise pick one of them arbitrarily);
- refuses, naming table, rule and row ids, any existing row a new constraint would reject.
"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_integrity_checks'
down_revision = '0005_session_archives'
branch_labels = None
depends_on = None

CASE_STATUSES = "('draft', 'submitted', 'in_review', 'published', 'returned', 'archived')"


def _at_least(column, minimum=0):
    return f'{column} IS NULL OR {column} >= {minimum}'


#: table -> [(constraint name, condition)]
CHECKS = {
    'users': [
        ('ck_users_email_normalized', 'email = lower(trim(email))'),
    ],
    'organizations': [
        ('ck_organizations_status', "status IN ('pending', 'verified', 'rejected')"),
        ('ck_organizations_org_type', "org_type IN ('社工机构', '社区社会组织', '委员单位', '街道或社区', '其他')"),
    ],
    'memberships': [
        ('ck_memberships_role', "role IN ('admin', 'editor')"),
    ],
    'invitations': [
        ('ck_invitations_role', "role IN ('admin', 'editor')"),
    ],
    'cases': [
        ('ck_cases_status', f'status IN {CASE_STATUSES}'),
        ('ck_cases_community_type', "community_type IN ('', '城市社区', '农村社区', '城乡结合部', '其他')"),
        ('ck_cases_beneficiaries', _at_least('beneficiaries')),
        ('ck_cases_period', 'started_on IS NULL OR ended_on IS NULL OR ended_on >= started_on'),
    ],
    'attachments': [
        ('ck_attachments_size', _at_least('size')),
    ],
    'case_transitions': [
        ('ck_case_transitions_from_status', f'from_status IN {CASE_STATUSES}'),
        ('ck_case_transitions_to_status', f'to_status IN {CASE_STATUSES}'),
    ],
    'case_versions': [
        ('ck_case_versions_status', f'status IN {CASE_STATUSES}'),
    ],
    'expert_scores': [
        ('ck_expert_scores_score', 'score BETWEEN 1 AND 5'),
    ],
    'review_assignments': [
        ('ck_review_assignments_status', "status IN ('pending', 'reviewed', 'cancelled')"),
    ],
    'internal_reviews': [
        ('ck_internal_reviews_recommendation', "recommendation IN ('publish', 'return', 'reject')"),
    ],
    'comments': [
        ('ck_comments_status', "status IN ('visible', 'held', 'hidden', 'deleted')"),
    ],
    'comment_reports': [
        ('ck_comment_reports_decision', "decision IN ('', 'hide', 'restore', 'delete')"),
    ],
    'adoption_reports': [
        ('ck_adoption_reports_kind', "kind IN ('adopted', 'adapted')"),
    ],
    'follows': [
        ('ck_follows_target_type', "target_type IN ('theme', 'province', 'org')"),
    ],
    'sharing_sessions': [
        ('ck_sharing_sessions_status', "status IN ('planned', 'held', 'archived')"),
        ('ck_sharing_sessions_format', "format IN ('online', 'offline', 'hybrid')"),
        ('ck_sharing_sessions_capacity', _at_least('capacity')),
        ('ck_sharing_sessions_participants', _at_least('participants')),
        ('ck_sharing_sessions_provinces_count', _at_least('provinces_count')),
        ('ck_sharing_sessions_orgs_count', _at_least('orgs_count')),
        ('ck_sharing_sessions_series_number', _at_least('series_number', 1)),
        ('ck_sharing_sessions_period', 'ends_at >= starts_at'),
    ],
    'session_speakers': [
        ('ck_session_speakers_role', "role IN ('host', 'remarks', 'presenter', 'commentator', 'summary')"),
    ],
    'agenda_items': [
        ('ck_agenda_items_kind', "kind IN ('talk', 'case')"),
        ('ck_agenda_items_duration_minutes', _at_least('duration_minutes')),
        ('ck_agenda_items_recording_offset', _at_least('recording_offset')),
    ],
    'session_materials': [
        ('ck_session_materials_kind', "kind IN ('slides', 'document', 'photo', 'link')"),
        ('ck_session_materials_size', _at_least('size')),
    ],
    'session_registrations': [
        ('ck_session_registrations_status', "status IN ('registered', 'waitlisted', 'cancelled')"),
    ],
    'case_proposals': [
        ('ck_case_proposals_status', "status IN ('pending', 'accepted', 'declined')"),
    ],
}


def _normalise(email):
    # The same rule as portal.auth.services.normalize_email, frozen here.
    return (email or '').strip().lower()


def _normalise_emails(bind):
    users = bind.execute(sa.text('SELECT id, email FROM users ORDER BY id')).all()
    holders = defaultdict(list)
    for user_id, email in users:
        holders[_normalise(email)].append(f'{user_id}:{email}')
    clashes = ['、'.join(ids) for ids in holders.values() if len(ids) > 1]
    if clashes:
        raise RuntimeError(
            '以下账号的邮箱只有大小写或空格不同，请先合并或修改后再升级 / these accounts have e-mail '
            'addresses that differ only by case or spaces; merge or change them, then upgrade again '
            '(id:email): ' + '；'.join(clashes))
    for table in ('users', 'invitations'):
        rows = bind.execute(sa.text(f'SELECT id, email FROM {table}')).all()
        for row_id, email in rows:
            if _normalise(email) != email:
                bind.execute(sa.text(f'UPDATE {table} SET email = :email WHERE id = :id'),
                             {'email': _normalise(email), 'id': row_id})


def _refuse_violations(bind):
    problems = []
    for table, checks in CHECKS.items():
        for name, condition in checks:
            ids = bind.execute(sa.text(f'SELECT id FROM {table} WHERE NOT ({condition}) ORDER BY id')).scalars().all()
            if ids:
                shown = ', '.join(str(i) for i in ids[:20]) + (' …' if len(ids) > 20 else '')
                problems.append(f'{table} ({name}: {condition}) id {shown}')
    if problems:
        raise RuntimeError(
            '现有数据不符合新的约束，请先修正这些行再升级 / existing rows break the new constraints; '
            'fix them, then upgrade again: ' + '；'.join(problems))


def upgrade():
    bind = op.get_bind()
    _normalise_emails(bind)
    _refuse_violations(bind)
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(op.f(name), condition)


def downgrade():
    # E-mail addresses stay normalised: the older code reads them just as well.
    for table, checks in reversed(list(CHECKS.items())):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _condition in reversed(checks):
                batch_op.drop_constraint(op.f(name), type_='check')
