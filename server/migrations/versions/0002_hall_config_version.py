"""hall config_version, for the per-process configuration cache

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("halls") as batch:
        batch.add_column(sa.Column("config_version", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("halls") as batch:
        batch.drop_column("config_version")
