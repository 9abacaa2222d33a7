"""差评 cases: opened for every bad rating, handled to the end within working days.

国办发〔2019〕51号 and 焦作 第五十四条: every 差评 is verified (核实), rectified (整改) and
answered (反馈) within a deadline; 江苏 第五条 asks for "三个100%" — every case answered,
rectified and followed up (回访). A mistaken or malicious review can be voided by an
appeal approved by a second person, with its reason and approver kept. The hall may
require (`case_close_not_subject`, on by default) that whoever closes a case with the
follow-up is not the staff member the review is about.
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
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.evaluations import reasons as reason_list
from server.evaluations.models import CITIZEN_VIEWS, LEVELS, Evaluation, ReviewCase
from server.evaluations.platform import outbox as upload
from server.events import schemas
from server.halls import service as halls
from server.halls.hours import HallHours, periods_on
from server.halls.models import Hall, Service
from server.monitoring import access
from server.tickets.models import Ticket
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
# Where an appeal stands: an open one blocks the other steps until a second person decides.
APPEALING = "appealing"


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


def working_days_left(hours: HallHours, today: date, deadline: date) -> int:
    """Working days from `today` to the deadline (0 on the day, negative once past it)."""
    if today == deadline:
        return 0
    sign, start, end = (1, today, deadline) if today < deadline else (-1, deadline, today)
    count, day = 0, start
    weekly_known = any(hours.weekly.values())
    while day < end:
        day += timedelta(days=1)
        if weekly_known:
            count += bool(periods_on(hours, day))
        else:
            count += day not in hours.holidays and (day.weekday() < 5 or day in hours.workdays)
    return sign * count


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
    feedback: float | None
    rectification: float | None
    follow_up: float | None
    overdue: int

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return {"cases": self.cases, "voided": self.voided, "feedback_rate": self.feedback,
                "rectification_rate": self.rectification, "follow_up_rate": self.follow_up,
                "overdue": self.overdue}


def rates(cases: list[ReviewCase], today: date) -> Rates:
    """Feedback, rectification and follow-up rates; None (无数据) when there is no case."""
    counted = [c for c in cases if c.status != "voided"]
    n = len(counted)

    def pct(done: int) -> float | None:
        # An empty period has no rate: 100% would claim work that was never needed.
        return None if n == 0 else round(100.0 * done / n, 1)

    return Rates(
        cases=n, voided=len(cases) - n,
        feedback=pct(sum(1 for c in counted if c.answered_at is not None)),
        rectification=pct(sum(1 for c in counted if c.rectified_at is not None)),
        follow_up=pct(sum(1 for c in counted if c.followed_up_at is not None)),
        overdue=sum(1 for c in counted if is_overdue(c, today)),
    )


def view(db: Session, hall: Hall, case: ReviewCase, today: date,
         hours: HallHours | None = None) -> dict[str, Any]:
    """A case as the operator's page shows it: the ticket number, never its id alone."""
    evaluation = db.get(Evaluation, case.evaluation_id)
    ticket = db.get(Ticket, evaluation.ticket_id) if evaluation else None
    window = db.get(Window, case.window_id) if case.window_id else None
    staff = db.get(Staff, case.staff_id) if case.staff_id else None
    service = db.get(Service, case.service_id)
    codes = [str(r) for r in evaluation.reasons] if evaluation else []

    def iso(when: datetime | None) -> str | None:
        return halls.local_time(hall, when).isoformat() if when else None

    def who(staff_id: int | None) -> str | None:
        person = db.get(Staff, staff_id) if staff_id else None
        return person.name if person else None

    left = working_days_left(hours or halls.hours_of(db, hall), today, case.deadline)
    return {
        "id": case.id, "hall": hall.code, "status": case.status, "level": case.level,
        "level_name": LEVELS.get(case.level, ""),
        "ticket": ticket.number if ticket else None,
        "ticket_id": evaluation.ticket_id if evaluation else None,
        "ticket_day": ticket.business_day.isoformat() if ticket and ticket.business_day else None,
        "reasons": codes,
        "reason_names": [reason_list.label(c) for c in codes],
        "reason_names_en": [reason_list.label(c, "en") for c in codes],
        "comment": evaluation.comment if evaluation else "",
        "channel": evaluation.channel if evaluation else None,
        "window": window.number if window else None,
        "window_name": window.name if window else None,
        "staff": staff.name if staff else None, "staff_no": staff.job_no if staff else None,
        "department": staff.department if staff else None,
        "service": service.code if service else None,
        "service_name": service.name if service else None,
        "opened_at": iso(case.opened_at), "deadline": case.deadline.isoformat(),
        "working_days_left": left if case.status not in ("answered", *FINAL) else None,
        "overdue": is_overdue(case, today),
        "verified_at": iso(case.verified_at), "verify_note": case.verify_note,
        "verified_by": who(case.verified_by),
        "appealed_at": iso(case.appealed_at), "appeal_reason": case.appeal_reason,
        "appealed_by": who(case.appealed_by),
        "voided_at": iso(case.voided_at), "void_reason": case.void_reason,
        "void_approver": case.void_approver,
        "rectified_at": iso(case.rectified_at), "rectify_note": case.rectify_note,
        "rectified_by": who(case.rectified_by),
        "answered_at": iso(case.answered_at), "answer_note": case.answer_note,
        "answered_by": who(case.answered_by),
        "followed_up_at": iso(case.followed_up_at), "followup_note": case.followup_note,
        "followed_up_by": who(case.followed_up_by),
        "citizen_view": case.citizen_view,
    }


def _load(db: Session, actor: Principal, hall_code: str, case_id: int) -> tuple[Hall, ReviewCase]:
    hall = access.hall(db, hall_code)
    case = db.scalar(select(ReviewCase).where(ReviewCase.id == case_id,
                                              ReviewCase.hall_id == hall.id).with_for_update())
    if case is None:
        raise NotFound(f"no case {case_id} in hall {hall_code!r}", code="unknown_case")
    return hall, case


def _publish(core: Core, hall: str, case: dict[str, Any]) -> None:
    core.bus.publish(hall, schemas.case(case=case["id"], status=case["status"],
                                        overdue=case["overdue"]))


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
        if (step == "follow_up" and halls.rules_of(h).case_close_not_subject
                and actor.staff_id is not None and actor.staff_id == case.staff_id):
            raise Forbidden("the staff member a review is about may not close its case; "
                            "someone else makes the follow-up call", code="case_subject")
        case.status = then
        if step == "verify":
            case.verified_at, case.verified_by, case.verify_note = now, actor.staff_id, note
        elif step == "rectify":
            case.rectified_at, case.rectified_by, case.rectify_note = now, actor.staff_id, note
        elif step == "answer":
            case.answered_at, case.answered_by, case.answer_note = now, actor.staff_id, note
        else:
            case.followed_up_at, case.followup_note = now, note
            case.followed_up_by, case.citizen_view = actor.staff_id, citizen_view
        audit.record(db, hall_id=h.id, action=f"case_{step}", at=now, **actor.audit(),
                     ticket_id=_ticket_id(db, case), case_id=case.id, note=note,
                     citizen_view=citizen_view)
        upload.add_step(db, h, case, now, note)
        out = view(db, h, case, halls.local_day(h, now))
    _publish(core, hall, out)
    return out


def appeal(core: Core, *, hall: str, case_id: int, reason: str,
           actor: Principal) -> dict[str, Any]:
    """Ask to void a mistaken or malicious review (申诉); a second person decides."""
    if not reason.strip():
        raise Invalid("an appeal needs its reason")
    now = core.clock.now()
    with core.db.begin() as db:
        h, case = _load(db, actor, hall, case_id)
        if case.status not in VOIDABLE:
            raise Conflict(f"case {case_id} is {case.status}; only a case not yet rectified "
                           "can be appealed", code="case_state")
        case.status, case.appealed_at, case.appealed_by = APPEALING, now, actor.staff_id
        case.appeal_reason = reason
        audit.record(db, hall_id=h.id, action="case_appeal", at=now, **actor.audit(),
                     ticket_id=_ticket_id(db, case), case_id=case.id, reason=reason)
        out = view(db, h, case, halls.local_day(h, now))
    _publish(core, hall, out)
    return out


def decide_appeal(core: Core, *, hall: str, case_id: int, approve: bool, note: str,
                  actor: Principal) -> dict[str, Any]:
    """A second person approves (申诉作废: the rating stops counting) or refuses an appeal.

    The approver is never the one who appealed nor the staff member the review is about.
    """
    if not note.strip():
        raise Invalid("a decision needs a note")
    now = core.clock.now()
    with core.db.begin() as db:
        h, case = _load(db, actor, hall, case_id)
        if case.status != APPEALING:
            raise Conflict(f"case {case_id} is {case.status}; there is no appeal to decide",
                           code="case_state")
        if actor.staff_id is None or actor.staff_id in (case.appealed_by, case.staff_id):
            raise Forbidden("an appeal is decided by a second person: not the one who "
                            "appealed, nor the staff member the review is about",
                            code="second_person")
        if approve:
            case.status, case.voided_at = "voided", now
            case.void_reason, case.void_approver = case.appeal_reason, actor.name
            case.void_approver_id = actor.staff_id
            evaluation = db.get(Evaluation, case.evaluation_id)
            if evaluation is not None:
                evaluation.voided = True
        else:
            case.status = "verified" if case.verified_at is not None else "open"
        audit.record(db, hall_id=h.id, action="case_void" if approve else "case_appeal_refused",
                     at=now, **actor.audit(), ticket_id=_ticket_id(db, case), case_id=case.id,
                     note=note, reason=case.appeal_reason)
        if approve:
            # The platform hears of the void once decided, never of a pending appeal.
            upload.add_step(db, h, case, now, case.appeal_reason)
        out = view(db, h, case, halls.local_day(h, now))
    _publish(core, hall, out)
    return out


def _ticket_id(db: Session, case: ReviewCase) -> str | None:
    evaluation = db.get(Evaluation, case.evaluation_id)
    return evaluation.ticket_id if evaluation else None


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
        targets = access.halls_below(db, hall, below=below)
        rows: list[dict[str, Any]] = []
        all_cases: list[ReviewCase] = []
        for h in targets:
            today = halls.local_day(h, now)
            hours = halls.hours_of(db, h)
            cases = list(db.scalars(select(ReviewCase).where(ReviewCase.hall_id == h.id)
                                    .order_by(ReviewCase.opened_at.desc())))
            all_cases.extend(cases)
            for c in cases:
                if status is not None and c.status != status:
                    continue
                if overdue is not None and is_overdue(c, today) != overdue:
                    continue
                rows.append(view(db, h, c, today, hours))
        today = halls.local_day(targets[0], now)
        name, name_en = targets[0].name, targets[0].name_en
    return {"hall": hall, "hall_name": name, "hall_name_en": name_en, "cases": rows,
            "rates": rates(all_cases, today).as_dict()}


__all__ = ["APPEALING", "FINAL", "STEPS", "VOIDABLE", "Rates", "advance", "appeal",
           "cases_between", "decide_appeal", "is_overdue", "listing", "open_case", "rates",
           "view", "working_days_left", "working_deadline"]
