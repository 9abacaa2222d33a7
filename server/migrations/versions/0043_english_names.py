"""English names (optional) of halls, domains, services and windows

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("halls", "domains", "services", "windows")


def upgrade() -> None:
    """Apply."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("name_en", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Revert."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("name_en")
