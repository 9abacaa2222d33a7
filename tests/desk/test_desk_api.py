"""The help desk's API: issue, bookings, 过号重排, cancel, re-issue, reprint, 办事指南."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from server.auth import service as auth
from server.clock import ManualClock
from server.core import Core
from server.events.bus import RecordingBus
from tests.conftest import login

H = "/api/v1/halls/h1"
D = f"{H}/desk"


def _bus(core: Core) -> RecordingBus:
    assert isinstance(core.bus, RecordingBus)
    return core.bus


@pytest.fixture
def desk(client: TestClient) -> dict[str, str]:
    return login(client, "s6")


def test_overview_lists_services_with_materials_and_categories(
        client: TestClient, desk: dict[str, str]) -> None:
    r = client.get(D, headers=desk).json()
    assert r["hall"]["name"] == "测试县政务服务中心"
    sb01 = next(s for s in r["services"] if s["code"] == "SB01")
    assert sb01["materials"] == ["居民身份证原件", "近期一寸白底照片", "社保卡申领表"]
    assert r["green_categories"] == ["elderly", "disabled", "pregnant", "military", "other"]


def test_only_the_hall_s_people_use_the_desk(client: TestClient, core: Core) -> None:
    assert client.get(D).status_code == 401
    _, token = auth.register_device(core, hall="h1", name="kiosk-a", kind="kiosk")
    r = client.post(f"{D}/tickets", json={"service": "SB01"},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and "detail" in r.json()
    # Staff and operators (DeskInHall); a hall's operator may stand in at the desk.
    assert client.get(D, headers=login(client, "op")).status_code == 200


def test_issue_green_with_its_category_printed_at_the_desk(
        client: TestClient, core: Core, desk: dict[str, str]) -> None:
    r = client.post(f"{D}/tickets", json={"service": "SB01", "priority": "green",
                                          "green_reason": "elderly"}, headers=desk)
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    assert (ticket["channel"], ticket["priority"], ticket["green_category"]) == (
        "desk", "green", "elderly")
    job = _bus(core).of_type("print")[-1]
    assert job["kiosk"] == "desk" and job["ticket"]["number"] == ticket["number"]
    assert r.json()["print"]["job"] == job["job"]
    r = client.post(f"{D}/tickets", json={"service": "NOPE"}, headers=desk)
    assert r.status_code == 404 and "detail" in r.json()


def test_lookup_by_number_with_history(client: TestClient, desk: dict[str, str]) -> None:
    client.post(f"{D}/tickets", json={"service": "SB01"}, headers=desk)
    s2 = login(client, "s2")
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    client.post(f"{H}/windows/2/call-next", headers=s2)
    client.post(f"{H}/windows/2/no-show", headers=s2)
    r = client.get(f"{D}/tickets/a001", headers=desk).json()
    assert r["ticket"]["number"] == "A001" and r["ticket"]["status"] == "no_show"
    assert [h["action"] for h in r["history"]] == ["issue", "call", "no_show"]
    assert r["history"][1]["window"] == "2" and r["history"][1]["staff"] == "员工2"
    r = client.get(f"{D}/tickets/A999", headers=desk)
    assert r.status_code == 404 and r.json()["code"] == "unknown_ticket"


def test_requeue_a_returning_no_show_behind_the_rule_s_places(
        client: TestClient, desk: dict[str, str], clock: ManualClock) -> None:
    for _ in range(4):
        client.post(f"{D}/tickets", json={"service": "SB01", "print": False}, headers=desk)
        clock.advance(minutes=1)
    s2 = login(client, "s2")
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    client.post(f"{H}/windows/2/call-next", headers=s2)
    client.post(f"{H}/windows/2/no-show", headers=s2)
    r = client.post(f"{D}/requeue", json={"number": "A001"}, headers=desk)
    assert r.status_code == 200
    assert r.json()["ticket"]["status"] == "waiting" and r.json()["ticket"]["ahead"] == 2
    r = client.post(f"{D}/requeue", json={"number": "A001"}, headers=desk)
    assert r.status_code == 409 and "detail" in r.json()


def test_reissue_shows_the_new_number_and_cancels_the_old(
        client: TestClient, core: Core, desk: dict[str, str]) -> None:
    old = client.post(f"{D}/tickets", json={"service": "SB01", "priority": "green",
                                            "green_reason": "pregnant"}, headers=desk).json()
    r = client.post(f"{D}/tickets/{old['ticket']['id']}/reissue", json={"service": "YB01"},
                    headers=desk)
    assert r.status_code == 201, r.text
    new = r.json()["ticket"]
    assert new["number"] == "B001" and new["service"] == "YB01"
    assert (new["priority"], new["green_category"]) == ("green", "pregnant")
    assert r.json()["old"]["status"] == "cancelled"
    assert r.json()["old"]["close_reason"] == "reissued"
    assert _bus(core).of_type("print")[-1]["ticket"]["number"] == "B001"
    history = client.get(f"{D}/tickets/A001", headers=desk).json()["history"]
    assert history[-1]["action"] == "cancel" and history[-1]["new_ticket_number"] == "B001"
    r = client.post(f"{D}/tickets/nonexistent/reissue", json={}, headers=desk)
    assert r.status_code == 404


def test_reissue_of_a_ticket_at_a_window_is_refused(
        client: TestClient, desk: dict[str, str]) -> None:
    t = client.post(f"{D}/tickets", json={"service": "SB01"}, headers=desk).json()["ticket"]
    s2 = login(client, "s2")
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    client.post(f"{H}/windows/2/call-next", headers=s2)
    r = client.post(f"{D}/tickets/{t['id']}/reissue", json={}, headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "ticket_in_hand"


def test_cancel_with_a_reason_and_reprint(client: TestClient, core: Core,
                                          desk: dict[str, str]) -> None:
    t = client.post(f"{D}/tickets", json={"service": "SB01"}, headers=desk).json()["ticket"]
    r = client.post(f"{D}/tickets/{t['id']}/reprint", headers=desk)
    assert r.status_code == 202
    assert _bus(core).of_type("print")[-1]["ticket"]["reprint"] is True
    assert client.post(f"{D}/tickets/{t['id']}/cancel", json={"reason": ""},
                       headers=desk).status_code == 422
    r = client.post(f"{D}/tickets/{t['id']}/cancel", json={"reason": "群众放弃办理"},
                    headers=desk)
    assert r.json()["ticket"]["status"] == "cancelled"
    assert r.json()["ticket"]["close_reason"] == "群众放弃办理"
    r = client.post(f"{D}/tickets/{t['id']}/reprint", headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "not_open"


def test_appointments_by_code_id_number_or_phone_and_check_in(
        client: TestClient, core: Core, desk: dict[str, str], clock: ManualClock) -> None:
    start = clock.now() + timedelta(minutes=5)
    client.post(f"{H}/appointments", headers=login(client, "op"), json={
        "service": "BDC01", "code": "YY2026", "slot_start": start.isoformat(),
        "slot_end": (start + timedelta(minutes=30)).isoformat(),
        "id_number": "410802199001011234", "phone": "13800000000"})
    for key, value in (("code", "YY2026"), ("id_number", "410802199001011234"),
                       ("phone", "13800000000")):
        found = client.get(f"{D}/appointments", params={key: value}, headers=desk).json()
        assert [a["code"] for a in found] == ["YY2026"], key
    assert client.get(f"{D}/appointments", params={"phone": "13900000000"},
                      headers=desk).json() == []
    assert client.get(f"{D}/appointments", headers=desk).status_code == 422
    r = client.post(f"{D}/appointments/YY2026/check-in", headers=desk)
    assert r.status_code == 201
    assert r.json()["ticket"]["priority"] == "appointment"
    assert r.json()["ticket"]["slot_start"] is not None
    assert _bus(core).of_type("print")[-1]["kiosk"] == "desk"
    found = client.get(f"{D}/appointments", params={"code": "YY2026"}, headers=desk).json()
    assert found[0]["status"] == "checked_in" and found[0]["ticket"] == "C001"


def test_guide_and_notice_print_on_the_desk_printer(
        client: TestClient, core: Core, desk: dict[str, str]) -> None:
    r = client.post(f"{D}/services/SB01/guide/print", headers=desk)
    assert r.status_code == 202
    slip = _bus(core).of_type("print")[-1]["slip"]
    assert slip["title"] == "办事指南" and "3. 社保卡申领表" in slip["lines"]
    t = client.post(f"{D}/tickets", json={"service": "SB01"}, headers=desk).json()["ticket"]
    r = client.post(f"{D}/tickets/{t['id']}/notice/print", headers=desk)
    assert r.status_code == 409 and r.json()["code"] == "no_notice"
    s2 = login(client, "s2")
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    client.post(f"{H}/windows/2/call-next", headers=s2)
    client.post(f"{H}/windows/2/finish", headers=s2, json={
        "outcome": "correction_notice", "missing": ["居民身份证原件"], "print_notice": False})
    assert client.post(f"{D}/tickets/{t['id']}/notice/print", headers=desk).status_code == 202
    job = _bus(core).of_type("print")[-1]
    assert job["kiosk"] == "desk" and job["slip"]["title"] == "一次性告知单"
    assert client.post(f"{D}/services/NOPE/guide/print", headers=desk).status_code == 404
