"""The display websocket listener, against a small real websockets server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from display.voice import (
    Announcer,
    Call,
    FilePlayer,
    VoiceConfig,
    VoiceError,
    display_ws_url,
    listen_display,
    load_pack,
    run_voice,
)
from display.voice.espeak import DEFAULT_CLIPS
from display.voice.testing import make_tone_pack

SNAPSHOT = {
    "type": "snapshot",
    "seq": 7,
    "windows": [{"number": "3", "ticket": "A000"}],
    "calls": [{"type": "call", "ticket": "A000", "window": "3"}],
}


def call(ticket: str, window: str, **extra: Any) -> str:
    return json.dumps(
        {
            "type": "call",
            "ticket": ticket,
            "window": window,
            "service": "SB01",
            "at": "2026-11-23T09:00:00+08:00",
            **extra,
        }
    )


class FakeCore:
    """A display hub stand-in: each connection gets the next script of messages, then closes."""

    def __init__(self, scripts: list[list[str]]) -> None:
        self.scripts = scripts
        self.paths: list[str] = []
        self.authorizations: list[str | None] = []
        self.connections = 0

    async def handler(self, websocket: ServerConnection) -> None:
        assert websocket.request is not None
        self.paths.append(websocket.request.path)
        self.authorizations.append(websocket.request.headers.get("Authorization"))
        script = self.scripts[min(self.connections, len(self.scripts) - 1)]
        self.connections += 1
        for message in script:
            await websocket.send(message)
        if self.connections >= len(self.scripts):
            await websocket.wait_closed()  # the last connection stays open


@pytest.fixture
async def core_factory() -> AsyncIterator[Callable[..., Any]]:
    servers: list[Server] = []

    async def start(core: FakeCore, **options: Any) -> str:
        server = await serve(core.handler, "127.0.0.1", 0, **options)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def test_display_ws_url() -> None:
    assert (
        display_ws_url("http://10.0.0.5:8000", "demo") == "ws://10.0.0.5:8000/ws/halls/demo/display"
    )
    assert display_ws_url("https://q.gov.cn/hallq/", "sz 01") == (
        "wss://q.gov.cn/hallq/ws/halls/sz%2001/display"
    )
    assert display_ws_url("127.0.0.1:8000", "demo") == "ws://127.0.0.1:8000/ws/halls/demo/display"
    with pytest.raises(ValueError):
        display_ws_url("ftp://x", "demo")


async def test_calls_are_passed_on_snapshots_and_junk_are_not(core_factory: Any) -> None:
    core = FakeCore(
        [
            [
                json.dumps(SNAPSHOT),
                call("A001", "3"),
                "not json",
                json.dumps({"type": "pause"}),
                json.dumps({"type": "call", "ticket": "A002"}),
                call("A001", "3", recall=True),
            ],
            [json.dumps(SNAPSHOT), call("B002", 5)],
        ]
    )
    server = await core_factory(core)
    heard: list[Call] = []
    stop = asyncio.Event()

    def on_call(item: Call) -> None:
        heard.append(item)
        if len(heard) == 3:
            stop.set()

    url = display_ws_url(server, "demo")
    await asyncio.wait_for(
        listen_display(url, on_call, token="s3cret", stop=stop, retry_s=0.05), 10
    )

    assert heard == [
        Call("A001", "3", "SB01", False, "2026-11-23T09:00:00+08:00"),
        Call("A001", "3", "SB01", True, "2026-11-23T09:00:00+08:00"),
        Call("B002", "5", "SB01", False, "2026-11-23T09:00:00+08:00"),  # after reconnecting
    ]
    assert core.connections == 2
    assert core.paths == ["/ws/halls/demo/display"] * 2
    assert core.authorizations == ["Bearer s3cret"] * 2


async def test_listener_waits_for_a_core_that_is_not_up_yet(
    core_factory: Any, unused_tcp_port: int
) -> None:
    heard: list[Call] = []
    stop = asyncio.Event()
    url = f"ws://127.0.0.1:{unused_tcp_port}/ws/halls/demo/display"

    def on_call(item: Call) -> None:
        heard.append(item)
        stop.set()

    listener = asyncio.create_task(listen_display(url, on_call, stop=stop, retry_s=0.05))
    await asyncio.sleep(0.3)  # several refused connections
    assert not listener.done()
    core = FakeCore([[json.dumps(SNAPSHOT), call("C003", "8")]])
    server = await serve(core.handler, "127.0.0.1", unused_tcp_port)
    try:
        await asyncio.wait_for(listener, 10)
    finally:
        server.close()
        await server.wait_closed()
    assert [item.ticket for item in heard] == ["C003"]


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_a_refused_token_or_hall_is_an_error_not_a_retry_loop(
    core_factory: Any, status: int
) -> None:
    def refuse(connection: ServerConnection, request: Request) -> Response:
        return Response(status, "No", Headers(), b'{"detail": "bad device token"}')

    server = await core_factory(FakeCore([[]]), process_request=refuse)
    with pytest.raises(VoiceError, match=f"HTTP {status}.*bad device token"):
        await asyncio.wait_for(
            listen_display(display_ws_url(server, "demo"), print, token="wrong"), 10
        )


async def test_a_policy_close_is_a_refusal(core_factory: Any) -> None:
    class ClosingCore(FakeCore):
        async def handler(self, websocket: ServerConnection) -> None:
            self.connections += 1
            await websocket.close(CloseCode.POLICY_VIOLATION, "this token may not watch")

    core = ClosingCore([[]])
    server = await core_factory(core)
    with pytest.raises(VoiceError, match="this token may not watch"):
        await asyncio.wait_for(listen_display(display_ws_url(server, "demo"), print), 10)
    assert core.connections == 1


async def test_stop_ends_a_quiet_connection(core_factory: Any) -> None:
    core = FakeCore([[json.dumps(SNAPSHOT)]])
    server = await core_factory(core)
    stop = asyncio.Event()
    listener = asyncio.create_task(listen_display(display_ws_url(server, "demo"), print, stop=stop))
    while core.connections == 0:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(listener, 5)


async def test_run_voice_announces_calls_from_the_hub_one_by_one(
    core_factory: Any, tmp_path: Path
) -> None:
    texts = {token: text for token, (text, _, _) in DEFAULT_CLIPS.items()}
    make_tone_pack(tmp_path / "pack", texts)
    # Three windows call in the same instant.
    core = FakeCore(
        [[json.dumps(SNAPSHOT), call("A001", "1"), call("B001", "2"), call("A002", "12")]]
    )
    server = await core_factory(core)
    player = FilePlayer(tmp_path / "spoken")
    stop = asyncio.Event()
    config = VoiceConfig(repeat=1)
    voice = asyncio.create_task(
        run_voice(server, "demo", pack=tmp_path / "pack", config=config, player=player, stop=stop)
    )
    for _ in range(500):
        if sum(path.name.count("_") + 1 for path in player.written) == 3:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(voice, 5)

    announcer = Announcer(load_pack(tmp_path / "pack"), config)
    # Calls that arrive while another is spoken are merged into the next announcement
    # (display.voice.backlog): every call is said, in arrival order, each file one turn.
    said: list[Call] = []
    for path in player.written:
        labels = path.stem.split("-", 1)[1].split("_")  # 00002-B001-2_A002-12
        calls = [Call(*label.split("-")) for label in labels]
        said += calls
        renderings = [announcer.render_calls(calls, repeat=1, chime=c).wav for c in (True, False)]
        assert path.read_bytes() in renderings
    assert said == [Call("A001", "1"), Call("B001", "2"), Call("A002", "12")]
