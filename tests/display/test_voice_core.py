"""`run_voice` (what `hallq voice` runs) against the real core: counter calls become WAVs."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest

from display.voice import Announcer, Call, FilePlayer, load_pack, run_voice
from display.voice.espeak import DEFAULT_CLIPS
from display.voice.testing import make_tone_pack
from server.app import create_app
from server.auth import service as auth
from server.core import Core
from tests.events.live import SCREEN_TOKEN, serve_in_thread
from tests.factories import PASSWORD


async def wait_for(condition: object, what: str, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_calls_and_recalls_at_a_counter_are_spoken(
    core: Core, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="display.voice")
    texts = {token: text for token, (text, _, _) in DEFAULT_CLIPS.items()}
    make_tone_pack(tmp_path / "pack", texts)
    announcer = Announcer(load_pack(tmp_path / "pack"))
    auth.register_device(core, hall="h1", name="speaker", kind="screen", token=SCREEN_TOKEN)
    player = FilePlayer(tmp_path / "spoken")
    stop = asyncio.Event()

    with serve_in_thread(create_app(core)) as url:
        voice = asyncio.create_task(
            run_voice(
                url, "h1", token=SCREEN_TOKEN, pack=tmp_path / "pack", player=player, stop=stop
            )
        )
        try:
            await wait_for(lambda: "listening on" in caplog.text, "the voice listener")
            async with httpx.AsyncClient(base_url=url, timeout=10) as staff:
                r = await staff.post(
                    "/api/v1/auth/token", data={"username": "s1", "password": PASSWORD}
                )
                staff.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
                for path, body in [
                    ("/api/v1/halls/h1/windows/2/sign-in", {"post": "A"}),
                    ("/api/v1/halls/h1/tickets", {"service": "SB01"}),
                    ("/api/v1/halls/h1/windows/2/call-next", None),
                ]:
                    r = await staff.post(path, json=body)
                    assert r.status_code in (200, 201), r.text
                ticket = r.json()["ticket"]["number"]
                await wait_for(lambda: len(player.written) == 1, "the call to be spoken")
                r = await staff.post("/api/v1/halls/h1/windows/2/recall")
                assert r.status_code == 200, r.text
                await wait_for(lambda: len(player.written) == 2, "the recall to be spoken")
        finally:
            stop.set()
            await asyncio.wait_for(voice, 10)

    assert ticket == "A001"
    assert [path.name for path in player.written] == ["00001-A001-2.wav", "00002-A001-2.wav"]
    assert player.written[0].read_bytes() == announcer.render(Call("A001", "2")).wav
    assert player.written[1].read_bytes() == announcer.render(Call("A001", "2", recall=True)).wav
