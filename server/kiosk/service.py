"""The kiosk's overview: services by domain with their queue, hours and printer state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core import Core
from server.devices import status
from server.halls import hours as hall_hours
from server.halls import service as halls
from server.halls.hours import format_period
from server.halls.models import Domain, Hall, Service
from server.tickets import engine
from server.tickets import service as tickets
from server.tickets.engine import WindowScope

# Services without a domain (专窗) are grouped under this code on the kiosk.
SPECIAL_GROUP = "_special"


def overview(core: Core, *, hall: str) -> dict[str, Any]:
    """Every service grouped by domain (two levels), closed ones included, never hidden."""
    now = core.clock.now()
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        snap = core.cache.get(db, h)
        rules, hours = snap.rules, snap.hours
        local = halls.local_time(h, now)
        refusal = hall_hours.issuing_refusal(hours, local, rules.issue_cutoff_min)
        opening = hall_hours.next_opening(hours, local) if refusal else None
        counts = tickets.waiting_counts(db, h)
        windows = _open_windows(db, h, snap.scopes)
        domains = {d.id: d for d in db.scalars(select(Domain).where(Domain.hall_id == h.id))}
        groups: dict[str, dict[str, Any]] = {}
        for s in halls.list_services(db, h):
            row = _service_row(s, counts.get(s.id, 0), windows.get(s.id, 0), refusal)
            domain = domains.get(s.domain_id) if s.domain_id else None
            key = domain.code if domain else SPECIAL_GROUP
            group = groups.setdefault(key, {"code": key, "name": domain.name if domain else None,
                                            "name_en": domain.name_en if domain else None,
                                            "services": []})
            group["services"].append(row)
        result = {
            "hall": {"code": h.code, "name": h.name, "name_en": h.name_en},
            "at": tickets.iso(h, now),
            "state": refusal or "open",
            "next_opening": opening.isoformat() if opening else None,
            "hours_today": [format_period(p) for p in hall_hours.periods_on(hours, local.date())],
            "id_entry": "required" if rules.require_id_number else (
                "optional" if rules.daily_limit_per_person else "off"),
            "daily_limit": rules.daily_limit_per_person,
            "domains": list(groups.values()),
        }
    result["printer"] = status.printer_state(core, hall)["state"]
    return result


def _open_windows(db: Session, hall: Hall, scopes: dict[int, WindowScope]) -> dict[int, int]:
    """Per service id: how many open windows serve it (the staffed ones if any are).

    The same count as `tickets.open_windows_serving`, worked out once for every service: the
    kiosk asks for it for the whole hall every few seconds.
    """
    open_windows = [w for w in halls.list_windows(db, hall) if w.open]
    out: dict[int, int] = {}
    for service_id in {sid for scope in scopes.values() for sid in scope.services}:
        serving = [w for w in open_windows if service_id in scopes[w.id].services]
        staffed = [w for w in serving if w.staff_id is not None]
        out[service_id] = len(staffed) or len(serving)
    return out


def _service_row(service: Service, waiting: int, windows: int,
                 refusal: str | None) -> dict[str, Any]:
    windows = windows if service.active else 0
    if not service.active:
        state = "closed"
    elif refusal:
        state = "out_of_hours"
    else:
        state = "open"
    return {
        "code": service.code, "name": service.name, "name_en": service.name_en,
        "prefix": service.prefix,
        "special": service.kind == "special", "state": state, "waiting": waiting,
        "windows": windows,
        "estimated_wait_s": engine.estimate_wait_s(waiting, service.avg_handle_s, windows),
    }


def appointment_code(scanned: str) -> str:
    """The booking code in what a scanner read: the code itself, or a URL ending in it.

    Provincial platforms put either the bare code or a link like `…/appt?code=XYZ` or
    `…/appointments/XYZ` in the booking's QR code.
    """
    text = scanned.strip()
    if "://" not in text:
        return text
    query = text.split("?", 1)[1] if "?" in text else ""
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key in ("code", "appointment", "c") and value:
            return value
    return text.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
