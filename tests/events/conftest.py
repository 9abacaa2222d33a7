"""A real server (uvicorn in a thread) on the test core, and HTTP and websocket helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.auth import service as auth
from server.core import Core
from server.events.hub import Hub
from tests.events.live import SCREEN_TOKEN, serve_in_thread


@dataclass
class Live:
    """A running server on the test core."""

    url: str
    app: FastAPI
    core: Core

    @property
    def hub(self) -> Hub:
        """The server's hub."""
        hub: Hub = self.app.state.hub
        return hub

    def ws(self, path: str) -> str:
        """ws:// URL of a path."""
        return self.url.replace("http://", "ws://", 1) + path


@pytest.fixture
def live(core: Core) -> Iterator[Live]:
    """The test hall's core served on a free port, with a screen token registered."""
    auth.register_device(core, hall="h1", name="screen", kind="screen", token=SCREEN_TOKEN)
    app = create_app(core)
    with serve_in_thread(app) as url:
        yield Live(url, app, core)


@pytest.fixture
async def http(live: Live) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the live server."""
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
        yield client
