"""help desk and 一次性告知: green category, last recall, notice on tickets; service materials

Revision ID: 0045
Revises: 0043
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime

revision: str = "0045"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("green_category", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("recalled_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("notice", sa.JSON(), nullable=True))
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("materials", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("services") as batch:
        batch.drop_column("materials")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("notice")
        batch.drop_column("recalled_at")
        batch.drop_column("green_category")
