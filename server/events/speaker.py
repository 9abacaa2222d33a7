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

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from display.voice import FilePlayer, VoiceConfig, VoiceError, display_ws_url, run_voice

log = logging.getLogger(__name__)


async def hall_template(server: str, hall: str, token: str | None) -> str | None:
    """The hall's voice template from a display snapshot (None if it cannot be had)."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        async with connect(display_ws_url(server, hall), additional_headers=headers,
                           open_timeout=10) as ws:
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), 10))
    except (OSError, TimeoutError, ValueError, WebSocketException) as err:
        log.warning("voice: could not read the hall's template (%s); using the default", err)
        return None
    template = snapshot.get("voice", {}).get("template")
    return template if isinstance(template, str) and template else None


def run_speaker(*, server: str, hall: str, token: str | None, pack: str | None = None,
                template: str | None = None, out: str | None = None) -> int:
    """Announce calls until SIGINT or SIGTERM; returns the exit status."""

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        chosen = template or await hall_template(server, hall, token)
        config = VoiceConfig(template=chosen) if chosen else None
        player = FilePlayer(out) if out else None
        await run_voice(server, hall, token=token, pack=pack, config=config, player=player,
                        stop=stop)

    try:
        asyncio.run(run())
    except (VoiceError, ValueError) as err:
        print(f"hallq voice: {err}", file=sys.stderr)
        return 2
    return 0
