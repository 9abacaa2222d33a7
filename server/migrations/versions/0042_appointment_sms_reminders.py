"""appointment reminders by SMS: sealed contact, attempts, backoff

Revision ID: 0042
Revises: 0041
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("appointment_reminders") as batch:
        batch.add_column(sa.Column("contact_sealed", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lang", sa.String(length=8), nullable=False,
                                   server_default="zh"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", server.db.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("claimed_at", server.db.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(length=300), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("appointment_reminders") as batch:
        for column in ("last_error", "claimed_at", "next_attempt_at", "attempts", "lang",
                       "contact_sealed"):
            batch.drop_column(column)
