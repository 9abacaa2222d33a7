"""Counter flows: sign in and out, call, recall, no-show, start, finish, transfer, pause.

Each flow locks the window row, does its work in one transaction, records who did what
(焦作 第五十三条: every action audited) and publishes its events after the commit.

The counter's buttons (call, recall, no-show, start, finish, transfer, pause) read and
write the window and ticket rows with SQLAlchemy Core (`WindowRow`, `TicketRow`): a few
plain statements each, no ORM instances or flush.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.principal import Principal
from server.core import Core
from server.errors import Conflict, Forbidden, NotFound
from server.events import schemas
from server.events.bus import Published
from server.halls import service as halls
from server.halls.cache import HallConfigSnapshot
from server.halls.day import open_hall
from server.halls.models import Hall
from server.staffing import service as staffing
from server.tickets import engine, notices, picture
from server.tickets import flows as ticket_flows
from server.tickets import service as tickets
from server.tickets.models import Ticket
from server.tickets.rows import TicketRow
from server.tickets.schemas import TicketRead
from server.windows import calls
from server.windows import service as windows
from server.windows.models import Window
from server.windows.rows import WindowRow
from server.windows.schemas import WindowRead

# How many of the best-ranked tickets a call tries to claim before reloading the queue.
CLAIM_ATTEMPTS = 16


@dataclass
class Outcome:
    """What a counter flow did, to answer the request and publish the events."""

    hall_row: Hall
    window_row: Window | WindowRow
    ticket: TicketRead | None = None
    events: list[Published] = field(default_factory=list)
    queue_changed: bool = False
    touched: list[TicketRead] = field(default_factory=list)
    # The window's current ticket as the flow left it (not read again for the view).
    current: TicketRow | None = None
    # Filled in by `_run` inside the transaction, once the flow is done.
    window: WindowRead | None = None

    @property
    def hall(self) -> str:
        """The hall's code."""
        return self.hall_row.code


def _publish(core: Core, out: Outcome) -> None:
    for event in out.events:
        core.bus.publish(out.hall, event)
    for ticket in out.touched:
        ticket_flows.publish_ticket(core, ticket)
    if out.window is not None:
        core.bus.publish(out.hall, schemas.window(out.window))
    if out.queue_changed:
        ticket_flows.publish_queue(core, out.hall)


def _at_window(
    core: Core, db: Session, hall_code: str, number: str, actor: Principal, now: datetime
) -> tuple[Hall, WindowRow]:
    """Lock the window and check that the caller works it (403 otherwise)."""
    hall = open_hall(db, hall_code, now)
    window = windows.lock_row(db, hall, number)
    if not actor.is_staff or window.staff_id != actor.staff_id:
        raise Forbidden(f"you are not signed in to window {number}")
    return hall, window


def _current(db: Session, window: WindowRow, *statuses: str) -> TicketRow:
    # Locked with its status re-checked: a help desk cancelling it at the same instant
    # either goes first (and this answers 409) or waits for this flow.
    ticket = (tickets.lock_row(db, window.current_ticket_id, *statuses)
              if window.current_ticket_id else None)
    return _found(window, ticket, statuses)


def _found(window: WindowRow, ticket: TicketRow | None,
           statuses: tuple[str, ...]) -> TicketRow:
    """The window's ticket, or 409 when it had none in one of `statuses`."""
    if ticket is None:
        raise Conflict(f"window {window.number} has no ticket that is {' or '.join(statuses)}",
                       code="no_current_ticket")
    return ticket


def _run(core: Core, fn: Any, **kwargs: Any) -> Outcome:
    now = core.clock.now()
    with core.db.begin() as db:
        out: Outcome = fn(core, db, now, **kwargs)
        if isinstance(out.window_row, WindowRow):
            out.window_row.save(db)
        out.window = windows.view(db, out.hall_row, out.window_row, current=out.current,
                                  snap=core.cache.get(db, out.hall_row))
    _publish(core, out)
    return out


def sign_in(core: Core, *, hall: str, window: str, post: str, actor: Principal) -> Outcome:
    """Sign in to a window as A or B post; a second person signing in takes over cleanly."""
    return _run(core, _sign_in, hall_code=hall, number=window, post=post, actor=actor)


def _sign_in(core: Core, db: Session, now: datetime, *, hall_code: str, number: str, post: str,
             actor: Principal) -> Outcome:
    if not actor.is_staff or not actor.has("staff", "admin"):
        raise Forbidden("only window staff sign in to windows")
    hall = open_hall(db, hall_code, now)
    window = halls.get_window(db, hall, number, lock=True)
    if not window.open:
        raise Conflict(f"window {number} is closed today", code="window_closed")
    staffing.check_post(db, window=window, actor=actor, post=post, day=halls.local_day(hall, now))
    events: list[Published] = []
    for other in db.scalars(select(Window).where(Window.staff_id == actor.staff_id,
                                                 Window.id != window.id).with_for_update()):
        _leave(db, hall, other, now, actor, "moved")
        events.append(schemas.window(windows.view(db, hall, other)))
    previous = window.staff_id
    if previous is not None and previous != actor.staff_id:
        # AB岗 (焦作 第三十九条): the stand-in takes over the window and its current ticket.
        audit.record(db, hall_id=hall.id, action="takeover", at=now, window_id=window.id,
                     **actor.audit(), previous_staff_id=previous, post=post)
    window.staff_id, window.post, window.empty_since = actor.staff_id, post, None
    window.paused_reason = window.paused_at = None
    window.state_since = now
    audit.record(db, hall_id=hall.id, action="sign_in", at=now, window_id=window.id,
                 **actor.audit(), post=post)
    assert actor.staff_id is not None
    staffing.arrive(db, hall=hall, staff_id=actor.staff_id, now=now)
    return Outcome(hall, window, events=events)


def _leave(db: Session, hall: Hall, window: Window | WindowRow, now: datetime,
           actor: Principal, why: str) -> None:
    if window.current_ticket_id is not None:
        ticket = db.get(Ticket, window.current_ticket_id)
        if ticket is not None and ticket.status in ("called", "serving"):
            raise Conflict(f"finish or transfer ticket {ticket.number} on window "
                           f"{window.number} first", code="ticket_in_hand")
        window.current_ticket_id = None
    window.staff_id = window.post = window.paused_reason = window.paused_at = None
    window.empty_since = window.state_since = now
    audit.record(db, hall_id=hall.id, action="sign_out", at=now, window_id=window.id,
                 **actor.audit(), why=why)


def release(db: Session, hall: Hall, window: Window, now: datetime, actor: Principal,
            why: str) -> schemas.WindowEvent:
    """Sign whoever works the window out of it (refused with a ticket in hand); its event."""
    _leave(db, hall, window, now, actor, why)
    return schemas.window(windows.view(db, hall, window))


def sign_out(core: Core, *, hall: str, window: str, actor: Principal) -> Outcome:
    """Leave a window; refused while a ticket is in hand."""
    return _run(core, _sign_out, hall_code=hall, number=window, actor=actor)


def _sign_out(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
              actor: Principal) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    _leave(db, hall, window, now, actor, "sign_out")
    return Outcome(hall, window)


def call_next(core: Core, *, hall: str, window: str, actor: Principal,
              confirm_no_show: bool = False) -> Outcome:
    """Call the best waiting ticket for this window (`ticket` is None when nothing waits)."""
    return _run(core, _call_next, hall_code=hall, number=window, actor=actor,
                confirm=confirm_no_show)


def _call_next(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
               actor: Principal, confirm: bool) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    out = Outcome(hall, window)
    snap = core.cache.get(db, hall)
    _clear_for_call(core, db, snap, hall, window, now, actor, out, confirm)
    scope = snap.scopes[window.id]
    ticket, recorded = None, False
    # First from the hall's picture in memory; the claim in the database decides. When
    # none of its heads can be claimed (taken meanwhile, or news not arrived yet from
    # another process) or it has none, from the database itself.
    pic = tickets.picture(db, hall)
    if pic is not None:
        best = pic.best(scope, now, snap.rank, CLAIM_ATTEMPTS)
        ticket, recorded = calls.call_first(db, window, hall.id, [c.id for c in best],
                                            actor, now)
    for _ in range(3 if ticket is None else 0):
        waiting = tickets.candidates(db, hall_id=hall.id, scope=scope,
                                     per_service=CLAIM_ATTEMPTS)
        ranked = engine.rank(waiting, scope, now, snap.rank)
        if not ranked:
            break
        ticket, recorded = calls.call_first(
            db, window, hall.id, [c.id for c in ranked[:CLAIM_ATTEMPTS]], actor, now)
        if ticket is not None:
            break
    if ticket is not None:
        picture.note_gone(db, hall, ticket)
        _mark_called(db, snap, hall, window, ticket, now, actor, out, "call",
                     recorded=recorded)
    return out


def _clear_for_call(core: Core, db: Session, snap: HallConfigSnapshot, hall: Hall,
                    window: WindowRow, now: datetime, actor: Principal, out: Outcome,
                    confirm: bool) -> None:
    """Before a new call: refuse when paused or serving; a called ticket may become a no-show.

    Never a silent 过号: a ticket called a moment ago (a second F1 press) is refused with
    `confirm_no_show` until it was recalled and waited for as the hall's rules say, or
    the staff confirms.
    """
    if window.paused_reason:
        raise Conflict(f"window {window.number} is paused; resume first", code="paused")
    if confirm and window.current_ticket_id and snap.rules.no_show_on_next:
        # A busy window calling on past an unanswered call: its 过号 with its entry
        # (re-checked as called, like `lock_row`); a ticket being served falls through.
        gone = calls.no_show(db, window, hall.id, actor, now, calls.CONFIRMED)
        if gone is not None:
            _no_show_marked(core, db, hall, window, gone, now, actor, out, calls.CONFIRMED,
                            recorded=True)
            return
    current = (tickets.lock_row(db, window.current_ticket_id, "called", "serving")
               if window.current_ticket_id else None)
    if current is None:
        window.current_ticket_id = None
        return
    rules = snap.rules
    if current.status == "serving" or not rules.no_show_on_next:
        raise Conflict(f"finish ticket {current.number} first", code="ticket_in_hand")
    if confirm:
        why = calls.CONFIRMED
    elif no_show_due(current, rules.no_show_min_recalls, rules.no_show_min_wait_s, now):
        why = "auto_on_next"
    else:
        raise Conflict(f"ticket {current.number} was called and not yet recalled; mark it "
                       "a no-show (过号) first or confirm", code="confirm_no_show")
    _mark_no_show(core, db, hall, window, current, now, actor, out, why)


def no_show_due(ticket: Ticket | TicketRow, min_recalls: int, min_wait_s: int,
                now: datetime) -> bool:
    """True when a called ticket was recalled and waited for long enough to be a no-show."""
    last = ticket.recalled_at or ticket.called_at
    waited = (now - last).total_seconds() if last is not None else 0.0
    return ticket.recalls >= min_recalls and waited >= min_wait_s


def _mark_called(db: Session, snap: HallConfigSnapshot, hall: Hall, window: WindowRow,
                 ticket: TicketRow, now: datetime, actor: Principal, out: Outcome,
                 action: str, *, recorded: bool = False) -> None:
    """The window now holds the ticket, called (its row already written): audit, view, event.

    `recorded`: the call's audit entry and the window's row were written with the claim
    (`server.windows.calls`)."""
    out.current = ticket
    if not recorded:
        window.current_ticket_id, window.state_since = ticket.id, now
        audit.record(db, hall_id=hall.id, action=action, at=now, window_id=window.id,
                     ticket_id=ticket.id, **actor.audit())
    out.ticket = tickets.view(db, hall, ticket, now, snap)
    out.events.append(_call_event(snap, hall, window, ticket, now, recall=False))
    out.touched.append(out.ticket)
    out.queue_changed = True


def _call_event(snap: HallConfigSnapshot, hall: Hall, window: WindowRow, ticket: TicketRow,
                now: datetime, *, recall: bool) -> schemas.CallEvent:
    service = snap.services[ticket.service_id]
    return schemas.call(
        ticket=ticket.number, ticket_id=ticket.id, window=window.number,
        window_name=window.name, service=service.code, service_name=service.name,
        domain=service.domain, priority=ticket.priority, recall=recall, status=ticket.status,
        at=tickets.iso(hall, now))


def _mark_no_show(core: Core, db: Session, hall: Hall, window: WindowRow, ticket: TicketRow,
                  now: datetime, actor: Principal, out: Outcome, why: str) -> None:
    ticket.status, ticket.finished_at = "no_show", now
    ticket.save(db)
    _no_show_marked(core, db, hall, window, ticket, now, actor, out, why)


def _no_show_marked(core: Core, db: Session, hall: Hall, window: WindowRow,
                    ticket: TicketRow, now: datetime, actor: Principal, out: Outcome,
                    why: str, *, recorded: bool = False) -> None:
    """The window lets go of its no-show; its audit entry unless `recorded` with the move."""
    window.current_ticket_id, window.state_since = None, now
    if not recorded:
        audit.record(db, hall_id=hall.id, action="no_show", at=now, window_id=window.id,
                     ticket_id=ticket.id, **actor.audit(), why=why)
    out.touched.append(tickets.view(db, hall, ticket, now, core.cache.get(db, hall)))


def call_specific(core: Core, *, hall: str, window: str, number: str,
                  actor: Principal) -> Outcome:
    """Call one ticket by number (指定呼叫): a waiting ticket or a returning no-show."""
    return _run(core, _call_specific, hall_code=hall, number=window, ticket_no=number,
                actor=actor)


def _call_specific(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
                   ticket_no: str, actor: Principal) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    found = tickets.id_by_number(db, hall, ticket_no)
    if found is None:
        raise NotFound(f"no ticket {ticket_no} today", code="unknown_ticket")
    # Claimed atomically: of two windows calling this number at the same instant (or a
    # call-next elsewhere taking it), exactly one has it; the other is told 409.
    ticket = tickets.lock_row(db, found[0], "waiting", "no_show")
    if ticket is None:
        now_found = tickets.id_by_number(db, hall, ticket_no)
        status = now_found[1] if now_found is not None else found[1]
        raise Conflict(f"ticket {ticket_no.upper()} is {status}", code="not_waiting")
    snap = core.cache.get(db, hall)
    if not engine.callable_by(tickets.queued(ticket), snap.scopes[window.id]):
        raise Conflict(f"window {window.number} does not serve ticket {ticket.number}",
                       code="not_served_here")
    out = Outcome(hall, window)
    _clear_for_call(core, db, snap, hall, window, now, actor, out, confirm=True)
    if ticket.status == "waiting":
        picture.note_gone(db, hall, ticket)
    for column, value in calls.calling(window, actor, now).items():
        setattr(ticket, column, value)
    ticket.save(db)
    _mark_called(db, snap, hall, window, ticket, now, actor, out, "call_specific")
    return out


def recall(core: Core, *, hall: str, window: str, actor: Principal) -> Outcome:
    """Announce the current ticket again; past the hall's recall limit it is a no-show."""
    return _run(core, _recall, hall_code=hall, number=window, actor=actor)


def _recall(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
            actor: Principal) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    out = Outcome(hall, window)
    snap = core.cache.get(db, hall)
    # Below the limit, the recall with its entry (`calls`).
    recalled = calls.recall(db, window, hall.id, actor, now, snap.rules.max_recalls)
    if recalled is not None:
        out.current = recalled
        out.events.append(_call_event(snap, hall, window, recalled, now, recall=True))
        out.ticket = tickets.view(db, hall, recalled, now, snap)
        return out
    # Not recalled: not called (409), or at the hall's limit, where a recall makes it a
    # no-show. Its count cannot have changed meanwhile: only a flow holding this window's
    # lock recalls it, and a ticket called anew is no window's ticket before that call.
    gone = _found(window, calls.no_show(db, window, hall.id, actor, now, "recall_limit"),
                  ("called",))
    _no_show_marked(core, db, hall, window, gone, now, actor, out, "recall_limit",
                    recorded=True)
    out.ticket = out.touched[-1]
    return out


def no_show(core: Core, *, hall: str, window: str, actor: Principal) -> Outcome:
    """The called citizen did not come (过号)."""
    return _run(core, _no_show, hall_code=hall, number=window, actor=actor)


def _no_show(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
             actor: Principal) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    out = Outcome(hall, window)
    gone = _found(window, calls.no_show(db, window, hall.id, actor, now, "by_hand"),
                  ("called",))
    _no_show_marked(core, db, hall, window, gone, now, actor, out, "by_hand", recorded=True)
    out.ticket = out.touched[-1]
    return out


def start(core: Core, *, hall: str, window: str, actor: Principal) -> Outcome:
    """The citizen has come: service starts."""
    return _run(core, _start, hall_code=hall, number=window, actor=actor)


def _start(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
           actor: Principal) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    window.state_since = now
    ticket = _found(window, calls.start(db, window, hall.id, actor, now), ("called",))
    view = tickets.view(db, hall, ticket, now, core.cache.get(db, hall))
    return Outcome(hall, window, ticket=view, touched=[view], current=ticket)


def finish(core: Core, *, hall: str, window: str, outcome: str, note: str = "",
           missing: list[str] | None = None, missing_other: str = "",
           actor: Principal) -> Outcome:
    """Finish the current ticket with an outcome (办结, 受理, 一次性告知 …)."""
    return _run(core, _finish, hall_code=hall, number=window, outcome=outcome, note=note,
                missing=missing or [], missing_other=missing_other, actor=actor)


def _finish(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
            outcome: str, note: str, missing: list[str], missing_other: str,
            actor: Principal) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    if outcome != "correction_notice":
        # The move with its entry (`calls`: the same columns as below).
        ticket = _found(window, calls.finish(db, window, hall.id, actor, now, outcome, note),
                        ("called", "serving"))
    else:  # 一次性告知: the notice is built from the locked ticket
        ticket = _current(db, window, "called", "serving")
        # The old API's note told the missing materials in free text: it still may.
        ticket.notice = notices.build(db, hall, window, ticket, actor, now,
                                      missing=missing, other=missing_other.strip() or note)
        ticket.status, ticket.outcome, ticket.finished_at = "done", outcome, now
        ticket.started_at = ticket.started_at or now
        ticket.note = note or ticket.note
        ticket.save(db)
        audit.record(db, hall_id=hall.id, action="finish", at=now, window_id=window.id,
                     ticket_id=ticket.id, **actor.audit(), outcome=outcome)
    window.current_ticket_id, window.state_since = None, now
    view = tickets.view(db, hall, ticket, now, core.cache.get(db, hall))
    return Outcome(hall, window, ticket=view, touched=[view])


def transfer(core: Core, *, hall: str, window: str, service: str | None = None,
             to_window: str | None = None, note: str = "", actor: Principal) -> Outcome:
    """Hand the current ticket on without the citizen queueing again (首问负责).

    The ticket keeps its original issue time as its place in time, so it is near the
    front of its new queue.
    """
    return _run(core, _transfer, hall_code=hall, number=window, service=service,
                to_window=to_window, note=note, actor=actor)


def _transfer(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
              service: str | None, to_window: str | None, note: str,
              actor: Principal) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    ticket = _current(db, window, "called", "serving")
    detail: dict[str, Any] = {"from_service": ticket.service_id}
    if service is not None:
        target = core.cache.get(db, hall).service(service)
        ticket.service_id, ticket.target_window_id = target.id, None
        detail["to_service"] = target.code
    else:
        assert to_window is not None
        target_window = halls.get_window(db, hall, to_window)
        if target_window.id == window.id:
            raise Conflict("a ticket cannot be transferred to its own window")
        if not target_window.open:
            raise Conflict(f"window {to_window} is closed", code="window_closed")
        ticket.target_window_id = target_window.id
        detail["to_window"] = target_window.number
    ticket.status, ticket.queued_at = "waiting", ticket.issued_at
    ticket.window_id = ticket.staff_id = ticket.called_at = ticket.started_at = None
    ticket.recalls, ticket.transfers = 0, ticket.transfers + 1
    picture.note_waiting(db, hall, tickets.queued(ticket), picture.generation(ticket))
    if note:
        ticket.note = note
    ticket.save(db)
    window.current_ticket_id, window.state_since = None, now
    audit.record(db, hall_id=hall.id, action="transfer", at=now, window_id=window.id,
                 ticket_id=ticket.id, **actor.audit(), note=note or None, **detail)
    view = tickets.view(db, hall, ticket, now, core.cache.get(db, hall))
    return Outcome(hall, window, ticket=view, touched=[view],
                   queue_changed=True)


def pause(core: Core, *, hall: str, window: str, reason: str, actor: Principal) -> Outcome:
    """Pause the window with a reason; refused while a ticket is in hand."""
    return _run(core, _pause, hall_code=hall, number=window, reason=reason, actor=actor)


def _pause(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
           reason: str, actor: Principal) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    current = (tickets.lock_row(db, window.current_ticket_id, "called", "serving")
               if window.current_ticket_id else None)
    if current is not None:
        raise Conflict(f"finish or transfer ticket {current.number} first",
                       code="ticket_in_hand")
    if window.paused_reason:
        raise Conflict(f"window {number} is already paused", code="paused")
    reason = windows.pause_reason(reason)
    window.paused_reason, window.paused_at, window.state_since = reason, now, now
    audit.record(db, hall_id=hall.id, action="pause", at=now, window_id=window.id,
                 **actor.audit(), reason=reason)
    return Outcome(hall, window)


def resume(core: Core, *, hall: str, window: str, actor: Principal) -> Outcome:
    """End a pause."""
    return _run(core, _resume, hall_code=hall, number=window, actor=actor)


def _resume(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
            actor: Principal) -> Outcome:
    hall, window = _at_window(core, db, hall_code, number, actor, now)
    if not window.paused_reason:
        raise Conflict(f"window {number} is not paused", code="not_paused")
    paused_s = int((now - window.paused_at).total_seconds()) if window.paused_at else None
    window.paused_reason = window.paused_at = None
    window.state_since = now
    audit.record(db, hall_id=hall.id, action="resume", at=now, window_id=window.id,
                 **actor.audit(), paused_s=paused_s)
    return Outcome(hall, window)


def set_open(core: Core, *, hall: str, window: str, open_: bool, actor: Principal) -> Outcome:
    """Open or close a window for the day (operators)."""
    return _run(core, _set_open, hall_code=hall, number=window, open_=open_, actor=actor)


def _set_open(core: Core, db: Session, now: datetime, *, hall_code: str, number: str,
              open_: bool, actor: Principal) -> Outcome:
    hall = open_hall(db, hall_code, now)
    window = halls.get_window(db, hall, number, lock=True)
    if not open_ and window.current_ticket_id is not None:
        raise Conflict(f"window {number} has a ticket in hand", code="ticket_in_hand")
    window.open, window.state_since = open_, now
    if open_ and window.staff_id is None:
        window.empty_since = now
    audit.record(db, hall_id=hall.id, action="open" if open_ else "close", at=now,
                 window_id=window.id, **actor.audit())
    return Outcome(hall, window, queue_changed=True)
