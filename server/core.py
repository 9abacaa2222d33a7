"""What every flow needs: the database, the clock, the event bus and the settings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import event

from server.auth import cache as access_cache
from server.auth.throttle import LoginThrottle
from server.clock import Clock
from server.db import Database
from server.events.bus import EventBus
from server.halls.cache import HallCache
from server.halls.device_cache import DeviceCache
from server.settings import Settings
from server.tickets.picture import Pictures


@dataclass
class Core:
    """The core's shared parts, held by the app and passed to flows."""

    db: Database
    clock: Clock
    bus: EventBus
    settings: Settings
    cache: HallCache = field(default_factory=HallCache)
    throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle(time.monotonic))
    # Tokens' principals and halls for the access boundary (`server.auth.cache`).
    access: access_cache.AccessCache = field(default_factory=access_cache.AccessCache)
    # Each hall's devices and their status, for the print job's answer.
    devices: DeviceCache = field(default_factory=DeviceCache)
    # Each hall's queue in memory (`server.tickets.picture`), the database the truth.
    pictures: Pictures = field(init=False)

    def __post_init__(self) -> None:
        # Flows run by `Database.run_write` publish their events in one batch afterwards;
        # a batch takes its place in line as its flow first commits (before the COMMIT: a
        # flow waiting on this one's row locks commits, and lines up, after it).
        self.db.bus = self.bus
        for maker in self.db.makers():
            event.listen(maker, "before_commit", self.bus.committing)
        access_cache.watch(self.db.makers(), self.access, self.bus.publish)
        self.bus.add_listener(self.access.on_event)
        self.bus.add_listener(self.devices.on_event)
        self.pictures = Pictures(shared=self.bus.shared, current_seq=self.bus.current_seq,
                                 publish=self.bus.publish, follow=self.bus.follow,
                                 unfollow=self.bus.unfollow)
        mode = self.settings.queue_in_memory
        if mode == "on" or (mode == "auto" and (self.db.is_sqlite or self.bus.shared)):
            self.db.pictures = self.pictures
            self.db.commit_hooks.append(self.pictures.committed)
            self.bus.add_listener(self.pictures.on_event)
