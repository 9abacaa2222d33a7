"""The alert log: load a hall's state, run the rules, log new episodes, resolve ended ones."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.appointments import service as appts
from server.appointments.platform import get_platform_settings
from server.audit import service as audit
from server.auth.models import Device, Staff
from server.auth.principal import Principal
from server.core import Core
from server.errors import NotFound
from server.evaluations.models import Evaluation, ReviewCase
from server.evaluations.platform import outbox as upload
from server.events import schemas
from server.halls import service as halls
from server.halls.hours import periods_on
from server.halls.models import Hall
from server.integrations import get_integration_settings
from server.monitoring import access, rules
from server.monitoring.models import AlertEntry
from server.notices import service as notice_status
from server.tickets.models import Ticket

log = logging.getLogger(__name__)
DEVICE_KINDS = ("printer", "evaluator", "scanner", "led", "idcard")
RECENT = 50

def open_since(db: Session, hall: Hall, now: datetime) -> datetime | None:
    """The start of the opening period the hall is in at `now`, or None when closed."""
    local = halls.local_time(hall, now)
    for period in periods_on(halls.hours_of(db, hall), local.date()):
        if period.opens <= local.time() <= period.closes:
            return local.replace(hour=period.opens.hour, minute=period.opens.minute,
                                 second=0, microsecond=0)
    return None

def _parse(at: Any) -> datetime | None:
    if not isinstance(at, str) or not at:
        return None
    try:
        return datetime.fromisoformat(at)
    except ValueError:
        return None

def load_state(core: Core, db: Session, hall: Hall, now: datetime) -> rules.HallState:
    """Read what the rules look at."""
    r = halls.rules_of(hall)
    snap = core.cache.get(db, hall)
    codes = {s.id: s.code for s in snap.services.values()}
    # From the hall's picture when this process holds it, else four plain columns: a busy
    # hall has thousands waiting, and ORM objects for each cost more than the whole scan.
    pic = core.pictures.held(hall.id)
    queued = (((t.id, t.number, t.service_id, t.issued_at) for t in pic.waiting().values())
              if pic is not None else db.execute(
                  select(Ticket.id, Ticket.number, Ticket.service_id, Ticket.issued_at)
                  .where(Ticket.hall_id == hall.id, Ticket.status == "waiting")))
    waiting = [rules.WaitingTicket(tid, number, codes.get(service_id, ""), service_id, issued)
               for tid, number, service_id, issued in queued]
    windows = [rules.WindowState(
        w.id, w.number, w.open, w.staff_id is not None, w.empty_since, w.paused_reason,
        w.paused_at, frozenset(snap.scopes[w.id].services) if w.id in snap.scopes
        else frozenset())
        for w in halls.list_windows(db, hall)]
    devices = []
    for d in db.scalars(select(Device).where(Device.hall_id == hall.id, Device.active)):
        for kind, st in (d.status or {}).items():
            if kind in DEVICE_KINDS and isinstance(st, dict):
                devices.append(rules.DeviceState(d.name, kind, bool(st.get("online")),
                                                 str(st.get("detail") or ""),
                                                 _parse(st.get("at"))))
    numbers = {w.id: w.number for w in windows}
    bad = [rules.BadReview(e.id, c.id, t.number, numbers.get(e.window_id or 0), e.level,
                           e.created_at)
           for e, c, t in db.execute(
               select(Evaluation, ReviewCase, Ticket)
               .join(ReviewCase, ReviewCase.evaluation_id == Evaluation.id)
               .join(Ticket, Ticket.id == Evaluation.ticket_id)
               .where(Evaluation.hall_id == hall.id, ReviewCase.status == "open",
                      Evaluation.voided.is_(False)))]
    staff_names = {s.id: s.name for s in db.scalars(select(Staff).where(
        Staff.hall_id == hall.id))}
    unanswered = [rules.OpenCase(c.id, t.number, numbers.get(c.window_id or 0),
                                 staff_names.get(c.staff_id or 0), c.deadline)
                  for c, t in db.execute(
                      select(ReviewCase, Ticket)
                      .join(Evaluation, Evaluation.id == ReviewCase.evaluation_id)
                      .join(Ticket, Ticket.id == Evaluation.ticket_id)
                      .where(ReviewCase.hall_id == hall.id,
                             ReviewCase.status.in_(("open", "verified", "rectified",
                                                    "appealing"))))]
    return rules.HallState(
        thresholds=rules.Thresholds(r.max_wait_alarm_min, r.group_waiting_alarm,
                                    r.empty_window_alarm_min, r.device_offline_alarm_min),
        open_since=open_since(db, hall, now), waiting=waiting, windows=windows,
        devices=devices, bad_reviews=bad, today=halls.local_day(hall, now),
        open_cases=unanswered, links=link_backlogs(db, hall, now),
        link_behind_s=get_integration_settings().outbox_behind_s * core.settings.clock_speed)


def link_backlogs(db: Session, hall: Hall, now: datetime) -> list[rules.LinkBacklog]:
    """The hall's outboxes towards outside systems, as the link rule needs them."""
    notices = notice_status.outbox_status(db, hall, now, 0)
    uploads = upload.status(db, hall, now, 0)
    failed = tuple(f"{f['ticket']}:{f['kind']}" for f in notices["failures"]
                   if f["day"] == hall.business_day)
    mode = get_platform_settings().mode
    booking = appts.links_status(db, hall=hall, now=now, behind_s=0, mode=mode)
    reminders = booking["reminders"]
    # A reminder given up on matters while its booking is still ahead (the hall may ring
    # the citizen); after that the alert ends by itself.
    undelivered = tuple(f"{f['code']}:{f['kind']}" for f in reminders["failures"]
                        if datetime.fromisoformat(f["slot_start"]) > now)
    down = booking["platform"]["last_error"] if mode == "poll" else None
    return [rules.LinkBacklog("notices", notices["oldest_unsent_s"], failed=failed),
            rules.LinkBacklog("evaluation_platform", uploads["oldest_unsent_s"],
                              rejected=uploads["counts"].get("rejected", 0)),
            rules.LinkBacklog("booking_reminders", reminders["oldest_unsent_s"],
                              failed=undelivered),
            rules.LinkBacklog("booking_platform", 0, error=down or None)]

def _cond(entry: AlertEntry) -> str:
    return entry.key.rpartition("#")[0]

def view(hall: Hall, entry: AlertEntry) -> dict[str, Any]:
    """An alert as the dashboard shows it."""
    def iso(when: datetime | None) -> str | None:
        return halls.local_time(hall, when).isoformat() if when else None

    return {"id": entry.id, "hall": hall.code, "kind": entry.kind,
            "severity": entry.severity, "subject": entry.subject, "detail": entry.detail,
            "raised_at": iso(entry.raised_at), "resolved_at": iso(entry.resolved_at),
            "acknowledged_at": iso(entry.acknowledged_at), "active": entry.resolved_at is None}

def scan(core: Core, hall_code: str) -> list[schemas.AlertEvent]:
    """Run the rules for one hall; log new episodes and resolve ended ones (published)."""
    now = core.clock.now()
    with core.db.read_session() as db:
        hall = halls.get_hall(db, hall_code)
        found = {a.cond: a for a in rules.evaluate(load_state(core, db, hall, now), now)}
        active = {_cond(e): e.id for e in db.scalars(select(AlertEntry).where(
            AlertEntry.hall_id == hall.id, AlertEntry.resolved_at.is_(None)))}
    new = [a for cond, a in found.items() if cond not in active]
    ended = [eid for cond, eid in active.items() if cond not in found]
    if not new and not ended:
        return []  # the usual case: no write transaction at all

    def record() -> list[schemas.AlertEvent]:  # on the writer; the scan above is not
        events: list[schemas.AlertEvent] = []
        with core.db.begin() as db:
            hall = halls.get_hall(db, hall_code)
            for eid in ended:
                entry = db.get(AlertEntry, eid)
                if entry is not None and entry.resolved_at is None:
                    entry.resolved_at = now
                    events.append(schemas.alert(view(hall, entry)))
            for a in new:
                entry = _insert(db, hall, a, now)
                if entry is not None:
                    events.append(schemas.alert(view(hall, entry)))
        return events

    events = core.db.write(record)
    for event in events:
        core.bus.publish(hall_code, event)
    return events


def _escape(text: str) -> str:
    """`text` for a LIKE pattern (ticket ids may hold `_`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _insert(db: Session, hall: Hall, alert: rules.Alert, now: datetime) -> AlertEntry | None:
    """Log one episode; another core process logging it at the same moment wins quietly."""
    seen = db.scalar(select(func.count()).select_from(AlertEntry).where(
        AlertEntry.hall_id == hall.id,
        AlertEntry.key.like(f"{_escape(alert.cond)}#%", escape="\\"))) or 0
    entry = AlertEntry(hall_id=hall.id, kind=alert.kind, key=f"{alert.cond}#{seen + 1}",
                       severity=alert.severity, subject=alert.subject[:100],
                       detail=alert.detail, raised_at=now)
    try:
        with db.begin_nested():
            db.add(entry)
    except IntegrityError:
        return None
    return entry

def scan_all(core: Core) -> int:
    """Scan every hall; returns how many alerts were raised or resolved."""
    with core.db.read_session() as db:
        codes = list(db.scalars(select(Hall.code).order_by(Hall.code)))
    total = 0
    for code in codes:
        try:
            total += len(scan(core, code))
        except Exception:  # one hall's trouble never stops the others' alarms
            log.exception("alert scan of hall %s failed", code)
    return total

def recent(db: Session, hall: Hall, limit: int = RECENT) -> list[dict[str, Any]]:
    """The active alerts, then the latest of the log."""
    rows = db.scalars(select(AlertEntry).where(AlertEntry.hall_id == hall.id)
                      .order_by(AlertEntry.raised_at.desc(), AlertEntry.id.desc())
                      .limit(limit))
    out = [view(hall, e) for e in rows]
    return sorted(out, key=lambda a: not a["active"])

def acknowledge(core: Core, *, hall: str, alert_id: int, actor: Principal) -> dict[str, Any]:
    """An operator has seen an alert (it stays in the log)."""
    now = core.clock.now()
    with core.db.begin() as db:
        h = access.hall(db, hall)
        entry = db.get(AlertEntry, alert_id)
        if entry is None or entry.hall_id != h.id:
            raise NotFound(f"no alert {alert_id} in hall {hall!r}", code="unknown_alert")
        entry.acknowledged_at, entry.acknowledged_by = now, actor.staff_id
        audit.record(db, hall_id=h.id, action="alert_ack", at=now, **actor.audit(),
                     alert_id=entry.id, kind=entry.kind)
        out = view(h, entry)
    return out

def log_between(db: Session, hall: Hall, start: datetime, end: datetime) -> list[AlertEntry]:
    """The alerts raised in [start, end)."""
    return list(db.scalars(select(AlertEntry).where(
        AlertEntry.hall_id == hall.id, AlertEntry.raised_at >= start,
        AlertEntry.raised_at < end).order_by(AlertEntry.raised_at)))

__all__ = ["acknowledge", "load_state", "log_between", "open_since", "recent", "scan",
           "scan_all", "view"]
