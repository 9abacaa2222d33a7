"""What every flow needs: the database, the clock, the event bus and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.clock import Clock
from server.db import Database
from server.events.bus import EventBus
from server.halls.cache import HallCache
from server.settings import Settings


@dataclass
class Core:
    """The core's shared parts, held by the app and passed to flows."""

    db: Database
    clock: Clock
    bus: EventBus
    settings: Settings
    cache: HallCache = field(default_factory=HallCache)
