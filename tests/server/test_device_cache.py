"""The hall's devices cached for the print job's answer (server.halls.device_cache)."""

from __future__ import annotations

from server.agents import service as agents
from server.core import Core
from server.devices import status
from server.halls.device_cache import DeviceCache


def test_a_printer_change_is_seen_at_once(core: Core) -> None:
    agents.connected(core, "h1", "pc-1", {"kiosks": ["k-1"]})
    status.set_status(core, "h1", "pc-1", "printer", True)
    assert status.printer_state(core, "h1")["state"] == "ok"
    assert status.printer_state(core, "h1")["state"] == "ok"  # from the cache
    status.record_print(core, "h1", "pc-1", "job-1", False, "paper_out")
    state = status.printer_state(core, "h1")
    assert state["state"] == "offline" and state["printers"][0]["detail"] == "paper_out"
    status.set_status(core, "h1", "pc-1", "printer", True)
    assert status.printer_state(core, "h1")["state"] == "ok"


def test_another_process_device_event_and_the_ttl_forget() -> None:
    now = [0.0]
    cache = DeviceCache(ttl_s=2, monotonic=lambda: now[0])
    loads: list[int] = []

    def load() -> list[status.DeviceRow]:
        loads.append(1)
        return [("pc-1", "agent", {"printer": {"online": True, "detail": ""}})]

    cache.get("h1", load)
    cache.get("h1", load)
    assert len(loads) == 1
    cache.on_event("h1", {"type": "device", "device": "pc-1"})  # another process's change
    cache.get("h1", load)
    assert len(loads) == 2
    cache.on_event("h1", {"type": "print_result"})  # a printed job changes nothing used
    cache.get("h1", load)
    assert len(loads) == 2
    now[0] += 2.1
    cache.get("h1", load)
    assert len(loads) == 3
