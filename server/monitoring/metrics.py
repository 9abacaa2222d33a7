"""`/metrics` in the Prometheus text format, for the hall's existing monitoring.

Counts only: no ticket numbers, names or ID numbers leave through here.
"""

from __future__ import annotations

import hmac
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.models import Device
from server.core import Core
from server.errors import Forbidden, Unauthorized
from server.halls.models import Hall, Service
from server.monitoring.models import AlertEntry
from server.settings import Settings
from server.tickets import service as tickets
from server.tickets.models import Ticket
from server.windows import service as windows
from server.windows.models import Window

DEVICE_KINDS = ("printer", "evaluator", "scanner", "led", "idcard")


def check_scraper(settings: Settings, *, authorization: str | None,
                  address: str | None) -> None:
    """Admit the Prometheus scraper: its bearer token or an allowed address, else refuse."""
    if settings.metrics_token is None and not settings.metrics_allow:
        raise Forbidden("/metrics is off: set HALLQ_METRICS_TOKEN or HALLQ_METRICS_ALLOW",
                        code="metrics_off")
    if address is not None and address in settings.metrics_allow:
        return
    scheme, _, value = (authorization or "").partition(" ")
    if (settings.metrics_token is not None and scheme.lower() == "bearer"
            and hmac.compare_digest(value.strip().encode(), settings.metrics_token.encode())):
        return
    raise Unauthorized("/metrics needs the scraper's token (HALLQ_METRICS_TOKEN)")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.declared: set[str] = set()

    def metric(self, name: str, type_: str, help_: str, value: float,
               **labels: str) -> None:
        if name not in self.declared:
            self.declared.add(name)
            self.lines.append(f"# HELP {name} {help_}")
            self.lines.append(f"# TYPE {name} {type_}")
        text = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        self.lines.append(f"{name}{{{text}}} {value:g}")


def render(core: Core) -> str:
    """Every hall's gauges, as Prometheus text."""
    now = core.clock.now()
    out = _Out()
    with core.db.read_session() as db:
        for hall in db.scalars(select(Hall).order_by(Hall.code)):
            _hall(db, out, hall, now)
    return "\n".join(out.lines) + "\n"


def _hall(db: Session, out: _Out, hall: Hall, now: datetime) -> None:
    h = hall.code
    stats = tickets.waiting_stats(db, hall)
    for s in db.scalars(select(Service).where(Service.hall_id == hall.id)):
        count, oldest = stats.get(s.id, (0, None))
        if not s.active and not count:
            continue
        out.metric("hallq_waiting_tickets", "gauge", "Tickets waiting now.", count, hall=h,
                   service=s.code)
        out.metric("hallq_longest_wait_seconds", "gauge", "Longest wait of a waiting ticket.",
                   (now - oldest).total_seconds() if oldest else 0, hall=h, service=s.code)
    day = hall.business_day
    rows = db.execute(select(Ticket.status, func.count()).where(
        Ticket.hall_id == hall.id, Ticket.business_day == day).group_by(Ticket.status)).all()
    for status, n in rows:
        out.metric("hallq_tickets_today", "gauge", "Today's tickets by status.", n, hall=h,
                   status=status)
    called = [(c, i) for c, i in db.execute(select(Ticket.called_at, Ticket.issued_at).where(
        Ticket.hall_id == hall.id, Ticket.business_day == day, Ticket.called_at.is_not(None)))]
    out.metric("hallq_calls_today", "gauge", "Tickets called today.", len(called), hall=h)
    waits = [(c - i).total_seconds() for c, i in called if c is not None]
    out.metric("hallq_wait_seconds_sum", "gauge", "Sum of today's waits (issue to call).",
               sum(waits), hall=h)
    out.metric("hallq_wait_seconds_count", "gauge", "Waits counted today.", len(waits), hall=h)
    states = Counter(windows.state_of(w, db.get(Ticket, w.current_ticket_id)
                                      if w.current_ticket_id else None)
                     for w in db.scalars(select(Window).where(Window.hall_id == hall.id)))
    for state in ("closed", "empty", "idle", "called", "serving", "paused"):
        out.metric("hallq_windows", "gauge", "Windows by live state.", states.get(state, 0),
                   hall=h, state=state)
    online: Counter[str] = Counter()
    offline: Counter[str] = Counter()
    for d in db.scalars(select(Device).where(Device.hall_id == hall.id, Device.active)):
        for kind, st in (d.status or {}).items():
            if kind in DEVICE_KINDS and isinstance(st, dict):
                (online if st.get("online") else offline)[kind] += 1
    for kind in DEVICE_KINDS:
        out.metric("hallq_devices_online", "gauge", "Devices reporting online.",
                   online.get(kind, 0), hall=h, kind=kind)
        out.metric("hallq_devices_offline", "gauge", "Devices reporting offline.",
                   offline.get(kind, 0), hall=h, kind=kind)
    alerts = db.execute(select(AlertEntry.kind, func.count()).where(
        AlertEntry.hall_id == hall.id, AlertEntry.resolved_at.is_(None))
        .group_by(AlertEntry.kind)).all()
    for kind, n in alerts:
        out.metric("hallq_alerts_active", "gauge", "Alerts active now.", n, hall=h, kind=kind)


__all__ = ["render"]
