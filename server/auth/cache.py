"""Who is behind a token and which hall a code names, cached for the access boundary.

Every request that names a hall resolved its token (token, staff or device rows) and its
hall (and the centres above it) from the database. Both change rarely; this cache holds
them per process:

- token digest -> the principal and its token's `expires_at` (expiry is still checked on
  every request, from the entry);
- hall code -> the hall's reference and the ids of the hall and the centres above it.

Invalidation. A commit that changes an account, a device, a hall's code, name or parent,
or deletes a token (logout, device revoke or rotate, config load, password reset) clears
the whole cache of this process at once (`watch`, a session hook on every write), and is
published as an internal `access` event on the hall's bus so other core processes clear
theirs (never sent to screens). Every entry also lives at most `TTL_S`, so a revocation
made while the bus was down still takes effect everywhere within that time. Only
successes are cached: an unknown token or hall is asked of the database each time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from server.auth.models import AccessToken, Device, Staff
from server.auth.principal import Principal
from server.events import schemas
from server.halls.models import Hall

TTL_S = 10.0
ACCESS_EVENT = "access"
RESYNC_HALL = "*"  # the hall of a `resync` of every hall (`server.events.redis_bus`)
_CHANGED = "hallq_access_changed"  # session.info: the hall codes whose access changed
# What an access entry is made of: a change to another column (a device's status, a
# hall's business day) leaves the cache alone.
_WATCHED: dict[type, frozenset[str]] = {
    Staff: frozenset({"job_no", "name", "hall_id", "roles", "password_hash", "active"}),
    Device: frozenset({"hall_id", "name", "kind", "active"}),
    Hall: frozenset({"code", "name", "parent_id"}),
    AccessToken: frozenset({"staff_id", "device_id", "expires_at"}),
}
_TABLES = frozenset(cls.__tablename__ for cls in _WATCHED)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class HallEntry:
    """A hall as the access boundary needs it."""

    id: int
    code: str
    name: str
    parent_id: int | None
    chain: tuple[int, ...]  # the hall and the centres above it, nearest first


class AccessCache:
    """Principals by token digest and halls by code, for `TTL_S` at most."""

    def __init__(self, ttl_s: float = TTL_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.monotonic = monotonic
        self._principals: dict[str, tuple[float, Principal, datetime | None]] = {}
        self._halls: dict[str, tuple[float, HallEntry]] = {}
        self._lock = threading.Lock()
        self.generation = 0  # counts clears: a read begun before one is not stored

    def principal(self, digest: str) -> tuple[Principal, datetime | None] | None:
        """The cached principal of a token digest and its expiry, if fresh."""
        entry = self._principals.get(digest)
        if entry is None or self.monotonic() - entry[0] > self.ttl_s:
            return None
        return entry[1], entry[2]

    def hall(self, code: str) -> HallEntry | None:
        """The cached hall of a code, if fresh."""
        entry = self._halls.get(code)
        if entry is None or self.monotonic() - entry[0] > self.ttl_s:
            return None
        return entry[1]

    def put_principal(self, generation: int, digest: str, principal: Principal,
                      expires_at: datetime | None) -> None:
        """Keep a principal read from the database while no clear happened since."""
        with self._lock:
            if generation == self.generation:
                self._principals[digest] = (self.monotonic(), principal, expires_at)

    def put_hall(self, generation: int, entry: HallEntry) -> None:
        """Keep a hall read from the database while no clear happened since."""
        with self._lock:
            if generation == self.generation:
                self._halls[entry.code] = (self.monotonic(), entry)

    def clear(self) -> None:
        """Forget everything (an account, device, token or hall changed)."""
        with self._lock:
            self.generation += 1
            self._principals.clear()
            self._halls.clear()

    def on_event(self, hall: str, event: dict[str, Any]) -> None:
        """Bus listener: another process changed who may do what, or the bus may have
        lost such news (a `resync` of every hall, or of a hall followed again after a
        lost connection). A hall followed for the first time loses nothing it promised:
        what was cached before is bounded by the TTL, as it was."""
        kind = event.get("type")
        if kind == ACCESS_EVENT or (kind == "resync" and (
                hall == RESYNC_HALL or event.get("renewed"))):
            self.clear()


def watch(makers: list[sessionmaker[Session]], cache: AccessCache, publish: Any) -> None:
    """Clear `cache` after every commit that changed access, and publish an `access`
    event for each hall concerned (`publish(hall_code, event)`)."""

    def before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
        for obj in (*session.dirty, *session.deleted):
            names = _WATCHED.get(type(obj))
            if names is None:
                continue
            state = inspect(obj)
            if obj in session.deleted or any(
                    state.attrs[n].history.has_changes() for n in names):
                _note(session, _hall_code(session, obj))

    def on_execute(state: Any) -> None:
        if (state.is_update or state.is_delete) and getattr(
                state.statement.table, "name", None) in _TABLES:
            _note(state.session, None)

    def after_commit(session: Session) -> None:
        codes = session.info.pop(_CHANGED, None)
        if codes is None:
            return
        cache.clear()
        for code in codes:
            if code is not None:
                publish(code, schemas.access())

    def after_rollback(session: Session) -> None:
        session.info.pop(_CHANGED, None)

    for maker in makers:
        event.listen(maker, "before_flush", before_flush)
        event.listen(maker, "do_orm_execute", on_execute)
        event.listen(maker, "after_commit", after_commit)
        event.listen(maker, "after_rollback", after_rollback)


def note_hall(session: Session, code: str) -> None:
    """Say that access in a hall changed in this transaction (a statement that deletes
    tokens names no hall itself)."""
    _note(session, code)


def _note(session: Session, code: str | None) -> None:
    session.info.setdefault(_CHANGED, set()).add(code)


def _hall_code(session: Session, obj: Any) -> str | None:
    """The code of the hall an account, device, token or hall belongs to."""
    if isinstance(obj, Hall):
        return obj.code
    with session.no_autoflush:  # called while flushing
        return _owner_code(session, obj)


def _owner_code(session: Session, obj: Any) -> str | None:
    if isinstance(obj, AccessToken):
        owner: Any = (session.get(Staff, obj.staff_id) if obj.staff_id is not None
                      else session.get(Device, obj.device_id) if obj.device_id else None)
        return _owner_code(session, owner) if owner is not None else None
    hall_id = getattr(obj, "hall_id", None)
    if hall_id is None:
        return None
    hall = session.get(Hall, hall_id)
    return hall.code if hall is not None else None
