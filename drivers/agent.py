"""The device agent: runs a PC's devices and talks to the core over a websocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from drivers.agent_devices import AgentDevices, call_lines, window_lines
from drivers.agent_ratings import RatingRelay
from drivers.device import Backoff, DeviceStatus, cancel_and_wait
from drivers.idcard import CardEvent
from drivers.outbox import Outbox
from drivers.printer import PrintResult
from drivers.scanner import ScanEvent
from drivers.slip import Slip
from drivers.ticket import Ticket
from drivers.transports import Transport

__all__ = ["Agent", "agent_ws_url"]

log = logging.getLogger(__name__)

def agent_ws_url(server: str, hall: str, name: str) -> str:
    """``{server}/ws/halls/{hall}/agent?name=NAME`` with http(s) turned into ws(s)."""
    parts = urlsplit(server.rstrip("/"))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = f"{parts.path}/ws/halls/{quote(hall, safe='')}/agent"
    return urlunsplit((scheme, parts.netloc, path, f"name={quote(name, safe='')}", ""))



def _no_constant(name: str) -> Any:
    """JSON's NaN and Infinity are not numbers the core sends: refuse the message."""
    raise ValueError(f"non-finite number {name} in a message")

class Agent:
    """Connects devices (each optional, each a URL) to the core, and keeps at it."""

    def __init__(
        self,
        *,
        server: str,
        hall: str,
        name: str,
        token: str | None = None,
        printer: str | Transport | None = None,
        evaluator: str | Transport | None = None,
        scanner: str | Transport | None = None,
        led: str | Transport | None = None,
        idcard: str | Transport | None = None,
        led_map: Mapping[str, int] | None = None,
        state_dir: str | Path = ".hallq-agent",
        backoff: Backoff | None = None,
        rating_ack_wait: float = 2.0,  # under the device's 3 s retry
        device_options: Mapping[str, Mapping[str, Any]] | None = None,
        kiosks: Sequence[str] = (),
        windows: Sequence[str] = (),
    ) -> None:
        self.name, self.token = name, token
        # Told to the core in the hello, which routes print jobs and rating prompts by them.
        self.kiosks, self.windows = [str(k) for k in kiosks], [str(w) for w in windows]
        self.url = agent_ws_url(server, hall, name)
        self.backoff = backoff or Backoff(1.0, 60.0)
        self.outbox = Outbox(Path(state_dir) / "outbox.sqlite3")
        self.ratings = RatingRelay(self.outbox, self.send, ack_wait=rating_ack_wait)
        self.devices = AgentDevices(
            printer=printer, evaluator=evaluator, scanner=scanner, led=led, led_map=led_map,
            idcard=idcard, on_status=self._device_status, on_rating=self.ratings.on_rating,
            on_scan=self._scan, on_card=self._card, options=device_options,
        )
        self.ratings.evaluator = self.devices.evaluator
        self._ws: ClientConnection | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def connected(self) -> bool:
        """True while the websocket to the core is open."""
        return self._ws is not None

    async def wait_connected(self, timeout: float) -> bool:
        """Wait until connected to the core; False after ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout):
                await self._connected.wait()
        except TimeoutError:
            return False
        return True

    async def start(self) -> None:
        """Start the devices and the connection loop; returns at once."""
        await self.devices.start()
        self._task = asyncio.create_task(self._connect_loop(), name="agent-ws")

    async def stop(self) -> None:
        """Disconnect, stop every device, close the outbox."""
        self._stopping = True
        ws = self._ws
        if ws is not None:  # a normal close (1000), so the core sees no error
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 3.0)
        for task in [t for t in (self._task, *self._tasks) if t is not None]:
            await cancel_and_wait(task)
        self._task = None
        await self.ratings.stop()
        await self.devices.stop()
        self.outbox.close()

    async def run(self) -> None:
        """Run until cancelled."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def _connect_loop(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        while not self._stopping:
            try:
                async with connect(self.url, additional_headers=headers, open_timeout=10) as ws:
                    self._ws = ws
                    self._connected.set()
                    self.backoff.reset()
                    log.info("agent %s connected to %s", self.name, self.url)
                    await self._greet()
                    async for raw in ws:
                        await self._dispatch(raw)
            except (OSError, TimeoutError, WebSocketException) as err:
                log.warning("agent %s: core unreachable: %s", self.name, err)
            except Exception:  # a bug must cost one connection, never the agent
                log.exception("agent %s: connection failed", self.name)
            finally:
                self._ws = None
                self._connected.clear()
            if not self._stopping:
                await asyncio.sleep(self.backoff.next())

    async def send(self, message: dict[str, Any]) -> bool:
        """Send one message to the core; False when not connected."""
        ws = self._ws
        if ws is None:
            return False
        try:
            await ws.send(json.dumps(message, ensure_ascii=False))
        except ConnectionClosed:
            return False
        return True

    async def _greet(self) -> None:
        devices = [{"name": d.name, "kind": d.kind, "url": d.url} for d in self.devices.all]
        await self.send({"type": "hello", "name": self.name, "devices": devices,
                         "kiosks": self.kiosks, "windows": self.windows})
        for device in self.devices.all:
            await self._device_status(device.health())
        await self.ratings.resend_pending()  # ratings given while the core was away

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dispatch(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw, parse_constant=_no_constant)
            kind = message["type"]
        except (ValueError, TypeError, KeyError, OverflowError):
            log.warning("agent %s: unreadable message from core: %.200r", self.name, raw)
            return
        handlers = {
            "print": self._on_print, "call": self._on_call, "window": self._on_window,
            "evaluate": self._on_evaluate, "rating_ack": self._on_rating_ack,
            "ping": self._on_ping,
        }
        handler = handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            log.info("agent %s: ignoring message type %r", self.name, kind)
            return
        try:
            await handler(message)
        except (KeyError, TypeError, ValueError, ArithmeticError) as err:
            log.warning("agent %s: bad %s message %r: %r", self.name, kind, message, err)

    async def _on_ping(self, message: dict[str, Any]) -> None:
        await self.send({"type": "pong"})

    async def _on_print(self, message: dict[str, Any]) -> None:
        job = message["job"]

        async def done(result: PrintResult) -> None:
            await self.send({"type": "print_result", "job": job, "ok": result.ok,
                             "error": result.error})

        try:
            ticket: Ticket | Slip = (Slip.from_message(message["slip"]) if "slip" in message
                                     else Ticket.from_message(message["ticket"]))
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as err:
            log.warning("agent %s: bad ticket in print job %s: %r", self.name, job, err)
            await done(PrintResult(False, "bad_ticket"))
            return
        self.devices.print_later(ticket, done)

    async def _on_call(self, message: dict[str, Any]) -> None:
        lines = call_lines(str(message["ticket"]), str(message["window"]),
                           str(message.get("service_name") or ""), bool(message.get("recall")))
        self.devices.show_later(str(message["window"]), lines)

    async def _on_window(self, message: dict[str, Any]) -> None:
        window = str(message["window"])
        ticket = message.get("ticket")
        lines = window_lines(window, str(message["state"]), str(ticket) if ticket else None)
        self.devices.show_later(window, lines)

    async def _on_evaluate(self, message: dict[str, Any]) -> None:
        evaluator = self.devices.evaluator
        if evaluator is None:
            log.warning("agent %s: evaluate, but no evaluator is configured", self.name)
            return
        prompt = evaluator.prompt(
            ticket_number=str(message["ticket"]), ticket_id=str(message["ticket_id"]),
            window=str(message["window"]), staff_name=str(message.get("staff_name") or ""),
            staff_no=str(message.get("staff_no") or ""),
        )
        self._spawn(prompt)

    async def _on_rating_ack(self, message: dict[str, Any]) -> None:
        await self.ratings.on_ack(message)

    async def _scan(self, event: ScanEvent) -> None:
        await self.send({"type": "scan", "device": event.device, "code": event.code})

    async def _card(self, event: CardEvent) -> None:
        """A card on the reader: its number goes to the core, which hashes it at once.

        Only the number and whether the card expired are sent, over the authenticated
        websocket (wss in production); nothing is kept here. A card read while the core is
        away is dropped: it only matters to the citizen at the reader now.
        """
        sent = await self.send({"type": "idcard", "device": event.device,
                                "id_number": event.id_number, "expired": event.expired})
        if not sent:
            log.warning("agent %s: %s dropped: not connected to the core", self.name, event)

    async def _device_status(self, status: DeviceStatus) -> None:
        await self.send({"type": "device_status", "device": status.device, "kind": status.kind,
                         "online": status.online, "detail": status.detail})
