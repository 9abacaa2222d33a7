"""The terminals' own endpoints over plain HTTP: kiosk, counter desk, devices, QR, pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.agents import service as agents
from server.auth import service as auth
from server.auth.security import rating_key
from server.clock import ManualClock
from server.core import Core
from server.devices import printer_state, set_status
from server.devices.status import print_job, record_print
from server.events.bus import RecordingBus
from server.halls import flows as hall_flows
from server.kiosk.service import appointment_code
from tests.conftest import login
from tests.factories import MONDAY_10, TEST_HALL, hall_config

KIOSK = {"Authorization": "Bearer api-kiosk"}


@pytest.fixture
def kiosk(core: Core) -> dict[str, str]:
    """A registered kiosk's Authorization header."""
    auth.register_device(core, hall="h1", name="kiosk-1", kind="kiosk", token="api-kiosk")
    return KIOSK


def _other_hall(core: Core) -> None:
    raw: dict[str, Any] = {**TEST_HALL, "hall": {"code": "h2", "name": "另一中心"},
                           "staff": [{"job_no": "x1", "name": "外厅", "roles": ["staff"],
                                      "password_hash": TEST_HALL["staff"][0]["password_hash"]}]}
    hall_flows.load(core, config=hall_config(**raw))


def _events(core: Core, kind: str) -> list[dict[str, Any]]:
    assert isinstance(core.bus, RecordingBus)
    return core.bus.of_type(kind)


def test_kiosk_overview_groups_services_with_queue_and_estimates(
        client: TestClient, kiosk: dict[str, str]) -> None:
    staff = login(client, "s1")
    for _ in range(3):
        client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}, headers=staff)
    r = client.get("/api/v1/halls/h1/kiosk", headers=kiosk)
    assert r.status_code == 200, r.text
    ov = r.json()
    assert ov["state"] == "open" and ov["hall"]["name"] == "测试县政务服务中心"
    assert ov["hours_today"] == ["08:30-12:00", "13:30-17:30"]
    assert ov["id_entry"] == "optional" and ov["daily_limit"] == 2
    assert [g["code"] for g in ov["domains"]] == ["SB", "BDC", "YB", "_special"]
    sb01 = ov["domains"][0]["services"][0]
    # 3 waiting × 5 min shared by the two open windows serving 社保卡 (any-matter and 社保).
    assert sb01 == {"code": "SB01", "name": "社保卡", "name_en": None, "prefix": "A",
                    "special": False, "state": "open", "waiting": 3, "windows": 2,
                    "estimated_wait_s": 450}
    assert ov["printer"] == "none"


def test_kiosk_overview_out_of_hours_and_closed(client: TestClient, core: Core,
                                                 clock: ManualClock,
                                                 kiosk: dict[str, str]) -> None:
    services = [*TEST_HALL["services"], {"code": "SB09", "name": "停办", "prefix": "A",
                                          "domain": "SB", "active": False}]
    hall_flows.load(core, config=hall_config(services=services,
                                             rules={"require_id_number": True}))
    clock.set(MONDAY_10.replace(hour=12, minute=30))
    ov = client.get("/api/v1/halls/h1/kiosk", headers=kiosk).json()
    assert ov["state"] == "closed_hours" and ov["next_opening"].startswith("2026-11-23T13:30")
    assert ov["id_entry"] == "required"
    states = {s["code"]: s["state"] for g in ov["domains"] for s in g["services"]}
    assert states["SB09"] == "closed" and states["SB01"] == "out_of_hours"


def test_kiosk_endpoints_refuse_without_token_other_halls_and_unknown(
        client: TestClient, core: Core, kiosk: dict[str, str]) -> None:
    assert client.get("/api/v1/halls/h1/kiosk").status_code == 401
    assert client.get("/api/v1/halls/h1/kiosk",
                      headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/halls/nope/kiosk", headers=kiosk).status_code == 404
    _other_hall(core)
    r = client.get("/api/v1/halls/h2/kiosk", headers=kiosk)
    assert r.status_code == 403 and r.json()["code"] == "other_hall"
    assert client.post("/api/v1/halls/h2/kiosk/tickets", json={"service": "SB01"},
                       headers=kiosk).status_code == 403
    assert client.post("/api/v1/halls/h1/kiosk/tickets",
                       json={"service": "SB01"}).status_code == 401
    assert client.post("/api/v1/halls/h1/kiosk/tickets", json={"service": "NOPE"},
                       headers=kiosk).status_code == 404
    r = client.post("/api/v1/halls/h1/kiosk/check-in", json={"code": "NOPE"}, headers=kiosk)
    assert r.status_code == 404


def test_kiosk_issue_publishes_a_print_job_and_reports_its_result(
        client: TestClient, core: Core, kiosk: dict[str, str]) -> None:
    r = client.post("/api/v1/halls/h1/kiosk/tickets", json={"service": "SB01"}, headers=kiosk)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["print"]["state"] == "failed" and body["print"]["detail"] == "no_printer"
    [job] = _events(core, "print")
    ticket = job["ticket"]
    assert job["job"] == body["print"]["job"] and job["kiosk"] == "kiosk-1"
    assert set(ticket) == {"id", "number", "service", "service_name", "centre", "ahead",
                           "issued_at", "url", "notice", "priority", "reprint"}
    # The printed QR code carries the holder's rating key, the same as the kiosk's answer.
    assert body["rating_key"] == rating_key(ticket["id"], core.settings.pepper)
    assert ticket["number"] == "A001" and body["url"] == ticket["url"] == \
        f"http://testserver/t/{ticket['id']}?k={body['rating_key']}"
    assert ticket["reprint"] is False and body["ticket"]["channel"] == "kiosk"

    set_status(core, "h1", "agent-1", "printer", True)
    body = client.post("/api/v1/halls/h1/kiosk/tickets", json={"service": "SB01"},
                       headers=kiosk).json()
    assert body["print"]["state"] == "pending"
    url = f"/api/v1/halls/h1/print-jobs/{body['print']['job']}"
    assert client.get(url, headers=kiosk).json()["state"] == "pending"
    record_print(core, "h1", "agent-1", body["print"]["job"], False, "paper_out")
    assert client.get(url, headers=kiosk).json() == {
        "job": body["print"]["job"], "state": "failed", "detail": "paper_out",
        "device": "agent-1"}
    assert _events(core, "print_result")[-1]["ok"] is False
    # A job that failed for a printer fault is news about the printer too.
    assert printer_state(core, "h1")["state"] == "offline"
    record_print(core, "h1", "agent-1", "another-job", True)
    assert printer_state(core, "h1")["state"] == "ok"
    assert client.get(url).status_code == 401


def test_device_status_and_printer_state(client: TestClient, core: Core,
                                         kiosk: dict[str, str]) -> None:
    assert printer_state(core, "h1") == {"state": "none", "printers": []}
    set_status(core, "h1", "agent-1", "printer", False, "cover_open")
    set_status(core, "h1", "agent-1", "evaluator", True)
    assert printer_state(core, "h1")["state"] == "offline"
    set_status(core, "h1", "agent-2", "printer", True)
    assert printer_state(core, "h1")["state"] == "ok"
    r = client.get("/api/v1/halls/h1/devices/status", headers=kiosk)
    assert r.status_code == 200
    devices = {d["device"]: d for d in r.json()["devices"]}
    assert devices["agent-1"]["printer"]["detail"] == "cover_open"
    assert devices["agent-1"]["evaluator"]["online"] is True
    assert _events(core, "device")[0]["kind"] == "printer"
    assert client.get("/api/v1/halls/h1/devices/status").status_code == 401
    assert client.get("/api/v1/halls/nope/devices/status", headers=kiosk).status_code == 404
    with pytest.raises(ValueError):
        set_status(core, "h1", "agent-1", "toaster", True)
    assert print_job(core, "h1", "unknown")["state"] == "pending"
    # The agent may send its flags as they are: the most telling one becomes the reason.
    set_status(core, "h1", "agent-2", "printer", False,
               {"offline": False, "paper_out": True, "paper_near_end": True, "known": True})
    [printer] = [p for p in printer_state(core, "h1")["printers"] if p["device"] == "agent-2"]
    assert printer["detail"] == "paper_out" and printer["flags"]["paper_near_end"] is True


def test_scans_are_relayed_to_polling_kiosks(client: TestClient, core: Core,
                                             kiosk: dict[str, str]) -> None:
    start = client.get("/api/v1/halls/h1/devices/scans", headers=kiosk).json()
    assert start["scans"] == []
    core.bus.publish("h1", {"type": "scan", "device": "agent-1", "code": "YY1"})
    core.bus.publish("h2", {"type": "scan", "device": "agent-9", "code": "OTHER"})
    r = client.get(f"/api/v1/halls/h1/devices/scans?after={start['last']}", headers=kiosk)
    assert [s["code"] for s in r.json()["scans"]] == ["YY1"]
    assert client.get("/api/v1/halls/h1/devices/scans").status_code == 401


def test_reprint_by_help_desk_staff_only(client: TestClient, core: Core,
                                         kiosk: dict[str, str]) -> None:
    ticket = client.post("/api/v1/halls/h1/kiosk/tickets", json={"service": "YB01"},
                         headers=kiosk).json()["ticket"]
    url = f"/api/v1/halls/h1/tickets/{ticket['id']}/reprint"
    assert client.post(url, json={}).status_code == 401
    assert client.post(url, json={}, headers=kiosk).status_code == 403
    r = client.post(url, json={"kiosk": "kiosk-1"}, headers=login(client, "s1"))
    assert r.status_code == 202, r.text
    job = _events(core, "print")[-1]
    assert job["ticket"]["reprint"] is True and job["ticket"]["number"] == "B001"
    assert client.post("/api/v1/halls/h1/tickets/nope/reprint", json={},
                       headers=login(client, "s1")).status_code == 404


def test_ticket_qr_is_svg_and_unknown_ids_404(client: TestClient,
                                              kiosk: dict[str, str]) -> None:
    ticket = client.post("/api/v1/halls/h1/kiosk/tickets", json={"service": "ZX"},
                         headers=kiosk).json()["ticket"]
    r = client.get(f"/api/v1/tickets/{ticket['id']}/qr.svg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert r.text.startswith("<svg") and "<path" in r.text
    assert client.get("/api/v1/tickets/nope/qr.svg").status_code == 404


def test_counter_choices_and_desk(client: TestClient, core: Core, clock: ManualClock) -> None:
    s1 = login(client, "s1")
    assert client.get("/api/v1/halls/h1/counter").status_code == 401
    assert client.get("/api/v1/halls/h1/counter",
                      headers=login(client, "op")).status_code == 403
    choices = client.get("/api/v1/halls/h1/counter", headers=s1).json()
    assert [w["number"] for w in choices["windows"]] == ["1", "2", "3", "4"]
    assert choices["me"] == {"name": "员工1", "job_no": "s1", "presence": "on_duty"}
    issued = [client.post("/api/v1/halls/h1/tickets", json={"service": service},
                          headers=s1).json() for service in ("SB01", "SB02", "BDC01")]
    issued.append(client.post("/api/v1/halls/h1/tickets", json={"service": "YB01",
                                                                  "priority": "green"},
                              headers=s1).json())
    ids = [t["id"] for t in issued]
    desk_url = "/api/v1/halls/h1/windows/2/desk"
    assert client.get(desk_url, headers=s1).status_code == 403  # not signed in there
    client.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}, headers=s1)
    desk = client.get(desk_url, headers=s1).json()
    # Window 2 serves 社保 and, as backup, 医保: the green 医保 ticket comes first.
    assert [w["ticket"] for w in desk["waiting"]] == ["B001", "A001", "A002"]
    assert desk["waiting_total"] == 3 and desk["ticket"] is None
    client.post("/api/v1/halls/h1/windows/2/call-next", headers=s1)
    client.post("/api/v1/halls/h1/windows/2/start", headers=s1)
    clock.advance(minutes=4)
    client.post("/api/v1/halls/h1/windows/2/finish", json={"outcome": "completed"}, headers=s1)
    client.post("/api/v1/halls/h1/windows/2/call-next", headers=s1)
    desk = client.get(desk_url, headers=s1).json()
    assert desk["ticket"]["number"] == "A001" and desk["ticket"]["status"] == "called"
    assert desk["today"] == {"served": 1, "no_show": 0, "avg_handle_s": 240,
                             "ratings": {"count": 0, "average": None, "bad": 0}}
    # The green 医保 ticket (B001) was served; its holder rates it 不满意 from the phone.
    rated = client.post(f"/api/v1/tickets/{ids[3]}/rating",
                        json={"level": 2, "key": issued[3]["rating_key"]})
    assert rated.status_code == 201, rated.text
    ratings = client.get(desk_url, headers=s1).json()["today"]["ratings"]
    assert ratings == {"count": 1, "average": 2, "bad": 1}
    assert desk["alarm"]["alarm"] is False and desk["alarm"]["threshold_min"] == 15
    assert client.get("/api/v1/halls/h1/windows/9/desk", headers=s1).status_code == 404
    assert client.get("/api/v1/halls/nope/windows/2/desk", headers=s1).status_code == 404


def test_desk_alarm_after_a_long_pause(client: TestClient, clock: ManualClock) -> None:
    s1 = login(client, "s1")
    client.post("/api/v1/halls/h1/windows/3/sign-in", json={"post": "A"}, headers=s1)
    client.post("/api/v1/halls/h1/windows/3/pause", json={"reason": "会议"}, headers=s1)
    clock.advance(minutes=14)
    alarm = client.get("/api/v1/halls/h1/windows/3/desk", headers=s1).json()["alarm"]
    assert alarm["state"] == "paused" and alarm["minutes"] == 14 and alarm["alarm"] is False
    clock.advance(minutes=1)
    alarm = client.get("/api/v1/halls/h1/windows/3/desk", headers=s1).json()["alarm"]
    assert alarm["alarm"] is True and alarm["since"].startswith("2026-11-23T10:00")


def test_invite_rating(client: TestClient, core: Core) -> None:
    s1, s2 = login(client, "s1"), login(client, "s2")
    url = "/api/v1/halls/h1/windows/2/invite-rating"
    assert client.post(url).status_code == 401
    assert client.post(url, headers=s1).status_code == 403
    client.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}, headers=s1)
    r = client.post(url, headers=s1)
    assert r.status_code == 409 and r.json()["code"] == "no_ticket_to_rate"
    client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}, headers=s1)
    client.post("/api/v1/halls/h1/windows/2/call-next", headers=s1)
    r = client.post(url, headers=s1)
    assert r.status_code == 202 and r.json()["ticket"] == "A001"
    assert client.post(url, headers=s2).status_code == 403
    [event] = _events(core, "evaluate")
    assert {k: event[k] for k in ("type", "ticket", "window", "staff_name", "staff_no")} == {
        "type": "evaluate", "ticket": "A001", "window": "2", "staff_name": "员工1",
        "staff_no": "s1"}
    assert event["ticket_id"] == r.json()["ticket_id"]
    assert client.post("/api/v1/halls/h1/windows/9/invite-rating",
                       headers=s1).status_code == 404


def test_pages_and_static_files(client: TestClient) -> None:
    for path in ("/kiosk/h1", "/counter/h1", "/t/abc", "/t/abc/rate"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "http://" not in r.text and "https://" not in r.text
    assert client.get("/terminals/static/kiosk.js").status_code == 200
    assert client.get("/terminals/static/nope.js").status_code == 404
    assert client.get("/terminals/static/..%2Fpages%2Fkiosk.html").status_code == 404


@pytest.mark.parametrize(("scanned", "code"), [
    ("YY123", "YY123"), (" YY123\r", "YY123"),
    ("https://zwfw.example.gov.cn/appt?code=AB12&x=1", "AB12"),
    ("https://zwfw.example.gov.cn/appointments/AB12/", "AB12"),
])
def test_appointment_code_in_a_scanned_qr(scanned: str, code: str) -> None:
    assert appointment_code(scanned) == code


def test_check_in_by_url_from_the_kiosk(client: TestClient, kiosk: dict[str, str]) -> None:
    start = MONDAY_10 - timedelta(minutes=5)
    client.post("/api/v1/halls/h1/appointments", headers=login(client, "op"), json={
        "service": "BDC01", "code": "QR7788", "slot_start": start.isoformat(),
        "slot_end": (start + timedelta(minutes=30)).isoformat()})
    r = client.post("/api/v1/halls/h1/kiosk/check-in",
                    json={"code": "https://zwfw.example/appt?code=QR7788"}, headers=kiosk)
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["priority"] == "appointment"
    r = client.post("/api/v1/halls/h1/kiosk/check-in", json={"code": "QR7788"}, headers=kiosk)
    assert r.status_code == 409 and r.json()["code"] == "appointment_used"


def test_print_answer_follows_the_agent_serving_the_kiosk(
        client: TestClient, core: Core, kiosk: dict[str, str]) -> None:
    agents.connected(core, "h1", "agent-k", {"kiosks": ["kiosk-1"]})

    def issue() -> dict[str, Any]:
        r = client.post("/api/v1/halls/h1/kiosk/tickets", json={"service": "SB01"},
                        headers=kiosk)
        assert r.status_code == 201, r.text
        return dict(r.json()["print"])

    # Connected, no printer reported yet: the agent's own answer will tell.
    assert issue()["state"] == "pending"
    set_status(core, "h1", "agent-x", "printer", True)
    set_status(core, "h1", "agent-k", "printer", False, {"paper_out": True})
    # Another agent's printer being fine does not help: the job goes to kiosk-1's agent.
    answer = issue()
    assert answer["state"] == "failed" and answer["detail"] == "paper_out"
    agents.disconnected(core, "h1", "agent-k")
    # With no agent routed to kiosk-1, the answer goes by the hall's printers as a whole.
    assert issue()["state"] == "pending"
