"""The audit trail, readable: search by day, staff, window, ticket and action; files; history."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from server.clock import ManualClock
from tests.conftest import login

H = "/api/v1/halls/h1"


def serve(client: TestClient, staff_no: str, window: str,
          level: int | None = None) -> dict[str, Any]:
    """Issue, call, finish (and rate) one ticket at a window; the issued ticket."""
    staff = login(client, staff_no)
    ticket = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=staff).json()
    client.post(f"{H}/windows/{window}/sign-in", json={"post": "A"}, headers=staff)
    r = client.post(f"{H}/windows/{window}/call", json={"number": ticket["number"]},
                    headers=staff)
    assert r.status_code == 200, r.text
    client.post(f"{H}/windows/{window}/finish", json={"outcome": "completed"}, headers=staff)
    if level is not None:
        reasons = ["2"] if level <= 2 else []
        client.post(f"/api/v1/tickets/{ticket['id']}/rating",
                    json={"level": level, "reasons": reasons, "comment": "太慢",
                          "key": ticket["rating_key"]})
    return dict(ticket)


def test_search_by_staff_window_ticket_and_action(client: TestClient,
                                                  clock: ManualClock) -> None:
    first = serve(client, "s2", "2")
    clock.advance(minutes=5)
    second = serve(client, "s3", "1", level=5)
    op = login(client, "op")
    everything = client.get(f"{H}/audit", headers=op).json()
    assert everything["from"] == everything["to"] == "2026-11-23"
    ats = [e["at"] for e in everything["entries"]]
    assert ats == sorted(ats, reverse=True) and everything["total"] == len(ats)
    by_s2 = client.get(f"{H}/audit?staff=s2", headers=op).json()["entries"]
    assert by_s2 and {e["staff_no"] for e in by_s2} == {"s2"}
    assert {"issue", "sign_in", "call_specific", "finish"} <= {e["action"] for e in by_s2}
    at_1 = client.get(f"{H}/audit?window=1", headers=op).json()["entries"]
    assert at_1 and {e["window"] for e in at_1} == {"1"}
    by_number = client.get(f"{H}/audit?ticket={first['number']}", headers=op).json()
    assert {e["ticket"] for e in by_number["entries"]} == {first["number"]}
    by_id = client.get(f"{H}/audit?ticket={second['id']}", headers=op).json()["entries"]
    assert [e["action"] for e in reversed(by_id)] == ["issue", "call_specific", "finish",
                                                      "rating"]
    finishes = client.get(f"{H}/audit?action=finish", headers=op).json()
    assert [e["ticket"] for e in finishes["entries"]] == [second["number"], first["number"]]
    assert {"code": "finish", "zh": "办结", "en": "finish"} in finishes["actions"]
    page = client.get(f"{H}/audit?limit=2&offset=1", headers=op).json()
    assert [e["id"] for e in page["entries"]] == [e["id"] for e in everything["entries"][1:3]]


def test_days_and_ranges(client: TestClient, clock: ManualClock) -> None:
    serve(client, "s2", "2")
    clock.advance(days=1)
    serve(client, "s2", "2")
    op = login(client, "op")
    monday = client.get(f"{H}/audit?day=2026-11-23&action=finish", headers=op).json()
    tuesday = client.get(f"{H}/audit?action=finish", headers=op).json()
    both = client.get(f"{H}/audit?from=2026-11-23&to=2026-11-24&action=finish",
                      headers=op).json()
    assert (monday["total"], tuesday["total"], both["total"]) == (1, 1, 2)
    # A001 exists on both days: the number names the one of the days searched
    one = client.get(f"{H}/audit?day=2026-11-23&ticket=A001", headers=op).json()
    assert {e["ticket_day"] for e in one["entries"]} == {"2026-11-23"}


def test_bad_searches_get_clear_answers(client: TestClient) -> None:
    op = login(client, "op")
    r = client.get(f"{H}/audit?from=2026-11-23&to=2026-11-01", headers=op)
    assert r.status_code == 422 and "ends before" in r.json()["detail"]
    r = client.get(f"{H}/audit?from=2026-01-01&to=2026-11-23", headers=op)
    assert r.status_code == 422 and "92 days" in r.json()["detail"]
    assert client.get(f"{H}/audit?staff=nobody", headers=op).status_code == 404
    assert client.get(f"{H}/audit?window=99", headers=op).status_code == 404
    assert client.get(f"{H}/audit?day=yesterday", headers=op).status_code == 422
    assert client.get(f"{H}/audit?limit=5000", headers=op).status_code == 422
    assert client.get(f"{H}/audit?format=pdf", headers=op).status_code == 422
    assert client.get(f"{H}/audit?ticket=ZZ999", headers=op).json()["entries"] == []
    assert client.get(f"{H}/audit", headers=login(client, "s1")).status_code == 403
    assert client.get(f"{H}/audit").status_code == 401
    assert client.get("/api/v1/halls/nope/audit", headers=op).status_code == 404


def test_csv_and_xlsx_carry_the_same_rows(client: TestClient) -> None:
    serve(client, "s2", "2")
    op = login(client, "op")
    entries = client.get(f"{H}/audit?staff=s2", headers=op).json()["entries"]
    r = client.get(f"{H}/audit?staff=s2&format=csv", headers=op)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "hallq-h1-audit-2026-11-23-2026-11-23.csv" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["时间", "操作", "工号", "人员", "设备", "窗口", "号码", "详情"]
    assert len(rows) == len(entries) + 1
    assert [row[1] for row in rows[1:]] == [
        {"issue": "取号", "sign_in": "签到上岗", "call_specific": "指定呼叫",
         "finish": "办结", "login": "登录"}[e["action"]] for e in entries]
    en = client.get(f"{H}/audit?staff=s2&format=csv&lang=en", headers=op)
    assert en.content.decode("utf-8-sig").splitlines()[0].startswith("time,action,job no.")
    x = client.get(f"{H}/audit?staff=s2&format=xlsx", headers=op)
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=1,
                                                                max_row=len(entries) + 1)]
    assert values[0][1] == "操作" and [v[6] for v in values[1:]] == [
        e["ticket"] for e in entries]


def test_a_tickets_whole_history(client: TestClient) -> None:
    ticket = serve(client, "s2", "2", level=1)
    op = login(client, "op")
    client.put(f"{H}/staff/s2/presence", json={"presence": "out"}, headers=op)
    cases = client.get(f"{H}/cases", headers=op).json()["cases"]
    client.post(f"{H}/cases/{cases[0]['id']}/verify", json={"note": "属实"}, headers=op)
    for key in (ticket["number"], ticket["id"]):
        h = client.get(f"{H}/audit/tickets/{key}", headers=op).json()
        assert h["ticket"]["number"] == ticket["number"] and h["ticket"]["status"] == "done"
        assert h["ticket"]["staff_no"] == "s2" and h["ticket"]["service_name"] == "社保卡"
        assert [e["action"] for e in h["entries"]] == [
            "issue", "call_specific", "finish", "rating", "case_open", "case_verify"]
        assert h["rating"]["level"] == 1 and h["rating"]["comment"] == "太慢"
        assert h["case"]["status"] == "verified"
    assert client.get(f"{H}/audit/tickets/{ticket['number']}?day=2026-11-20",
                      headers=op).status_code == 404
    assert client.get(f"{H}/audit/tickets/Z999", headers=op).status_code == 404
    assert client.get(f"{H}/audit/tickets/{ticket['id']}",
                      headers=login(client, "s2")).status_code == 403
    # ids inside an entry's detail are shown as people
    presence = client.get(f"{H}/audit?action=presence", headers=op).json()["entries"][0]
    assert presence["detail"]["subject_staff"] == "员工2 (s2)"
    assert presence["staff"] == "值班长"
