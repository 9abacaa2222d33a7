"""Alembic migrations, applied on start (`upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from server.db import Database

HERE = Path(__file__).parent


def alembic_config(database: Database) -> Config:
    """An Alembic configuration pointing at this package's scripts."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return cfg


def upgrade(database: Database) -> None:
    """Bring the schema to the newest revision; safe when several cores start at once."""
    cfg = alembic_config(database)
    with database.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # SQLite changes a table by rebuilding it (Alembic's batch mode); with foreign
            # keys enforced, dropping the old table would cascade into, or be refused by,
            # the rows that reference it. The pragma only takes effect outside a
            # transaction, so it goes straight to the driver before SQLAlchemy begins one.
            _sqlite_foreign_keys(conn, on=False)
        if conn.dialect.name == "postgresql":
            # Two core processes starting together must not both run the migration.
            conn.execute(text("SELECT pg_advisory_lock(727274)"))
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(727274)"))
                conn.commit()
            if conn.dialect.name == "sqlite":
                conn.commit()
                _sqlite_foreign_keys(conn, on=True)


def _sqlite_foreign_keys(conn: Connection, *, on: bool) -> None:
    """Switch SQLite's foreign key enforcement on this connection (outside a transaction)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
