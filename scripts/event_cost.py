"""What building one event costs: its builder, the dict literal, a pydantic model dumped.

    .venv/bin/python scripts/event_cost.py
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

from server.events import schemas
from server.windows.schemas import WindowRead

KW: dict[str, Any] = dict(
    ticket="A001", ticket_id="x" * 22, window="3", window_name="社保窗口", service="SB01",
    service_name="社保卡", domain="SB", priority="normal", recall=False, status="called",
    at="2026-11-23T10:00:00+08:00")
VIEW = WindowRead(number="3", name="社保窗口", kind="domain", state="called", ticket="A001",
                  ticket_id="x" * 22)
N = 200_000


class CallModel(BaseModel):
    """The call event as a pydantic model, for comparison."""

    type: Literal["call"] = "call"
    ticket: str
    ticket_id: str
    window: str
    window_name: str
    service: str
    service_name: str
    domain: str | None
    priority: str
    recall: bool
    status: str
    at: str | None


def literal(ticket: str, ticket_id: str, window: str, window_name: str, service: str,
            service_name: str, domain: str | None, priority: str, recall: bool, status: str,
            at: str | None) -> dict[str, Any]:
    """The call event as the flows built it before: a dict literal."""
    return {"type": "call", "ticket": ticket, "ticket_id": ticket_id, "window": window,
            "window_name": window_name, "service": service, "service_name": service_name,
            "domain": domain, "priority": priority, "recall": recall, "status": status,
            "at": at}


CASES: list[tuple[str, Callable[[], object]]] = [
    ("schemas.call(...) (builder)", lambda: schemas.call(**KW)),
    ("dict literal", lambda: literal(**KW)),
    ("pydantic model + model_dump()", lambda: CallModel(**KW).model_dump()),
    ("schemas.window(view)", lambda: schemas.window(VIEW)),
    ("{'type': 'window', **view.model_dump()} (before)",
     lambda: {"type": "window", **VIEW.model_dump()}),
]

if __name__ == "__main__":
    for name, fn in CASES:
        best = min(timeit.repeat(fn, number=N, repeat=5)) / N
        print(f"{name:50s} {best * 1e6:6.2f} µs/event")
