"""Booking queries and bookkeeping: slots of a day, counts, the no-show sweep, reminders.

No FastAPI here and no transactions: the flows (`appointments.flows`) own those.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from server.appointments import rules as booking
from server.appointments.models import AppointmentReminder, PlatformCursor
from server.appointments.schemas import BookingRules
from server.db import aggregate_time
from server.halls import service as halls
from server.halls.cache import HallConfigSnapshot, ServiceEntry
from server.halls.hours import WEEKDAYS, HallHours, parse_period
from server.halls.models import Hall, Service
from server.tickets.models import Appointment

# Bookings that hold a place in their slot.
HOLDING = ("booked", "checked_in")
# No 0/O, 1/I/L: a code is read aloud at the desk and typed on a touch screen.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code() -> str:
    """A fresh booking code (8 characters, about 40 bits)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def rules_of(snap: HallConfigSnapshot) -> BookingRules:
    """The hall's booking settings."""
    return snap.rules.booking


def extended_hours(rules: BookingRules, hours: HallHours) -> HallHours | None:
    """The hall's 预约服务 periods outside normal hours, under its calendar (holidays, 调休)."""
    if not rules.extended_hours:
        return None
    weekly = {WEEKDAYS.index(day): tuple(parse_period(p) for p in periods)
              for day, periods in rules.extended_hours.items()}
    return HallHours(weekly=weekly, holidays=hours.holidays, workdays=hours.workdays)


def day_slots(snap: HallConfigSnapshot, hall: Hall, day: date) -> list[booking.Slot]:
    """Every bookable slot of a day, in the hall's time zone."""
    rules = rules_of(snap)
    return booking.slots_on(snap.hours, extended_hours(rules, snap.hours), day,
                            rules.slot_min, ZoneInfo(hall.timezone))


def is_bookable(rules: BookingRules, service: ServiceEntry) -> bool:
    """Whether citizens may book this service here."""
    if not rules.enabled or not service.active:
        return False
    if rules.services is None:
        return service.kind == "general"
    return service.code in rules.services


def capacity(snap: HallConfigSnapshot, service: ServiceEntry, slot: booking.Slot) -> int:
    """Bookings this service can take in this slot (see `rules.slot_capacity`)."""
    rules = rules_of(snap)
    windows = rules.extended_windows if slot.extended else len(snap.windows_serving(service.id))
    return booking.slot_capacity(
        windows=windows, slot_min=rules.slot_min, avg_handle_s=service.avg_handle_s,
        share=rules.share, override=rules.capacity.get(service.code))


def booked_counts(
    db: Session, *, hall_id: int, service_id: int, start: datetime, end: datetime,
    exclude_id: int | None = None,
) -> list[datetime]:
    """Start times of the bookings holding a place between `start` and `end`."""
    query = select(Appointment.slot_start).where(
        Appointment.hall_id == hall_id, Appointment.service_id == service_id,
        Appointment.slot_start >= start, Appointment.slot_start < end,
        Appointment.status.in_(HOLDING))
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return list(db.scalars(query))


def in_slot(starts: Sequence[datetime], slot: booking.Slot) -> int:
    """How many of these booking starts fall in the slot."""
    return sum(1 for s in starts if slot.start <= s < slot.end)


def mark_missed(db: Session, *, hall_id: int, now: datetime, grace_s: int) -> int:
    """Bookings never checked in by the end of their slot (and grace) become `missed`."""
    result: CursorResult[Any] = db.execute(  # type: ignore[assignment]
        update(Appointment)
        .where(Appointment.hall_id == hall_id, Appointment.status == "booked",
               Appointment.slot_end < now - timedelta(seconds=grace_s))
        .values(status="missed", updated_at=now)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def _person(digests: Sequence[str]) -> Any:
    return or_(Appointment.id_hash.in_(digests), Appointment.phone_hash.in_(digests))


def missed_times(db: Session, *, hall_id: int, digests: Sequence[str]) -> list[datetime]:
    """When each missed booking of this person (any of their digests) ended."""
    if not digests:
        return []
    return list(db.scalars(select(Appointment.slot_end).where(
        Appointment.hall_id == hall_id, Appointment.status == "missed", _person(digests))))


def active_count(
    db: Session, *, hall_id: int, digests: Sequence[str], now: datetime,
    exclude_id: int | None = None,
) -> int:
    """Bookings of this person still ahead (not yet ended, not checked in)."""
    if not digests:
        return 0
    query = select(func.count()).select_from(Appointment).where(
        Appointment.hall_id == hall_id, Appointment.status == "booked",
        Appointment.slot_end > now, _person(digests))
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return int(db.scalar(query) or 0)


def of_person(db: Session, *, hall_id: int, digest: str) -> Sequence[Appointment]:
    """A person's bookings in a hall, newest slot first."""
    return db.scalars(select(Appointment).where(
        Appointment.hall_id == hall_id, _person([digest]))
        .order_by(Appointment.slot_start.desc()).limit(50)).all()


def contact_binding(appointment_id: int) -> str:
    """What a booking's sealed contact is bound to (it opens for this booking only)."""
    return f"appointment:{appointment_id}"


def schedule_reminders(db: Session, *, appt: Appointment, rules: BookingRules,
                       now: datetime, tz: tzinfo, contact_sealed: str | None = None,
                       lang: str = "zh") -> None:
    """Queue the reminders a booking is owed in the outbox (times in the hall's zone `tz`);
    with `contact_sealed` they go out by SMS from this core (`appointments.reminders`)."""
    for kind, due in booking.reminder_times(
            slot_start=appt.slot_start.astimezone(tz), booked_at=now,
            day_before_at=rules.day_before_time(), before_min=rules.remind_before_min):
        db.add(AppointmentReminder(hall_id=appt.hall_id, appointment_id=appt.id, kind=kind,
                                   due_at=due, created_at=now, contact_sealed=contact_sealed,
                                   lang=lang))


def void_reminders(db: Session, *, appointment_id: int) -> tuple[str | None, str]:
    """Reminders of a cancelled or moved booking must not go out; their contact is erased.

    Returns the sealed contact and language they held, for a moved booking's new ones.
    """
    row = db.execute(select(AppointmentReminder.contact_sealed, AppointmentReminder.lang)
                     .where(AppointmentReminder.appointment_id == appointment_id,
                            AppointmentReminder.contact_sealed.is_not(None)).limit(1)).first()
    db.execute(update(AppointmentReminder)
               .where(AppointmentReminder.appointment_id == appointment_id,
                      AppointmentReminder.state.in_(("pending", "sending")))
               .values(state="void").execution_options(synchronize_session=False))
    db.execute(update(AppointmentReminder)
               .where(AppointmentReminder.appointment_id == appointment_id)
               .values(contact_sealed=None).execution_options(synchronize_session=False))
    return (row[0], row[1]) if row else (None, "zh")


@dataclass(frozen=True)
class ReminderDue:
    """A reminder ready to go: what to say and whom it concerns (by digest only)."""

    id: int
    kind: str
    due_at: datetime
    hall: str
    hall_name: str
    code: str
    service: str
    slot_start: datetime
    slot_end: datetime
    phone_hash: str | None
    id_hash: str | None
    source: str


def reminders_due(db: Session, *, now: datetime, limit: int = 100) -> list[ReminderDue]:
    """Pending reminders due by `now` for bookings still `booked`, oldest first.

    A sender that holds the contact itself calls this, sends, then `mark_reminder_sent`. A
    reminder whose booking was cancelled, moved, checked in or missed meanwhile is never
    returned; nor one with a sealed contact (this core sends it by SMS itself).
    """
    rows = db.execute(
        select(AppointmentReminder, Appointment, Hall.code, Hall.name, Service.code)
        .join(Appointment, Appointment.id == AppointmentReminder.appointment_id)
        .join(Hall, Hall.id == AppointmentReminder.hall_id)
        .join(Service, Service.id == Appointment.service_id)
        .where(AppointmentReminder.state == "pending", AppointmentReminder.due_at <= now,
               AppointmentReminder.contact_sealed.is_(None),
               Appointment.status == "booked", Appointment.slot_end > now)
        .order_by(AppointmentReminder.due_at, AppointmentReminder.id).limit(limit)
    ).all()
    return [ReminderDue(id=r.id, kind=r.kind, due_at=r.due_at, hall=hall, hall_name=name,
                        code=a.code, service=service, slot_start=a.slot_start,
                        slot_end=a.slot_end, phone_hash=a.phone_hash, id_hash=a.id_hash,
                        source=a.source)
            for r, a, hall, name, service in rows]


def mark_reminder_sent(db: Session, *, reminder_id: int, at: datetime) -> bool:
    """Record that a reminder went out; False when it was not pending (already sent, void)."""
    result: CursorResult[Any] = db.execute(  # type: ignore[assignment]
        update(AppointmentReminder)
        .where(AppointmentReminder.id == reminder_id, AppointmentReminder.state == "pending")
        .values(state="sent", sent_at=at).execution_options(synchronize_session=False))
    return bool(result.rowcount)


def links_status(db: Session, *, hall: Hall, now: datetime, behind_s: float,
                 mode: str) -> dict[str, Any]:
    """For operators: the booking platform feed and the booking-reminder outbox of a hall.

    `behind` is true when a due SMS reminder has waited more than `behind_s`, or when the
    platform is polled and its last poll failed.
    """
    cursor = db.get(PlatformCursor, hall.id)
    counts = dict(db.execute(select(AppointmentReminder.state, func.count()).where(
        AppointmentReminder.hall_id == hall.id).group_by(AppointmentReminder.state)).all())
    oldest = db.scalar(select(func.min(AppointmentReminder.due_at)).where(
        AppointmentReminder.hall_id == hall.id, AppointmentReminder.due_at <= now,
        AppointmentReminder.state.in_(("pending", "sending")),
        AppointmentReminder.contact_sealed.is_not(None)))
    oldest = aggregate_time(oldest, now.tzinfo)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    failures = db.execute(
        select(AppointmentReminder, Appointment.code, Appointment.slot_start)
        .join(Appointment, Appointment.id == AppointmentReminder.appointment_id)
        .where(AppointmentReminder.hall_id == hall.id, AppointmentReminder.state == "failed")
        .order_by(AppointmentReminder.id.desc()).limit(20)).all()
    platform_error = cursor.last_error if cursor is not None else None
    return {
        "platform": {
            "mode": mode, "cursor": cursor.cursor if cursor else None,
            "polled_at": halls.local_time(hall, cursor.polled_at).isoformat()
            if cursor and cursor.polled_at else None,
            "applied": cursor.applied if cursor else 0, "last_error": platform_error,
        },
        "reminders": {
            "counts": {k: int(v) for k, v in counts.items()},
            "oldest_unsent_s": round(age),
            "failures": [{"code": code, "kind": r.kind, "attempts": r.attempts,
                          "error": r.last_error,
                          "slot_start": halls.local_time(hall, start).isoformat()}
                         for r, code, start in failures],
        },
        "behind": age > behind_s or (mode == "poll" and bool(platform_error)),
    }
