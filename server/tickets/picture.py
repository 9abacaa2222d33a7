"""Each hall's queue held in memory: the waiting tickets, counted, ranked and ahead.

The database stays the truth. A hall's picture is loaded from it on the hall's first
request, changed by the flows after each commit (`note_waiting`, `note_gone` inside the
transaction; applied by `Database`'s after-commit hook), and dropped when idle.
Call-next still claims its ticket in the database (`FOR UPDATE SKIP LOCKED`): the picture
only says which tickets to try first.

Why the order of changes does not matter: a ticket waits at most once per *generation*
(`requeues + transfers`: it only goes back to waiting by a requeue or a transfer, each of
which counts up). So every change is "ticket T waits at generation g" or "ticket T left the
queue at generation g", and the picture keeps, per ticket, the highest generation seen and
whether it left at that generation. Applying the same changes in any order, twice, or
merged with a load from the database gives the same picture. That lets several threads
commit and apply without a lock around the commit, and lets a process follow others.

Several processes (a shared event bus, Redis): every process publishes its changes as a
`picture` event, and applies every process's (its own again, harmlessly). A process
follows on the bus only the halls it holds a picture of (`follow` when one is loaded,
`unfollow` when it is dropped), and loads a picture once the hall's subscription is
confirmed, so no change falls between the load and the first event received. The bus
numbers each hall's events without gaps (`seq`); a picture that sees a gap, or the bus's
`resync` (a lost connection, or a subscription confirmed only after the load), is marked
stale and reloaded from the database at its next use. A shared picture is also
reloaded after `MAX_AGE_S`, in case an event went out while Redis was unreachable
(delivered locally only, never numbered, so no gap shows).
"""

from __future__ import annotations

import bisect
import heapq
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.events import schemas
from server.halls.models import Hall
from server.tickets import engine
from server.tickets.models import Ticket
from server.tickets.rows import TicketRow
from server.windows.models import Window

log = logging.getLogger(__name__)

IDLE_S = 600.0  # a hall nobody asked about for this long is dropped
MAX_AGE_S = 300.0  # a picture following other processes is reloaded this often
FOLLOW_WAIT_S = 2.0  # how long a load waits for the hall's subscription on the bus
PICTURE_EVENT = "picture"
_NOTES = "hallq_notes_picture"

# (queued_at, issued_at, number, id): the order of ordinary tickets inside one service.
_Key = tuple[datetime, datetime, str, str]


@dataclass(frozen=True, slots=True)
class Change:
    """A ticket that waits (`ticket` set) or left the queue (`ticket` None) at `gen`."""

    hall_id: int
    hall: str
    ticket_id: str
    gen: int
    ticket: engine.QueuedTicket | None = None


def generation(ticket: Ticket | TicketRow) -> int:
    """How many times a ticket went back to waiting (see the module's docstring)."""
    return (ticket.requeues or 0) + (ticket.transfers or 0)


def _key(q: engine.QueuedTicket) -> _Key:
    return (q.queued_at, q.issued_at, q.number, q.id)


def _ordinary_key(k: _Key, tier: int, shift: timedelta | None
                  ) -> tuple[int, int, datetime, datetime, str]:
    """`engine.sort_key` of an ordinary ticket from its `_Key`, for a window that sees its
    service at this tier and with this shift of its place (the primary bonus)."""
    return (engine.ORDINARY, tier, k[0] + shift if shift else k[0], k[1], k[2])


class HallPicture:
    """One hall's waiting tickets, indexed for counts, people ahead and the heads."""

    def __init__(self, hall_id: int, code: str, day: date | None, last_seq: int | None,
                 shared: bool) -> None:
        self.hall_id, self.code, self.day = hall_id, code, day
        self.lock = threading.Lock()
        self.loaded = threading.Event()
        self.stale = False
        self.followed = True  # loaded after the bus confirmed the hall's subscription
        self.last_seq = last_seq
        self.born = self.used = time.monotonic()
        self.shared = shared
        # ticket id -> (generation, the ticket while it waits or None once it left)
        self._state: dict[str, tuple[int, engine.QueuedTicket | None]] = {}
        self._normal: dict[int, list[_Key]] = {}  # ordinary, by service: sorted
        self._special: dict[int, dict[str, engine.QueuedTicket]] = {}  # green, appointment
        self._targeted: dict[int, dict[str, engine.QueuedTicket]] = {}  # by window
        self._count: dict[int, int] = {}  # every waiting ticket, by service
        self._windows: dict[int, tuple[bool, bool]] | None = None  # id -> (open, staffed)

    # -- changes -----------------------------------------------------------------------

    def apply(self, changes: Iterable[Change]) -> None:
        """Merge changes (any order, any number of times)."""
        with self.lock:
            for change in changes:
                self._merge(change.ticket_id, change.gen, change.ticket)

    def _merge(self, ticket_id: str, gen: int, ticket: engine.QueuedTicket | None) -> None:
        held = self._state.get(ticket_id)
        if held is not None:
            held_gen, held_ticket = held
            if gen < held_gen or (gen == held_gen and (held_ticket is None or ticket is not None)):
                return  # older news, or the same (leaving wins within a generation)
            if held_ticket is not None:
                self._unindex(held_ticket)
        self._state[ticket_id] = (gen, ticket)
        if ticket is not None:
            self._index(ticket)

    def _index(self, q: engine.QueuedTicket) -> None:
        self._count[q.service_id] = self._count.get(q.service_id, 0) + 1
        if q.target_window_id is not None:
            self._targeted.setdefault(q.target_window_id, {})[q.id] = q
        elif q.priority == "normal":
            bisect.insort(self._normal.setdefault(q.service_id, []), _key(q))
        else:
            self._special.setdefault(q.service_id, {})[q.id] = q

    def _unindex(self, q: engine.QueuedTicket) -> None:
        self._count[q.service_id] -= 1
        if q.target_window_id is not None:
            self._targeted.get(q.target_window_id, {}).pop(q.id, None)
        elif q.priority == "normal":
            keys = self._normal.get(q.service_id, [])
            i = bisect.bisect_left(keys, _key(q))
            if i < len(keys) and keys[i] == _key(q):
                del keys[i]
        else:
            self._special.get(q.service_id, {}).pop(q.id, None)

    def windows_changed(self) -> None:
        """A window opened, closed, or was signed in or out: read them again when asked."""
        with self.lock:
            self._windows = None

    # -- questions ---------------------------------------------------------------------

    def counts(self) -> dict[int, int]:
        """How many wait, by service id."""
        with self.lock:
            return {sid: n for sid, n in self._count.items() if n}

    def waiting(self) -> dict[str, engine.QueuedTicket]:
        """Every waiting ticket by id (tests, and the requeue's places)."""
        with self.lock:
            return {tid: t for tid, (_, t) in self._state.items() if t is not None}

    def places(self, service_id: int) -> list[datetime]:
        """The places in time of the tickets waiting for a service (not transferred to one
        window), sorted: where a returning no-show goes back in (`engine.requeue_place`)."""
        with self.lock:
            out = [k[0] for k in self._normal.get(service_id, [])]
            out += [t.queued_at for t in self._special.get(service_id, {}).values()]
        return sorted(out)

    def ahead(self, ticket: engine.QueuedTicket, now: datetime, rules: engine.RankRules) -> int:
        """`engine.ahead_of` over the waiting tickets of the ticket's service."""
        mine = engine.sort_key(ticket, now, rules, primary=True)
        with self.lock:
            n = sum(1 for other in self._special.get(ticket.service_id, {}).values()
                    if other.id != ticket.id
                    and engine.sort_key(other, now, rules, primary=True) < mine)
            if mine[0] == engine.ORDINARY:  # ordinary tickets come after any other class
                keys = self._normal.get(ticket.service_id, [])
                n += bisect.bisect_left(keys, (ticket.queued_at, ticket.issued_at,
                                               ticket.number))
        return n

    def served_first(self, ticket: engine.QueuedTicket, window_ids: Iterable[int],
                     services: Iterable[int], now: datetime, rules: engine.RankRules) -> int:
        """`tickets.served_first` from the picture: the green and due-appointment tickets of
        the other `services` and the tickets sent to one of `window_ids` ranked before it."""
        mine = engine.sort_key(ticket, now, rules, primary=True)
        with self.lock:
            others = [t for sid in services for t in self._special.get(sid, {}).values()]
            others += [t for w in window_ids for t in self._targeted.get(w, {}).values()]
        return sum(1 for other in others if other.id != ticket.id
                   and engine.sort_key(other, now, rules, primary=True) < mine)

    def best(self, scope: engine.WindowScope, now: datetime, rules: engine.RankRules,
             n: int) -> list[engine.QueuedTicket]:
        """The first `n` of `engine.rank` over every ticket this window may call, as the
        flows try to claim them.

        Only as many sort keys as it takes: every green, appointment and transferred-to-it
        ticket is keyed (they are few), and the services' ordinary tickets, each service's
        already in the engine's order, are merged lazily from their heads: about
        `n` + the number of services keys instead of one per head of every service.
        """
        bonus = timedelta(seconds=rules.primary_bonus_s)
        with self.lock:
            others = list(self._targeted.get(scope.window_id, {}).values())
            streams: list[tuple[list[_Key], int, timedelta | None]] = []
            for sid in scope.services:
                others += self._special.get(sid, {}).values()
                keys = self._normal.get(sid)
                if not keys:
                    continue
                if sid in scope.primary:
                    streams.append((keys, 0, None))
                elif rules.primary_first:
                    streams.append((keys, 1, None))
                else:
                    streams.append((keys, 0, bonus))
            firsts = sorted(((engine.sort_key(t, now, rules, t.service_id in scope.primary),
                              t) for t in others), key=lambda kt: kt[0])
            heap: list[tuple[tuple[int, int, datetime, datetime, str], int, int]] = []
            for i, (keys, tier, shift) in enumerate(streams):
                heap.append((_ordinary_key(keys[0], tier, shift), i, 0))
            heapq.heapify(heap)
            out: list[engine.QueuedTicket] = []
            j = 0
            while len(out) < n and (heap or j < len(firsts)):
                if heap and (j == len(firsts) or heap[0][0] < firsts[j][0]):
                    _, i, at = heap[0]
                    keys, tier, shift = streams[i]
                    ticket = self._state[keys[at][3]][1]
                    assert ticket is not None
                    out.append(ticket)
                    if at + 1 < len(keys):
                        heapq.heapreplace(heap, (_ordinary_key(keys[at + 1], tier, shift),
                                                 i, at + 1))
                    else:
                        heapq.heappop(heap)
                else:
                    out.append(firsts[j][1])
                    j += 1
        return out

    def callable(self, scope: engine.WindowScope) -> int:
        """How many waiting tickets the window may call (`len(engine.rank(...))`): its
        services' tickets not sent to one window, and those sent to it."""
        with self.lock:
            return len(self._targeted.get(scope.window_id, {})) + sum(
                len(self._normal.get(sid, ())) + len(self._special.get(sid, {}))
                for sid in scope.services)

    def open_windows(self, db: Session, service_windows: list[int]) -> int:
        """`tickets.open_windows_serving` from the windows' state held here."""
        with self.lock:
            windows = self._windows
        if windows is None:
            rows = db.execute(select(Window.id, Window.open, Window.staff_id)
                              .where(Window.hall_id == self.hall_id)).all()
            windows = {wid: (bool(open_), staff is not None) for wid, open_, staff in rows}
            with self.lock:
                self._windows = windows
        opened = [windows[w] for w in service_windows if w in windows and windows[w][0]]
        staffed = sum(1 for _, s in opened if s)
        return staffed or len(opened)


class Pictures:
    """Every held hall's picture, keyed by hall id; follows the bus when it is shared."""

    def __init__(self, *, shared: bool = False, current_seq: Any = None,
                 publish: Any = None, follow: Any = None, unfollow: Any = None) -> None:
        self.shared = shared
        self._current_seq = current_seq  # the bus's last seq received for a hall
        self._publish = publish  # the bus's publish, for other processes (shared only)
        # The bus's follow/unfollow: receive a hall's events while its picture is held.
        self._follow, self._unfollow = follow, unfollow
        self._halls: dict[int, HallPicture] = {}
        self._codes: dict[str, int] = {}
        self._lock = threading.Lock()
        self._swept = time.monotonic()

    def get(self, db: Session, hall: Hall) -> HallPicture:
        """The hall's picture, loaded from `db` when missing, stale or of another day."""
        now = time.monotonic()
        with self._lock:
            pic = self._halls.get(hall.id)
            if pic is None or not self._fresh(pic, hall, now):
                pic = HallPicture(hall.id, hall.code, hall.business_day, None, self.shared)
                self._halls[hall.id], self._codes[hall.code] = pic, hall.id
                mine = True
            else:
                mine = False
            pic.used = now
            if now - self._swept > 60:
                self._sweep(now)
        if mine:
            try:
                if self._follow is not None and self.shared:
                    ready = self._follow(hall.code, self)
                    # Load after the subscription is live: every later change arrives.
                    pic.followed = ready.is_set() or ready.wait(FOLLOW_WAIT_S)
                seq = self._current_seq(hall.code) if self._current_seq else None
                with pic.lock:
                    if seq and (pic.last_seq is None or seq > pic.last_seq):
                        pic.last_seq = seq
                _load(db, pic)
            except BaseException:
                pic.stale = True
                pic.loaded.set()
                raise
            pic.loaded.set()
        else:
            pic.loaded.wait(30)
        return pic

    def _fresh(self, pic: HallPicture, hall: Hall, now: float) -> bool:
        return not pic.stale and pic.day == hall.business_day and not (
            pic.shared and now - pic.born > MAX_AGE_S)

    def held(self, hall_id: int) -> HallPicture | None:
        """The hall's picture if it is held, loaded and not stale (no database)."""
        with self._lock:
            pic = self._halls.get(hall_id)
        if pic is None or pic.stale or not pic.loaded.is_set():
            return None
        return pic

    def held_code(self, code: str) -> HallPicture | None:
        """`held` by the hall's code."""
        with self._lock:
            hall_id = self._codes.get(code)
        return self.held(hall_id) if hall_id is not None else None

    def sweep(self) -> None:
        """Drop the pictures nobody asked about for `IDLE_S` (and stop following their
        halls on the bus). Requests sweep in passing; the hub also calls this every minute,
        so a process that stops getting requests lets go of its halls too."""
        with self._lock:
            self._sweep(time.monotonic())

    def _sweep(self, now: float) -> None:
        self._swept = now
        for hall_id, pic in list(self._halls.items()):
            if now - pic.used > IDLE_S:
                del self._halls[hall_id]
                if self._codes.get(pic.code) == hall_id:
                    del self._codes[pic.code]
                    self._stop_following(pic.code)

    def _stop_following(self, code: str) -> None:
        if self._unfollow is not None and self.shared:
            self._unfollow(code, self)

    def drop(self, hall_id: int | None = None) -> None:
        """Forget one hall's picture, or every one (the next request loads again); the
        bus stops following the halls dropped."""
        with self._lock:
            dropped = [self._halls.pop(hall_id)] if hall_id in self._halls else (
                [] if hall_id is not None else list(self._halls.values()))
            if hall_id is None:
                self._halls.clear()
            for pic in dropped:
                if self._codes.get(pic.code) == pic.hall_id:
                    del self._codes[pic.code]
                    self._stop_following(pic.code)

    def apply(self, changes: list[Change]) -> None:
        """Apply committed changes to the pictures held (the after-commit hook)."""
        by_hall: dict[int, list[Change]] = {}
        for change in changes:
            by_hall.setdefault(change.hall_id, []).append(change)
        for hall_id, some in by_hall.items():
            with self._lock:
                pic = self._halls.get(hall_id)
            if pic is not None:
                pic.apply(some)

    def committed(self, session: Session) -> None:
        """The after-commit hook: apply what the flow noted; tell the other processes."""
        changes = take_notes(session)
        if not changes:
            return
        try:
            self.apply(changes)
            if self.shared and self._publish is not None:
                by_code: dict[str, list[Change]] = {}
                for change in changes:
                    by_code.setdefault(change.hall, []).append(change)
                for code, some in by_code.items():
                    self._publish(code, encode(some))
        except Exception:  # committed already: never fail the request, reload instead
            log.exception("picture changes not applied; pictures reload")
            with self._lock:
                for pic in self._halls.values():
                    pic.stale = True

    def windows_changed(self, hall_id: int) -> None:
        """A flow changed a window's open or staffed state (after its commit)."""
        with self._lock:
            pic = self._halls.get(hall_id)
        if pic is not None:
            pic.windows_changed()

    def on_event(self, hall: str, event: dict[str, Any]) -> None:
        """Bus listener: other processes' changes, gaps, resyncs, window changes."""
        kind = event.get("type")
        if kind == "resync" and hall == "*":  # the bus lost events of every hall
            with self._lock:
                for each in self._halls.values():
                    each.stale = True
            return
        with self._lock:
            hall_id = self._codes.get(hall)
            pic = self._halls.get(hall_id) if hall_id is not None else None
        if pic is None:
            return
        if kind == "resync":
            # The hall's subscription was confirmed: a picture loaded before it, or
            # held across a lost connection, may have missed changes.
            if event.get("renewed") or not pic.followed:
                pic.stale = True
            return
        if kind == PICTURE_EVENT and self.shared:
            pic.apply(decode(pic.hall_id, hall, event))
        elif kind == "window":
            pic.windows_changed()
        seq = event.get("seq")
        if self.shared and isinstance(seq, int):  # after applying: `last_seq` means done
            if pic.last_seq is not None and seq > pic.last_seq + 1:
                log.info("hall %s: events %d..%d missed; picture reloads", hall,
                         pic.last_seq + 1, seq - 1)
                pic.stale = True
            pic.last_seq = max(seq, pic.last_seq or 0)


def _load(db: Session, pic: HallPicture) -> None:
    """Merge the database's state into a new picture: the waiting tickets, and every
    other ticket of the day as gone at its generation (so a late change cannot revive it)."""
    rows = db.execute(
        select(Ticket.id, Ticket.number, Ticket.service_id, Ticket.priority,
               Ticket.issued_at, Ticket.queued_at, Ticket.slot_start, Ticket.slot_end,
               Ticket.target_window_id, Ticket.requeues + Ticket.transfers, Ticket.status)
        .where(Ticket.hall_id == pic.hall_id,
               (Ticket.status == "waiting") | (Ticket.business_day == pic.day))).all()
    with pic.lock:
        for row in rows:
            waiting = row[10] == "waiting"
            pic._merge(row[0], int(row[9] or 0),
                       engine.QueuedTicket(*row[:9]) if waiting else None)


# -- the flows' side ------------------------------------------------------------------


def note(db: Session, change: Change) -> None:
    """Record a change in the flow's transaction; applied once it commits."""
    db.info.setdefault(_NOTES, []).append(change)


def note_waiting(db: Session, hall: Hall, ticket: engine.QueuedTicket, gen: int) -> None:
    """This ticket waits (issued, requeued, transferred)."""
    note(db, Change(hall.id, hall.code, ticket.id, gen, ticket))


def note_gone(db: Session, hall: Hall, ticket: Ticket | TicketRow) -> None:
    """This ticket left the queue (called, cancelled)."""
    note(db, Change(hall.id, hall.code, ticket.id, generation(ticket)))


def take_notes(db: Session) -> list[Change]:
    """The changes recorded in a session, cleared."""
    notes: list[Change] = db.info.pop(_NOTES, [])
    return notes


def encode(changes: list[Change]) -> schemas.PictureEvent:
    """Changes as a `picture` bus event (for other processes)."""
    return schemas.picture([
        [c.ticket_id, c.gen] if c.ticket is None else [
            c.ticket_id, c.gen, c.ticket.number, c.ticket.service_id, c.ticket.priority,
            c.ticket.issued_at.isoformat(), c.ticket.queued_at.isoformat(),
            c.ticket.slot_start.isoformat() if c.ticket.slot_start else None,
            c.ticket.slot_end.isoformat() if c.ticket.slot_end else None,
            c.ticket.target_window_id]
        for c in changes])


def decode(hall_id: int, hall: str, event: dict[str, Any]) -> list[Change]:
    """A `picture` event's changes."""
    out = []
    for item in event.get("changes", []):
        if len(item) == 2:
            out.append(Change(hall_id, hall, str(item[0]), int(item[1])))
            continue
        tid, gen, number, sid, priority, issued, queued, s0, s1, target = item
        out.append(Change(hall_id, hall, tid, int(gen), engine.QueuedTicket(
            tid, number, int(sid), priority, datetime.fromisoformat(issued),
            datetime.fromisoformat(queued), datetime.fromisoformat(s0) if s0 else None,
            datetime.fromisoformat(s1) if s1 else None, target)))
    return out
