"""A simulated provincial booking platform (省级网上预约平台), speaking the HTTP the core's
adapter uses (server/appointments/platform.py), both ways:

- poll: `GET /api/bookings?hall=CODE&after=SEQ&limit=N` with `Authorization: Bearer KEY`
  answers `{"items": [...], "cursor": "SEQ", "more": bool}`: every booking, move and
  cancellation as a record in the order they happened; `POST /api/bookings/results`
  takes the core's report of what became of each record.
- push: `push(core_url, token, hall)` POSTs the records to the core's webhook
  `/api/v1/halls/{hall}/appointments/platform`, as the real platform would.

Citizens' bookings are made through the Python API (`book`, `move`, `cancel`) or over HTTP
(`POST /sim/bookings`, `POST /sim/bookings/{id}/cancel`, for the demo and other processes);
`GET /sim/state` shows the log and the reports received. `python -m
simulators.booking_platform [--demo-hall demo]` runs it alone (`hallq demo` does, and polls it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from simulators.http_sim import Answer, HttpSimulator

__all__ = ["BookingPlatformSim", "demo_bookings", "main"]


class BookingPlatformSim(HttpSimulator):
    """The platform: a log of booking records per hall, and what the core reported back."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 key: str = "sim-booking-key") -> None:
        super().__init__(host, port)
        self.key = key
        self.log: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []
        self.pushed: list[dict[str, Any]] = []
        self._bookings: dict[str, dict[str, Any]] = {}

    # The citizen's side -------------------------------------------------------------

    def book(self, *, hall: str, item: str, start: str, end: str | None = None,
             id_number: str | None = None, phone: str | None = None,
             code: str | None = None) -> str:
        """A citizen books on the platform; returns the platform's booking id."""
        with self.lock:
            booking_id = f"GX{len(self._bookings) + 1:08d}"
            booking = {"booking_id": booking_id, "hall": hall, "item": item, "start": start,
                       "end": end, "code": code or f"P{len(self._bookings) + 1:07d}",
                       "id_number": id_number, "phone": phone, "status": "booked"}
            self._bookings[booking_id] = booking
            self._append(booking)
        return booking_id

    def move(self, booking_id: str, *, start: str, end: str | None = None) -> None:
        """The citizen moves the booking on the platform."""
        with self.lock:
            booking = self._bookings[booking_id]
            booking.update(start=start, end=end)
            self._append(booking)

    def cancel(self, booking_id: str) -> None:
        """The citizen cancels on the platform."""
        with self.lock:
            booking = self._bookings[booking_id]
            booking["status"] = "cancelled"
            self._append(booking)

    def _append(self, booking: dict[str, Any]) -> None:
        record = {k: v for k, v in booking.items() if v is not None}
        self.log.append({"seq": len(self.log) + 1, **record})

    def records(self, hall: str, after: int = 0) -> list[dict[str, Any]]:
        """The hall's records after a sequence number, as the platform sends them."""
        with self.lock:
            return [_wire(r) for r in self.log if r["hall"] == hall and r["seq"] > after]

    # Push ---------------------------------------------------------------------------

    def push(self, core_url: str, token: str, hall: str, after: int = 0) -> list[dict[str, Any]]:
        """POST the hall's records after `after` to the core's webhook; its results."""
        items = self.records(hall, after)
        r = httpx.post(f"{core_url}/api/v1/halls/{hall}/appointments/platform",
                       json={"items": items}, headers={"Authorization": f"Bearer {token}"},
                       timeout=10)
        answer = {"status": r.status_code, "body": r.json()}
        with self.lock:
            self.pushed.append(answer)
        if r.status_code != 200:
            raise RuntimeError(f"push refused: {r.status_code} {r.text}")
        return list(r.json()["results"])

    # HTTP ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any,
               headers: dict[str, str]) -> Answer:
        """The poll API, the results report, and the citizen's side for other processes."""
        if path == "/sim/state" and method == "GET":
            with self.lock:
                return 200, {"log": list(self.log), "reports": list(self.reports)}
        if path == "/sim/bookings" and method == "POST" and isinstance(body, dict):
            return 201, {"booking_id": self.book(**{k: body[k] for k in body if k in (
                "hall", "item", "start", "end", "id_number", "phone", "code")})}
        if path.startswith("/sim/bookings/") and path.endswith("/cancel") and method == "POST":
            booking_id = path.split("/")[3]
            if booking_id not in self._bookings:
                return 404, {"code": "NOT_FOUND", "message": booking_id}
            self.cancel(booking_id)
            return 200, {"booking_id": booking_id, "status": "cancelled"}
        if not path.startswith("/api/"):
            return 404, {"code": "NOT_FOUND", "message": path}
        if headers.get("authorization") != f"Bearer {self.key}":
            return 401, {"code": "AUTH", "message": "bad key"}
        if path == "/api/bookings" and method == "GET":
            return self._poll(query)
        if path == "/api/bookings/results" and method == "POST":
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                return 400, {"code": "BAD_REQUEST", "message": "results expected"}
            with self.lock:
                self.reports.extend({"hall": body.get("hall"), **x} for x in body["results"])
            return 200, {"code": "OK"}
        return 404, {"code": "NOT_FOUND", "message": path}

    def _poll(self, query: dict[str, str]) -> Answer:
        try:
            after = int(query.get("after", "0"))
            limit = max(1, min(int(query.get("limit", "100")), 1000))
        except ValueError:
            return 400, {"code": "BAD_REQUEST", "message": "after and limit are numbers"}
        hall = query.get("hall", "")
        with self.lock:
            pending = [r for r in self.log if r["hall"] == hall and r["seq"] > after]
        page = pending[:limit]
        cursor = page[-1]["seq"] if page else after
        return 200, {"items": [_wire(r) for r in page], "cursor": str(cursor),
                     "more": len(pending) > limit}


def _wire(record: dict[str, Any]) -> dict[str, Any]:
    """A log entry as it goes over the wire: its sequence number is the record's version."""
    return {"version": record["seq"],
            **{k: v for k, v in record.items() if k not in ("seq", "hall")}}


def demo_bookings(sim: BookingPlatformSim, hall: str, now: datetime) -> list[str]:
    """A few bookings for the demo hall in the coming hours, one of them cancelled again."""
    start = now.replace(minute=0 if now.minute < 30 else 30, second=0, microsecond=0)
    ids = []
    for i, (item, step) in enumerate((("SB01", 1), ("BDC01", 2), ("YB01", 3), ("SB02", 4))):
        at = start + timedelta(minutes=30 * step)
        ids.append(sim.book(hall=hall, item=item, start=at.isoformat(),
                            phone=f"1380000{i:04d}", code=f"YY{at:%m%d}{i + 1:02d}"))
    sim.cancel(ids[-1])
    return ids


def main(argv: list[str] | None = None) -> int:
    """`python -m simulators.booking_platform`: serve until stopped; prints its URL first."""
    parser = argparse.ArgumentParser(description="the provincial booking platform, simulated")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", default="sim-booking-key")
    parser.add_argument("--demo-hall", help="seed a few bookings for this hall")
    args = parser.parse_args(argv)
    sim = BookingPlatformSim(args.host, args.port, key=args.key)
    sim.start()
    if args.demo_hall:
        demo_bookings(sim, args.demo_hall, datetime.now(ZoneInfo("Asia/Shanghai")))
    print(json.dumps({"url": sim.url, "key": sim.key}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
