"""`WS /ws/halls/{hall}/agent`: the device agent's channel (messages: docs/devices.md).

core → agent: `print`, `call`, `window`, `evaluate`, `rating_ack`, `ping`.
agent → core: `hello`, `device_status`, `print_result`, `rating`, `scan`, `idcard`, `pong`.
A malformed or refused message is answered with `{"type": "error"}` and the channel
stays open: nothing an agent sends can crash the core.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from functools import partial
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from server.agents import service as agents
from server.auth.access import AgentInHall, deny
from server.core import Core
from server.devices import status as devices
from server.errors import HallqError, NotFound
from server.evaluations import service as evaluations
from server.evaluations.schemas import RatingCreate
from server.events import schemas
from server.events.bus import Event
from server.idcards import flows as idcards

log = logging.getLogger(__name__)
router = APIRouter(tags=["agents"])

FORWARDED = frozenset({"print", "call", "window", "evaluate"})
QUEUE_SIZE = 1000
PING_S = 20.0


MAX_DEPTH = 8


def _no_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def clean(value: Any, depth: int = 0) -> Any:
    """An agent's message made safe to store and relay to every operator's screen.

    Text that is not valid Unicode (lone surrogates) is replaced, so one agent's odd bytes
    can never break another socket's JSON; nesting is bounded.
    """
    if depth > MAX_DEPTH:
        raise ValueError("a message nested too deep")
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {clean(k, depth + 1): clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v, depth + 1) for v in value]
    return value


@router.websocket("/ws/halls/{hall}/agent")
async def agent_channel(websocket: WebSocket, hall: str, scope: AgentInHall,
                        name: str | None = None) -> None:
    """Run one agent's connection until it leaves.

    An agent speaks only for itself: the devices it reports and the print jobs it takes are
    its own device's (`?name=` may repeat the device's name, never another's).
    """
    if scope is None:
        return
    device = scope.principal.name
    if name is not None and name != device:
        await deny(websocket, 403, "an agent speaks only for its own device name", "role")
        return
    await websocket.accept()
    await Channel(websocket.app.state.core, websocket, hall, device).run()


class Channel:
    """One agent connection: forward the hall's device events, handle the agent's reports."""

    def __init__(self, core: Core, websocket: WebSocket, hall: str, name: str) -> None:
        self.core, self.ws, self.hall, self.name = core, websocket, hall, name[:100]
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self.overflow = False
        self.kiosks: list[str] = []  # from the hello: whose ID-card reads these are

    def _listen(self, hall: str, event: Event) -> None:
        """Bus listener (any thread): queue the events an agent cares about."""
        if hall == self.hall and event.get("type") in FORWARDED:
            self.loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflow = True  # the agent stopped reading: drop it, it reconnects

    async def run(self) -> None:
        """Serve the connection; on any exit mark the agent's devices offline."""
        self.core.bus.add_listener(self._listen)
        self.core.bus.follow(self.hall, self)  # this hall's events, from every process
        tasks = [asyncio.create_task(c) for c in (self._send(), self._receive(), self._ping())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.core.bus.remove_listener(self._listen)
            self.core.bus.unfollow(self.hall, self)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.core.db.run_write(partial(agents.disconnected, self.core, self.hall,
                                                     self.name))
                await self.core.db.run_write(partial(devices.agent_gone, self.core, self.hall,
                                                     self.name))
            with contextlib.suppress(Exception):
                await self.ws.close()

    async def _send(self) -> None:
        while not self.overflow:
            event = await self.queue.get()
            if await self._wanted(event):
                await self.ws.send_text(json.dumps(event, ensure_ascii=False))
        log.warning("agent %s/%s stopped reading; dropped", self.hall, self.name)

    async def _wanted(self, event: Event) -> bool:
        kind = event.get("type")
        if kind == "print":
            kiosk, window = event.get("kiosk"), event.get("at_window")
            chosen = await asyncio.to_thread(agents.printer_for, self.core, self.hall,
                                             str(kiosk) if kiosk else None,
                                             str(window) if window else None)
            return chosen == self.name
        if kind == "evaluate":
            window = event.get("window")
            return await asyncio.to_thread(agents.takes_prompt, self.core, self.hall,
                                           self.name, str(window) if window else None)
        return True

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(PING_S)
            await self.ws.send_text('{"type": "ping"}')

    async def _receive(self) -> None:
        while True:
            try:
                text = await self.ws.receive_text()
            except (WebSocketDisconnect, RuntimeError, KeyError):
                return
            try:
                message = clean(json.loads(text, parse_constant=_no_constant))
                if not isinstance(message, dict):
                    raise ValueError("a message is a JSON object")
                await self._handle(message)
            except (ValueError, TypeError, KeyError, ValidationError, ArithmeticError,
                    RecursionError) as err:
                await self._reply({"type": "error", "detail": f"bad message: {err}"[:300]})
            except HallqError as err:
                await self._reply({"type": "error", "detail": err.detail, "code": err.code})

    async def _reply(self, message: dict[str, Any]) -> None:
        await self.ws.send_text(json.dumps(message, ensure_ascii=False))

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        core, hall = self.core, self.hall
        if kind == "hello":
            kiosks = message.get("kiosks")
            self.kiosks = [str(k)[:100] for k in kiosks if isinstance(k, str | int)][:32] \
                if isinstance(kiosks, list) else []
            await core.db.run_write(partial(agents.connected, core, hall, self.name, message))
        elif kind == "device_status":
            detail = message.get("detail")
            await core.db.run_write(partial(
                devices.set_status, core, hall, self.name, str(message["kind"]),
                bool(message["online"]), detail if isinstance(detail, dict | str) else ""))
        elif kind == "print_result":
            await core.db.run_write(partial(devices.record_print, core, hall, self.name,
                                            str(message["job"]), bool(message["ok"]),
                                            str(message.get("error") or "")))
        elif kind == "rating":
            await self._rating(message)
        elif kind == "scan":
            code = str(message["code"]).strip()[:512]
            if code:
                core.bus.publish(hall, schemas.scan(device=self.name, code=code))
        elif kind == "idcard":
            # Hashed at once by record_read; the number is in no reply, log or event.
            await asyncio.to_thread(
                idcards.record_read, core, hall=hall, reader=self.name, kiosks=self.kiosks,
                id_number=str(message["id_number"])[:32], expired=bool(message.get("expired")))
        elif kind in ("pong", "ping"):
            return
        else:
            raise ValueError(f"unknown message type {kind!r}")

    async def _rating(self, message: dict[str, Any]) -> None:
        """Store a rating and acknowledge it; the agent deletes it from its outbox on ack."""
        uid = str(message["uid"])[:64]
        try:
            rating = RatingCreate(level=message["level"],
                                  reasons=[str(r) for r in message.get("reasons") or []])
            # The rating credential is the citizen's and their window's evaluator's only.
            if not await asyncio.to_thread(agents.may_rate, self.core, self.hall, self.name,
                                           str(message["ticket_id"])):
                raise NotFound("no such ticket at this evaluator's windows",
                               code="unknown_ticket")
            await self.core.db.run_write(partial(
                evaluations.record, self.core, ticket_id=str(message["ticket_id"]),
                rating=rating, channel="evaluator", uid=uid, hall=self.hall))
        except HallqError as err:
            # Final refusals are acknowledged too, so the agent stops resending them.
            await self._reply({"type": "rating_ack", "uid": uid, "ok": False,
                               "error": err.code})
            return
        except (ValidationError, KeyError, TypeError, ValueError):
            await self._reply({"type": "rating_ack", "uid": uid, "ok": False,
                               "error": "invalid"})
            return
        await self._reply({"type": "rating_ack", "uid": uid, "ok": True, "error": None})
