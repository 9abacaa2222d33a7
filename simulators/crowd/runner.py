"""Play a hall day against a running core, only through its public API and websockets.

Virtual kiosks issue tickets (and check appointments in) at the drawn arrival times; one
virtual counter per window signs in, calls, recalls, starts, finishes, transfers, pauses and
hands over to its B post; citizens come to the window when a screen shows their call, and
rate the service afterwards; the operator's queue view is sampled through the day.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from simulators.crowd.clock import SimClock
from simulators.crowd.http import Answer, LeanClient, TransportError
from simulators.crowd.scenario import Citizen, Scenario, StaffEvent, draw_day, draw_staff_events
from simulators.crowd.scenario import serves as window_services
from simulators.crowd.screens import Screens

FINAL = ("done", "cancelled", "refused", "no_show")
# The standard 差评 reason codes (the evaluator's list): 等候时间长, 服务态度差, 办事效率低,
# 办事指南不清楚.
BAD_REASONS = ("2", "1", "3", "8")
IDLE_POLL_S = 300.0
SAMPLE_EVERY_S = 300.0
# Bookings reach the core this long before the citizen comes (spread over the day, not
# all at the start of the run).
BOOK_AHEAD = timedelta(minutes=30)
STALL = timedelta(hours=2)
RETRIES = 15  # a 503 (database busy) or a dropped connection is tried again, for ~10 s
CONNECTIONS = 32  # the simulator's HTTP connections to the core, and its requests in flight


@dataclass
class Record:
    """What the simulator knows of one citizen's ticket."""

    citizen: Citizen
    service: str
    handle_s: float
    present: bool
    ticket_id: str | None = None
    rating_key: str | None = None  # the holder's credential to rate, from the issue answer
    number: str | None = None
    state: str = "arriving"
    issued_at: datetime | None = None
    first_called_at: datetime | None = None
    window: str | None = None
    walking: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    transferred: bool = False
    requeues: int = 0
    will_return: bool = False
    rated: int | None = None
    refusal: str | None = None
    phone: str | None = None  # the mobile number of a phone ticket (线上取号)

    @property
    def settled(self) -> bool:
        """Nothing more will happen to this ticket today."""
        return self.state in FINAL and not self.will_return


@dataclass
class WindowLog:
    """One window's day: staffed and busy time in simulated seconds, and its staff events."""

    number: str
    kind: str
    name: str = ""
    staffed_s: float = 0.0
    busy_s: float = 0.0
    paused_s: float = 0.0
    served: int = 0
    no_shows: int = 0
    pauses: int = 0
    takeovers: int = 0
    signed_in_at: datetime | None = None


@dataclass
class Http:
    """The simulator's HTTP client with per-status counts and latencies."""

    client: LeanClient
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Requests in flight at most (the client's connections): the others wait here, in
    # order, not in the client (httpx's pool, used before `LeanClient`, scanned every
    # waiting request for each one it assigned and took all the simulator's CPU).
    gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONNECTIONS))

    async def call(self, method: str, path: str, token: str | None = None,
                   **kwargs: Any) -> Answer:
        """One request; retried on 503 (database busy) and dropped connections."""
        async with self.gate:
            return await self._call(method, path, token, **kwargs)

    async def _call(self, method: str, path: str, token: str | None,
                    **kwargs: Any) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for attempt in range(RETRIES):
            t0 = time.perf_counter()
            try:
                r = await self.client.request(method, path, headers=headers, **kwargs)
            except TransportError as err:
                self.errors.append(f"{method} {path}: {err!r}")
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            self.latencies.append(time.perf_counter() - t0)
            self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
            if r.status_code >= 500:
                self.errors.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
            if r.status_code != 503:
                return r
            await asyncio.sleep(min(1.0, 0.1 * (attempt + 1)))
        raise RuntimeError(f"{method} {path}: no answer after retries")


@dataclass
class Options:
    """How to run a day."""

    speed: float = 60.0
    hall_screens: int = 1
    window_screens: int | None = None  # round-robin over the windows; None: one each
    day: date | None = None
    progress: Callable[[float, str], None] | None = None
    max_wall_s: float = 3600.0


class Simulation:
    """One simulated day of one hall, against the core at `base_url`."""

    def __init__(self, scenario: Scenario, base_url: str, options: Options) -> None:
        self.scenario = scenario
        self.config = scenario.hall_config()
        self.hall = self.config.hall.code
        self.base_url = base_url
        self.opt = options
        self.day = options.day or scenario.date
        self.tz = scenario.tz
        self.rules = self.config.rules
        self.people = draw_day(scenario, self.day)
        self.staff_events = draw_staff_events(scenario, self.day)
        self.clock = SimClock(self.people[0].arrival - timedelta(minutes=20), options.speed)
        self.records: list[Record] = [
            Record(c, c.service, c.handle_s, present=not c.absent) for c in self.people]
        self.by_id: dict[str, Record] = {}
        # Screens never carry the ticket id (the citizen's credential): a citizen knows
        # their call by the number on the screen, as in a real hall.
        self.by_number: dict[str, Record] = {}
        self.calls: list[dict[str, Any]] = []
        self.samples: list[dict[str, Any]] = []
        self.alerts: dict[int, dict[str, Any]] | None = None
        self.stalled: list[str] = []
        self.resynced: list[str] = []
        self.failures: list[str] = []
        self.idle: dict[str, asyncio.Event] = {}
        self.serves = window_services(self.config)
        self.eligible = {s.code: [w.number for w in self.config.windows
                                  if w.open and s.code in self.serves[w.number]]
                         for s in self.config.services}
        self.windows = {w.number: WindowLog(w.number, w.kind, w.name)
                        for w in self.config.windows if w.open}
        self.tokens: dict[str, str] = {}
        self.posts: dict[str, tuple[str, str | None]] = self._posts()
        self.arrivals_done = False
        self.finished = asyncio.Event()
        self.refused: dict[str, int] = {}
        self.started_wall = 0.0
        self.screens: Screens | None = None
        self.rnd = random.Random(scenario.seed + 2)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.first_open = self.people[0].arrival
        # Who takes a number from a phone: walk-ins only, drawn apart from the day's draw.
        phones = random.Random(scenario.seed + 7)
        share = scenario.behaviour.phone_share
        for rec in self.records:
            c = rec.citizen
            if share and not c.appointment and not c.green and phones.random() < share:
                rec.phone = f"139{c.index:08d}"

    # --- setup --------------------------------------------------------------------------

    def _posts(self) -> dict[str, tuple[str, str | None]]:
        """Window → (A post, B post) job numbers: staff accounts in order (see scenarios)."""
        staff = [s.job_no for s in self.config.staff if "staff" in s.roles]
        numbers = [w.number for w in self.config.windows if w.open]
        n = len(self.config.windows)
        out = {}
        for i, w in enumerate(self.config.windows):
            if w.number in numbers and i < len(staff):
                # AB岗 named in the hall's configuration come first (邵阳 第十六条).
                b = w.b_staff or (staff[n + i] if n + i < len(staff) else None)
                out[w.number] = (w.a_staff or staff[i], b)
        return out

    def _account(self, role: str) -> str:
        for s in self.config.staff:
            if role in s.roles:
                return s.job_no
        raise ValueError(f"scenario {self.scenario.name}: no account with role {role}")

    async def _login(self, job_no: str) -> str:
        r = await self.http.call("POST", "/api/v1/auth/token",
                                 data={"username": job_no, "password": self.scenario.password})
        if r.status_code != 200:
            raise RuntimeError(f"login {job_no}: {r.status_code} {r.text}")
        token = str(r.json()["access_token"])
        self.tokens[job_no] = token
        return token

    async def _setup(self) -> None:
        admin = await self._login(self._account("admin"))
        self.operator = await self._login(self._account("operator"))
        tokens = {}
        for name, kind in (("sim-kiosk", "kiosk"), ("sim-screens", "screen")):
            r = await self.http.call("POST", f"/api/v1/admin/halls/{self.hall}/devices", admin,
                                     json={"name": name, "kind": kind})
            if r.status_code != 201:
                raise RuntimeError(f"device {name}: {r.status_code} {r.text}")
            tokens[kind] = r.json()["token"]
        self.kiosk, self.screen_token = tokens["kiosk"], tokens["screen"]
        await self._align()
        people = [p for p in self.posts.values()]
        await _bounded(8, [self._login(a) for a, _ in people])
        ws = self.base_url.replace("http://", "ws://").replace("https://", "wss://")
        self.screens = Screens(ws, self.hall, self.screen_token)
        self.screens.listeners.append(self._heard)
        wanted: list[str | None] = [None] * max(1, self.opt.hall_screens)
        numbers = list(self.windows)
        count = len(numbers) if self.opt.window_screens is None else self.opt.window_screens
        wanted += [numbers[i % len(numbers)] for i in range(count)]
        await self.screens.open(wanted)

    async def _align(self) -> None:
        t0 = time.monotonic()
        r = await self.http.call("GET", f"/api/v1/halls/{self.hall}/queue", self.operator)
        r.raise_for_status()
        half = (time.monotonic() - t0) / 2 * self.opt.speed
        self.clock.align(datetime.fromisoformat(r.json()["at"]) + timedelta(seconds=half))

    async def _book(self, rec: Record) -> None:
        """The online platform's booking: a 30-minute slot around the arrival."""
        at = rec.citizen.arrival
        start = at.replace(minute=0 if at.minute < 30 else 30, second=0, microsecond=0)
        r = await self.http.call("POST", f"/api/v1/halls/{self.hall}/appointments",
                                 self.operator, json={
                                     "service": rec.service, "code": rec.citizen.appointment,
                                     "slot_start": start.isoformat(),
                                     "slot_end": (start + timedelta(minutes=30)).isoformat()})
        # 409: booked by an earlier run on this database; 422: the hall refused the booking
        # (a full slot, its hours): that citizen comes as a walk-in.
        if r.status_code in (409, 422):
            rec.citizen.appointment = None
        elif r.status_code != 201:
            raise RuntimeError(f"appointment: {r.status_code} {r.text}")

    # --- running ------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        """Play the day; returns the raw material of the report."""
        async with LeanClient(self.base_url, size=CONNECTIONS, timeout=60) as c:
            self.http = Http(c)
            await self._setup()
            self.started_wall = time.monotonic()
            counters = [asyncio.create_task(self._counter(w)) for w in self.posts]
            aux = [asyncio.create_task(self._kiosk()), asyncio.create_task(self._sampler()),
                   asyncio.create_task(self._watch())]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.finished.wait(), self.opt.max_wall_s)
            self.finished.set()
            for ev in self.idle.values():
                ev.set()
            await asyncio.gather(*counters, return_exceptions=True)
            for t in aux + list(self.tasks):
                t.cancel()
            await asyncio.gather(*aux, *self.tasks, return_exceptions=True)
            ended = self.clock.now()
            wall = time.monotonic() - self.started_wall
            if self.screens is not None:
                await asyncio.sleep(0.5)  # the last calls' events are still on the wire
                await self.screens.close()
            core = await self._verify()
        return {"ended": ended, "wall_s": wall, "core": core}

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(self._guard(coro))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _guard(self, coro: Any) -> None:
        """Run a citizen's step; a failure is noted, never silently lost."""
        try:
            await coro
        except Exception as err:  # reported in the result
            self.failures.append(repr(err)[:300])

    async def _resync(self, rec: Record) -> None:
        """Take a ticket's state from the core after an unexpected answer."""
        if rec.ticket_id is None:
            rec.state = "refused" if rec.state == "arriving" else rec.state
            return
        r = await self.http.call("GET", f"/api/v1/tickets/{rec.ticket_id}")
        if r.status_code == 200:
            rec.state = r.json()["status"]
            if rec.state in FINAL:
                rec.will_return = False

    async def _watch(self) -> None:
        last = -1.0
        stalled_since: tuple[int, datetime] | None = None
        while not self.finished.is_set():
            await asyncio.sleep(0.5)
            settled = sum(r.settled for r in self.records)
            if self.arrivals_done and (stalled_since is None or stalled_since[0] != settled):
                stalled_since = (settled, self.clock.now())
            elif stalled_since is not None and self.clock.now() - stalled_since[1] > STALL:
                # Nothing has moved for a long while: ask the core what became of the rest.
                for rec in self.records:
                    if not rec.settled:
                        self.resynced.append(f"{rec.number or rec.citizen.index}: {rec.state}")
                        await self._resync(rec)
                self.stalled = [r.number or f"#{r.citizen.index}" for r in self.records
                                if not r.settled]
                if self.stalled:
                    self.finished.set()
            if self.opt.progress is not None:
                done = settled / len(self.records)
                if done != last:
                    self.opt.progress(done, f"{self.clock.now().astimezone(self.tz):%H:%M}")
                    last = done
            if self.arrivals_done and settled == len(self.records):
                self.finished.set()

    async def _kiosk(self) -> None:
        for rec in self.records:
            await self.clock.sleep_until(rec.citizen.arrival - BOOK_AHEAD)
            self._spawn(self._citizen(rec))
        self.arrivals_done = True

    async def _citizen(self, rec: Record) -> None:
        c = rec.citizen
        if c.appointment:
            await self._book(rec)
        await self.clock.sleep_until(c.arrival)
        if c.appointment:
            r = await self.http.call(
                "POST", f"/api/v1/halls/{self.hall}/appointments/{c.appointment}/check-in",
                self.kiosk)
        elif rec.phone is not None:
            r = await self.http.call("POST", f"/api/v1/halls/{self.hall}/phone/tickets", json={
                "service": rec.service, "phone": rec.phone,
                "notice": {"channel": "sms", "ahead": self.scenario.behaviour.notice_ahead}})
        else:
            body: dict[str, Any] = {"service": rec.service, "channel": "kiosk"}
            if c.green:
                body.update(priority="green", green_reason="老年人")
            r = await self.http.call("POST", f"/api/v1/halls/{self.hall}/tickets", self.kiosk,
                                     json=body)
        if r.status_code != 201:
            rec.state, rec.refusal = "refused", r.json().get("code", str(r.status_code))
            self.refused[rec.refusal] = self.refused.get(rec.refusal, 0) + 1
            return
        data = r.json()
        rec.rating_key = data.get("rating_key")  # top level in both answers
        if rec.phone is not None:
            data = data["ticket"]
        rec.ticket_id, rec.number = data["id"], data["number"]
        rec.issued_at = datetime.fromisoformat(data["issued_at"])
        rec.state = "waiting"
        self.by_id[rec.ticket_id] = rec
        self.by_number[rec.number] = rec
        self._wake(rec.service)
        if c.cancel_after_s is not None:
            await self.clock.sleep(c.cancel_after_s)
            async with rec.lock:
                if rec.state != "waiting":
                    return
                r = await self.http.call(
                    "POST", f"/api/v1/halls/{self.hall}/tickets/{rec.ticket_id}/cancel",
                    self.kiosk, json={"reason": c.cancel_reason})
                if r.status_code == 200:
                    rec.state = "cancelled"

    def _heard(self, event: dict[str, Any]) -> None:
        """A hall screen showed a call: its citizen, if in the hall, walks to the window."""
        rec = self.by_number.get(str(event.get("ticket")))
        if rec is None or not rec.present or rec.walking:
            return
        rec.walking = True
        arrived = rec.arrived

        async def walk() -> None:
            await self.clock.sleep(rec.citizen.walk_s)
            arrived.set()
        self._spawn(walk())

    def _wake(self, service: str) -> None:
        for number in self.eligible.get(service, []):
            event = self.idle.pop(number, None)
            if event is not None:
                event.set()
                return

    async def _sampler(self) -> None:
        alerts_api = True
        while not self.finished.is_set():
            if alerts_api:
                alerts_api = await self._alerts()
            r = await self.http.call("GET", f"/api/v1/halls/{self.hall}/queue", self.operator)
            if r.status_code == 200:
                body = r.json()
                self.samples.append({
                    "at": datetime.fromisoformat(body["at"]),
                    "waiting": {s["code"]: s["waiting"] for s in body["services"]},
                    "longest_s": max((s["longest_wait_s"] for s in body["services"]),
                                     default=0),
                    "staffed": sum(1 for w in body["windows"] if w.get("staff")),
                })
            await self.clock.sleep(SAMPLE_EVERY_S)

    async def _alerts(self) -> bool:
        """Read the monitoring alerts (which also runs its rules); False when absent."""
        r = await self.http.call("GET", f"/api/v1/halls/{self.hall}/monitor/alerts",
                                 self.operator)
        if r.status_code == 404:
            return False
        if r.status_code == 200:
            self.alerts = self.alerts if self.alerts is not None else {}
            for alert in r.json().get("alerts", []):
                self.alerts[alert["id"]] = alert
        return True

    # --- counters -----------------------------------------------------------------------

    def _staffed(self, number: str, now: datetime) -> bool:
        plan = self.scenario.staffing
        if plan is None:
            return True
        # After the last planned hour (extended service) the last hour's windows stay open.
        current = now.astimezone(self.tz).hour
        planned = [int(h) for h in plan if int(h) <= current]
        if not planned:
            return False
        hour = plan[f"{max(planned):02d}"]
        # Keys name a window kind ("any") or a planner group (the windows' name).
        log = self.windows[number]
        key = log.name if log.name in hour else log.kind
        same = [w for w in self.windows.values() if key in (w.name, w.kind)]
        return same.index(log) < hour.get(key, 0)

    async def _counter(self, number: str) -> None:
        a_post, b_post = self.posts[number]
        log = self.windows[number]
        events = [e for e in self.staff_events if e.window == number]
        await self.clock.sleep_until(self.first_open - timedelta(minutes=10))
        token: str | None = None
        while not self.finished.is_set():
            now = self.clock.now()
            if not self._staffed(number, now):
                if token is not None:
                    await self._sign_out(number, token, log)
                    token = None
                nxt = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
                await self._idle(number, (nxt - now).total_seconds())
                continue
            if token is None:
                token = await self._sign_in(number, a_post, "A", log)
            if events and events[0].at <= now:
                token = await self._staff_event(number, events.pop(0), token, a_post, b_post,
                                                log)
                continue
            try:
                r = await self.http.call("POST", self._w(number, "call-next"), token)
                if r.status_code == 409 and "confirm_no_show" in r.text:
                    # The ticket called last was never started here (an answer lost or
                    # refused under load): as at a real counter, the staff confirms its
                    # 过号 and calls the next. Without this the window stayed dead.
                    r = await self.http.call("POST", self._w(number, "call-next"), token,
                                             json={"confirm_no_show": True})
                if r.status_code == 409 and "ticket_in_hand" in r.text:
                    # A finish lost under load: the ticket in hand is finished first.
                    await self.http.call("POST", self._w(number, "finish"), token,
                                         json={"outcome": "completed"})
                    continue
                if r.status_code == 204:
                    await self._idle(number, IDLE_POLL_S)
                elif r.status_code == 200:
                    await self._serve(number, token, r.json()["ticket"], log)
                elif r.status_code == 401:  # the token outlived its hours on a long day
                    await self._login(a_post)
                    token = await self._sign_in(number, a_post, "A", log)
                else:
                    await self.clock.sleep(30)
            except Exception as err:  # reported in the result
                self.failures.append(f"window {number}: {err!r}"[:300])
                await self.clock.sleep(30)
        if token is not None:
            await self._sign_out(number, token, log)

    def _w(self, number: str, action: str) -> str:
        return f"/api/v1/halls/{self.hall}/windows/{number}/{action}"

    async def _idle(self, number: str, seconds: float) -> None:
        event = self.idle[number] = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), self.clock.wall(seconds))
        self.idle.pop(number, None)

    async def _sign_in(self, number: str, job_no: str, post: str, log: WindowLog) -> str:
        token = self.tokens[job_no]
        r = await self.http.call("POST", self._w(number, "sign-in"), token, json={"post": post})
        if r.status_code != 200:
            raise RuntimeError(f"sign-in {job_no} at {number}: {r.status_code} {r.text}")
        if log.signed_in_at is None:
            log.signed_in_at = self.clock.now()
        return token

    async def _sign_out(self, number: str, token: str, log: WindowLog) -> None:
        await self.http.call("POST", self._w(number, "sign-out"), token)
        if log.signed_in_at is not None:
            log.staffed_s += (self.clock.now() - log.signed_in_at).total_seconds()
            log.signed_in_at = None

    async def _staff_event(self, number: str, ev: StaffEvent, token: str, a_post: str,
                           b_post: str | None, log: WindowLog) -> str:
        if ev.kind == "pause":
            r = await self.http.call("POST", self._w(number, "pause"), token,
                                     json={"reason": ev.reason})
            if r.status_code == 200:
                log.pauses += 1
                await self.clock.sleep(ev.minutes * 60)
                await self.http.call("POST", self._w(number, "resume"), token)
                log.paused_s += ev.minutes * 60
            return token
        if b_post is None:
            return token
        # AB岗: the B post takes the window over, then the A post comes back.
        if b_post not in self.tokens:
            await self._login(b_post)
        b_token = await self._sign_in(number, b_post, "B", log)
        log.takeovers += 1
        until = self.clock.now() + timedelta(minutes=ev.minutes)
        while self.clock.now() < until and not self.finished.is_set():
            r = await self.http.call("POST", self._w(number, "call-next"), b_token)
            if r.status_code == 200:
                await self._serve(number, b_token, r.json()["ticket"], log)
            else:
                await self._idle(number, min(IDLE_POLL_S, (until - self.clock.now())
                                             .total_seconds()))
        return await self._sign_in(number, a_post, "A", log)

    async def _serve(self, number: str, token: str, ticket: dict[str, Any],
                     log: WindowLog) -> None:
        called = self.clock.now()
        self.calls.append({"ticket": ticket["number"], "window": number, "recall": False})
        rec = self.by_id.get(ticket["id"])
        for _ in range(50):  # the kiosk's answer may still be on its way: the call was quick
            if rec is not None:
                break
            await asyncio.sleep(0.05)
            rec = self.by_id.get(ticket["id"])
        if rec is None:  # a ticket of another run or issued by someone else
            await self.http.call("POST", self._w(number, "no-show"), token)
            return
        async with rec.lock:
            if rec.state == "cancelled":
                return
            rec.state, rec.window = "called", number
            if rec.first_called_at is None:
                rec.first_called_at = datetime.fromisoformat(ticket["called_at"])
        try:
            await self._attend(number, token, rec, log)
        finally:
            log.busy_s += (self.clock.now() - called).total_seconds()

    async def _attend(self, number: str, token: str, rec: Record, log: WindowLog) -> None:
        for recalls in range(self.rules.max_recalls + 1):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(rec.arrived.wait(), self.clock.wall(
                    self.scenario.behaviour.recall_interval_s))
            if rec.arrived.is_set():
                break
            if recalls == self.rules.max_recalls:
                await self._no_show(number, token, rec, log)
                return
            r = await self.http.call("POST", self._w(number, "recall"), token)
            if r.status_code == 200:
                self.calls.append({"ticket": rec.number, "window": number,
                                   "recall": True})
        r = await self.http.call("POST", self._w(number, "start"), token)
        if r.status_code != 200:
            await self._resync(rec)
            return
        rec.state = "serving"
        await self.clock.sleep(rec.handle_s)
        target = rec.citizen.transfer_to
        if target and not rec.transferred:
            # The ticket may be called elsewhere before this answer arrives: the record
            # changes first and is put back if the transfer is refused.
            before = (rec.service, rec.handle_s, rec.arrived)
            rec.transferred, rec.service = True, target
            rec.handle_s = rec.citizen.transfer_handle_s
            rec.walking, rec.arrived, rec.state = False, asyncio.Event(), "waiting"
            r = await self.http.call("POST", self._w(number, "transfer"), token,
                                     json={"service": target, "note": "转其他事项"})
            if r.status_code == 200:
                self._wake(target)
                return
            rec.transferred, rec.state = False, "serving"
            rec.service, rec.handle_s, rec.arrived = before
        body = {"outcome": rec.citizen.outcome}
        if rec.citizen.outcome == "correction_notice":  # a 补正告知 names what is missing
            body["missing_other"] = "补正材料（模拟）"
        r = await self.http.call("POST", self._w(number, "finish"), token, json=body)
        if r.status_code == 200:
            rec.state = "done"
            log.served += 1
            if rec.citizen.rating is not None:
                self._spawn(self._rate(rec))
        else:
            await self._resync(rec)

    async def _no_show(self, number: str, token: str, rec: Record, log: WindowLog) -> None:
        r = await self.http.call("POST", self._w(number, "no-show"), token)
        if r.status_code != 200:
            await self._resync(rec)
            return
        rec.state = "no_show"
        log.no_shows += 1
        # A citizen who was in the hall (the call never reached them) comes back soon.
        back = rec.citizen.returns_after_s if not rec.present else 120.0
        if back is not None and rec.requeues < 2:
            rec.will_return = True
            self._spawn(self._come_back(rec, back))

    async def _come_back(self, rec: Record, after_s: float) -> None:
        await self.clock.sleep(after_s)
        rec.present, rec.walking, rec.arrived = True, False, asyncio.Event()
        # Waiting before the answer: a window may call the ticket before it arrives.
        rec.requeues, rec.state, rec.will_return = rec.requeues + 1, "waiting", False
        r = await self.http.call("POST", f"/api/v1/halls/{self.hall}/tickets/requeue",
                                 self.kiosk, json={"number": rec.number})
        if r.status_code == 200:
            self._wake(rec.service)
        else:
            await self._resync(rec)

    async def _rate(self, rec: Record) -> None:
        await self.clock.sleep(self.rnd.uniform(10, 60))
        level = rec.citizen.rating
        assert level is not None
        reasons = [self.rnd.choice(BAD_REASONS)] if level <= 2 else []
        r = await self.http.call("POST", f"/api/v1/tickets/{rec.ticket_id}/rating",
                                 json={"level": level, "reasons": reasons,
                                       "key": rec.rating_key})
        if r.status_code == 201:
            rec.rated = level

    # --- the end ------------------------------------------------------------------------

    async def _verify(self) -> dict[str, Any]:
        """Read every ticket back from the core and compare with what the simulator saw."""
        issued = [r for r in self.records if r.ticket_id]
        views: list[dict[str, Any]] = []

        async def read(rec: Record) -> None:
            r = await self.http.call("GET", f"/api/v1/tickets/{rec.ticket_id}")
            views.append({"rec": rec, **(r.json() if r.status_code == 200 else {})})

        await _bounded(16, [read(r) for r in issued])
        statuses: dict[str, int] = {}
        mismatched, unreasoned, wait_diff = [], 0, 0
        for v in views:
            rec: Record = v["rec"]
            status = v.get("status", "missing")
            statuses[status] = statuses.get(status, 0) + 1
            if status != rec.state:
                mismatched.append(f"{rec.number}: core {status}, simulator {rec.state}")
            if status == "cancelled" and not v.get("close_reason"):
                unreasoned += 1
            if (status == "done" and not rec.transferred and not rec.requeues
                    and v.get("called_at") and rec.first_called_at is not None):
                core_called = datetime.fromisoformat(v["called_at"])
                if abs((core_called - rec.first_called_at).total_seconds()) > 1:
                    wait_diff += 1
        # Reading every ticket back takes a while of simulated time at a high speed: the
        # operator's token of the morning may have run out (staff_token_hours).
        self.operator = await self._login(self._account("operator"))
        r = await self.http.call("GET", f"/api/v1/halls/{self.hall}/queue", self.operator)
        queue = r.json() if r.status_code == 200 else {}
        if self.alerts is not None:
            await self._alerts()
        r = await self.http.call("GET", f"/api/v1/halls/{self.hall}/reports", self.operator,
                                 params={"period": "day", "day": self.day.isoformat(),
                                         "by": "hall"})
        report = r.json().get("total") if r.status_code == 200 else None
        core_waits = [(datetime.fromisoformat(v["called_at"])
                       - datetime.fromisoformat(v["issued_at"])).total_seconds()
                      for v in views if v.get("called_at")]
        return {
            "report": report, "core_waits": core_waits,
            "issued": len(issued), "statuses": statuses, "mismatched": mismatched,
            "cancelled_without_reason": unreasoned, "wait_mismatch": wait_diff,
            "still_waiting": sum(s["waiting"] for s in queue.get("services", [])),
            "windows_with_ticket": sum(1 for w in queue.get("windows", []) if w.get("ticket")),
        }


async def _bounded(limit: int, coros: list[Any]) -> None:
    sem = asyncio.Semaphore(limit)

    async def one(coro: Any) -> None:
        async with sem:
            await coro

    await asyncio.gather(*(one(c) for c in coros))
