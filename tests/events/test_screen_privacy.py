"""A screen never receives a ticket id: it is the citizen's credential (/t/{id}, the rating).

Hall and window screens hang in the hall for anyone to read or photograph; their streams
carry ticket numbers only. Counters and the monitor keep the id (they act on tickets).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from server.events.router import public
from tests.events.conftest import Live
from tests.events.live import SCREEN_TOKEN, login
from tests.factories import PASSWORD

DISPLAY = f"/ws/halls/h1/display?token={SCREEN_TOKEN}"
SENTINEL = "今日业务提示"


async def _until_sentinel(ws: ClientConnection) -> list[str]:
    """Every message up to and including the scroll text set last (the end marker)."""
    texts: list[str] = []
    while True:
        raw = await ws.recv()
        text = raw if isinstance(raw, str) else raw.decode()
        texts.append(text)
        message = json.loads(text)
        if message.get("type") == "hall" and message.get("scroll_text") == SENTINEL:
            return texts


def _ids_in(texts: list[str], ids: list[str]) -> list[str]:
    return [t for t in texts if "ticket_id" in t or any(i in t for i in ids)]


async def test_display_streams_carry_no_ticket_id(live: Live, http: httpx.AsyncClient) -> None:
    staff = await login(http, "s1", PASSWORD)
    op = await login(http, "op", PASSWORD)
    assert (await http.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"},
                            headers=staff)).status_code == 200
    ids = []
    for _ in range(3):
        r = await http.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}, headers=staff)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    # A called ticket before the screens connect: in the snapshot's windows and calls.
    assert (await http.post("/api/v1/halls/h1/windows/2/call-next",
                            headers=staff)).status_code == 200
    monitor_url = f"/ws/halls/h1/monitor?token={op['Authorization'][7:]}"
    async with connect(live.ws(DISPLAY)) as hall_ws, \
            connect(live.ws(DISPLAY + "&window=2")) as window_ws, \
            connect(live.ws(monitor_url)) as monitor_ws:
        snapshots: list[dict[str, Any]] = []
        for ws in (hall_ws, window_ws, monitor_ws):
            snapshots.append(json.loads(await ws.recv()))
        assert [s["type"] for s in snapshots] == ["snapshot"] * 3
        assert [c["ticket"] for c in snapshots[0]["calls"]] == ["A001"]
        assert snapshots[1]["windows"][0]["ticket"] == "A001"
        # Calls, a recall, the ticket's own changes and window states, then the marker.
        w2 = "/api/v1/halls/h1/windows/2/"
        for step in ("recall", "start"):
            assert (await http.post(w2 + step, headers=staff)).status_code == 200
        assert (await http.post(w2 + "finish", json={"outcome": "completed"},
                                headers=staff)).status_code == 200
        assert (await http.post(w2 + "call-next", headers=staff)).status_code == 200
        assert (await http.put("/api/v1/halls/h1/scroll-text", json={"text": SENTINEL},
                               headers=op)).status_code == 200
        hall_texts = await _until_sentinel(hall_ws)
        window_texts = await _until_sentinel(window_ws)
        monitor_texts = await _until_sentinel(monitor_ws)
    for texts in (hall_texts, window_texts):
        kinds = [json.loads(t)["type"] for t in texts]
        assert kinds.count("call") == 2 and "window" in kinds  # A001 recalled, A002 called
        assert _ids_in(texts, ids) == []
    assert _ids_in([json.dumps(s) for s in snapshots[:2]], ids) == []
    # The monitor (an operator) still sees ids: the check above can fail.
    assert ids[0] in json.dumps(snapshots[2], ensure_ascii=False)
    assert any(ids[1] in t for t in monitor_texts)


def test_public_drops_ids_at_every_level() -> None:
    snap = {"type": "snapshot", "ticket_id": "x", "windows": [{"ticket": "A1", "ticket_id": "x"}],
            "calls": [{"ticket": "A1", "ticket_id": "x"}], "services": [{"code": "S"}]}
    assert public(snap) == {"type": "snapshot", "windows": [{"ticket": "A1"}],
                            "calls": [{"ticket": "A1"}], "services": [{"code": "S"}]}
    assert "ticket_id" in snap  # the shared snapshot is left as it was (the monitor's)
