"""staff badge_hash, for badge-scan login at the counter

Revision ID: 0020
Revises: 0010
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("badge_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(batch.f("uq_staff_badge_hash"), ["badge_hash"])


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("staff") as batch:
        batch.drop_constraint(batch.f("uq_staff_badge_hash"), type_="unique")
        batch.drop_column("badge_hash")
