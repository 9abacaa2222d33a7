"""Reports for a day, month, quarter or year, by window, staff, department, service or hall.

邵阳 第三十九条: 月考核、季考评、年总评 — the same figures for each period; a centre's report
takes in its sub-centres' halls (江苏 第五条).
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from server.audit.models import AuditEntry
from server.auth.models import Staff
from server.auth.principal import Principal
from server.core import Core
from server.errors import Invalid, NotFound
from server.evaluations import cases as case_flows
from server.evaluations.models import Evaluation, ReviewCase
from server.halls import service as halls
from server.halls.models import Hall, Service
from server.monitoring import access
from server.reports import compute, export
from server.staffing.models import PresenceChange
from server.tickets.models import Ticket
from server.windows.models import Window

PERIODS = ("day", "month", "quarter", "year")


def period_bounds(period: str, day: date) -> tuple[date, date, str]:
    """The first day, the day after the last, and a label of the period containing `day`."""
    if period == "day":
        return day, day + timedelta(days=1), day.isoformat()
    if period == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return start, end, start.strftime("%Y-%m")
    if period == "quarter":
        q = (day.month - 1) // 3
        start = date(day.year, 3 * q + 1, 1)
        end = date(day.year + 1, 1, 1) if q == 3 else date(day.year, 3 * q + 4, 1)
        return start, end, f"{day.year}Q{q + 1}"
    if period == "year":
        return date(day.year, 1, 1), date(day.year + 1, 1, 1), str(day.year)
    raise Invalid(f"period must be one of {', '.join(PERIODS)}")


def _utc_bounds(hall: Hall, start: date, end: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(hall.timezone)
    return datetime.combine(start, time(0), tzinfo=tz), datetime.combine(end, time(0), tzinfo=tz)


def load_rows(db: Session, hall_list: list[Hall], start: date, end: date, now: datetime, *,
              staff_id: int | None = None) -> dict[str, list[Any]]:
    """Tickets, ratings, cases and pauses of some halls in [start, end)."""
    ids = [h.id for h in hall_list]
    departments = {s.id: s.department for s in db.scalars(select(Staff))}
    tq = select(Ticket).where(Ticket.hall_id.in_(ids), Ticket.business_day >= start,
                              Ticket.business_day < end)
    if staff_id is not None:
        tq = tq.where(Ticket.staff_id == staff_id)
    tickets = [compute.TicketRow(
        t.hall_id, t.service_id, t.window_id, t.staff_id, departments.get(t.staff_id or 0),
        t.status, t.outcome, t.issued_at, t.called_at, t.started_at, t.finished_at,
        t.transfers, t.business_day) for t in db.scalars(tq)]
    rated = aliased(Ticket)
    eq = (select(Evaluation).join(rated, rated.id == Evaluation.ticket_id)
          .where(Evaluation.hall_id.in_(ids), rated.business_day >= start,
                 rated.business_day < end, Evaluation.voided.is_(False)))
    if staff_id is not None:
        eq = eq.where(Evaluation.staff_id == staff_id)
    ratings = [compute.RatingRow(e.hall_id, e.service_id, e.window_id, e.staff_id,
                                 departments.get(e.staff_id or 0), e.level)
               for e in db.scalars(eq)]
    by_hall = {h.id: h for h in hall_list}
    cq = (select(ReviewCase).join(Evaluation, Evaluation.id == ReviewCase.evaluation_id)
          .join(rated, rated.id == Evaluation.ticket_id)
          .where(ReviewCase.hall_id.in_(ids), rated.business_day >= start,
                 rated.business_day < end))
    if staff_id is not None:
        cq = cq.where(ReviewCase.staff_id == staff_id)
    case_objs = list(db.scalars(cq))
    cases = [compute.CaseRow(c.hall_id, c.service_id, c.window_id, c.staff_id,
                             departments.get(c.staff_id or 0), c.status,
                             case_flows.is_overdue(c, halls.local_day(by_hall[c.hall_id], now)))
             for c in case_objs]
    pauses: list[compute.PauseRow] = []
    for h in hall_list:
        lo, hi = _utc_bounds(h, start, end)
        pq = select(AuditEntry).where(AuditEntry.hall_id == h.id, AuditEntry.action == "resume",
                                      AuditEntry.at >= lo, AuditEntry.at < hi)
        if staff_id is not None:
            pq = pq.where(AuditEntry.staff_id == staff_id)
        pauses.extend(compute.PauseRow(h.id, a.window_id, a.staff_id,
                                       departments.get(a.staff_id or 0),
                                       int(a.detail.get("paused_s") or 0))
                      for a in db.scalars(pq))
    presence: list[compute.PresenceRow] = []
    for h in hall_list:
        lo, hi = _utc_bounds(h, start, end)
        aq = select(PresenceChange).where(PresenceChange.hall_id == h.id,
                                          PresenceChange.at >= lo, PresenceChange.at < hi)
        if staff_id is not None:
            aq = aq.where(PresenceChange.staff_id == staff_id)
        presence.extend(compute.PresenceRow(h.id, a.staff_id, departments.get(a.staff_id),
                                            a.presence) for a in db.scalars(aq))
    return {"tickets": tickets, "ratings": ratings, "cases": cases, "pauses": pauses,
            "presence": presence, "case_objs": case_objs}


def _labels(db: Session, dimension: str, hall_list: list[Hall]) -> dict[Hashable, str]:
    ids = [h.id for h in hall_list]
    many = len(hall_list) > 1
    names = {h.id: h.name for h in hall_list}
    if dimension == "window":
        return {w.id: (f"{names[w.hall_id]} " if many else "") + f"{w.number} {w.name}"
                for w in db.scalars(select(Window).where(Window.hall_id.in_(ids)))}
    if dimension == "staff":
        return {s.id: f"{s.name} ({s.job_no})" for s in db.scalars(select(Staff))}
    if dimension == "service":
        return {s.id: (f"{names[s.hall_id]} " if many else "") + f"{s.code} {s.name}"
                for s in db.scalars(select(Service).where(Service.hall_id.in_(ids)))}
    if dimension == "hall":
        return {k: v for k, v in names.items()}
    return {}


def report(core: Core, *, hall: str, actor: Principal, period: str, day: date,
           by: str, below: bool = False) -> dict[str, Any]:
    """One report: a row per group of `by` and the total, with the three 差评 rates."""
    if by not in compute.DIMENSIONS:
        raise Invalid(f"by must be one of {', '.join(compute.DIMENSIONS)}")
    start, end, label = period_bounds(period, day)
    now = core.clock.now()
    with core.db.read_session() as db:
        hall_list = access.halls_below(db, hall, below=below)
        rows = load_rows(db, hall_list, start, end, now)
        groups, total = compute.tabulate(by, rows["tickets"], rows["ratings"], rows["cases"],
                                         rows["pauses"], rows["presence"])
        labels = _labels(db, by, hall_list)
        today = halls.local_day(hall_list[0], now)
        rates = case_flows.rates(rows["case_objs"], today).as_dict()
    out_rows = []
    for key, figures in groups.items():
        if key is None:  # tickets never called: no window, staff member or department
            name = export.row_label(by, {"key": None})
        else:
            name = labels.get(key, str(key)) if key != "" else export.row_label(by, {"key": None})
        out_rows.append({"key": key, "label": name, **figures.as_dict()})
    out_rows.sort(key=lambda r: (r["key"] is None, str(r["label"])))
    return {"hall": hall, "hall_name": hall_list[0].name,
            "hall_name_en": hall_list[0].name_en, "halls": [h.code for h in hall_list],
            "period": period,
            "label": label, "start": start.isoformat(), "end": (end - timedelta(days=1))
            .isoformat(), "by": by, "rows": out_rows,
            "total": {"label": "合计", **total.as_dict()}, "case_rates": rates}


def staff_sheet(core: Core, *, hall: str, actor: Principal, job_no: str,
                month: date, period: str = "month") -> dict[str, Any]:
    """A staff member's assessment sheet: 月考核, or 季考评 / 年总评 with `period`.

    邵阳 第三十九条. The figures of the period, day by day, the days signed in and the
    person's 差评 cases.
    """
    start, end, label = period_bounds(period, month)
    now = core.clock.now()
    with core.db.read_session() as db:
        hall_list = access.halls_below(db, hall, below=True)
        staff = db.scalar(select(Staff).where(Staff.job_no == job_no))
        if staff is None or (staff.hall_id is not None
                             and staff.hall_id not in {h.id for h in hall_list}):
            raise NotFound(f"no staff {job_no!r} in hall {hall!r}", code="unknown_staff")
        rows = load_rows(db, hall_list, start, end, now, staff_id=staff.id)
        _, total = compute.tabulate("staff", rows["tickets"], rows["ratings"], rows["cases"],
                                    rows["pauses"], rows["presence"])
        days: dict[str, compute.Figures] = {}
        for t in rows["tickets"]:
            days.setdefault(t.day.isoformat(), compute.Figures()).add_ticket(t)
        lo, hi = _utc_bounds(hall_list[0], start, end)
        signed = {halls.local_day(hall_list[0], a.at) for a in db.scalars(
            select(AuditEntry).where(AuditEntry.staff_id == staff.id,
                                     AuditEntry.action == "sign_in", AuditEntry.at >= lo,
                                     AuditEntry.at < hi))}
        by_hall = {h.id: h for h in hall_list}
        case_list = [case_flows.view(db, by_hall[c.hall_id], c,
                                     halls.local_day(by_hall[c.hall_id], now))
                     for c in rows["case_objs"]]
    return {
        "hall": hall, "period": period, "month": label, "start": start.isoformat(),
        "end": (end - timedelta(days=1)).isoformat(),
        "staff": {"job_no": staff.job_no, "name": staff.name, "department": staff.department},
        "days_signed_in": len(signed), "total": total.as_dict(),
        "days": [{"day": d, **f.as_dict()} for d, f in sorted(days.items())],
        "cases": case_list,
    }


__all__ = ["PERIODS", "load_rows", "period_bounds", "report", "staff_sheet"]
