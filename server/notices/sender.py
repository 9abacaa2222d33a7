"""The notice sender: takes due messages from the outbox, sends them, records the result.

Sending happens here, off the request path: a gateway that is down slows nobody at the
kiosk or the counter. Each message is claimed by one worker (a compare-and-set on its
status), checked again just before sending (a ticket already called gets no "N ahead"
notice; a ticket at the window or done gets none at all), sent outside any transaction,
and retried with exponential backoff; after the last attempt it is `failed`, and the
operators' stream is told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from server.core import Core
from server.events import schemas
from server.halls.models import Hall
from server.integrations import CipherUnavailable, IntegrationSettings, PiiCipher, next_attempt
from server.notices.adapters import Adapters, LinkError, Notice
from server.notices.models import NoticeMessage, PhoneTicket
from server.tickets.models import Ticket
from server.writer import in_writer

log = logging.getLogger(__name__)
BATCH = 50
# A claim older than this (in wall seconds) was lost with its worker and is taken again.


@dataclass(frozen=True)
class Claimed:
    """A claimed message, ready to send: the contact opened, the text built."""

    id: int
    hall: str
    channel: str
    to: str
    notice: Notice


def _scaled(core: Core, seconds: float) -> float:
    """Wall seconds as seconds of the core's clock (a simulated day runs faster)."""
    return seconds * core.settings.clock_speed


def _lost(core: Core, settings: IntegrationSettings) -> datetime:
    """Claims older than this were lost with their worker (a send lasts at most the HTTP
    timeout) and are taken again."""
    lease = 3 * settings.http_timeout_s
    return core.clock.now() - timedelta(seconds=_scaled(core, lease))


def send_due(core: Core, *, settings: IntegrationSettings, adapters: Adapters) -> int:
    """Send what is due now; how many messages were handled."""
    handled = 0
    for message_id in _due_ids(core, settings):
        claimed = _claim(core, message_id, settings)
        if claimed is None:
            continue
        handled += 1
        link = adapters.for_channel(claimed.channel)
        if link is None:
            _failed(core, claimed, settings, LinkError(f"{claimed.channel} is not configured",
                                                       retry=False))
            continue
        try:
            provider_id = link.send(claimed.to, claimed.notice)
        except LinkError as err:
            _failed(core, claimed, settings, err)
            continue
        except Exception as err:  # a link bug must not stop the sender
            log.exception("notice link failed")
            _failed(core, claimed, settings, LinkError(repr(err)))
            continue
        _sent(core, claimed.id, provider_id)
    return handled


def _due_ids(core: Core, settings: IntegrationSettings) -> list[int]:
    now = core.clock.now()
    lost = _lost(core, settings)
    with core.db.read_session() as db:
        return list(db.scalars(select(NoticeMessage.id).where(or_(
            (NoticeMessage.status == "pending") & (NoticeMessage.next_attempt_at <= now),
            (NoticeMessage.status == "sending") & (NoticeMessage.claimed_at < lost),
        )).order_by(NoticeMessage.id).limit(BATCH)))


@in_writer
def _claim(core: Core, message_id: int, settings: IntegrationSettings) -> Claimed | None:
    """Take one message for this worker, or drop it when it no longer makes sense."""
    now = core.clock.now()
    lost = _lost(core, settings)
    with core.db.begin() as db:
        taken = db.execute(update(NoticeMessage).where(
            NoticeMessage.id == message_id,
            or_(NoticeMessage.status == "pending",
                (NoticeMessage.status == "sending") & (NoticeMessage.claimed_at < lost)),
        ).values(status="sending", claimed_at=now).execution_options(synchronize_session=False))
        if not getattr(taken, "rowcount", 0):
            return None  # another worker has it
        message = db.get(NoticeMessage, message_id)
        assert message is not None
        phone = db.get(PhoneTicket, message.phone_ticket_id)
        ticket = db.get(Ticket, message.ticket_id)
        hall = db.get(Hall, message.hall_id)
        assert phone is not None and ticket is not None and hall is not None
        reason = _obsolete(message.kind, ticket.status)
        if reason is None and not phone.contact_sealed:
            reason = "contact erased"
        to = ""
        if reason is None:
            try:
                cipher = PiiCipher.from_settings(settings)
                to = cipher.open(phone.contact_sealed or "", bound_to=ticket.id)
            except CipherUnavailable as err:
                reason = f"contact cannot be opened: {err}"
        if reason is not None:
            message.status, message.last_error = "dropped", reason
            return None
        service = core.cache.get(db, hall).services.get(ticket.service_id)
        return Claimed(message.id, hall.code, message.channel, to, Notice(
            ref=f"{hall.code}-n{message.id}", kind=message.kind, number=ticket.number,
            service_name=service.name if service else "", hall_name=hall.name,
            ahead=message.ahead, window=message.window, lang=phone.lang))


def _obsolete(kind: str, status: str) -> str | None:
    """Why a notice must not go out for a ticket in this state (None: it may)."""
    if kind == "near" and status != "waiting":
        return f"ticket is {status}"
    if kind == "called" and status != "called":
        return f"ticket is {status}"
    return None


@in_writer
def _sent(core: Core, message_id: int, provider_id: str) -> None:
    with core.db.begin() as db:
        message = db.get(NoticeMessage, message_id)
        assert message is not None
        message.status, message.sent_at = "sent", core.clock.now()
        message.attempts += 1
        message.provider_id, message.last_error = provider_id[:64], ""


@in_writer
def _failed(core: Core, claimed: Claimed, settings: IntegrationSettings,
            err: LinkError) -> None:
    now = core.clock.now()
    with core.db.begin() as db:
        message = db.get(NoticeMessage, claimed.id)
        assert message is not None
        message.attempts += 1
        message.last_error = str(err)[:300]
        final = not err.retry or message.attempts >= settings.notice_max_attempts
        if final:
            message.status = "failed"
        else:
            message.status = "pending"
            message.next_attempt_at = _retry_at(core, now, message.attempts, settings)
        attempts, kind = message.attempts, message.kind
    log.warning("notice %s via %s failed (attempt %d): %s", claimed.id, claimed.channel,
                attempts, err)
    # Operators see failures on their stream (and in the integrations status).
    core.bus.publish(claimed.hall, schemas.integration(
        link=claimed.channel, record=claimed.notice.ref, kind=kind, attempts=attempts,
        final=final, error=str(err)))


def _retry_at(core: Core, now: datetime, attempts: int,
              settings: IntegrationSettings) -> datetime:
    return next_attempt(now, attempts, base_s=_scaled(core, settings.outbox_backoff_s),
                        max_s=_scaled(core, settings.outbox_backoff_max_s))
