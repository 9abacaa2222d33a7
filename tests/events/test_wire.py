"""Calls written straight to the screens' sockets: the frame, the order, the fallback."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode

from server.app import create_app
from server.core import Core
from server.events.hub import Hub
from server.events.wire import Cork, Wire, text_frame
from tests.events.conftest import Live
from tests.events.live import SCREEN_TOKEN, login, next_message, serve_in_thread
from tests.factories import PASSWORD

DISPLAY = f"/ws/halls/h1/display?token={SCREEN_TOKEN}"


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_text_frame_is_what_websockets_itself_sends(size: int) -> None:
    text = ("请A001号到3号窗口" * (size // 10 + 1))[:size]
    expected = Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])
    assert text_frame(text) == expected


async def _until_live(hub: Hub, count: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        subs = hub.subscriptions("h1")
        if len(subs) == count and all(s.live for s in subs):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"screens not live: {[s.live for s in hub.subscriptions('h1')]}")


async def test_a_call_is_written_to_every_live_screen_in_order(
        live: Live, http: httpx.AsyncClient) -> None:
    staff = await login(http, "s1", PASSWORD)
    r = await http.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"},
                        headers=staff)
    assert r.status_code == 200, r.text
    for _ in range(3):
        r = await http.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                            headers=staff)
        assert r.status_code == 201, r.text
    screens = [await connect(live.ws(DISPLAY)) for _ in range(3)]
    try:
        for ws in screens:
            await next_message(ws, "snapshot")
        await _until_live(live.hub, 3)
        for _ in range(2):
            live.core.clock.advance(seconds=40)  # type: ignore[attr-defined]
            r = await http.post("/api/v1/halls/h1/windows/2/call-next", headers=staff,
                                json={"confirm_no_show": True})
            assert r.status_code == 200, r.text
        for ws in screens:
            calls, seqs = [], []
            while len(calls) < 2:
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                seqs.append(message["seq"])
                if message["type"] == "call":
                    calls.append(message["ticket"])
            assert calls == ["A001", "A002"]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        subs = live.hub.subscriptions("h1")
        # Every event went straight to the sockets, none through a sender task's queue.
        assert all(s.written >= len(seqs) and s.queue.empty() and s.resyncs == 0
                   for s in subs)
    finally:
        for ws in screens:
            await ws.close()


@pytest.mark.filterwarnings("ignore:The `websockets` implementation is deprecated")
async def test_servers_the_hub_cannot_write_to_get_events_through_asgi(core: Core) -> None:
    """uvicorn's older websockets protocol: no raw writes, the sender task sends instead."""
    from server.auth import service as auth

    auth.register_device(core, hall="h1", name="screen", kind="screen", token=SCREEN_TOKEN)
    app = create_app(core)
    with serve_in_thread(app, ws="websockets") as url:
        async with connect(url.replace("http://", "ws://") + DISPLAY) as ws:
            await next_message(ws, "snapshot")
            hub: Hub = app.state.hub
            deadline = time.monotonic() + 10
            while not hub.subscriptions("h1") and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            for text in ("暂停受理", "恢复受理"):
                await asyncio.to_thread(core.bus.publish, "h1",
                                        {"type": "hall", "scroll_text": text})
            assert (await next_message(ws, "hall"))["scroll_text"] == "暂停受理"
            assert (await next_message(ws, "hall"))["scroll_text"] == "恢复受理"
            (sub,) = hub.subscriptions("h1")
            assert sub.wire is None and not sub.live and sub.written == 0


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


class _Protocol:
    close_sent = disconnected = False

    def __init__(self) -> None:
        self.transport = _Transport()


def test_a_burst_reaches_each_socket_in_one_write_in_order() -> None:
    cork = Cork()
    a, b = _Protocol(), _Protocol()
    wa, wb = Wire(a, cork), Wire(b, cork)
    frames = [text_frame(f'{{"type":"{kind}","seq":{n}}}')
              for n, kind in enumerate(("call", "window", "queue"), 1)]
    for frame in frames:
        wa.write(frame)
        wb.write(frame)
    assert a.transport.writes == b.transport.writes == []
    cork.flush()
    assert a.transport.writes == b.transport.writes == [b"".join(frames)]
    wa.write(frames[0])
    cork.flush()
    cork.flush()
    assert a.transport.writes[1:] == [frames[0]] and len(b.transport.writes) == 1


def test_a_frame_is_put_only_on_a_socket_that_keeps_up() -> None:
    cork = Cork()
    protocol = _Protocol()
    wire = Wire(protocol, cork)
    sizes = [0]
    protocol.transport.get_write_buffer_size = lambda: sizes[0]  # type: ignore[method-assign]
    assert wire.put(b"one")
    sizes[0] = 3  # the kernel has not taken everything: the screen is behind
    assert not wire.put(b"two")
    cork.flush()
    assert protocol.transport.writes == [b"one"]
    sizes[0] = 0
    protocol.close_sent = True  # closing: dropped, never written, not "behind"
    assert wire.put(b"three")
    cork.flush()
    assert protocol.transport.writes == [b"one"]


def test_a_wire_writes_beneath_the_held_head_transport_after_its_head() -> None:
    from server.serving import HeldHead

    loop = asyncio.new_event_loop()
    try:
        protocol = _Protocol()
        raw = protocol.transport
        protocol.transport = HeldHead(raw, loop)  # type: ignore[assignment]
        head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
        protocol.transport.write(head)
        assert raw.writes == []  # held until the end of the loop's pass
        wire = Wire(protocol)
        assert raw.writes == [head]  # written out first, then frames go straight beneath
        assert wire.put(b"\x81\x02hi") and raw.writes == [head, b"\x81\x02hi"]
    finally:
        loop.close()
