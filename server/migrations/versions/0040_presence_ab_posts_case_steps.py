"""去向牌 presence log, AB岗 named posts and overrides, who took each 差评 case step

Revision ID: 0040
Revises: 0031
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = '0040'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table('presence_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('presence', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_presence_changes_hall_id_halls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by'], ['staff.id'], name=op.f('fk_presence_changes_set_by_staff')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_presence_changes_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_changes'))
    )
    with op.batch_alter_table('presence_changes', schema=None) as batch_op:
        batch_op.create_index('ix_presence_changes_hall_at', ['hall_id', 'at'], unique=False)

    op.create_table('post_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('post', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('granted_by', sa.Integer(), nullable=True),
    sa.Column('granted_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['granted_by'], ['staff.id'], name=op.f('fk_post_overrides_granted_by_staff')),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_post_overrides_hall_id_halls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_post_overrides_staff_id_staff'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['windows.id'], name=op.f('fk_post_overrides_window_id_windows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_overrides'))
    )
    with op.batch_alter_table('post_overrides', schema=None) as batch_op:
        batch_op.create_index('ix_post_overrides_window_day', ['window_id', 'day'], unique=False)

    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appealed_at', server.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('appealed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('appeal_reason', sa.String(length=1000), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('void_approver_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rectified_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('answered_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('followed_up_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_review_cases_followed_up_by_staff'), 'staff', ['followed_up_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_review_cases_void_approver_id_staff'), 'staff', ['void_approver_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_review_cases_rectified_by_staff'), 'staff', ['rectified_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_review_cases_answered_by_staff'), 'staff', ['answered_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_review_cases_appealed_by_staff'), 'staff', ['appealed_by'], ['id'])

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presence_note', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('presence_since', server.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('windows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('a_staff_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('b_staff_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_windows_a_staff_id_staff'), 'staff', ['a_staff_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_windows_b_staff_id_staff'), 'staff', ['b_staff_id'], ['id'])



def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('windows', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_windows_b_staff_id_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_windows_a_staff_id_staff'), type_='foreignkey')
        batch_op.drop_column('b_staff_id')
        batch_op.drop_column('a_staff_id')

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('presence_since')
        batch_op.drop_column('presence_note')

    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_review_cases_appealed_by_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_review_cases_answered_by_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_review_cases_rectified_by_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_review_cases_void_approver_id_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_review_cases_followed_up_by_staff'), type_='foreignkey')
        batch_op.drop_column('followed_up_by')
        batch_op.drop_column('answered_by')
        batch_op.drop_column('rectified_by')
        batch_op.drop_column('void_approver_id')
        batch_op.drop_column('appeal_reason')
        batch_op.drop_column('appealed_by')
        batch_op.drop_column('appealed_at')

    with op.batch_alter_table('post_overrides', schema=None) as batch_op:
        batch_op.drop_index('ix_post_overrides_window_day')

    op.drop_table('post_overrides')
    with op.batch_alter_table('presence_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_presence_changes_hall_at')

    op.drop_table('presence_changes')
