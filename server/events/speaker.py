"""`hallq voice`: a PC with speakers and no screen announces a hall's calls.

The calls come from the hall's display websocket (`display.voice.run_voice`); the hall's
own template (`rules.voice_template`, in the snapshot) is used unless one is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from display.voice import (
    DEFAULT_TEMPLATE,
    FilePlayer,
    VoiceConfig,
    VoiceError,
    display_ws_url,
    run_voice,
)

log = logging.getLogger(__name__)


async def hall_voice(server: str, hall: str, token: str | None) -> dict[str, Any]:
    """The hall's voice settings ({"template", "repeat"}) from a display snapshot ({} if none)."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        async with connect(display_ws_url(server, hall), additional_headers=headers,
                           open_timeout=10) as ws:
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), 10))
    except (OSError, TimeoutError, ValueError, WebSocketException) as err:
        log.warning("voice: could not read the hall's template (%s); using the default", err)
        return {}
    voice = snapshot.get("voice") if isinstance(snapshot, dict) else None
    return voice if isinstance(voice, dict) else {}


def run_speaker(*, server: str, hall: str, token: str | None, pack: str | None = None,
                template: str | None = None, out: str | None = None) -> int:
    """Announce calls until SIGINT or SIGTERM; returns the exit status."""

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        settings = await hall_voice(server, hall, token)
        chosen = template or settings.get("template")
        repeat = settings.get("repeat")
        config = VoiceConfig(
            template=chosen if isinstance(chosen, str) and chosen else DEFAULT_TEMPLATE,
            repeat=repeat if isinstance(repeat, int) and 1 <= repeat <= 3 else 1,
        )
        player = FilePlayer(out) if out else None
        await run_voice(server, hall, token=token, pack=pack, config=config, player=player,
                        stop=stop)

    try:
        asyncio.run(run())
    except (VoiceError, ValueError) as err:
        print(f"hallq voice: {err}", file=sys.stderr)
        return 2
    return 0
