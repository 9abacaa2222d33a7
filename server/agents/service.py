"""Who is connected, and which agent takes which print job and evaluator prompt.

An agent says in its hello which kiosks it prints for and at which windows its evaluator
sits. That is kept in the device's `status["agent"]` so every core process routes alike:
a print job goes to the agent serving its kiosk, else to the first connected agent (by
name) whose printer is online; an evaluator prompt goes to the agents at its window, or
to every connected evaluator agent that named no window.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.auth.models import Device
from server.core import Core
from server.halls import service as halls
from server.tickets.models import Ticket
from server.windows.models import Window


def _agents(core: Core, hall: str) -> list[tuple[str, dict[str, Any]]]:
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        rows = db.scalars(select(Device).where(Device.hall_id == h.id).order_by(Device.name))
        return [(row.name, dict(row.status or {})) for row in rows]


def connected(core: Core, hall: str, name: str, hello: dict[str, Any]) -> None:
    """Record an agent's hello: its devices, kiosks and windows, and that it is here."""
    info = {
        "connected": True,
        "devices": [d for d in hello.get("devices", []) if isinstance(d, dict)][:16],
        "kiosks": [str(k) for k in hello.get("kiosks", []) if isinstance(k, str | int)][:32],
        "windows": [str(w) for w in hello.get("windows", []) if isinstance(w, str | int)][:32],
    }
    _set_agent(core, hall, name, info)


def disconnected(core: Core, hall: str, name: str) -> None:
    """Record that an agent's connection to this core is gone."""
    _set_agent(core, hall, name, {"connected": False})


def _set_agent(core: Core, hall: str, name: str, info: dict[str, Any]) -> None:
    now = core.clock.now()
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        row = db.scalar(select(Device).where(Device.hall_id == h.id, Device.name == name)
                        .with_for_update())
        if row is None:
            row = Device(hall_id=h.id, name=name, kind="agent", status={})
            db.add(row)
        status = dict(row.status or {})
        status["agent"] = {**dict(status.get("agent") or {}), **info}
        row.status, row.last_seen = status, now
    core.devices.forget(hall)


def printer_for(core: Core, hall: str, kiosk: str | None,
                window: str | None = None) -> str | None:
    """The agent that should print a job from this kiosk (or window), or None when none can."""
    return _choose(_agents(core, hall), kiosk, window)


def choose_printer(rows: list[tuple[str, str, dict[str, Any]]], kiosk: str | None,
                   window: str | None = None) -> str | None:
    """`printer_for` over a hall's (name, kind, status) device rows already read."""
    return _choose([(name, status) for name, _, status in rows], kiosk, window)


def _choose(all_agents: list[tuple[str, dict[str, Any]]], kiosk: str | None,
            window: str | None = None) -> str | None:
    agents = [(n, s) for n, s in all_agents if (s.get("agent") or {}).get("connected")]
    for name, status in agents:
        if kiosk is not None and (name == kiosk or kiosk in status["agent"].get("kiosks", [])):
            return name
    for name, status in agents:  # a printer on the window's own agent (一次性告知单)
        if (window is not None and window in status["agent"].get("windows", [])
                and (status.get("printer") or {}).get("online")):
            return name
    for name, status in agents:
        if (status.get("printer") or {}).get("online"):
            return name
    return None


def takes_prompt(core: Core, hall: str, agent: str, window: str | None) -> bool:
    """True when this agent's evaluator should prompt for a rating at `window`."""
    agents = dict(_agents(core, hall))
    mine = agents.get(agent, {}).get("agent") or {}
    if window is not None and window in mine.get("windows", []):
        return True
    if mine.get("windows"):
        return False
    claimed = any(window in (s.get("agent") or {}).get("windows", [])
                  for n, s in agents.items() if (s.get("agent") or {}).get("connected"))
    has_evaluator = any(d.get("kind") == "evaluator" for d in mine.get("devices", []))
    return not claimed and has_evaluator


def may_rate(core: Core, hall: str, agent: str, ticket_id: str) -> bool:
    """True when this agent's evaluator may rate the ticket: the one that serves its window.

    The rule mirrors `takes_prompt`: an agent that names its windows rates only there, and
    an agent that names none rates at windows no other connected agent claims. A ticket
    never called (no window) is left to the hall check in `evaluations.record`.
    """
    with core.db.read_session() as db:
        window = db.scalar(select(Window.number).join(Ticket, Ticket.window_id == Window.id)
                           .where(Ticket.id == ticket_id))
    if window is None:
        return True
    agents = dict(_agents(core, hall))
    mine = (agents.get(agent, {}).get("agent") or {}).get("windows", [])
    if mine:
        return window in mine
    return not any(window in (s.get("agent") or {}).get("windows", [])
                   for n, s in agents.items()
                   if n != agent and (s.get("agent") or {}).get("connected"))
