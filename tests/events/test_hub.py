"""The websocket hub with real websocket clients against a real server (uvicorn)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from server.auth import service as auth
from tests.events.conftest import Live
from tests.events.live import SCREEN_TOKEN, login, next_message
from tests.factories import PASSWORD

DISPLAY = f"/ws/halls/h1/display?token={SCREEN_TOKEN}"


async def _staff_at(http: httpx.AsyncClient, job_no: str, window: str) -> dict[str, str]:
    headers = await login(http, job_no, PASSWORD)
    r = await http.post(f"/api/v1/halls/h1/windows/{window}/sign-in", json={"post": "A"},
                        headers=headers)
    assert r.status_code == 200, r.text
    return headers


async def _issue(http: httpx.AsyncClient, headers: dict[str, str], service: str) -> dict[str, str]:
    r = await http.post("/api/v1/halls/h1/tickets", json={"service": service}, headers=headers)
    assert r.status_code == 201, r.text
    ticket: dict[str, str] = r.json()
    return ticket


async def test_snapshot_on_connect(live: Live, http: httpx.AsyncClient) -> None:
    staff = await _staff_at(http, "s1", "2")
    await _issue(http, staff, "SB01")
    await _issue(http, staff, "SB01")
    r = await http.post("/api/v1/halls/h1/windows/2/call-next", headers=staff)
    assert r.status_code == 200
    async with connect(live.ws(DISPLAY)) as ws:
        snap = await next_message(ws, "snapshot")
    assert snap["hall"] == "h1" and snap["hall_name"] == "测试县政务服务中心"
    assert snap["seq"] == live.hub.last_seq("h1") > 0
    assert [w["number"] for w in snap["windows"]] == ["1", "2", "3", "4"]
    two = snap["windows"][1]
    assert (two["state"], two["ticket"], two["service"]) == ("called", "A001", "SB01")
    waiting = {s["code"]: s["waiting"] for s in snap["services"]}
    assert waiting["SB01"] == 1 and waiting["BDC01"] == 0
    assert [(c["ticket"], c["window"]) for c in snap["calls"]] == [("A001", "2")]
    assert snap["scroll_text"] == "" and snap["voice"]["template"]


async def test_call_reaches_hall_screen_and_only_its_window_screen(
        live: Live, http: httpx.AsyncClient) -> None:
    staff = await _staff_at(http, "s1", "2")
    ticket = await _issue(http, staff, "SB01")
    async with connect(live.ws(DISPLAY)) as hall_ws, \
            connect(live.ws(DISPLAY + "&window=2")) as two, \
            connect(live.ws(DISPLAY + "&window=3")) as three:
        for ws in (hall_ws, two, three):
            await next_message(ws, "snapshot")
        assert (await http.post("/api/v1/halls/h1/windows/2/call-next",
                                headers=staff)).status_code == 200
        for ws in (hall_ws, two):
            call = await next_message(ws, "call")
            assert {k: call[k] for k in ("ticket", "window", "service", "recall")} == {
                "ticket": "A001", "window": "2", "service": "SB01", "recall": False}
            # A screen gets the number, never the ticket id (the citizen's credential).
            assert "ticket_id" not in call and ticket["id"] not in json.dumps(call)
            assert call["at"].endswith("+08:00")
            state = await next_message(ws, "window", number="2")
            assert (state["state"], state["ticket"]) == ("called", "A001")
            assert state["seq"] > call["seq"]
        # Window 3's screen hears nothing of window 2.
        with pytest.raises(TimeoutError):
            await next_message(three, "call", timeout=0.5)


async def test_recall_is_a_call_with_recall_true(live: Live, http: httpx.AsyncClient) -> None:
    staff = await _staff_at(http, "s1", "2")
    await _issue(http, staff, "SB01")
    await http.post("/api/v1/halls/h1/windows/2/call-next", headers=staff)
    async with connect(live.ws(DISPLAY + "&window=2")) as ws:
        snap = await next_message(ws, "snapshot")
        assert snap["windows"][0]["ticket"] == "A001"
        assert [c["ticket"] for c in snap["calls"]] == ["A001"]
        r = await http.post("/api/v1/halls/h1/windows/2/recall", headers=staff)
        assert r.status_code == 200, r.text
        call = await next_message(ws, "call")
        assert (call["ticket"], call["window"], call["recall"]) == ("A001", "2", True)
        assert call["seq"] > snap["seq"]


async def test_pause_and_resume_reach_the_window_screen(live: Live,
                                                       http: httpx.AsyncClient) -> None:
    staff = await _staff_at(http, "s1", "3")
    async with connect(live.ws(DISPLAY + "&window=3")) as ws:
        assert (await next_message(ws, "snapshot"))["windows"][0]["state"] == "idle"
        await http.post("/api/v1/halls/h1/windows/3/pause", json={"reason": "午休"},
                        headers=staff)
        paused = await next_message(ws, "window")
        assert (paused["number"], paused["state"], paused["paused_reason"]) == ("3", "paused",
                                                                                "午休")
        await http.post("/api/v1/halls/h1/windows/3/resume", headers=staff)
        assert (await next_message(ws, "window"))["state"] == "idle"


async def test_sequence_numbers_increase_and_reconnect_gets_a_fresh_snapshot(
        live: Live, http: httpx.AsyncClient) -> None:
    staff = await _staff_at(http, "s1", "2")
    for _ in range(3):
        await _issue(http, staff, "SB01")
    seqs: list[int] = []
    async with connect(live.ws(DISPLAY)) as ws:
        first = await next_message(ws, "snapshot")
        await http.post("/api/v1/halls/h1/windows/2/call-next", headers=staff)
        await next_message(ws, "window", number="2")
        live.core.clock.advance(seconds=40)  # type: ignore[attr-defined]
        await http.post("/api/v1/halls/h1/windows/2/call-next", headers=staff,
                        json={"confirm_no_show": True})
        while len(seqs) < 4:
            seqs.append(json.loads(await asyncio.wait_for(ws.recv(), 5))["seq"])
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] > first["seq"]
    async with connect(live.ws(DISPLAY)) as ws:
        again = await next_message(ws, "snapshot")
    assert again["seq"] >= seqs[-1]
    assert [c["ticket"] for c in again["calls"]] == ["A002", "A001"]
    assert again["windows"][1]["ticket"] == "A002"


async def test_client_may_ask_for_a_resync(live: Live) -> None:
    async with connect(live.ws(DISPLAY)) as ws:
        await next_message(ws, "snapshot")
        await ws.send(json.dumps({"type": "resync"}))
        assert (await next_message(ws, "snapshot"))["hall"] == "h1"


@pytest.mark.parametrize(("query", "status"), [
    ("", 401),
    ("?token=nonsense", 401),
    (f"?token={SCREEN_TOKEN}&window=99", 404),
])
async def test_display_refuses_bad_handshakes(live: Live, query: str, status: int) -> None:
    with pytest.raises(InvalidStatus) as err:
        async with connect(live.ws("/ws/halls/h1/display" + query)):
            pass
    assert err.value.response.status_code == status


async def test_display_refuses_another_halls_device(live: Live) -> None:
    from server.halls import flows as hall_flows
    from tests.factories import hall_config

    other = hall_config(hall={"code": "h2", "name": "另一个中心", "level": "county"}, staff=[])
    hall_flows.load(live.core, config=other)
    auth.register_device(live.core, hall="h2", name="s", kind="screen", token="h2-screen")
    with pytest.raises(InvalidStatus) as err:
        async with connect(live.ws("/ws/halls/h1/display?token=h2-screen")):
            pass
    assert err.value.response.status_code == 403


async def test_token_in_authorization_header(live: Live) -> None:
    headers = {"Authorization": f"Bearer {SCREEN_TOKEN}"}
    async with connect(live.ws("/ws/halls/h1/display"), additional_headers=headers) as ws:
        assert (await next_message(ws, "snapshot"))["type"] == "snapshot"


async def test_scroll_text_reaches_screens(live: Live, http: httpx.AsyncClient) -> None:
    op = await login(http, "op", PASSWORD)
    async with connect(live.ws(DISPLAY + "&window=1")) as ws:
        await next_message(ws, "snapshot")
        r = await http.put("/api/v1/halls/h1/scroll-text", json={"text": "今天下午三点后暂停受理"},
                           headers=op)
        assert r.status_code == 200, r.text
        assert (await next_message(ws, "hall"))["scroll_text"] == "今天下午三点后暂停受理"
    async with connect(live.ws(DISPLAY)) as ws:
        assert (await next_message(ws, "snapshot"))["scroll_text"] == "今天下午三点后暂停受理"
    staff = await login(http, "s1", PASSWORD)
    r = await http.put("/api/v1/halls/h1/scroll-text", json={"text": "x"}, headers=staff)
    assert r.status_code == 403


async def test_counter_gets_its_waiting_list_live(live: Live, http: httpx.AsyncClient) -> None:
    staff = await _staff_at(http, "s1", "2")
    await _issue(http, staff, "SB01")
    url = live.ws(f"/ws/halls/h1/counter?window=2&token={staff['Authorization'][7:]}")
    async with connect(url) as ws:
        snap = await next_message(ws, "snapshot")
        assert snap["window"]["number"] == "2" and snap["window"]["staff_no"] == "s1"
        assert [t["ticket"] for t in snap["waiting"]["tickets"]] == ["A001"]
        await _issue(http, staff, "YB01")  # a backup domain of window 2: listed after
        waiting = await next_message(ws, "waiting")
        assert [t["ticket"] for t in waiting["tickets"]] == ["A001", "B001"]
        await _issue(http, staff, "BDC01")  # not served at window 2
        await http.post("/api/v1/halls/h1/windows/2/call-next", headers=staff)
        # The refreshed list may come before or after the call: it is computed when sent.
        seen: dict[str, dict[str, object]] = {}
        while "call" not in seen or seen.get("waiting", {}).get("count") != 1:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            seen[message["type"]] = message
        assert seen["call"]["ticket"] == "A001"
        assert [t["ticket"] for t in seen["waiting"]["tickets"]] == ["B001"]  # type: ignore[attr-defined]


async def test_counter_and_monitor_need_the_right_role(live: Live,
                                                      http: httpx.AsyncClient) -> None:
    for path in ("/ws/halls/h1/counter?window=2", "/ws/halls/h1/monitor"):
        with pytest.raises(InvalidStatus) as err:
            async with connect(live.ws(f"{path}&token={SCREEN_TOKEN}" if "?" in path
                                       else f"{path}?token={SCREEN_TOKEN}")):
                pass
        assert err.value.response.status_code == 403
    staff = await login(http, "s1", PASSWORD)
    with pytest.raises(InvalidStatus) as err:
        async with connect(live.ws(f"/ws/halls/h1/monitor?token={staff['Authorization'][7:]}")):
            pass
    assert err.value.response.status_code == 403


async def test_monitor_sees_every_event(live: Live, http: httpx.AsyncClient) -> None:
    op = await login(http, "op", PASSWORD)
    async with connect(live.ws(f"/ws/halls/h1/monitor?token={op['Authorization'][7:]}")) as ws:
        await next_message(ws, "snapshot")
        staff = await _staff_at(http, "s1", "2")
        assert (await next_message(ws, "window"))["staff_no"] == "s1"
        ticket = await _issue(http, staff, "SB01")
        issued = await next_message(ws, "ticket_issued")
        assert issued["ticket_id"] == ticket["id"]
        assert (await next_message(ws, "queue"))["waiting"]["SB01"] == 1


async def test_ticket_page_follows_its_ticket(live: Live, http: httpx.AsyncClient) -> None:
    staff = await _staff_at(http, "s1", "2")
    first = await _issue(http, staff, "SB01")
    mine = await _issue(http, staff, "SB01")
    async with connect(live.ws(f"/ws/tickets/{mine['id']}")) as ws:
        snap = await next_message(ws, "snapshot")
        assert snap["ticket"]["number"] == "A002" and snap["ticket"]["ahead"] == 1
        await http.post("/api/v1/halls/h1/windows/2/call-next", headers=staff)
        update = await next_message(ws, "ticket")
        assert update["ticket"]["ahead"] == 0 and update["ticket"]["status"] == "waiting"
        await http.post("/api/v1/halls/h1/windows/2/finish", json={"outcome": "completed"},
                        headers=staff)
        await http.post("/api/v1/halls/h1/windows/2/call-next", headers=staff)
        call = await next_message(ws, "call")
        assert (call["ticket"], call["window"]) == ("A002", "2")
        update = await next_message(ws, "ticket")
        assert (update["ticket"]["status"], update["ticket"]["window"]) == ("called", "2")
    assert first["id"] != mine["id"]
    with pytest.raises(InvalidStatus) as err:
        async with connect(live.ws("/ws/tickets/not-a-ticket")):
            pass
    assert err.value.response.status_code == 404


async def test_card_reads_reach_no_websocket_not_even_the_monitor(
        live: Live, http: httpx.AsyncClient) -> None:
    from server.idcards import flows as idcards
    from simulators import with_check_digit

    op = await login(http, "op", PASSWORD)
    async with connect(live.ws(f"/ws/halls/h1/monitor?token={op['Authorization'][7:]}")) as ws:
        await next_message(ws, "snapshot")
        await asyncio.to_thread(idcards.record_read, live.core, hall="h1", reader="agent-1",
                                kiosks=[], id_number=with_check_digit("11010519800101123"),
                                expired=False)
        staff = await _staff_at(http, "s1", "2")
        await _issue(http, staff, "SB01")
        kinds = []
        while "ticket_issued" not in kinds:
            kinds.append(json.loads(await asyncio.wait_for(ws.recv(), 10))["type"])
    assert live.core.bus.of_type("idcard")  # type: ignore[attr-defined]
    assert "idcard" not in kinds and "window" in kinds
