"""Checking a simulated day's 到号提醒: every text the SMS gateway simulator received against
the citizens who asked for it and the core's own records.

A text passes when: it went to the number the citizen gave for that very ticket; it names
that ticket; an "N ahead" text went out when the ticket had at most the N the citizen
chose ahead of it (and says so); a "called" text followed the ticket's call; the core's
last check before sending came before the ticket reached the window (never to a ticket
already served); and each notice was received exactly once.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, text

from simulators.crowd.runner import Simulation
from simulators.sms_gateway import Sms


def _at(value: Any) -> datetime | None:
    """A database time as an aware UTC datetime (SQLite returns naive text)."""
    if value is None:
        return None
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def check_notices(sim: Simulation, sent: list[Sms], database: str) -> dict[str, Any]:
    """The day's notices, counted and checked; `bad` lists every text that failed a check."""
    engine = create_engine(database)
    try:
        with engine.connect() as db:
            rows = db.execute(text(
                "SELECT o.id, o.kind, o.status, o.ahead, o.claimed_at, p.notify_ahead, "
                "t.number, t.called_at, t.started_at FROM notice_outbox o "
                "JOIN phone_tickets p ON p.id = o.phone_ticket_id "
                "JOIN tickets t ON t.id = o.ticket_id")).all()
    finally:
        engine.dispose()
    outbox = {f"{sim.hall}-n{r.id}": r for r in rows}
    by_phone = {rec.phone: rec for rec in sim.records if rec.phone}
    bad: list[str] = []
    for sms in sent:
        row = outbox.get(sms.out_id)
        rec = by_phone.get(sms.phone)
        if row is None or rec is None:
            bad.append(f"{sms.out_id}: no such notice or citizen")
            continue
        problems = []
        if rec.number != row.number or row.number not in sms.content:
            problems.append(f"to {sms.phone} (ticket {rec.number}) about {row.number}")
        if row.kind == "near" and (row.ahead is None or row.ahead > row.notify_ahead
                                   or f"前面还有{row.ahead}人" not in sms.content):
            problems.append(f"'N ahead' with {row.ahead} ahead, threshold {row.notify_ahead}")
        claimed, called, started = _at(row.claimed_at), _at(row.called_at), _at(row.started_at)
        if row.kind == "called" and (called is None or claimed is None or claimed < called):
            problems.append("'called' before the call")
        if started is not None and (claimed is None or claimed > started):
            problems.append("sent after the ticket reached the window")
        if row.status != "sent":
            problems.append(f"the core has it {row.status}")
        bad.extend(f"{sms.out_id}: {p}" for p in problems)
    twice = [ref for ref, n in Counter(s.out_id for s in sent).items() if n > 1]
    bad.extend(f"{ref}: received {n} times" for ref, n in Counter(
        s.out_id for s in sent).items() if n > 1)
    statuses = Counter(r.status for r in rows)
    unreceived = [ref for ref, r in outbox.items() if r.status == "sent"
                  and ref not in {s.out_id for s in sent}]
    bad.extend(f"{ref}: the core says sent, the gateway never got it" for ref in unreceived)
    return {
        "phone_tickets": sum(1 for rec in sim.records if rec.phone and rec.ticket_id),
        "texts": len(sent), "near": sum(1 for r in rows if r.kind == "near"
                                        and r.status == "sent"),
        "called": sum(1 for r in rows if r.kind == "called" and r.status == "sent"),
        "dropped": statuses.get("dropped", 0), "failed": statuses.get("failed", 0),
        "unsent": statuses.get("pending", 0) + statuses.get("sending", 0),
        "duplicates": len(twice), "bad": bad,
    }
