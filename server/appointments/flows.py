"""Booking flows: slots, book, look up, list, cancel, reschedule. Each owns its transaction.

A booking is checked against everything that could make the hall turn the citizen away
(closed day or hours, full slot, past, too far ahead, a suspension for missed bookings)
when it is made, never at the door (广西 第十九条; 邵阳 第三十三条 线上预约、线下办理).
Walk-ins are never refused because of bookings: only a share of each slot is bookable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.appointments import rules as booking
from server.appointments import service as appts
from server.appointments.schemas import (
    BookingOffer,
    BookingRules,
    DaySlots,
    OfferService,
    Proof,
    SlotRead,
    SlotsRead,
)
from server.audit import service as audit
from server.auth.principal import Principal
from server.auth.security import pii_digest
from server.core import Core
from server.errors import Conflict, NotFound, Refused
from server.halls import service as halls
from server.halls.cache import HallConfigSnapshot, ServiceEntry
from server.halls.models import Hall, Service
from server.tickets import service as tickets
from server.tickets.models import Appointment
from server.tickets.schemas import AppointmentRead

MAX_DAYS = 31
# Seals a contact for its booking: (value, binding) -> sealed text (`appointments.reminders`).
Sealer = Callable[[str, str], str]


def parse_when(text: str, what: str = "slot_start") -> datetime:
    """An ISO 8601 time with an offset, or a clear 422."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError as err:
        raise Refused(f"{what} must be ISO 8601, e.g. 2026-11-24T09:00:00+08:00",
                      code="invalid") from err
    if when.tzinfo is None:
        raise Refused(f"{what} needs an offset, e.g. +08:00", code="invalid")
    if not 2000 <= when.year <= 2999:
        raise Refused(f"{what} is out of range", code="invalid")
    return when


def view(hall: Hall, snap: HallConfigSnapshot, appt: Appointment) -> AppointmentRead:
    """A booking as its holder and the staff see it."""
    service = snap.services.get(appt.service_id)
    return AppointmentRead(
        code=appt.code, service=service.code if service else "",
        service_name=service.name if service else "", hall=hall.code,
        slot_start=tickets.iso(hall, appt.slot_start) or "",
        slot_end=tickets.iso(hall, appt.slot_end) or "", status=appt.status,
        ticket_id=appt.ticket_id, source=appt.source, reschedules=appt.reschedules,
        cancel_reason=appt.cancel_reason, external_id=appt.external_id)


def offer(core: Core, *, hall: str, sms_reminders: bool = False) -> BookingOffer:
    """The hall's bookable services and horizon."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        snap = core.cache.get(db, h)
        rules = appts.rules_of(snap)
        services = [OfferService(code=s.code, name=s.name) for s in snap.services.values()
                    if appts.is_bookable(rules, s)]
        return BookingOffer(hall=h.code, hall_name=h.name, enabled=rules.enabled and bool(
            services), services=services, horizon_days=rules.horizon_days,
            slot_min=rules.slot_min, today=halls.local_day(h, core.clock.now()).isoformat(),
            sms_reminders=sms_reminders)


def slots(core: Core, *, hall: str, service: str, start: date | None = None,
          days: int = 7) -> SlotsRead:
    """The slots of a service from `start` (today) for `days` days, with their room left."""
    days = max(1, min(days, MAX_DAYS))
    now = core.clock.now()
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        snap = core.cache.get(db, h)
        entry = snap.service(service)
        rules = appts.rules_of(snap)
        first = start or halls.local_day(h, now)
        bookable = appts.is_bookable(rules, entry)
        tz = ZoneInfo(h.timezone)
        begin = datetime.combine(first, datetime.min.time(), tzinfo=tz)
        taken = appts.booked_counts(db, hall_id=h.id, service_id=entry.id, start=begin,
                                    end=begin + timedelta(days=days))
        out = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            day_slots = appts.day_slots(snap, h, day)
            items = []
            for slot in day_slots:
                cap = appts.capacity(snap, entry, slot)
                n = appts.in_slot(taken, slot)
                refusal = "booking_off" if not bookable else booking.booking_refusal(
                    slot=slot, day_open=True, now=now, horizon_days=rules.horizon_days,
                    min_lead_min=rules.min_lead_min, booked=n, capacity=cap)
                items.append(SlotRead(start=slot.start.isoformat(), end=slot.end.isoformat(),
                                      extended=slot.extended, capacity=cap, booked=n,
                                      free=max(0, cap - n), bookable=refusal is None,
                                      refusal=refusal))
            out.append(DaySlots(date=day.isoformat(), open=bool(day_slots), slots=items))
        return SlotsRead(hall=h.code, service=entry.code, service_name=entry.name,
                         slot_min=rules.slot_min, days=out)


def digests_of(core: Core, id_number: str | None, phone: str | None) -> list[str]:
    """The keyed hashes of whatever identifies the person (PIPL: never the numbers)."""
    pepper = core.settings.pepper
    return [pii_digest(v, pepper) for v in (id_number, phone) if v]


def check_booking(
    core: Core, db: Session, *, hall: Hall, snap: HallConfigSnapshot, service: ServiceEntry,
    start: datetime, end: datetime | None, digests: Sequence[str], now: datetime,
    exclude_id: int | None = None,
) -> booking.Slot:
    """Refuse (422 with a code) a booking the hall could not honour; else its slot."""
    rules = appts.rules_of(snap)
    if not appts.is_bookable(rules, service):
        raise Refused(booking.REFUSALS["booking_off"], code="booking_off")
    # Lock the service row: two bookings for the last place are taken one after the other.
    db.execute(select(Service.id).where(Service.id == service.id).with_for_update())
    local = halls.local_time(hall, start)
    day_slots = appts.day_slots(snap, hall, local.date())
    slot = booking.find_slot(day_slots, start, end)
    taken = 0
    cap = 0
    if slot is not None:
        taken = appts.in_slot(appts.booked_counts(
            db, hall_id=hall.id, service_id=service.id, start=slot.start, end=slot.end,
            exclude_id=exclude_id), slot)
        cap = appts.capacity(snap, service, slot)
    refusal = booking.booking_refusal(
        slot=slot, day_open=bool(day_slots), now=now, horizon_days=rules.horizon_days,
        min_lead_min=rules.min_lead_min, booked=taken, capacity=cap, end=end)
    if refusal is None and digests:
        refusal = _person_refusal(db, hall, rules, digests, now, exclude_id)
    if refusal is not None:
        detail = booking.REFUSALS[refusal]
        if refusal == "suspended":
            until = _suspension(db, hall, rules, digests, now)
            detail += f" (until {tickets.iso(hall, until)})"
        raise Refused(detail, code=refusal)
    assert slot is not None
    return slot


def _suspension(db: Session, hall: Hall, rules: BookingRules, digests: Sequence[str],
                now: datetime) -> datetime | None:
    policy = booking.NoShowPolicy(rules.no_show_max, rules.no_show_window_days,
                                  rules.no_show_suspend_days)
    return booking.suspended_until(
        appts.missed_times(db, hall_id=hall.id, digests=digests), policy, now)


def _person_refusal(db: Session, hall: Hall, rules: BookingRules,
                    digests: Sequence[str], now: datetime, exclude_id: int | None) -> str | None:
    if _suspension(db, hall, rules, digests, now) is not None:
        return "suspended"
    limit = rules.max_active_per_person
    if limit and appts.active_count(db, hall_id=hall.id, digests=digests, now=now,
                                    exclude_id=exclude_id) >= limit:
        return "too_many"
    return None


def new_booking(
    core: Core, db: Session, *, hall: Hall, service: str, slot_start: str,
    slot_end: str | None, code: str | None, id_number: str | None, phone: str | None,
    source: str, actor: Principal | None, external_id: str | None = None,
    sealer: Sealer | None = None, lang: str = "zh",
) -> tuple[Appointment, HallConfigSnapshot]:
    """Check and record one booking inside the caller's transaction; with a `sealer`, its
    reminders go by SMS to `phone`, kept sealed until they are sent."""
    now = core.clock.now()
    snap = core.cache.get(db, hall)
    entry = snap.service(service)
    start = parse_when(slot_start)
    end = parse_when(slot_end, "slot_end") if slot_end else None
    if end is not None and end <= start:
        raise Refused("slot_end must be after slot_start", code="invalid")
    rules = appts.rules_of(snap)
    appts.mark_missed(db, hall_id=hall.id, now=now,
                      grace_s=snap.rank.appointment_grace_s)
    pepper = core.settings.pepper
    id_hash = pii_digest(id_number, pepper) if id_number else None
    phone_hash = pii_digest(phone, pepper) if phone else None
    digests = [d for d in (id_hash, phone_hash) if d]
    slot = check_booking(core, db, hall=hall, snap=snap, service=entry, start=start, end=end,
                         digests=digests, now=now)
    if code is None:
        code = _unused_code(db, hall)
    elif db.scalar(select(Appointment.id).where(Appointment.hall_id == hall.id,
                                                Appointment.code == code)):
        raise Conflict(f"appointment {code} exists already", code="code_taken")
    appt = Appointment(
        hall_id=hall.id, service_id=entry.id, code=code, slot_start=start if end else slot.start,
        slot_end=end or slot.end, created_at=now, updated_at=now, id_hash=id_hash,
        phone_hash=phone_hash, source=source, external_id=external_id)
    db.add(appt)
    db.flush()
    sealed = (sealer(phone, appts.contact_binding(appt.id))
              if sealer is not None and phone else None)
    appts.schedule_reminders(db, appt=appt, rules=rules, now=now, tz=ZoneInfo(hall.timezone),
                             contact_sealed=sealed, lang=lang)
    extra = actor.audit() if actor else {}
    audit.record(db, hall_id=hall.id, action="appointment", at=now, **extra, code=code,
                 source=source, service=entry.code, external_id=external_id)
    return appt, snap


def _unused_code(db: Session, hall: Hall) -> str:
    while True:
        code = appts.new_code()
        if db.scalar(select(Appointment.id).where(Appointment.hall_id == hall.id,
                                                  Appointment.code == code)) is None:
            return code


def book(
    core: Core, *, hall: str, service: str, slot_start: str, slot_end: str | None = None,
    code: str | None = None, id_number: str | None = None, phone: str | None = None,
    source: str, actor: Principal | None, sealer: Sealer | None = None, lang: str = "zh",
) -> AppointmentRead:
    """Book a slot for a citizen (online, at the help desk, or by an operator)."""
    if sealer is not None and not phone:
        raise Refused("an SMS reminder needs the mobile number", code="phone_required")
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        appt, snap = new_booking(core, db, hall=h, service=service, slot_start=slot_start,
                                 slot_end=slot_end, code=code, id_number=id_number,
                                 phone=phone, source=source, actor=actor, sealer=sealer,
                                 lang=lang)
        return view(h, snap, appt)


def _find(db: Session, hall: Hall, code: str, proof: Proof | None, pepper: str,
          *, lock: bool = False) -> Appointment:
    """A booking by code; with a proof, only when the ID or phone matches (else 404)."""
    query = select(Appointment).where(Appointment.hall_id == hall.id,
                                      Appointment.code == code.strip())
    appt = db.scalar(query.with_for_update() if lock else query)
    if appt is not None and proof is not None:
        ok = (proof.id_number and appt.id_hash == pii_digest(proof.id_number, pepper)) or (
            proof.phone and appt.phone_hash == pii_digest(proof.phone, pepper))
        if not ok:
            appt = None  # the same answer as no booking: a code alone tells nothing
    if appt is None:
        raise NotFound(f"no appointment {code!r} for these details", code="no_appointment")
    return appt


def lookup(core: Core, *, hall: str, code: str, proof: Proof | None) -> AppointmentRead:
    """One booking: by code and the citizen's proof, or by code alone for staff."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        appt = _find(db, h, code, proof, core.settings.pepper)
        return view(h, core.cache.get(db, h), appt)


def list_mine(core: Core, *, hall: str, proof: Proof) -> list[AppointmentRead]:
    """A citizen's bookings in a hall, by ID number or phone."""
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        snap = core.cache.get(db, h)
        appts.mark_missed(db, hall_id=h.id, now=core.clock.now(),
                          grace_s=snap.rank.appointment_grace_s)
        seen: dict[int, Appointment] = {}
        for digest in digests_of(core, proof.id_number, proof.phone):
            for appt in appts.of_person(db, hall_id=h.id, digest=digest):
                seen[appt.id] = appt
        ordered = sorted(seen.values(), key=lambda a: a.slot_start, reverse=True)
        return [view(h, snap, a) for a in ordered]


def list_hall(core: Core, *, hall: str, day: date | None, service: str | None,
              status: str | None) -> list[AppointmentRead]:
    """A day's bookings in a hall (staff), optionally of one service or status."""
    now = core.clock.now()
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        snap = core.cache.get(db, h)
        appts.mark_missed(db, hall_id=h.id, now=now, grace_s=snap.rank.appointment_grace_s)
        first = day or halls.local_day(h, now)
        begin = datetime.combine(first, datetime.min.time(), tzinfo=ZoneInfo(h.timezone))
        query = select(Appointment).where(
            Appointment.hall_id == h.id, Appointment.slot_start >= begin,
            Appointment.slot_start < begin + timedelta(days=1))
        if service:
            query = query.where(Appointment.service_id == snap.service(service).id)
        if status:
            query = query.where(Appointment.status == status)
        rows = db.scalars(query.order_by(Appointment.slot_start, Appointment.id).limit(2000))
        return [view(h, snap, a) for a in rows]


def cancel(core: Core, *, hall: str, code: str, proof: Proof | None, actor: Principal | None,
           reason: str) -> AppointmentRead:
    """Cancel a booking: by the citizen (with proof) or staff; its reminders are voided."""
    now = core.clock.now()
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        appt = _find(db, h, code, proof, core.settings.pepper, lock=True)
        cancel_booking(db, h, appt, now=now, reason=reason, actor=actor)
        return view(h, core.cache.get(db, h), appt)


def cancel_booking(db: Session, hall: Hall, appt: Appointment, *, now: datetime, reason: str,
                   actor: Principal | None) -> None:
    """Cancel one booking inside the caller's transaction (409 unless still booked)."""
    if appt.status != "booked":
        raise Conflict(f"appointment {appt.code} is {appt.status}", code="appointment_closed")
    appt.status, appt.cancel_reason, appt.updated_at = "cancelled", reason, now
    appts.void_reminders(db, appointment_id=appt.id)
    extra = actor.audit() if actor else {}
    audit.record(db, hall_id=hall.id, action="appointment_cancel", at=now, **extra,
                 code=appt.code, reason=reason)


def reschedule(core: Core, *, hall: str, code: str, slot_start: str, proof: Proof | None,
               actor: Principal | None) -> AppointmentRead:
    """Move a booking to another slot of the same service, under the same rules as booking."""
    start = parse_when(slot_start)
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        appt = _find(db, h, code, proof, core.settings.pepper, lock=True)
        snap = move_booking(core, db, hall=h, appt=appt, start=start, end=None, actor=actor)
        return view(h, snap, appt)


def move_booking(core: Core, db: Session, *, hall: Hall, appt: Appointment, start: datetime,
                 end: datetime | None, actor: Principal | None) -> HallConfigSnapshot:
    """Check and move one booking inside the caller's transaction; its reminders follow."""
    now = core.clock.now()
    if appt.status != "booked":
        raise Conflict(f"appointment {appt.code} is {appt.status}", code="appointment_closed")
    snap = core.cache.get(db, hall)
    entry = snap.services[appt.service_id]
    digests = [d for d in (appt.id_hash, appt.phone_hash) if d]
    slot = check_booking(core, db, hall=hall, snap=snap, service=entry, start=start, end=end,
                         digests=digests, now=now, exclude_id=appt.id)
    old = tickets.iso(hall, appt.slot_start)
    appt.slot_start, appt.slot_end = (start, end) if end else (slot.start, slot.end)
    appt.updated_at = now
    appt.reschedules += 1
    sealed, lang = appts.void_reminders(db, appointment_id=appt.id)
    appts.schedule_reminders(db, appt=appt, rules=appts.rules_of(snap), now=now,
                             tz=ZoneInfo(hall.timezone), contact_sealed=sealed, lang=lang)
    extra = actor.audit() if actor else {}
    audit.record(db, hall_id=hall.id, action="appointment_move", at=now, **extra,
                 code=appt.code, old=old, new=tickets.iso(hall, appt.slot_start))
    return snap
