"""Every report row labelled, no rate claimed for an empty period, units on figures."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.conftest import login

H = "/api/v1/halls/h1"


def test_an_empty_month_has_no_rates_only_no_data(client: TestClient) -> None:
    op = login(client, "op")
    body = client.get(f"{H}/reports?period=month&day=2026-10-01&by=window", headers=op).json()
    assert body["rows"] == []
    assert body["case_rates"]["cases"] == 0
    assert body["case_rates"]["feedback_rate"] is None  # not 100 %: nothing was handled
    assert body["total"]["satisfaction"] is None and body["total"]["wait_avg_s"] is None
    for lang, no_data, total in (("zh", "无数据", "合计"), ("en", "n/a", "Total")):
        r = client.get(f"{H}/reports?period=month&day=2026-10-01&by=window&format=csv"
                       f"&lang={lang}", headers=op)
        head, row = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert row[0] == total
        assert row[head.index("满意率%" if lang == "zh" else "satisfaction %")] == no_data
        assert row[head.index("平均等候(分)" if lang == "zh" else "avg wait (min)")] == no_data
        assert row[head.index("取号数" if lang == "zh" else "issued")] == "0"


def test_tickets_never_called_are_a_labelled_row(client: TestClient) -> None:
    staff = login(client, "s1")
    assert client.post(f"{H}/tickets", json={"service": "SB01"}, headers=staff).status_code == 201
    op = login(client, "op")
    body = client.get(f"{H}/reports?period=day&by=window", headers=op).json()
    [row] = body["rows"]
    assert row["key"] is None and row["label"] == "未叫号（无窗口）" and row["issued"] == 1
    r = client.get(f"{H}/reports?period=day&by=staff&format=csv&lang=en", headers=op)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1][0] == "not called (no staff)" and rows[2][0] == "Total"
    assert all(cell != "" and cell != "—" for row in rows for cell in row)


def test_a_staff_sheet_for_an_unknown_job_number_says_so(client: TestClient) -> None:
    op = login(client, "op")
    r = client.get(f"{H}/reports/staff/nobody", headers=op)
    assert r.status_code == 404
    assert r.json() == {"detail": "no staff 'nobody' in hall 'h1'", "code": "unknown_staff"}
