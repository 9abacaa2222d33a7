"""Booking reminders by SMS: the sender of the `appointment_reminders` outbox.

A citizen who books with a mobile number and asks for a reminder has that number sealed
(AES-GCM under HALLQ_PII_KEY, bound to the booking: `integrations.PiiCipher`) on the
booking's reminder rows. This sender, off the request path, sends each due reminder through
the hall's SMS gateway link (`notices.adapters`), retries with backoff, and erases the
contact as soon as it is no longer needed: sent, given up, voided by a cancellation or a
move, or the slot over (PIPL: minimum, time-limited). Reminders without a contact stay in
the outbox for a sender that holds the contact itself (`service.reminders_due`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from server.appointments import service as appts
from server.appointments.flows import Sealer
from server.appointments.models import AppointmentReminder
from server.core import Core
from server.errors import Refused
from server.events import schemas
from server.halls import service as halls
from server.halls.models import Hall
from server.integrations import CipherUnavailable, IntegrationSettings, PiiCipher, next_attempt
from server.notices.adapters import Adapters, LinkError, Notice
from server.tickets.models import Appointment
from server.writer import in_writer

log = logging.getLogger(__name__)
BATCH = 50


@dataclass(frozen=True)
class BookingReminder(Notice):
    """The text of a booking reminder (an SMS body; WeChat's short line)."""

    code: str = ""
    when: str = ""

    def text(self) -> str:
        """The message text."""
        if self.lang == "en":
            return (f"{self.hall_name}: your booking {self.code} ({self.service_name}) is "
                    f"at {self.when}. Check in at the kiosk with the code; cancel online if "
                    "you cannot come.")
        return (f"您预约的{self.hall_name}「{self.service_name}」将于{self.when}办理，预约码"
                f"{self.code}，请按时到取号机签到；如不能前来请在线取消。")

    def short(self) -> str:
        """A line of at most 20 characters."""
        return (f"预约 {self.when}" if self.lang == "zh" else f"Booked {self.when}")[:20]


def sealer_for(settings: IntegrationSettings) -> Sealer:
    """How a booking's mobile number is sealed for its SMS reminders, or a clear 422."""
    if not settings.sms_url:
        raise Refused("SMS reminders are not available here", code="reminders_unavailable")
    try:
        cipher = PiiCipher.from_settings(settings)
    except CipherUnavailable as err:
        raise Refused("SMS reminders are not available here",
                      code="reminders_unavailable") from err
    return lambda value, binding: cipher.seal(value, bound_to=binding)


@dataclass(frozen=True)
class _Claimed:
    id: int
    hall: str
    to: str
    notice: BookingReminder


def send_due(core: Core, *, settings: IntegrationSettings, adapters: Adapters) -> int:
    """Send the reminders due now; how many were handled. Erases contacts no longer needed."""
    erase_contacts(core)
    handled = 0
    for reminder_id in _due_ids(core, settings):
        claimed = _claim(core, reminder_id, settings)
        if claimed is None:
            continue
        handled += 1
        if adapters.sms is None:
            _failed(core, claimed, settings, LinkError("sms is not configured", retry=False))
            continue
        try:
            adapters.sms.send(claimed.to, claimed.notice)
        except LinkError as err:
            _failed(core, claimed, settings, err)
            continue
        except Exception as err:  # a link bug must not stop the sender
            log.exception("booking reminder failed")
            _failed(core, claimed, settings, LinkError(repr(err)))
            continue
        _sent(core, claimed.id)
    return handled


def _lost(core: Core, settings: IntegrationSettings) -> datetime:
    """Claims older than this were lost with their worker."""
    return core.clock.now() - timedelta(
        seconds=3 * settings.http_timeout_s * core.settings.clock_speed)


def _claimable(core: Core, settings: IntegrationSettings) -> Any:
    now = core.clock.now()
    return or_(
        (AppointmentReminder.state == "pending") & (AppointmentReminder.due_at <= now)
        & (or_(AppointmentReminder.next_attempt_at.is_(None),
               AppointmentReminder.next_attempt_at <= now)),
        (AppointmentReminder.state == "sending")
        & (AppointmentReminder.claimed_at < _lost(core, settings)))


def _due_ids(core: Core, settings: IntegrationSettings) -> list[int]:
    with core.db.read_session() as db:
        return list(db.scalars(select(AppointmentReminder.id).where(
            AppointmentReminder.contact_sealed.is_not(None), _claimable(core, settings))
            .order_by(AppointmentReminder.due_at, AppointmentReminder.id).limit(BATCH)))


@in_writer
def _claim(core: Core, reminder_id: int, settings: IntegrationSettings) -> _Claimed | None:
    """Take one reminder for this worker (compare-and-set), or drop it if obsolete."""
    now = core.clock.now()
    with core.db.begin() as db:
        taken = db.execute(update(AppointmentReminder).where(
            AppointmentReminder.id == reminder_id, _claimable(core, settings))
            .values(state="sending", claimed_at=now)
            .execution_options(synchronize_session=False))
        if not getattr(taken, "rowcount", 0):
            return None
        reminder = db.get(AppointmentReminder, reminder_id)
        assert reminder is not None
        appt = db.get(Appointment, reminder.appointment_id)
        hall = db.get(Hall, reminder.hall_id)
        assert appt is not None and hall is not None
        if appt.status != "booked" or appt.slot_end <= now or not reminder.contact_sealed:
            reminder.state, reminder.contact_sealed = "void", None
            reminder.last_error = f"booking is {appt.status}"
            return None
        try:
            to = PiiCipher.from_settings(settings).open(
                reminder.contact_sealed, bound_to=appts.contact_binding(appt.id))
        except CipherUnavailable as err:
            reminder.state, reminder.contact_sealed = "failed", None
            reminder.last_error = f"contact cannot be opened: {err}"[:300]
            return None
        service = core.cache.get(db, hall).services.get(appt.service_id)
        local = halls.local_time(hall, appt.slot_start)
        when = f"{local:%m-%d %H:%M}"
        return _Claimed(reminder.id, hall.code, to, BookingReminder(
            ref=f"{hall.code}-r{reminder.id}", kind=reminder.kind, number=appt.code,
            service_name=service.name if service else "", hall_name=hall.name,
            lang=reminder.lang, code=appt.code, when=when))


@in_writer
def _sent(core: Core, reminder_id: int) -> None:
    with core.db.begin() as db:
        reminder = db.get(AppointmentReminder, reminder_id)
        assert reminder is not None
        reminder.state, reminder.sent_at = "sent", core.clock.now()
        reminder.attempts += 1
        reminder.contact_sealed, reminder.last_error = None, ""


@in_writer
def _failed(core: Core, claimed: _Claimed, settings: IntegrationSettings,
            err: LinkError) -> None:
    now = core.clock.now()
    with core.db.begin() as db:
        reminder = db.get(AppointmentReminder, claimed.id)
        assert reminder is not None
        reminder.attempts += 1
        reminder.last_error = str(err)[:300]
        final = not err.retry or reminder.attempts >= settings.notice_max_attempts
        if final:
            reminder.state, reminder.contact_sealed = "failed", None
        else:
            speed = core.settings.clock_speed
            reminder.state = "pending"
            reminder.next_attempt_at = next_attempt(
                now, reminder.attempts, base_s=settings.outbox_backoff_s * speed,
                max_s=settings.outbox_backoff_max_s * speed)
        attempts = reminder.attempts
    log.warning("booking reminder %s failed (attempt %d): %s", claimed.id, attempts, err)
    core.bus.publish(claimed.hall, schemas.integration(
        link="sms", record=claimed.notice.ref, kind="booking_reminder", attempts=attempts,
        final=final, error=str(err)))


@in_writer
def erase_contacts(core: Core) -> int:
    """Erase every sealed contact no longer needed: not pending, or its booking over."""
    now = core.clock.now()
    with core.db.begin() as db:
        over = select(Appointment.id).where(or_(Appointment.status != "booked",
                                                Appointment.slot_end <= now))
        result = db.execute(update(AppointmentReminder).where(
            AppointmentReminder.contact_sealed.is_not(None),
            or_(AppointmentReminder.state.not_in(("pending", "sending")),
                AppointmentReminder.appointment_id.in_(over)))
            .values(contact_sealed=None).execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


class ReminderWorker:
    """A task on the app's event loop that sends due booking reminders (when SMS is set up)."""

    def __init__(self, core: Core, settings: IntegrationSettings,
                 adapters: Adapters | None = None) -> None:
        self.core = core
        self.settings = settings
        self._adapters = adapters
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    async def start(self) -> None:
        """Start sending when an SMS gateway is configured."""
        if self.settings.sms_url and self._task is None:
            if self._adapters is None:
                self._adapters = Adapters.from_settings(self.settings)
            self._task = asyncio.create_task(self._run(), name="hallq-booking-reminders")

    async def stop(self) -> None:
        """Stop sending."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._adapters is not None:
            self._adapters.close()

    async def _run(self) -> None:
        assert self._adapters is not None
        while True:
            try:
                await asyncio.to_thread(send_due, self.core, settings=self.settings,
                                        adapters=self._adapters)
            except Exception:  # the next round tries again
                log.exception("booking reminders round failed")
            self.rounds += 1
            await asyncio.sleep(self.settings.outbox_scan_s)
