"""差评 cases: opened for every bad rating, worked through their states within working days."""

from __future__ import annotations

from datetime import date, time

from fastapi.testclient import TestClient

from server.clock import ManualClock
from server.evaluations.cases import working_deadline
from server.halls.hours import HallHours, Period
from tests.conftest import login

H = "/api/v1/halls/h1"
WEEK = {d: (Period(time(8, 30), time(17, 30)),) for d in range(5)}


def test_deadline_counts_working_days_over_weekends_holidays_and_workdays() -> None:
    hours = HallHours(weekly=WEEK, holidays=frozenset(
        date(2026, 10, d) for d in range(1, 9)), workdays={date(2026, 10, 10): 0})
    # Friday + 5 working days = next Friday
    assert working_deadline(hours, date(2026, 11, 20), 5) == date(2026, 11, 27)
    # Monday 28 Sep: Tue 29, Wed 30, then 国庆 1-8 Oct off, Fri 9, Sat 10 (调休 workday)
    assert working_deadline(hours, date(2026, 9, 28), 4) == date(2026, 10, 10)
    assert working_deadline(hours, date(2026, 9, 28), 5) == date(2026, 10, 12)
    # a case opened on a holiday starts counting from the next working day
    assert working_deadline(hours, date(2026, 10, 3), 1) == date(2026, 10, 9)


def test_deadline_without_opening_hours_uses_monday_to_friday() -> None:
    hours = HallHours(weekly={}, holidays=frozenset({date(2026, 11, 24)}))
    assert working_deadline(hours, date(2026, 11, 23), 2) == date(2026, 11, 26)


def rated(client: TestClient, level: int, staff_no: str = "s2", window: str = "2") -> str:
    """Serve one ticket at a window and rate it; returns the ticket id."""
    staff = login(client, staff_no)
    tid = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=staff).json()["id"]
    client.post(f"{H}/windows/{window}/sign-in", json={"post": "A"}, headers=staff)
    r = client.post(f"{H}/windows/{window}/call", json={"number": client.get(
        f"/api/v1/tickets/{tid}").json()["number"]}, headers=staff)
    assert r.status_code == 200, r.text
    client.post(f"{H}/windows/{window}/finish", json={"outcome": "completed"}, headers=staff)
    assert client.post(f"/api/v1/tickets/{tid}/rating",
                       json={"level": level, "reasons": ["态度差"]}).status_code == 201
    return str(tid)


def test_every_bad_rating_opens_a_case_and_good_ones_do_not(client: TestClient) -> None:
    op = login(client, "op")
    rated(client, 5)
    rated(client, 3)
    bad = rated(client, 2)
    worst = rated(client, 1)
    body = client.get(f"{H}/cases", headers=op).json()
    assert sorted(c["ticket_id"] for c in body["cases"]) == sorted([bad, worst])
    case = body["cases"][0]
    # Monday 23 Nov + 5 working days: Tue-Fri, then Sunday 29 Nov is a 调休 working day
    assert case["deadline"] == "2026-11-29" and case["status"] == "open"
    assert case["window"] == "2" and case["staff_no"] == "s2" and case["reasons"] == ["态度差"]
    assert body["rates"] == {"cases": 2, "voided": 0, "feedback_rate": 0.0,
                             "rectification_rate": 0.0, "follow_up_rate": 0.0, "overdue": 0}


def test_the_workflow_through_its_states_to_three_hundred_percent(client: TestClient) -> None:
    op = login(client, "op")
    rated(client, 1)
    rated(client, 2)
    first, second = (c["id"] for c in client.get(f"{H}/cases", headers=op).json()["cases"])
    # steps only in order
    r = client.post(f"{H}/cases/{first}/rectify", json={"note": "x"}, headers=op)
    assert r.status_code == 409 and r.json()["code"] == "case_state"
    for step, note in (("verify", "调取录像，属实"), ("rectify", "批评教育，重新培训"),
                       ("answer", "电话告知处理结果")):
        r = client.post(f"{H}/cases/{first}/{step}", json={"note": note}, headers=op)
        assert r.status_code == 200, r.text
    r = client.post(f"{H}/cases/{first}/follow-up", json={"note": "回访"}, headers=op)
    assert r.status_code == 422  # the citizen's view is required
    r = client.post(f"{H}/cases/{first}/follow-up",
                    json={"note": "回访满意", "citizen_view": "satisfied"}, headers=op)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    rates = client.get(f"{H}/cases", headers=op).json()["rates"]
    assert rates["feedback_rate"] == 50.0 and rates["follow_up_rate"] == 50.0
    # the second is voided by an approved appeal: it no longer counts, so 100% each
    r = client.post(f"{H}/cases/{second}/void", json={"reason": "恶意差评，录像证实",
                                                       "approver": "王主任"}, headers=op)
    assert r.status_code == 200 and r.json()["void_approver"] == "王主任"
    body = client.get(f"{H}/cases", headers=op).json()
    assert body["rates"] == {"cases": 1, "voided": 1, "feedback_rate": 100.0,
                             "rectification_rate": 100.0, "follow_up_rate": 100.0,
                             "overdue": 0}
    # a closed case cannot be voided; an appeal needs an approver
    r = client.post(f"{H}/cases/{first}/void", json={"reason": "x", "approver": "y"},
                    headers=op)
    assert r.status_code == 409
    assert client.post(f"{H}/cases/{second}/void", json={"reason": "x"},
                       headers=op).status_code == 422


def test_voided_rating_leaves_the_satisfaction_figures(client: TestClient) -> None:
    op = login(client, "op")
    rated(client, 1)
    case = client.get(f"{H}/cases", headers=op).json()["cases"][0]["id"]
    before = client.get(f"{H}/reports?period=day&by=window", headers=op).json()["total"]
    assert before["bad"] == 1 and before["satisfaction"] == 0.0
    client.post(f"{H}/cases/{case}/void", json={"reason": "误评", "approver": "王主任"},
                headers=op)
    after = client.get(f"{H}/reports?period=day&by=window", headers=op).json()["total"]
    assert after["bad"] == 0 and after["rated"] == 0 and after["satisfaction"] is None


def test_overdue_after_the_deadline_until_answered(client: TestClient,
                                                   clock: ManualClock) -> None:
    op = login(client, "op")
    rated(client, 2)
    case = client.get(f"{H}/cases", headers=op).json()["cases"][0]["id"]
    clock.advance(days=6)  # Sunday 29 Nov (the deadline) → not yet overdue
    op = login(client, "op")  # tokens last 12 hours
    assert client.get(f"{H}/cases?overdue=true", headers=op).json()["cases"] == []
    clock.advance(days=1)  # Monday 30 Nov
    op = login(client, "op")
    body = client.get(f"{H}/cases?overdue=true", headers=op).json()
    assert [c["id"] for c in body["cases"]] == [case] and body["rates"]["overdue"] == 1
    client.post(f"{H}/cases/{case}/verify", json={"note": "属实"}, headers=op)
    client.post(f"{H}/cases/{case}/rectify", json={"note": "整改"}, headers=op)
    client.post(f"{H}/cases/{case}/answer", json={"note": "已反馈"}, headers=op)
    assert client.get(f"{H}/cases?overdue=true", headers=op).json()["cases"] == []


def test_cases_are_for_operators_only(client: TestClient) -> None:
    assert client.get(f"{H}/cases", headers=login(client, "s1")).status_code == 403
    assert client.get(f"{H}/cases").status_code == 401
