"""Listen to a hall's display websocket and announce every call: the core of `hallq voice`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.frames import CloseCode

from display.voice.announcer import Announcer, Call, VoiceConfig
from display.voice.errors import VoiceError
from display.voice.pack import load_pack
from display.voice.player import Player, find_player
from display.voice.queue import AnnouncementQueue

__all__ = ["display_ws_url", "listen_display", "run_voice"]

log = logging.getLogger(__name__)


def display_ws_url(server: str, hall: str) -> str:
    """The hall-screen websocket URL for a core URL: http://h:8000 → ws://h:8000/ws/halls/H/display."""
    parts = urlsplit(server if "://" in server else f"http://{server}")
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError(f"not a server URL: {server!r}")
    path = f"{parts.path.rstrip('/')}/ws/halls/{quote(hall, safe='')}/display"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


async def listen_display(
    url: str,
    on_call: Callable[[Call], object],
    *,
    token: str | None = None,
    stop: asyncio.Event | None = None,
    retry_s: float = 1.0,
    max_retry_s: float = 30.0,
) -> None:
    """Feed every call and recall from a display websocket to on_call, reconnecting forever.

    The snapshot sent on (re)connect is not announced: those calls were spoken already.
    Returns when ``stop`` is set; raises VoiceError if the core refuses the token or the hall
    (HTTP 401/403/404, or close code 1008): retrying would not help.
    """
    stop = stop or asyncio.Event()
    headers = {"Authorization": f"Bearer {token}"} if token else None
    delay = retry_s
    while not stop.is_set():
        try:
            async with connect(url, additional_headers=headers, open_timeout=10) as websocket:
                log.info("voice: listening on %s", url)
                delay = retry_s
                await _consume(websocket, on_call, stop)
        except InvalidStatus as err:
            status = err.response.status_code
            if status in (401, 403, 404):
                detail = err.response.body.decode(errors="replace")[:200]
                raise VoiceError(f"{url} refused: HTTP {status} {detail}".rstrip()) from err
            log.warning("voice: %s answered HTTP %s; retrying in %.0f s", url, status, delay)
        except ConnectionClosed as err:
            if err.rcvd is not None and err.rcvd.code == CloseCode.POLICY_VIOLATION:
                # How a core that cannot answer the handshake with 401/403 refuses a token.
                raise VoiceError(f"{url} refused: {err.rcvd.reason or 'policy violation'}") from err
            log.warning("voice: lost %s (%s); retrying in %.0f s", url, err, delay)
        except (OSError, TimeoutError, InvalidHandshake) as err:
            log.warning("voice: cannot reach %s (%s); retrying in %.0f s", url, err, delay)
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, max_retry_s)


async def _consume(
    websocket: ClientConnection, on_call: Callable[[Call], object], stop: asyncio.Event
) -> None:
    """Read messages until the connection closes or stop is set."""
    stopper = asyncio.create_task(stop.wait())
    try:
        while True:
            receive = asyncio.create_task(websocket.recv())
            done, _ = await asyncio.wait({receive, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if receive not in done:
                receive.cancel()
                return
            _handle(receive.result(), on_call)
    finally:
        stopper.cancel()


def _handle(raw: str | bytes, on_call: Callable[[Call], object]) -> None:
    try:
        message = json.loads(raw)
    except ValueError:
        log.warning("voice: ignored a message that is not JSON: %.80r", raw)
        return
    if not isinstance(message, dict) or message.get("type") != "call":
        return
    try:
        call = Call.from_message(message)
    except VoiceError as err:
        log.warning("voice: ignored %s", err)
        return
    on_call(call)


async def run_voice(
    server: str,
    hall: str,
    *,
    token: str | None = None,
    pack: Path | str | None = None,
    config: VoiceConfig | None = None,
    player: Player | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Announce a hall's calls on this PC's speakers until stop is set (`hallq voice`)."""
    announcer = Announcer(load_pack(pack), config)
    async with AnnouncementQueue(announcer, player or find_player()) as queue:
        await listen_display(display_ws_url(server, hall), queue.submit, token=token, stop=stop)
