"""线上取号: a citizen takes a number from a phone and may ask for 到号提醒.

The hall decides (its rules): whether phone tickets are offered, for which services, how
many a phone number may take a day, and, like the kiosk, only while the hall issues.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.principal import Principal
from server.auth.security import pii_digest
from server.core import Core
from server.errors import Refused
from server.halls import hours as hall_hours
from server.halls import service as halls
from server.halls.cache import HallConfigSnapshot
from server.halls.models import Hall
from server.integrations import CipherUnavailable, IntegrationSettings, PiiCipher
from server.notices.adapters import Adapters, LinkError
from server.notices.models import PhoneTicket
from server.notices.schemas import PhoneOffer, PhoneTicketCreate
from server.tickets import flows as ticket_flows
from server.tickets.models import Ticket
from server.tickets.schemas import TicketRead

# Mainland mobile numbers: 11 digits starting 1[3-9]; an optional +86 / 86 is dropped.
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


class NoticesUnavailable(Refused):
    """The deployment cannot keep a contact safely or has no such channel."""

    status = 503
    code = "notices_unavailable"


def normalise_phone(raw: str) -> str:
    """The 11-digit mobile number, or Refused."""
    match = _MOBILE.match(re.sub(r"[\s-]", "", raw))
    if match is None:
        raise Refused("a mainland mobile number of 11 digits is needed", code="invalid_phone")
    return match.group(1)


def citizen(hall: Hall) -> Principal:
    """The actor of a phone ticket: a citizen of this hall, without any account."""
    return Principal(roles=frozenset({"citizen"}), hall_id=hall.id, name="phone")


def _phone_services(snap: HallConfigSnapshot) -> list[tuple[str, str, str, int]]:
    """(code, name, prefix, id) of the active services the hall offers on phones."""
    rules = snap.rules
    chosen = set(rules.phone_services)
    return [(s.code, s.name, s.prefix, s.id) for s in snap.services.values()
            if s.active and ((s.code in chosen) if chosen else s.kind == "general")]


def hall_code(core: Core, *, hall: str) -> str:
    """The code of an existing hall (NotFound otherwise)."""
    with core.db.read_session() as db:
        return halls.get_hall(db, hall).code


def offer(core: Core, *, hall: str, settings: IntegrationSettings) -> PhoneOffer:
    """What the phone page shows: services, channels, N, whether the hall issues now."""
    now = core.clock.now()
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        snap = core.cache.get(db, h)
        rules = snap.rules
        refusal = hall_hours.issuing_refusal(snap.hours, halls.local_time(h, now),
                                             rules.issue_cutoff_min)
        services = _phone_services(snap) if rules.phone_tickets else []
        return PhoneOffer(
            hall=h.code, hall_name=h.name, enabled=rules.phone_tickets,
            open_now=refusal is None, refusal=refusal,
            services=[{"code": c, "name": n, "prefix": p} for c, n, p, _ in services],
            channels=settings.channels, notice_ahead=rules.notice_ahead,
            notice_ahead_max=max(rules.notice_ahead, rules.notice_ahead_max),
            daily_limit=rules.phone_daily_limit)


Contact = tuple[str | None, PiiCipher | None]


def contact(body: PhoneTicketCreate, settings: IntegrationSettings,
            adapters: Adapters) -> Contact:
    """The notice contact to keep and its cipher, or a refusal: for a WeChat notice a call
    to WeChat (its openid), which a route makes before its writing hop."""
    return _contact(body, normalise_phone(body.phone), settings, adapters)


def take(core: Core, *, hall: str, body: PhoneTicketCreate, settings: IntegrationSettings,
         adapters: Adapters, prepared: Contact | None = None) -> tuple[TicketRead, int | None]:
    """Issue a phone ticket and record its notice contact, in one transaction (`prepared`:
    the contact from `contact`, already asked for)."""
    phone = normalise_phone(body.phone)
    contact, cipher = prepared or _contact(body, phone, settings, adapters)
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        snap = core.cache.get(db, h)
        rules = snap.rules
        if not rules.phone_tickets:
            raise Refused("this hall does not issue tickets to phones", code="phone_off")
        if body.service not in {c for c, *_ in _phone_services(snap)}:
            raise Refused(f"service {body.service} is not offered on phones",
                          code="phone_service")
        digest = pii_digest(phone, core.settings.pepper)
        ticket = ticket_flows.issue(core, hall=hall, service=body.service, channel="phone",
                                    actor=citizen(h), db=db)
        _check_limit(db, h, digest, rules.phone_daily_limit)
        ahead = None
        if body.notice is not None:
            ahead = min(body.notice.ahead or rules.notice_ahead,
                        max(rules.notice_ahead, rules.notice_ahead_max))
        row = PhoneTicket(
            hall_id=h.id, ticket_id=ticket.id, business_day=h.business_day, phone_hash=digest,
            channel=body.notice.channel if body.notice else "none",
            contact_sealed=(cipher.seal(contact, bound_to=ticket.id)
                            if cipher is not None and contact else None),
            notify_ahead=ahead or rules.notice_ahead, lang=body.lang,
            created_at=core.clock.now())
        db.add(row)
    ticket_flows.publish_issued(core, ticket)
    return ticket, ahead


def _check_limit(db: Session, hall: Hall, digest: str, limit: int) -> None:
    """The hall's daily limit of phone tickets per number (those taken before this one)."""
    if not limit:
        return
    taken = db.scalar(select(func.count()).select_from(PhoneTicket)
                      .join(Ticket, Ticket.id == PhoneTicket.ticket_id).where(
        PhoneTicket.hall_id == hall.id, PhoneTicket.business_day == hall.business_day,
        PhoneTicket.phone_hash == digest, Ticket.status != "cancelled"))
    if (taken or 0) >= limit:
        raise Refused(f"the daily limit of {limit} phone tickets per number is reached",
                      code="daily_limit")


def _contact(body: PhoneTicketCreate, phone: str, settings: IntegrationSettings,
             adapters: Adapters) -> Contact:
    """The contact to keep (phone or openid) and the cipher to seal it, or a refusal."""
    if body.notice is None:
        return None, None
    channel = body.notice.channel
    if channel not in settings.channels:
        raise NoticesUnavailable(f"{channel} notices are not offered here",
                                 code="channel_unavailable")
    try:
        cipher = PiiCipher.from_settings(settings)
    except CipherUnavailable as err:
        raise NoticesUnavailable("notices are not configured safely on this server") from err
    if channel == "sms":
        return phone, cipher
    if not body.notice.wechat_code:
        raise Refused("a WeChat notice needs the WeChat login code", code="wechat_code")
    wechat = adapters.wechat
    if wechat is None:
        raise NoticesUnavailable("WeChat notices are not offered here",
                                 code="channel_unavailable")
    try:
        return wechat.openid_for(body.notice.wechat_code), cipher
    except LinkError as err:
        if err.retry:  # WeChat unreachable: not the citizen's fault
            raise NoticesUnavailable(f"WeChat cannot be reached: {err}") from err
        raise Refused(f"WeChat did not accept the login: {err}", code="wechat_login") from err
