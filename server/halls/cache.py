"""A per-process cache of each hall's configuration.

Configuration (services, windows and what they serve, hours, rules) changes rarely but is
read by every flow. Each flow reads the hall row anyway; its `config_version` tells
whether this process's copy is stale, so several core processes stay correct without any
messaging between them. Live state (who is signed in, open or closed today) is never
cached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import NotFound
from server.halls import service as halls
from server.halls.hours import HallHours
from server.halls.models import Domain, Hall, Service
from server.halls.schemas import HallRules
from server.monitoring import overrides
from server.tickets.engine import RankRules, WindowScope
from server.windows.models import Window


class ServiceEntry(NamedTuple):
    """A service as the flows need it."""

    id: int
    code: str
    name: str
    prefix: str
    domain_id: int | None
    domain: str | None
    kind: str
    active: bool
    avg_handle_s: int
    name_en: str | None = None


class WindowEntry(NamedTuple):
    """A window's fixed configuration."""

    id: int
    number: str
    name: str
    kind: str
    name_en: str | None = None


@dataclass(frozen=True)
class HallConfigSnapshot:
    """One hall's configuration at one `config_version`."""

    hall_id: int
    version: int
    rules: HallRules
    rank: RankRules
    hours: HallHours
    services: dict[int, ServiceEntry]
    services_by_code: dict[str, ServiceEntry]
    windows: dict[int, WindowEntry]
    scopes: dict[int, WindowScope]
    # The business day the scopes were read for (a window's services can move for a day).
    day: date | None = None

    def service(self, code: str) -> ServiceEntry:
        """The service with this code, or NotFound."""
        entry = self.services_by_code.get(code)
        if entry is None:
            raise NotFound(f"no service {code!r}", code="unknown_service")
        return entry

    def windows_serving(self, service_id: int) -> list[int]:
        """Ids of the windows whose scope includes a service."""
        return [wid for wid, scope in self.scopes.items() if service_id in scope.services]


class HallCache:
    """Configuration snapshots by hall id, refreshed when the version moves."""

    def __init__(self) -> None:
        self._snapshots: dict[int, HallConfigSnapshot] = {}
        self._lock = threading.Lock()

    def get(self, db: Session, hall: Hall) -> HallConfigSnapshot:
        """The hall's configuration, loaded from `db` only when stale."""
        with self._lock:
            snap = self._snapshots.get(hall.id)
        if snap is not None and snap.version == hall.config_version and (
                snap.day == hall.business_day):
            return snap
        snap = load_snapshot(db, hall)
        with self._lock:
            self._snapshots[hall.id] = snap
        return snap

    def peek(self, hall_id: int) -> HallConfigSnapshot | None:
        """The hall's configuration as last loaded, if any (no database; may be stale)."""
        with self._lock:
            return self._snapshots.get(hall_id)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._snapshots.clear()


def load_snapshot(db: Session, hall: Hall) -> HallConfigSnapshot:
    """Read a hall's configuration from the database (uncached)."""
    rules = halls.rules_of(hall)
    domains = {d.id: d.code for d in db.scalars(select(Domain).where(Domain.hall_id == hall.id))}
    services = {
        s.id: ServiceEntry(s.id, s.code, s.name, s.prefix, s.domain_id,
                           domains.get(s.domain_id) if s.domain_id else None, s.kind, s.active,
                           s.avg_handle_s, s.name_en)
        for s in db.scalars(select(Service).where(Service.hall_id == hall.id)
                            .order_by(Service.sort, Service.code))
    }
    windows = {
        w.id: WindowEntry(w.id, w.number, w.name, w.kind, w.name_en)
        for w in db.scalars(select(Window).where(Window.hall_id == hall.id)
                            .order_by(Window.sort, Window.id))
    }
    hours: HallHours = halls.hours_of(db, hall)
    return HallConfigSnapshot(
        hall_id=hall.id, version=hall.config_version, rules=rules, rank=halls.rank_rules(rules),
        hours=hours, services=services, services_by_code={s.code: s for s in services.values()},
        windows=windows, scopes=overrides.apply(db, hall, halls.window_scopes(db, hall)),
        day=hall.business_day,
    )
