"""appointments.external_version: the booking platform's change counter

Revision ID: 0041
Revises: 0040
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("external_version", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("external_version")
