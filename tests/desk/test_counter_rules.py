"""The safe counter through HTTP: no silent 过号, 一次性告知 in writing, what the counter sees."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.auth import service as auth
from server.clock import ManualClock
from server.core import Core
from server.events.bus import RecordingBus
from server.halls import flows as hall_flows
from tests.conftest import login
from tests.factories import hall_config

H = "/api/v1/halls/h1"


@pytest.fixture
def kiosk(core: Core) -> dict[str, str]:
    _, token = auth.register_device(core, hall="h1", name="kiosk-a", kind="kiosk")
    return {"Authorization": f"Bearer {token}"}


def _issue(client: TestClient, kiosk: dict[str, str], service: str = "SB01",
           **extra: str) -> dict[str, object]:
    r = client.post(f"{H}/tickets", json={"service": service, **extra}, headers=kiosk)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _at_window(client: TestClient, window: str = "2", job_no: str = "s1") -> dict[str, str]:
    who = login(client, job_no)
    assert client.post(f"{H}/windows/{window}/sign-in", json={"post": "A"},
                       headers=who).status_code == 200
    return who


def test_a_second_call_next_is_refused_until_confirmed(
        client: TestClient, kiosk: dict[str, str]) -> None:
    first, _ = _issue(client, kiosk), _issue(client, kiosk)
    s1 = _at_window(client)
    assert client.post(f"{H}/windows/2/call-next", headers=s1).json()["ticket"]["number"] == "A001"
    r = client.post(f"{H}/windows/2/call-next", headers=s1)
    assert r.status_code == 409 and r.json()["code"] == "confirm_no_show"
    assert "A001" in r.json()["detail"]
    assert client.get(f"/api/v1/tickets/{first['id']}").json()["status"] == "called"
    r = client.post(f"{H}/windows/2/call-next", json={"confirm_no_show": True}, headers=s1)
    assert r.status_code == 200 and r.json()["ticket"]["number"] == "A002"
    assert client.get(f"/api/v1/tickets/{first['id']}").json()["status"] == "no_show"


def test_after_a_recall_and_the_wait_call_next_moves_on(
        client: TestClient, kiosk: dict[str, str], clock: ManualClock) -> None:
    first, _ = _issue(client, kiosk), _issue(client, kiosk)
    s1 = _at_window(client)
    client.post(f"{H}/windows/2/call-next", headers=s1)
    clock.advance(seconds=120)
    # Waited long, but never recalled: still refused (no_show_min_recalls = 1).
    assert client.post(f"{H}/windows/2/call-next", headers=s1).status_code == 409
    client.post(f"{H}/windows/2/recall", headers=s1)
    clock.advance(seconds=30)
    # Recalled, but only 30 s ago (no_show_min_wait_s = 60).
    assert client.post(f"{H}/windows/2/call-next", headers=s1).json()["code"] == "confirm_no_show"
    clock.advance(seconds=30)
    r = client.post(f"{H}/windows/2/call-next", headers=s1)
    assert r.status_code == 200 and r.json()["ticket"]["number"] == "A002"
    assert client.get(f"/api/v1/tickets/{first['id']}").json()["status"] == "no_show"


def test_the_hall_can_switch_no_show_on_next_off_or_make_it_immediate(
        client: TestClient, core: Core, kiosk: dict[str, str]) -> None:
    hall_flows.load(core, config=hall_config(rules={"no_show_on_next": False}))
    _issue(client, kiosk), _issue(client, kiosk)
    s1 = _at_window(client)
    client.post(f"{H}/windows/2/call-next", headers=s1)
    r = client.post(f"{H}/windows/2/call-next", json={"confirm_no_show": True}, headers=s1)
    assert r.status_code == 409 and r.json()["code"] == "ticket_in_hand"
    hall_flows.load(core, config=hall_config(rules={"no_show_min_recalls": 0,
                                                     "no_show_min_wait_s": 0}))
    r = client.post(f"{H}/windows/2/call-next", headers=s1)
    assert r.status_code == 200 and r.json()["ticket"]["number"] == "A002"


def test_call_next_refuses_a_bad_body(client: TestClient, kiosk: dict[str, str]) -> None:
    s1 = _at_window(client)
    r = client.post(f"{H}/windows/2/call-next", json={"confirm_no_show": "perhaps"}, headers=s1)
    assert r.status_code == 422 and "detail" in r.json()


def test_the_called_ticket_shows_its_category_appointment_history_and_note(
        client: TestClient, kiosk: dict[str, str]) -> None:
    green = _issue(client, kiosk, priority="green", green_reason="disabled")
    assert green["green_category"] == "disabled"
    s1 = _at_window(client, "1")
    client.post(f"{H}/windows/1/call-next", headers=s1)
    client.post(f"{H}/windows/1/transfer", json={"window": "2", "note": "需核对参保记录"},
                headers=s1)
    s2 = _at_window(client, "2", "s2")
    client.post(f"{H}/windows/2/call-next", headers=s2)
    desk = client.get(f"{H}/windows/2/desk", headers=s2).json()
    assert desk["ticket"]["green_category"] == "disabled"
    assert desk["ticket"]["transfers"] == 1 and desk["note"] == "需核对参保记录"
    moves = [h for h in desk["history"] if h["action"] == "transfer"]
    assert moves == [{"at": moves[0]["at"], "action": "transfer", "window": "1",
                      "staff": "员工1", "to_window": "2", "note": "需核对参保记录",
                      "from_service": "SB01"}]
    assert desk["materials"] == ["居民身份证原件", "近期一寸白底照片", "社保卡申领表"]


def test_an_unknown_green_category_is_refused(client: TestClient, kiosk: dict[str, str]) -> None:
    r = client.post(f"{H}/tickets", json={"service": "SB01", "priority": "green",
                                          "green_reason": "vip"}, headers=kiosk)
    assert r.status_code == 422 and "detail" in r.json()


def test_correction_notice_needs_materials_and_is_kept_printed_and_shown(
        client: TestClient, core: Core, kiosk: dict[str, str]) -> None:
    ticket = _issue(client, kiosk)
    s1 = _at_window(client)
    client.post(f"{H}/windows/2/call-next", headers=s1)
    url = f"{H}/windows/2/finish"
    r = client.post(url, json={"outcome": "correction_notice", "missing": ["户口本"]}, headers=s1)
    assert r.status_code == 422 and r.json()["code"] == "unknown_material"
    assert client.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "called"
    r = client.post(url, json={"outcome": "correction_notice",
                               "missing": ["近期一寸白底照片", "社保卡申领表"],
                               "missing_other": "单位开具的在职证明"}, headers=s1)
    assert r.status_code == 200, r.text
    notice = r.json()["ticket"]["notice"]
    assert notice["materials"] == ["近期一寸白底照片", "社保卡申领表"]
    assert notice["other"] == "单位开具的在职证明"
    assert (notice["staff"], notice["window"], notice["service_name"]) == ("员工1", "2", "社保卡")
    assert notice["hall_name"] == "测试县政务服务中心" and notice["at"].startswith("2026-11-23")
    assert r.json()["print"]["state"] == "failed"  # no agent connected in this test
    page = client.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert page["outcome"] == "correction_notice" and page["notice"] == notice
    bus = core.bus
    assert isinstance(bus, RecordingBus)
    job = bus.of_type("print")[-1]
    assert job["at_window"] == "2" and job["slip"]["title"] == "一次性告知单"
    assert f"/t/{ticket['id']}?k=" in job["slip"]["url"]
    assert "1. 近期一寸白底照片" in job["slip"]["lines"]
    assert "3. 单位开具的在职证明" in job["slip"]["lines"]


def test_the_contract_s_bare_correction_notice_is_accepted_without_a_slip(
        client: TestClient, core: Core, kiosk: dict[str, str]) -> None:
    ticket = _issue(client, kiosk)
    s1 = _at_window(client)
    client.post(f"{H}/windows/2/call-next", headers=s1)
    r = client.post(f"{H}/windows/2/finish", json={"outcome": "correction_notice"}, headers=s1)
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["notice"] is None and "print" not in r.json()
    assert client.get(f"/api/v1/tickets/{ticket['id']}").json()["outcome"] == "correction_notice"
    assert isinstance(core.bus, RecordingBus)
    assert [e for e in core.bus.of_type("print") if "slip" in e] == []


def test_green_tickets_of_other_services_are_told_on_the_ticket(
        client: TestClient, kiosk: dict[str, str]) -> None:
    mine = _issue(client, kiosk, "SB01")
    assert client.get(f"/api/v1/tickets/{mine['id']}").json()["served_first"] == 0
    _issue(client, kiosk, "SB02", priority="green", green_reason="elderly")
    view = client.get(f"/api/v1/tickets/{mine['id']}").json()
    assert view["ahead"] == 0 and view["served_first"] == 1
    assert view["estimated_wait_s"] > 0
