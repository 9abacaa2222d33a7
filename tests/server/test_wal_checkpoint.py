"""SQLite's write-ahead log is checkpointed by the core's own thread, never in a commit.

A checkpoint inside a flow's commit held the writer for 5–7 ms every hundred tickets or
so (`server.db.WalCheckpointer`); these tests show that commits no longer checkpoint, that
the thread does, and that the log then starts again from its beginning.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from server.db import Database, WalCheckpointer

PAGE = 4096
# Past SQLite's default autocheckpoint (1,000 pages): a commit would have checkpointed.
ROWS = 1_600


def _fill(db: Database, rows: int) -> None:
    with db.begin() as s:
        s.execute(text("CREATE TABLE IF NOT EXISTS scratch (b BLOB)"))
    for _ in range(rows):
        with db.begin() as s:
            s.execute(text("INSERT INTO scratch VALUES (randomblob(3000))"))


def _log_frames(path: Path) -> int:
    """Frames in the current log (a PASSIVE checkpoint of another connection reports it)."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        conn.close()


@contextmanager
def _database(path: Path, interval: float) -> Iterator[tuple[Database, WalCheckpointer]]:
    """A database on `path` whose checkpointer runs every `interval` seconds."""
    db = Database(f"sqlite:///{path}")
    assert db.checkpointer is not None
    db.checkpointer.interval = interval
    try:
        yield db, db.checkpointer
    finally:
        db.dispose()


def test_commits_never_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    # The thread stays asleep through the test.
    with _database(path, interval=3600) as (db, checkpointer):
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        _fill(db, ROWS)
        wal = Path(f"{path}-wal").stat().st_size
        # With SQLite's default a commit checkpoints at 1,000 pages and the log starts
        # over, so the file stops growing near 1,000 pages; here it holds every row.
        assert wal > 1_500 * PAGE
        assert checkpointer.checkpoints == 0


def test_the_thread_checkpoints_and_the_log_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with _database(path, interval=0.05) as (db, checkpointer):
        _fill(db, ROWS)
        before = checkpointer.checkpoints
        deadline = time.monotonic() + 20
        while checkpointer.checkpoints < before + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpointer.checkpoints >= before + 2
        _fill(db, 1)  # the first commit after a complete checkpoint restarts the log
        assert _log_frames(path) < 20
        with db.read_session() as s:
            assert s.scalar(text("SELECT count(*) FROM scratch")) == ROWS + 1
    assert checkpointer._thread is not None and not checkpointer._thread.is_alive()


def test_a_memory_database_has_no_checkpointer() -> None:
    db = Database("sqlite://")
    try:
        assert db.checkpointer is None
    finally:
        db.dispose()
