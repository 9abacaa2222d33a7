"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.db import Database
from server.migrations import upgrade
from server.models import Base


def _diff(url: str) -> list[object]:
    database = Database(url)
    try:
        upgrade(database)
        upgrade(database)  # a second start is a no-op
        with database.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        database.dispose()


def test_sqlite_schema_matches_models(tmp_path: Path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_postgres_schema_matches_models(pg_url: str) -> None:
    assert _diff(pg_url) == []


def test_upgrading_a_populated_sqlite_database(tmp_path: Path) -> None:
    """Table rebuilds (SQLite batch mode) must not trip over rows that reference them."""
    from alembic import command
    from sqlalchemy import text

    from server.migrations import alembic_config

    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        cfg = alembic_config(database)
        with database.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0010")
        with database.engine.begin() as conn:
            conn.execute(text("INSERT INTO halls (id, code, name, level, timezone, rules, "
                              "scroll_text, config_version) VALUES (1, 'h', 'H', 'county', "
                              "'Asia/Shanghai', '{}', '', 0)"))
            conn.execute(text("INSERT INTO staff (id, job_no, name, hall_id, department, "
                              "roles, password_hash, active, presence) VALUES (1, 's1', 'S', "
                              "1, '', '[]', 'x', 1, 'on_duty')"))
            conn.execute(text("INSERT INTO access_tokens (token_hash, staff_id, created_at) "
                              "VALUES ('t', 1, '2026-11-23 00:00:00.000000')"))
        upgrade(database)
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT job_no FROM staff")).scalar_one() == "s1"
            assert conn.execute(text("SELECT staff_id FROM access_tokens")).scalar_one() == 1
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        database.dispose()
