"""Reading the audit trail: search it, export it, and one ticket's whole history.

广西 第九条 (电子监察) and 焦作 第五十三条 (每天现场巡查): the trail written by every flow
is of use only when an operator can read it. Searches are by the hall's calendar day (or
a range of days), staff member, window, ticket and action; newest first.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import actions as action_names
from server.audit.models import AuditEntry
from server.auth.models import Device, Staff
from server.errors import Invalid, NotFound
from server.evaluations.models import Evaluation, ReviewCase
from server.halls import service as halls
from server.halls.models import Hall, Service
from server.tickets.models import Ticket
from server.windows.models import Window

MAX_DAYS = 92  # a quarter: 季考评 looks back that far
MAX_LIMIT = 1000
EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class Filters:
    """What an operator searches the trail for; None means any."""

    start: date
    end: date  # inclusive
    staff: str | None = None
    window: str | None = None
    ticket: str | None = None
    action: str | None = None


def check_range(start: date, end: date) -> None:
    """Invalid unless `start` ≤ `end` and the range is at most MAX_DAYS days."""
    if end < start:
        raise Invalid("the range ends before it starts")
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(f"search at most {MAX_DAYS} days at a time")


def _bounds(hall: Hall, start: date, end: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(hall.timezone)
    return (datetime.combine(start, time(), zone),
            datetime.combine(end + timedelta(days=1), time(), zone))


def _ticket_ids(db: Session, hall: Hall, text: str, start: date, end: date) -> list[str]:
    """A ticket named by its id, or by its number on the days searched."""
    by_id = db.get(Ticket, text)
    if by_id is not None and by_id.hall_id == hall.id:
        return [by_id.id]
    return list(db.scalars(select(Ticket.id).where(
        Ticket.hall_id == hall.id, Ticket.number == text.upper(),
        Ticket.business_day >= start, Ticket.business_day <= end)))


def search(db: Session, hall: Hall, filters: Filters, *, limit: int = 200,
           offset: int = 0) -> dict[str, Any]:
    """The entries matching the filters, newest first, with the total count."""
    check_range(filters.start, filters.end)
    lo, hi = _bounds(hall, filters.start, filters.end)
    query = select(AuditEntry).where(AuditEntry.hall_id == hall.id, AuditEntry.at >= lo,
                                     AuditEntry.at < hi)
    if filters.staff:
        staff = db.scalar(select(Staff).where(Staff.job_no == filters.staff))
        if staff is None:
            raise NotFound(f"no staff {filters.staff!r}", code="unknown_staff")
        query = query.where(AuditEntry.staff_id == staff.id)
    if filters.window:
        window = halls.get_window(db, hall, filters.window)
        query = query.where(AuditEntry.window_id == window.id)
    if filters.ticket:
        ids = _ticket_ids(db, hall, filters.ticket.strip(), filters.start, filters.end)
        query = query.where(AuditEntry.ticket_id.in_(ids))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                      .limit(limit).offset(offset))
    names = Names(db)
    actions = list(db.scalars(select(AuditEntry.action).where(AuditEntry.hall_id == hall.id)
                              .distinct().order_by(AuditEntry.action)))
    return {"hall": hall.code, "hall_name": hall.name,
            "hall_name_en": hall.name_en, "from": filters.start.isoformat(),
            "to": filters.end.isoformat(), "total": total, "limit": limit, "offset": offset,
            "entries": [view(hall, e, names) for e in rows],
            "actions": action_names.catalogue(actions)}


class Names:
    """Looks up the names an entry points at, each once per request."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self._staff: dict[int, Staff | None] = {}
        self._windows: dict[int, Window | None] = {}
        self._tickets: dict[str, Ticket | None] = {}
        self._devices: dict[int, Device | None] = {}

    def staff(self, staff_id: int | None) -> Staff | None:
        """A staff member by id."""
        if staff_id is None:
            return None
        if staff_id not in self._staff:
            self._staff[staff_id] = self.db.get(Staff, staff_id)
        return self._staff[staff_id]

    def window(self, window_id: int | None) -> Window | None:
        """A window by id."""
        if window_id is None:
            return None
        if window_id not in self._windows:
            self._windows[window_id] = self.db.get(Window, window_id)
        return self._windows[window_id]

    def ticket(self, ticket_id: str | None) -> Ticket | None:
        """A ticket by id."""
        if ticket_id is None:
            return None
        if ticket_id not in self._tickets:
            self._tickets[ticket_id] = self.db.get(Ticket, ticket_id)
        return self._tickets[ticket_id]

    def device(self, device_id: int | None) -> Device | None:
        """A device by id."""
        if device_id is None:
            return None
        if device_id not in self._devices:
            self._devices[device_id] = self.db.get(Device, device_id)
        return self._devices[device_id]


def view(hall: Hall, entry: AuditEntry, names: Names) -> dict[str, Any]:
    """An entry with names instead of ids; staff ids inside the detail become job numbers."""
    staff = names.staff(entry.staff_id)
    window = names.window(entry.window_id)
    ticket = names.ticket(entry.ticket_id)
    device = names.device(entry.device_id)
    detail: dict[str, Any] = {}
    for key, value in (entry.detail or {}).items():
        if key.endswith("staff_id") and isinstance(value, int):
            person = names.staff(value)
            detail[key.removesuffix("_id")] = (f"{person.name} ({person.job_no})"
                                               if person else value)
        else:
            detail[key] = value
    return {
        "id": entry.id, "at": halls.local_time(hall, entry.at).isoformat(),
        "action": entry.action,
        "staff": staff.name if staff else None, "staff_no": staff.job_no if staff else None,
        "device": device.name if device else None,
        "window": window.number if window else None,
        "ticket": ticket.number if ticket else None, "ticket_id": entry.ticket_id,
        "ticket_day": ticket.business_day.isoformat() if ticket else None,
        "detail": detail,
    }


def history(db: Session, hall: Hall, *, ticket: str, day: date | None) -> dict[str, Any]:
    """One ticket's whole history on one screen: the ticket, every entry, rating and case."""
    found = db.get(Ticket, ticket)
    if found is None or found.hall_id != hall.id:
        when = day or hall.business_day
        found = db.scalar(select(Ticket).where(
            Ticket.hall_id == hall.id, Ticket.number == ticket.upper(),
            Ticket.business_day == when)) if when else None
    if found is None:
        raise NotFound(f"no ticket {ticket!r} on {day or hall.business_day}", code="unknown_ticket")
    names = Names(db)
    entries = db.scalars(select(AuditEntry).where(AuditEntry.ticket_id == found.id)
                         .order_by(AuditEntry.at, AuditEntry.id))
    service = db.get(Service, found.service_id)
    evaluation = db.scalar(select(Evaluation).where(Evaluation.ticket_id == found.id))
    case = db.scalar(select(ReviewCase).where(ReviewCase.evaluation_id == evaluation.id)) \
        if evaluation else None

    def iso(when: datetime | None) -> str | None:
        return halls.local_time(hall, when).isoformat() if when else None

    window = names.window(found.window_id)
    staff = names.staff(found.staff_id)
    return {
        "ticket": {
            "id": found.id, "number": found.number, "day": found.business_day.isoformat(),
            "service": service.code if service else None,
            "service_name": service.name if service else None,
            "status": found.status, "priority": found.priority, "channel": found.channel,
            "outcome": found.outcome, "note": found.note,
            "window": window.number if window else None,
            "staff": staff.name if staff else None, "staff_no": staff.job_no if staff else None,
            "issued_at": iso(found.issued_at), "called_at": iso(found.called_at),
            "started_at": iso(found.started_at), "finished_at": iso(found.finished_at),
            "recalls": found.recalls, "transfers": found.transfers, "requeues": found.requeues,
        },
        "entries": [view(hall, e, names) for e in entries],
        "rating": {"level": evaluation.level, "reasons": [str(r) for r in evaluation.reasons],
                   "comment": evaluation.comment, "channel": evaluation.channel,
                   "voided": evaluation.voided, "at": iso(evaluation.created_at)}
        if evaluation else None,
        "case": {"id": case.id, "status": case.status, "deadline": case.deadline.isoformat()}
        if case else None,
    }


COLUMNS = (("时间", "time", "at"), ("操作", "action", "action"), ("工号", "job no.", "staff_no"),
           ("人员", "staff", "staff"), ("设备", "device", "device"),
           ("窗口", "window", "window"), ("号码", "ticket", "ticket"),
           ("详情", "detail", "detail"))


def table(result: dict[str, Any], lang: str) -> list[list[Any]]:
    """Header and rows for a file; the detail as `key=value` pairs."""
    head = [zh if lang == "zh" else en for zh, en, _ in COLUMNS]
    rows: list[list[Any]] = [head]
    for e in result["entries"]:
        row = []
        for _, _, key in COLUMNS:
            value = e[key]
            if key == "action":
                value = action_names.name(value, lang)
            elif key == "detail":
                value = "; ".join(f"{k}={v}" for k, v in value.items())
            row.append("" if value is None else value)
        rows.append(row)
    return rows


def to_csv(rows: list[list[Any]]) -> bytes:
    """CSV, UTF-8 with a BOM so that Excel reads the Chinese."""
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[list[Any]], title: str) -> bytes:
    """An XLSX sheet of the rows, the header bold and frozen."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "audit"
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    ws[f"A{len(rows) + 2}"] = title
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["COLUMNS", "EXPORT_LIMIT", "MAX_DAYS", "MAX_LIMIT", "Filters", "Names",
           "check_range", "history", "search", "table", "to_csv", "to_xlsx", "view"]
