"""The agent's disk outbox: ratings kept until the core acknowledges them (exactly once)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

__all__ = ["Outbox"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    uid TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, payload TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rated (ticket_id TEXT PRIMARY KEY, at REAL NOT NULL);
"""


class Outbox:
    """A small SQLite file in the agent's state directory."""

    def __init__(self, path: str | Path, *, remember_s: float = 3 * 86400) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.executescript(SCHEMA)
        self._remember_s = remember_s

    def add(self, message: dict[str, Any]) -> None:
        """Keep a rating message (it has a unique ``uid``) and remember its ticket as rated."""
        now = time.time()
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox VALUES (?, ?, ?, ?)",
                (message["uid"], message["ticket_id"], json.dumps(message), now),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO rated VALUES (?, ?)", (message["ticket_id"], now)
            )
            self._db.execute("DELETE FROM rated WHERE at < ?", (now - self._remember_s,))

    def pending(self) -> list[dict[str, Any]]:
        """Every rating not yet acknowledged by the core, oldest first."""
        rows = self._db.execute("SELECT payload FROM outbox ORDER BY created, uid").fetchall()
        return [json.loads(row[0]) for row in rows]

    def get(self, uid: str) -> dict[str, Any] | None:
        """One kept rating by uid."""
        row = self._db.execute("SELECT payload FROM outbox WHERE uid = ?", (uid,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def remove(self, uid: str) -> bool:
        """Forget a rating the core acknowledged; False if it was not kept."""
        with self._db:
            cursor = self._db.execute("DELETE FROM outbox WHERE uid = ?", (uid,))
        return cursor.rowcount > 0

    def forget_rated(self, ticket_id: str) -> None:
        """Allow a ticket to be rated again (its rating was refused as invalid)."""
        with self._db:
            self._db.execute("DELETE FROM rated WHERE ticket_id = ?", (ticket_id,))

    def already_rated(self, ticket_id: str) -> bool:
        """True when this agent already took a rating for the ticket (一次一评)."""
        row = self._db.execute("SELECT 1 FROM rated WHERE ticket_id = ?", (ticket_id,)).fetchone()
        return row is not None

    def close(self) -> None:
        """Close the database file."""
        self._db.close()
