"""What every flow needs: the database, the clock, the event bus and the settings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from server.auth.throttle import LoginThrottle
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
    throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle(time.monotonic))
