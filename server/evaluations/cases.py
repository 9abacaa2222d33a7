"""差评 cases: opened for every bad rating, handled to the end within working days.

国办发〔2019〕51号 and 焦作 第五十四条: every 差评 is verified (核实), rectified (整改) and
answered (反馈) within a deadline; 江苏 第五条 asks for "三个100%" — every case answered,
rectified and followed up (回访). A mistaken or malicious review can be voided by an
approved appeal, with its reason and approver kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import Staff
from server.auth.principal import Principal
from server.core import Core
from server.errors import Conflict, Invalid, NotFound
from server.evaluations.models import CITIZEN_VIEWS, Evaluation, ReviewCase
from server.evaluations.platform import outbox as upload
from server.halls import service as halls
from server.halls.hours import HallHours, periods_on
from server.halls.models import Hall, Service
from server.monitoring import access
from server.windows.models import Window

# Which step each action needs the case to be in, and where it leaves it.
STEPS = {
    "verify": ("open", "verified"),
    "rectify": ("verified", "rectified"),
    "answer": ("rectified", "answered"),
    "follow_up": ("answered", "closed"),
}
VOIDABLE = ("open", "verified")
FINAL = ("closed", "voided")


def working_deadline(hours: HallHours, opened: date, days: int) -> date:
    """The `days`-th working day after `opened` on the hall's calendar.

    A working day is a day the hall opens (holidays off, 调休 weekends on). A hall with no
    opening hours configured counts Monday to Friday less its holidays.
    """
    weekly_known = any(hours.weekly.values())
    day, left = opened, days
    for _ in range(days * 7 + 400):  # bounded even for a calendar full of holidays
        day += timedelta(days=1)
        if weekly_known:
            working = bool(periods_on(hours, day))
        else:
            working = day not in hours.holidays and (
                day.weekday() < 5 or day in hours.workdays)
        if working:
            left -= 1
            if left == 0:
                return day
    return day


def is_overdue(case: ReviewCase, today: date) -> bool:
    """An open case whose citizen was not answered by its deadline (限期反馈)."""
    if case.status in ("answered", "closed", "voided"):
        return False
    return today > case.deadline


def open_case(db: Session, hall: Hall, evaluation: Evaluation, now: datetime) -> ReviewCase:
    """Open the case of a bad rating, in the rating's transaction."""
    rules = halls.rules_of(hall)
    deadline = working_deadline(halls.hours_of(db, hall), halls.local_day(hall, now),
                                rules.bad_review_deadline_days)
    case = ReviewCase(hall_id=hall.id, evaluation_id=evaluation.id,
                      window_id=evaluation.window_id, staff_id=evaluation.staff_id,
                      service_id=evaluation.service_id, level=evaluation.level,
                      status="open", opened_at=now, deadline=deadline)
    db.add(case)
    db.flush()
    audit.record(db, hall_id=hall.id, action="case_open", at=now,
                 ticket_id=evaluation.ticket_id, case_id=case.id, deadline=deadline.isoformat())
    return case


@dataclass(frozen=True)
class Rates:
    """The three rates of 江苏 第五条, in percent of the cases that count (not voided)."""

    cases: int
    voided: int
    feedback: float
    rectification: float
    follow_up: float
    overdue: int

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {"cases": self.cases, "voided": self.voided, "feedback_rate": self.feedback,
                "rectification_rate": self.rectification, "follow_up_rate": self.follow_up,
                "overdue": self.overdue}


def rates(cases: list[ReviewCase], today: date) -> Rates:
    """Feedback, rectification and follow-up rates; 100% when there is nothing to handle."""
    counted = [c for c in cases if c.status != "voided"]
    n = len(counted)

    def pct(done: int) -> float:
        return 100.0 if n == 0 else round(100.0 * done / n, 1)

    return Rates(
        cases=n, voided=len(cases) - n,
        feedback=pct(sum(1 for c in counted if c.answered_at is not None)),
        rectification=pct(sum(1 for c in counted if c.rectified_at is not None)),
        follow_up=pct(sum(1 for c in counted if c.followed_up_at is not None)),
        overdue=sum(1 for c in counted if is_overdue(c, today)),
    )


def view(db: Session, hall: Hall, case: ReviewCase, today: date) -> dict[str, Any]:
    """A case as the operator's list shows it."""
    evaluation = db.get(Evaluation, case.evaluation_id)
    window = db.get(Window, case.window_id) if case.window_id else None
    staff = db.get(Staff, case.staff_id) if case.staff_id else None
    service = db.get(Service, case.service_id)

    def iso(when: datetime | None) -> str | None:
        return halls.local_time(hall, when).isoformat() if when else None

    return {
        "id": case.id, "hall": hall.code, "status": case.status, "level": case.level,
        "ticket_id": evaluation.ticket_id if evaluation else None,
        "reasons": list(evaluation.reasons) if evaluation else [],
        "comment": evaluation.comment if evaluation else "",
        "window": window.number if window else None,
        "staff": staff.name if staff else None, "staff_no": staff.job_no if staff else None,
        "department": staff.department if staff else None,
        "service": service.code if service else None,
        "service_name": service.name if service else None,
        "opened_at": iso(case.opened_at), "deadline": case.deadline.isoformat(),
        "overdue": is_overdue(case, today),
        "verified_at": iso(case.verified_at), "verify_note": case.verify_note,
        "voided_at": iso(case.voided_at), "void_reason": case.void_reason,
        "void_approver": case.void_approver,
        "rectified_at": iso(case.rectified_at), "rectify_note": case.rectify_note,
        "answered_at": iso(case.answered_at), "answer_note": case.answer_note,
        "followed_up_at": iso(case.followed_up_at), "followup_note": case.followup_note,
        "citizen_view": case.citizen_view,
    }


def _load(db: Session, actor: Principal, hall_code: str, case_id: int) -> tuple[Hall, ReviewCase]:
    hall = access.watched_hall(db, actor, hall_code)
    case = db.scalar(select(ReviewCase).where(ReviewCase.id == case_id,
                                              ReviewCase.hall_id == hall.id).with_for_update())
    if case is None:
        raise NotFound(f"no case {case_id} in hall {hall_code!r}")
    return hall, case


def _publish(core: Core, hall: str, case: dict[str, Any]) -> None:
    core.bus.publish(hall, {"type": "case", "case": case["id"], "status": case["status"],
                            "overdue": case["overdue"]})


def advance(core: Core, *, hall: str, case_id: int, step: str, note: str, actor: Principal,
            citizen_view: str | None = None) -> dict[str, Any]:
    """Take one step of the workflow: verify, rectify, answer or follow_up (with a note)."""
    if step not in STEPS:
        raise Invalid(f"step must be one of {', '.join(STEPS)}")
    if not note.strip():
        raise Invalid("every step needs a note of what was done")
    if step == "follow_up" and citizen_view not in CITIZEN_VIEWS:
        raise Invalid(f"a follow-up records the citizen's view: {', '.join(CITIZEN_VIEWS)}")
    now = core.clock.now()
    with core.db.begin() as db:
        h, case = _load(db, actor, hall, case_id)
        need, then = STEPS[step]
        if case.status != need:
            raise Conflict(f"case {case_id} is {case.status}; {step} needs it {need}",
                           code="case_state")
        case.status = then
        if step == "verify":
            case.verified_at, case.verified_by, case.verify_note = now, actor.staff_id, note
        elif step == "rectify":
            case.rectified_at, case.rectify_note = now, note
        elif step == "answer":
            case.answered_at, case.answer_note = now, note
        else:
            case.followed_up_at, case.followup_note = now, note
            case.citizen_view = citizen_view
        audit.record(db, hall_id=h.id, action=f"case_{step}", at=now, **actor.audit(),
                     case_id=case.id, note=note, citizen_view=citizen_view)
        upload.add_step(db, h, case, now, note)
        out = view(db, h, case, halls.local_day(h, now))
    _publish(core, hall, out)
    return out


def void(core: Core, *, hall: str, case_id: int, reason: str, approver: str,
         actor: Principal) -> dict[str, Any]:
    """Void a mistaken or malicious review by an approved appeal; the rating stops counting."""
    if not reason.strip() or not approver.strip():
        raise Invalid("an appeal needs its reason and the name of who approved it")
    now = core.clock.now()
    with core.db.begin() as db:
        h, case = _load(db, actor, hall, case_id)
        if case.status not in VOIDABLE:
            raise Conflict(f"case {case_id} is {case.status}; only a case not yet rectified "
                           "can be voided", code="case_state")
        case.status, case.voided_at = "voided", now
        case.void_reason, case.void_approver = reason, approver
        evaluation = db.get(Evaluation, case.evaluation_id)
        if evaluation is not None:
            evaluation.voided = True
        audit.record(db, hall_id=h.id, action="case_void", at=now, **actor.audit(),
                     case_id=case.id, reason=reason, approver=approver)
        upload.add_step(db, h, case, now, reason)
        out = view(db, h, case, halls.local_day(h, now))
    _publish(core, hall, out)
    return out


def cases_between(db: Session, hall_ids: list[int], start: datetime,
                  end: datetime) -> list[ReviewCase]:
    """Cases opened in [start, end) in some halls."""
    return list(db.scalars(select(ReviewCase).where(
        ReviewCase.hall_id.in_(hall_ids), ReviewCase.opened_at >= start,
        ReviewCase.opened_at < end).order_by(ReviewCase.opened_at)))


def listing(core: Core, *, hall: str, actor: Principal, status: str | None = None,
            overdue: bool | None = None, below: bool = False) -> dict[str, Any]:
    """The cases of a hall (and the halls below it), newest first, with the three rates."""
    now = core.clock.now()
    with core.db.read_session() as db:
        targets = access.watched_halls(db, actor, hall, below=below)
        rows: list[dict[str, Any]] = []
        all_cases: list[ReviewCase] = []
        for h in targets:
            today = halls.local_day(h, now)
            cases = list(db.scalars(select(ReviewCase).where(ReviewCase.hall_id == h.id)
                                    .order_by(ReviewCase.opened_at.desc())))
            all_cases.extend(cases)
            for c in cases:
                if status is not None and c.status != status:
                    continue
                if overdue is not None and is_overdue(c, today) != overdue:
                    continue
                rows.append(view(db, h, c, today))
        today = halls.local_day(targets[0], now)
        name = targets[0].name
    return {"hall": hall, "hall_name": name, "cases": rows,
            "rates": rates(all_cases, today).as_dict()}


__all__ = ["FINAL", "STEPS", "VOIDABLE", "Rates", "advance", "cases_between", "is_overdue",
           "listing", "open_case", "rates", "view", "void", "working_deadline"]
