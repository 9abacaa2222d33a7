"""appointment booking: sources, platform ids, reminders outbox, platform cursors

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("source", sa.String(length=16), nullable=False,
                                   server_default="operator"))
        batch.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("updated_at", server.db.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("cancel_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("reschedules", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.create_unique_constraint(batch.f("uq_appointments_external_id"),
                                       ["external_id", "hall_id"])
        batch.create_index("ix_appointments_slot", ["hall_id", "service_id", "slot_start"])
        batch.create_index("ix_appointments_id_hash", ["hall_id", "id_hash"])
        batch.create_index("ix_appointments_phone_hash", ["hall_id", "phone_hash"])
    op.create_table(
        "appointment_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sent_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"],
                                name=op.f("fk_appointment_reminders_appointment_id_appointments"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"],
                                name=op.f("fk_appointment_reminders_hall_id_halls"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_reminders")),
    )
    with op.batch_alter_table("appointment_reminders") as batch:
        batch.create_index("ix_appointment_reminders_due", ["state", "due_at"])
        batch.create_index(batch.f("ix_appointment_reminders_appointment_id"),
                           ["appointment_id"])
    op.create_table(
        "booking_platform_cursors",
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=False),
        sa.Column("polled_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["halls.id"],
                                name=op.f("fk_booking_platform_cursors_hall_id_halls"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("hall_id", name=op.f("pk_booking_platform_cursors")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("booking_platform_cursors")
    op.drop_table("appointment_reminders")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_index("ix_appointments_phone_hash")
        batch.drop_index("ix_appointments_id_hash")
        batch.drop_index("ix_appointments_slot")
        batch.drop_constraint(batch.f("uq_appointments_external_id"), type_="unique")
        for column in ("reschedules", "cancel_reason", "updated_at", "external_id", "source"):
            batch.drop_column(column)
