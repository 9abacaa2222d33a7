"""差评 cases: opened for every bad rating, worked through their states within working days."""

from __future__ import annotations

from datetime import date, time

from fastapi.testclient import TestClient

from drivers import BAD_REVIEW_REASONS
from server.clock import ManualClock
from server.core import Core
from server.evaluations.cases import working_deadline
from server.halls import flows as hall_flows
from server.halls.hours import HallHours, Period
from server.monitoring import alerts
from tests.conftest import login
from tests.factories import hall_config

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
    issued = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=staff).json()
    tid = issued["id"]
    client.post(f"{H}/windows/{window}/sign-in", json={"post": "A"}, headers=staff)
    r = client.post(f"{H}/windows/{window}/call", json={"number": client.get(
        f"/api/v1/tickets/{tid}").json()["number"]}, headers=staff)
    assert r.status_code == 200, r.text
    client.post(f"{H}/windows/{window}/finish", json={"outcome": "completed"}, headers=staff)
    reasons = ["1", "2"] if level <= 2 else []
    comment = "等了很久，态度也不好" if reasons else ""
    r = client.post(f"/api/v1/tickets/{tid}/rating",
                    json={"level": level, "reasons": reasons, "comment": comment,
                          "key": issued["rating_key"]})
    assert r.status_code == 201, r.text
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
    assert case["window"] == "2" and case["staff_no"] == "s2" and case["reasons"] == ["1", "2"]
    assert case["reason_names"] == ["服务态度差", "等候时间长"]
    assert case["reason_names_en"] == ["Poor attitude", "Long wait"]
    assert case["comment"] == "等了很久，态度也不好" and case["ticket"].startswith("A")
    assert case["service_name"] == "社保卡" and case["staff"] == "员工2"
    assert case["level_name"] in ("不满意", "非常不满意")
    assert case["working_days_left"] == 5
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
    # the second is voided by an appeal a second person approves: it no longer counts
    r = client.post(f"{H}/cases/{second}/appeal", json={"reason": "恶意差评，录像证实"},
                    headers=op)
    assert r.status_code == 200 and r.json()["status"] == "appealing"
    r = client.post(f"{H}/cases/{second}/appeal/approve", json={"note": "同意"},
                    headers=login(client, "root"))
    assert r.status_code == 200 and r.json()["void_approver"] == "管理员"
    assert r.json()["status"] == "voided" and r.json()["void_reason"] == "恶意差评，录像证实"
    body = client.get(f"{H}/cases", headers=op).json()
    assert body["rates"] == {"cases": 1, "voided": 1, "feedback_rate": 100.0,
                             "rectification_rate": 100.0, "follow_up_rate": 100.0,
                             "overdue": 0}
    # a closed case cannot be appealed; an appeal needs its reason
    r = client.post(f"{H}/cases/{first}/appeal", json={"reason": "x"}, headers=op)
    assert r.status_code == 409 and r.json()["code"] == "case_state"
    assert client.post(f"{H}/cases/{second}/appeal", json={"reason": ""},
                       headers=op).status_code == 422


def test_voided_rating_leaves_the_satisfaction_figures(client: TestClient) -> None:
    op = login(client, "op")
    rated(client, 1)
    case = client.get(f"{H}/cases", headers=op).json()["cases"][0]["id"]
    before = client.get(f"{H}/reports?period=day&by=window", headers=op).json()["total"]
    assert before["bad"] == 1 and before["satisfaction"] == 0.0
    client.post(f"{H}/cases/{case}/appeal", json={"reason": "误评"}, headers=op)
    r = client.post(f"{H}/cases/{case}/appeal/approve", json={"note": "同意"},
                    headers=login(client, "root"))
    assert r.status_code == 200
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


def test_rating_reasons_are_the_evaluators_codes_and_only_for_bad_ratings(
        client: TestClient) -> None:
    listed = client.get("/api/v1/review-reasons").json()
    assert [r["code"] for r in listed] == [str(c) for c in BAD_REVIEW_REASONS]
    assert listed[0] == {"code": "1", "zh": "服务态度差", "en": "Poor attitude"}
    assert all(r["en"] and r["en"] != r["zh"] for r in listed)
    tid = rated(client, 5)
    # a rated ticket stays rated; reasons are checked before anything is stored
    staff = login(client, "s2")
    other = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=staff).json()
    client.post(f"{H}/windows/2/call", json={"number": other["number"]}, headers=staff)
    client.post(f"{H}/windows/2/finish", json={"outcome": "completed"}, headers=staff)
    url = f"/api/v1/tickets/{other['id']}/rating"
    key = other["rating_key"]
    r = client.post(url, json={"level": 4, "reasons": ["1"], "key": key})
    assert r.status_code == 422 and "only for" in r.json()["detail"]
    r = client.post(url, json={"level": 1, "reasons": ["1", "42"], "key": key})
    assert r.status_code == 422 and "42" in r.json()["detail"]
    r = client.post(url, json={"level": 1, "reasons": ["99", "99"], "comment": "x", "key": key})
    assert r.status_code == 201 and r.json()["reasons"] == ["99"]
    assert tid != other["id"]


def _case_about(client: TestClient, staff_no: str) -> int:
    rated(client, 1, staff_no=staff_no, window="1")
    cases = client.get(f"{H}/cases", headers=login(client, "op")).json()["cases"]
    return int(next(c["id"] for c in cases if c["staff_no"] == staff_no))


def test_the_staff_member_a_case_is_about_may_not_close_it(client: TestClient) -> None:
    case = _case_about(client, "root")  # an administrator who also works a window
    root = login(client, "root")
    for step in ("verify", "rectify", "answer"):
        r = client.post(f"{H}/cases/{case}/{step}", json={"note": step}, headers=root)
        assert r.status_code == 200, r.text
    body = {"note": "回访", "citizen_view": "satisfied"}
    r = client.post(f"{H}/cases/{case}/follow-up", json=body, headers=root)
    assert r.status_code == 403 and r.json()["code"] == "case_subject"
    r = client.post(f"{H}/cases/{case}/follow-up", json=body, headers=login(client, "op"))
    assert r.status_code == 200 and r.json()["followed_up_by"] == "值班长"
    assert r.json()["verified_by"] == r.json()["answered_by"] == "管理员"


def test_a_hall_may_let_the_subject_close_its_case(core: Core, client: TestClient) -> None:
    hall_flows.load(core, config=hall_config(rules={"case_close_not_subject": False}))
    case = _case_about(client, "root")
    root = login(client, "root")
    for step in ("verify", "rectify", "answer"):
        client.post(f"{H}/cases/{case}/{step}", json={"note": step}, headers=root)
    r = client.post(f"{H}/cases/{case}/follow-up",
                    json={"note": "回访", "citizen_view": "basically_satisfied"}, headers=root)
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_an_appeal_is_decided_by_a_second_person(client: TestClient) -> None:
    case = _case_about(client, "s1")
    op, root = login(client, "op"), login(client, "root")
    r = client.post(f"{H}/cases/{case}/verify", json={"note": "核实"}, headers=op)
    assert r.status_code == 200
    r = client.post(f"{H}/cases/{case}/appeal", json={"reason": "误按"}, headers=op)
    assert r.json()["status"] == "appealing" and r.json()["appealed_by"] == "值班长"
    # no step while the appeal is open; the appellant cannot approve their own appeal
    r = client.post(f"{H}/cases/{case}/rectify", json={"note": "x"}, headers=root)
    assert r.status_code == 409
    r = client.post(f"{H}/cases/{case}/appeal/approve", json={"note": "同意"}, headers=op)
    assert r.status_code == 403 and r.json()["code"] == "second_person"
    # refused: back where it was, and it can go on
    r = client.post(f"{H}/cases/{case}/appeal/refuse", json={"note": "证据不足"}, headers=root)
    assert r.status_code == 200 and r.json()["status"] == "verified"
    r = client.post(f"{H}/cases/{case}/appeal/approve", json={"note": "同意"}, headers=root)
    assert r.status_code == 409


def test_the_subject_may_not_approve_an_appeal_about_themselves(client: TestClient) -> None:
    case = _case_about(client, "root")
    op, root = login(client, "op"), login(client, "root")
    client.post(f"{H}/cases/{case}/appeal", json={"reason": "恶意差评"}, headers=op)
    r = client.post(f"{H}/cases/{case}/appeal/approve", json={"note": "同意"}, headers=root)
    assert r.status_code == 403 and r.json()["code"] == "second_person"


def test_an_overdue_case_raises_an_alert_until_answered(core: Core, client: TestClient,
                                                        clock: ManualClock) -> None:
    rated(client, 2)
    case = client.get(f"{H}/cases", headers=login(client, "op")).json()["cases"][0]
    clock.advance(days=6)  # Sunday 29 Nov, the deadline (a 调休 working day): not overdue
    assert "case_overdue" not in {a["kind"] for a in alerts.scan(core, "h1")}
    op = login(client, "op")
    assert client.get(f"{H}/cases", headers=op).json()["cases"][0]["working_days_left"] == 0
    clock.advance(days=1)  # Monday 30 Nov
    raised = [a for a in alerts.scan(core, "h1") if a["kind"] == "case_overdue"]
    assert len(raised) == 1 and raised[0]["detail"]["case"] == case["id"]
    assert raised[0]["detail"]["ticket"] == case["ticket"] and raised[0]["severity"] == "critical"
    op = login(client, "op")
    assert client.get(f"{H}/cases", headers=op).json()["cases"][0]["working_days_left"] == -1
    for step in ("verify", "rectify", "answer"):
        client.post(f"{H}/cases/{case['id']}/{step}", json={"note": step}, headers=op)
    ended = [a for a in alerts.scan(core, "h1") if a["kind"] == "case_overdue"]
    assert len(ended) == 1 and ended[0]["active"] is False
