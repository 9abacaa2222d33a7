"""Device status, kept in `devices.status` (JSON) so every core process sees it.

The device agent's channel calls `set_status` when a driver connects, fails or recovers,
and `record_print` with the result of each print job. A status looks like
`{"printer": {"online": true, "detail": "", "at": ISO}, "jobs": {JOB: {...}}}`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import Device
from server.core import Core
from server.errors import NotFound
from server.events import schemas
from server.halls import service as halls
from server.halls.models import Hall
from server.tickets import service as tickets

DEVICE_KINDS = ("printer", "evaluator", "scanner", "led", "idcard")
# The agent's printer flags, most telling first: the first one set is the reason shown.
# A printer out of paper or with its cover open also sets its own "offline" flag: the
# cause is named before that symptom.
PRINTER_FLAGS = ("paper_out", "cover_open", "cutter_error", "offline", "error")
# Print results kept per agent: enough for a kiosk to learn its result, no more.
JOBS_KEPT = 50


def _device(db: Session, hall: Hall, name: str) -> Device:
    """The hall's device of this name, created as an agent when it is unknown."""
    device = db.scalar(select(Device).where(Device.hall_id == hall.id, Device.name == name)
                       .with_for_update())
    if device is None:
        device = Device(hall_id=hall.id, name=name, kind="agent", status={})
        db.add(device)
        db.flush()
    return device


def reason(detail: str | dict[str, Any] | None) -> str:
    """A short reason code from the agent's detail: a code already, or a dict of flags."""
    if not detail:
        return ""
    if isinstance(detail, str):
        return detail
    for flag in PRINTER_FLAGS:
        if detail.get(flag) is True:
            return flag
    return str(detail.get("error") or "")


def set_status(core: Core, hall: str, device: str, kind: str, online: bool,
               detail: str | dict[str, Any] | None = "") -> None:
    """Record that an agent's device (printer, evaluator …) is online or not, and why.

    `device` is the agent's name (its `devices` row); `detail` is a reason code or the
    agent's dict of flags (`paper_out`, `cover_open` …), kept whole under `flags`.
    """
    if kind not in DEVICE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(DEVICE_KINDS)}")
    flags = detail if isinstance(detail, dict) else None
    detail = reason(detail)
    now = core.clock.now()
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        row = _device(db, h, device)
        status = dict(row.status or {})
        status[kind] = {"online": online, "detail": detail, "at": tickets.iso(h, now)}
        if flags is not None:
            status[kind]["flags"] = flags
        row.status, row.last_seen = status, now  # a new dict: JSON columns track assignment
    core.devices.forget(hall)
    core.bus.publish(hall, schemas.device(device=device, kind=kind, online=online,
                                          detail=detail))


def agent_gone(core: Core, hall: str, device: str) -> None:
    """Mark every device of an agent offline (its connection to the core was lost)."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        row = db.scalar(select(Device).where(Device.hall_id == h.id, Device.name == device))
        kinds = [k for k in DEVICE_KINDS if row is not None and k in (row.status or {})]
    for kind in kinds:
        set_status(core, hall, device, kind, False, "agent_disconnected")


DeviceRow = tuple[str, str, dict[str, Any]]


def hall_devices(core: Core, hall: str) -> list[DeviceRow]:
    """(name, kind, status) of every device of a hall by name: one statement, no ORM.

    Raises NotFound for an unknown hall, like every lookup by hall code.
    """
    with core.db.read_session() as db:
        rows = db.execute(
            select(Hall.id, Device.name, Device.kind, Device.status)
            .outerjoin(Device, Device.hall_id == Hall.id).where(Hall.code == hall)
            .order_by(Device.name)).all()
    if not rows:
        raise NotFound(f"no hall {hall!r}")
    return [(name, kind, dict(status or {})) for _, name, kind, status in rows
            if name is not None]


def cached_devices(core: Core, hall: str) -> list[DeviceRow]:
    """`hall_devices` from the core's device cache (`server.halls.device_cache`): for answers
    that may lag a change made in another process by a moment (a print job's expected
    state, the kiosk's printer state)."""
    return core.devices.get(hall, lambda: hall_devices(core, hall))


def _reporting(rows: list[DeviceRow]) -> list[dict[str, Any]]:
    out = []
    for name, kind, state in rows:
        kinds = {k: v for k, v in state.items() if k in DEVICE_KINDS}
        if kinds:
            out.append({"device": name, "kind": kind, **kinds})
    return out


def device_status(core: Core, hall: str) -> list[dict[str, Any]]:
    """Every reporting device of a hall with the state of what it drives."""
    return _reporting(hall_devices(core, hall))


def printers_of(rows: list[DeviceRow]) -> list[dict[str, Any]]:
    """The printers among a hall's devices, each with its device name."""
    return [{"device": d["device"], **d["printer"]} for d in _reporting(rows) if "printer" in d]


def printer_state(core: Core, hall: str) -> dict[str, Any]:
    """The hall's printers: `state` ok (one is online), offline (none is) or none (no report)."""
    printers = printers_of(cached_devices(core, hall))
    if not printers:
        state = "none"
    elif any(p["online"] and not p["detail"] for p in printers):  # online, nothing wrong
        state = "ok"
    else:
        state = "offline"
    return {"state": state, "printers": printers}


def record_print(core: Core, hall: str, device: str, job: str, ok: bool,
                 detail: str = "") -> None:
    """Record the agent's result of one print job and tell the kiosks.

    A job is also news about the printer: one that printed shows it online, one that
    failed for a printer fault (缺纸, 开盖 …) shows it down, so the next citizen is warned
    before taking a ticket even if the agent has not sent its status yet.
    """
    now = core.clock.now()
    changed = None
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        row = _device(db, h, device)
        status = dict(row.status or {})
        jobs = dict(status.get("jobs") or {})
        at = tickets.iso(h, now)
        jobs[job] = {"ok": ok, "detail": detail, "at": at}
        status["jobs"] = dict(list(jobs.items())[-JOBS_KEPT:])
        printer = dict(status.get("printer") or {})
        if (ok or detail in PRINTER_FLAGS) and printer.get("online") != ok:
            status["printer"] = changed = {"online": ok, "detail": detail, "at": at}
        row.status, row.last_seen = status, now
    core.bus.publish(hall, schemas.print_result(job=job, device=device, ok=ok, detail=detail))
    if changed is not None:
        core.devices.forget(hall)
        core.bus.publish(hall, schemas.device(device=device, kind="printer", online=ok,
                                              detail=detail))


def print_job(core: Core, hall: str, job: str) -> dict[str, Any]:
    """What became of a print job: pending, printed or failed (with the agent's detail)."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        for row in db.scalars(select(Device).where(Device.hall_id == h.id)):
            result = ((row.status or {}).get("jobs") or {}).get(job)
            if result is not None:
                return {"job": job, "state": "printed" if result["ok"] else "failed",
                        "detail": result.get("detail", ""), "device": row.name}
    return {"job": job, "state": "pending", "detail": "", "device": None}
