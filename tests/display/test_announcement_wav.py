"""The spoken call served to the hall screen, and `hallq voice` playing calls on a PC."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from display.voice import Announcer, Call, VoiceConfig, load_pack
from server.app import create_app
from server.auth import service as auth
from server.core import Core
from server.events.hub import Hub
from server.halls import flows as hall_flows
from tests.events.live import ROOT, SCREEN_TOKEN, serve_in_thread
from tests.factories import PASSWORD, hall_config


def _expected(ticket: str, window: str, template: str = "请{ticket}号到{window}号窗口办理",
              recall: bool = False) -> bytes:
    announcer = Announcer(load_pack(), VoiceConfig(template=template))
    return announcer.render(Call(ticket=ticket, window=window, recall=recall)).wav


def _seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / w.getframerate()


def test_announcement_is_a_chime_and_the_call_once(client: TestClient) -> None:
    r = client.get("/api/v1/halls/h1/announcement.wav", params={"ticket": "A001", "window": "3"})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content == _expected("A001", "3")
    assert _seconds(r.content) <= 4.0  # the default announcement of one call


def test_announcement_repeats_as_the_hall_says(client: TestClient, core: Core) -> None:
    hall_flows.load(core, config=hall_config(rules={"voice_repeat": 2}))
    r = client.get("/api/v1/halls/h1/announcement.wav", params={"ticket": "A001", "window": "3"})
    twice = Announcer(load_pack(), VoiceConfig(repeat=2)).render(Call("A001", "3")).wav
    assert r.content == twice and _seconds(twice) > 1.7 * _seconds(_expected("A001", "3"))
    # The hall screen asks for one saying, without chime, when the call waited behind another.
    r = client.get("/api/v1/halls/h1/announcement.wav",
                   params={"ticket": "A001", "window": "3", "repeat": 1, "chime": "false"})
    plain = Announcer(load_pack()).render_calls([Call("A001", "3")], repeat=1, chime=False)
    assert r.content == plain.wav


def test_announcement_merges_calls_that_waited(client: TestClient) -> None:
    r = client.get("/api/v1/halls/h1/announcement.wav",
                   params=[("ticket", "A001"), ("window", "3"), ("also", "A002-5"),
                           ("also", "b003-12"), ("chime", "false")])
    assert r.status_code == 200
    calls = [Call("A001", "3"), Call("A002", "5"), Call("B003", "12")]
    merged = Announcer(load_pack()).render_calls(calls, repeat=1, chime=False)
    assert r.content == merged.wav
    assert merged.tokens.count("qing") == 1 and merged.tokens.count("chuangkou") == 3
    bad = client.get("/api/v1/halls/h1/announcement.wav",
                     params={"ticket": "A001", "window": "3", "also": "A002/5"})
    assert bad.status_code == 422 and "TICKET-WINDOW" in bad.json()["detail"]
    too_many = client.get("/api/v1/halls/h1/announcement.wav",
                          params=[("ticket", "A001"), ("window", "3")]
                          + [("also", f"A00{i}-{i}") for i in range(2, 9)])
    assert too_many.status_code == 422


def test_announcement_follows_the_halls_template(client: TestClient, core: Core) -> None:
    short = "请{ticket}号到{window}号窗口"
    hall_flows.load(core, config=hall_config(rules={"voice_template": short}))
    r = client.get("/api/v1/halls/h1/announcement.wav", params={"ticket": "B012", "window": "2"})
    assert r.content == _expected("B012", "2", short)
    assert r.content != _expected("B012", "2")


@pytest.mark.parametrize(("params", "status"), [
    ({"ticket": "A001"}, 422),
    ({"ticket": "A001; rm", "window": "3"}, 422),
    ({"ticket": "A001", "window": "3/../"}, 422),
])
def test_announcement_refuses_bad_input(client: TestClient, params: dict[str, str],
                                        status: int) -> None:
    assert client.get("/api/v1/halls/h1/announcement.wav", params=params).status_code == status
    assert client.get("/api/v1/halls/nope/announcement.wav",
                      params={"ticket": "A001", "window": "3"}).status_code == 404


@pytest.fixture
def served(core: Core) -> Iterator[tuple[str, Hub]]:
    """The test hall on a real server, with a screen token: its URL and its hub."""
    auth.register_device(core, hall="h1", name="screen", kind="screen", token=SCREEN_TOKEN)
    app = create_app(core)
    with serve_in_thread(app) as url:
        yield url, app.state.hub


def _wait_for(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_hallq_voice_announces_calls_in_order(served: tuple[str, Hub], core: Core,
                                              tmp_path: Path) -> None:
    base_url, hub = served
    short = "请{ticket}号到{window}号窗口"  # the hall's own template, not the default
    hall_flows.load(core, config=hall_config(rules={"voice_template": short}))
    out = tmp_path / "spoken"
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "voice", "--server", base_url, "--hall", "h1",
         "--out", str(out)], cwd=ROOT, env={**os.environ, "HALLQ_DEVICE_TOKEN": SCREEN_TOKEN},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=base_url) as http:
            r = http.post("/api/v1/auth/token", data={"username": "s1", "password": PASSWORD})
            http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            http.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}).raise_for_status()
            http.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}).raise_for_status()
            # Calls made before the listener connects are not its to speak: wait for it
            # (its first, short connection only reads the hall's template).
            _wait_for(lambda: hub.served >= 2 and hub.connections("h1") == 1)
            http.post("/api/v1/halls/h1/windows/2/call-next").raise_for_status()
            # The recall once the call was spoken: a recall arriving while the call still
            # plays is said without the chime (display.voice.backlog), and on a loaded
            # machine the two presses could land either way.
            _wait_for(lambda: len(list(out.glob("*.wav"))) == 1)
            http.post("/api/v1/halls/h1/windows/2/recall").raise_for_status()
        _wait_for(lambda: len(list(out.glob("*.wav"))) == 2)
        first, second = sorted(out.glob("*.wav"))
        assert "A001-2" in first.name and "A001-2" in second.name
        assert first.read_bytes() == _expected("A001", "2", short)
        assert second.read_bytes() == _expected("A001", "2", short, recall=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert proc.returncode == 0
