"""Fuzzing the agent's and the screens' websocket messages (hypothesis, derandomized).

Over a real port: arbitrary JSON (odd text with lone surrogates, huge and non-finite
numbers, deep nesting, every message type with fields of any type) and raw bytes go to an
agent socket and a hall screen socket. The core never crashes and never closes anyone
else's socket: afterwards an operator's monitor, a second agent and a second screen are
still open, and a ticket issued and called reaches all three (the queue is intact).
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from server.app import create_app
from server.auth import service as auth
from tests.conftest import login
from tests.terminals.conftest import LiveServer

EXAMPLES = 60
SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\udbff\ud800"])
ODD_TEXT = st.lists(st.text(max_size=8) | SURROGATES, max_size=4).map("".join)
NUMBERS = (st.integers() | st.integers(min_value=2**63 - 2, max_value=2**80)
           | st.floats(allow_nan=True, allow_infinity=True))
JSON = st.recursive(st.none() | st.booleans() | NUMBERS | ODD_TEXT,
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(ODD_TEXT, inner, max_size=3), max_leaves=8)
AGENT_TYPES = ["hello", "device_status", "print_result", "rating", "scan", "idcard", "pong",
               "ping", "evaluate", "print", "", "\ud800"]
AGENT_FIELDS = ["kind", "online", "detail", "job", "ok", "error", "uid", "ticket_id",
                "level", "reasons", "code", "id_number", "expired", "kiosks", "devices"]
AGENT_MESSAGE = st.builds(
    lambda kind, fields: json.dumps({"type": kind, **fields}),
    st.sampled_from(AGENT_TYPES) | JSON,
    st.dictionaries(st.sampled_from(AGENT_FIELDS), JSON, max_size=5))
RAW = (st.binary(max_size=64)
       | JSON.map(json.dumps)
       | st.text(max_size=64)
       | st.integers(1, 5000).map(lambda n: '{"type": "hello", "kiosks": ' + "[" * n + "]" * n
                                  + "}")
       | st.integers(4400, 6000).map(lambda n: '{"type": "device_status", "kind": "printer", '
                                     '"online": ' + "9" * n + "}"))
FRAMES = AGENT_MESSAGE | RAW
SCREEN_FRAMES = RAW | st.just('{"type": "resync"}') | JSON.map(
    lambda v: json.dumps({"type": "resync", "extra": v}))


def _until(ws: ClientConnection, wanted: Any) -> dict[str, Any]:
    """Read messages until one satisfies `wanted`; return it."""
    while True:
        message = json.loads(ws.recv(timeout=20))
        if wanted(message):
            return dict(message)


def test_fuzzed_agent_and_screen_messages_leave_the_hall_working(server: LiveServer) -> None:
    with ExitStack() as sockets:
        _fuzz_and_check(server, sockets)


def _fuzz_and_check(server: LiveServer, sockets: ExitStack) -> None:
    core = server.core
    tokens = {name: auth.register_device(core, hall="h1", name=name, kind=kind)[1]
              for name, kind in (("pc-fuzz", "agent"), ("pc-calm", "agent"),
                                 ("screen-fuzz", "screen"), ("screen-calm", "screen"))}
    ws_url = server.url.replace("http", "ws", 1)
    api = TestClient(create_app(core))
    staff, op = login(api, "s1"), login(api, "op")["Authorization"].split()[1]

    def agent(name: str) -> ClientConnection:
        return sockets.enter_context(
            connect(f"{ws_url}/ws/halls/h1/agent?name={name}&token={tokens[name]}"))

    def screen(name: str) -> ClientConnection:
        ws = sockets.enter_context(connect(f"{ws_url}/ws/halls/h1/display?token={tokens[name]}"))
        _until(ws, lambda m: m.get("type") == "snapshot")
        return ws

    monitor = sockets.enter_context(connect(f"{ws_url}/ws/halls/h1/monitor?token={op}"))
    _until(monitor, lambda m: m.get("type") == "snapshot")
    calm_agent, calm_screen = agent("pc-calm"), screen("screen-calm")
    fuzzed = {"agent": agent("pc-fuzz"), "screen": screen("screen-fuzz")}
    closed = {"agent": 0, "screen": 0}
    sent = {"agent": 0, "screen": 0}

    def settle_agent(n: int) -> None:
        """A sentinel the agent channel always answers, after whatever came before it."""
        marker = f"sentinel-{n}"
        fuzzed["agent"].send(json.dumps({"type": marker}))
        _until(fuzzed["agent"], lambda m: marker in str(m.get("detail", "")))

    def settle_screen() -> None:
        fuzzed["screen"].send('{"type": "resync"}')
        _until(fuzzed["screen"], lambda m: m.get("type") == "snapshot")

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(agent_frame=FRAMES, screen_frame=SCREEN_FRAMES)
    def fuzz(agent_frame: str | bytes, screen_frame: str | bytes) -> None:
        for side, frame, settle in (("agent", agent_frame, lambda: settle_agent(sent["agent"])),
                                    ("screen", screen_frame, settle_screen)):
            sent[side] += 1
            try:
                fuzzed[side].send(frame)
                settle()
            except ConnectionClosed:
                # Only the sender's own socket may end (a binary frame to the agent does);
                # it reconnects as a real one would.
                closed[side] += 1
                fuzzed[side] = agent("pc-fuzz") if side == "agent" else screen("screen-fuzz")

    fuzz()
    assert sent["agent"] == sent["screen"] >= EXAMPLES // 2

    # Nobody else was disturbed, and the queue still works end to end.
    r = api.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}, headers=staff)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    api.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}, headers=staff)
    called = api.post("/api/v1/halls/h1/windows/2/call-next", headers=staff)
    assert called.status_code == 200 and called.json()["ticket"]["number"] == number

    def is_the_call(m: dict[str, Any]) -> bool:
        return m.get("type") == "call" and m.get("ticket") == number

    for ws in (monitor, calm_agent, calm_screen, fuzzed["screen"]):
        assert _until(ws, is_the_call)["window"] == "2"
    monitor.send('{"type": "resync"}')
    _until(monitor, lambda m: m.get("type") == "snapshot")
    # The fuzzed agent is still (or again) connected and answered.
    settle_agent(-1)
    assert closed["screen"] == 0  # a screen's odd messages never end its own socket either
