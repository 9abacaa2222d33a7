"""The floor of the stack: FastAPI + uvicorn with one endpoint that inserts one SQLite row.

`hallq bench core` runs it in the same run as the core and divides the core's CPU per
ticket by this app's CPU per request. Run as `uvicorn simulators.bench.floor:app` with
HALLQ_FLOOR_DB naming the SQLite file. The endpoint is a coroutine on one connection
(WAL, synchronous=NORMAL, like the core's SQLite), so nothing but the stack itself costs.
"""

from __future__ import annotations

import os
import sqlite3
import time

from fastapi import FastAPI
from pydantic import BaseModel

from server import cpu

# On a CPU of its own, as `hallq serve` runs the core (server.cpu): the same footing.
cpu.pin(os.environ.get("HALLQ_CPU", "auto"))


class Row(BaseModel):
    """The request body: one service code, like a kiosk's."""

    service: str


def _connect() -> sqlite3.Connection:
    conn = sqlite3.connect(os.environ.get("HALLQ_FLOOR_DB", "floor.db"), isolation_level=None,
                           check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, service TEXT, "
                 "at REAL)")
    return conn


app = FastAPI()
_conn = _connect()


@app.get("/api/v1/health")
async def health() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}


@app.post("/insert", status_code=201)
async def insert(row: Row) -> dict[str, int]:
    """Insert one row and return its id."""
    cur = _conn.execute("INSERT INTO rows (service, at) VALUES (?, ?)",
                        (row.service, time.time()))
    return {"id": int(cur.lastrowid or 0)}
