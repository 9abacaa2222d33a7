"""Audit trail reads for operators: a search (or its file) and one ticket's history."""

from __future__ import annotations

from datetime import date
from typing import Any

from server.audit import query
from server.auth.principal import Principal
from server.core import Core
from server.halls import service as halls
from server.monitoring import access


def search(core: Core, *, hall: str, actor: Principal, start: date | None, end: date | None,
           staff: str | None = None, window: str | None = None, ticket: str | None = None,
           action: str | None = None, limit: int = 200, offset: int = 0) -> dict[str, Any]:
    """Search the trail; the range defaults to the hall's today."""
    with core.db.read_session() as db:
        h = access.hall(db, hall)
        today = halls.local_day(h, core.clock.now())
        first = start or end or today
        last = end or start or today
        filters = query.Filters(first, last, staff or None, window or None, ticket or None,
                                action or None)
        return query.search(db, h, filters, limit=limit, offset=offset)


def export(core: Core, *, hall: str, actor: Principal, fmt: str, lang: str,
           **filters: Any) -> tuple[bytes, str]:
    """The search as a CSV or XLSX file (up to EXPORT_LIMIT rows) and its file name."""
    result = search(core, hall=hall, actor=actor, limit=query.EXPORT_LIMIT, offset=0,
                    **filters)
    rows = query.table(result, lang)
    name = f"hallq-{hall}-audit-{result['from']}-{result['to']}"
    title = f"{result['hall_name']} · {result['from']} – {result['to']} · {result['total']}"
    data = query.to_csv(rows) if fmt == "csv" else query.to_xlsx(rows, title)
    return data, name


def ticket_history(core: Core, *, hall: str, actor: Principal, ticket: str,
                   day: date | None) -> dict[str, Any]:
    """One ticket's whole history (by id, or by number on a day, today by default)."""
    with core.db.read_session() as db:
        h = access.hall(db, hall)
        return query.history(db, h, ticket=ticket, day=day)


__all__ = ["export", "search", "ticket_history"]
