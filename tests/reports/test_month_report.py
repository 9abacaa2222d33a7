"""Reports on a generated month, checked against figures computed from the generator's log."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator
from statistics import mean

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from server.app import create_app
from server.clock import ManualClock
from server.core import Core
from server.halls import flows as hall_flows
from tests.conftest import login, make_core
from tests.factories import MONDAY_10, hall_config
from tests.reports.generator import WORKING, Played, TicketLog, play_month

H = "/api/v1/halls/h1"


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Core, Played]]:
    """November 2026 played once through the flows, shared by this module's read-only tests."""
    clock = ManualClock(MONDAY_10)
    core = make_core(f"sqlite:///{tmp_path_factory.mktemp('month') / 'hallq.db'}", clock)
    hall_flows.load(core, config=hall_config())
    log = play_month(core, clock)
    yield core, log
    core.db.dispose()


@pytest.fixture(scope="module")
def client(played: tuple[Core, Played]) -> Iterator[TestClient]:
    """An HTTP client on the played month."""
    with TestClient(create_app(played[0])) as c:
        yield c


@pytest.fixture
def month(played: tuple[Core, Played]) -> Played:
    """The generator's log of the month."""
    return played[1]


def nearest_rank_p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * 9 / 10) - 1]


def expected(tickets: list[TicketLog]) -> dict[str, object]:
    """The figures of a group of tickets, computed from the generator's own log."""
    waits = [(t.called_at - t.issued_at).total_seconds() for t in tickets if t.called_at]
    handles = [(t.finished_at - t.started_at).total_seconds() for t in tickets
               if t.status == "done" and t.finished_at and t.started_at]
    served = sum(t.status == "done" for t in tickets)
    no_show = sum(t.status == "no_show" for t in tickets)
    ratings = [t.rating for t in tickets if t.rating is not None]
    return {
        "issued": len(tickets), "served": served, "no_show": no_show,
        "no_show_rate": round(100 * no_show / (served + no_show), 1) if served + no_show
        else None,
        "wait_avg_s": round(mean(waits), 1) if waits else None,
        "wait_p90_s": round(nearest_rank_p90(waits), 1) if waits else None,
        "handle_avg_s": round(mean(handles), 1) if handles else None,
        "handle_p90_s": round(nearest_rank_p90(handles), 1) if handles else None,
        "transfers": sum(t.transfers for t in tickets),
        "one_time_notice": sum(t.outcome == "correction_notice" for t in tickets),
        "ratings": {str(k): ratings.count(k) for k in range(1, 6)},
        "satisfaction": round(100 * sum(r >= 3 for r in ratings) / len(ratings), 1)
        if ratings else None,
        "bad": sum(r <= 2 for r in ratings),
        "cases": sum(r <= 2 for r in ratings),
    }


def check(row: dict[str, object], want: dict[str, object]) -> None:
    got = {k: row[k] for k in want}
    assert got == want


def group(played: Played, key: Callable[[TicketLog], object]) -> dict[object, list[TicketLog]]:
    out: dict[object, list[TicketLog]] = {}
    for t in played.tickets.values():
        out.setdefault(key(t), []).append(t)
    return out


def test_month_by_window_staff_service_and_total(client: TestClient, month: Played) -> None:
    op = login(client, "op")
    assert len(month.tickets) == 10 * len(WORKING) == 220
    report = client.get(f"{H}/reports?period=month&day=2026-11-15&by=window", headers=op).json()
    assert report["label"] == "2026-11" and report["start"] == "2026-11-01"
    assert report["end"] == "2026-11-30"
    check(report["total"], expected(list(month.tickets.values())))
    rows = {r["label"].split()[0] if r["key"] is not None else None: r for r in report["rows"]}
    for window, tickets in group(month, lambda t: t.window).items():
        check(rows[window], expected(tickets))
    pause = sum(s for w, _, s in month.pauses if w == "3")
    assert pause > 0 and rows["3"]["pause_s"] == pause and rows["1"]["pause_s"] == 0

    by_staff = client.get(f"{H}/reports?period=month&day=2026-11-01&by=staff",
                          headers=op).json()
    srows = {r["label"]: r for r in by_staff["rows"]}
    for staff, tickets in group(month, lambda t: t.staff).items():
        if staff is not None:
            check(srows[f"员工{staff[1:]} ({staff})"], expected(tickets))

    by_service = client.get(f"{H}/reports?period=month&day=2026-11-01&by=service",
                            headers=op).json()
    vrows = {r["label"].split()[0]: r for r in by_service["rows"]}
    for service, tickets in group(month, lambda t: t.service).items():
        check(vrows[service], expected(tickets))


def test_day_quarter_and_year(client: TestClient, month: Played) -> None:
    op = login(client, "op")
    day = WORKING[3]
    report = client.get(f"{H}/reports?period=day&day={day}&by=service", headers=op).json()
    check(report["total"], expected([t for t in month.tickets.values() if t.day == day]))
    for period, label in (("quarter", "2026Q4"), ("year", "2026")):
        r = client.get(f"{H}/reports?period={period}&day=2026-11-02&by=department",
                       headers=op).json()
        assert r["label"] == label
        check(r["total"], expected(list(month.tickets.values())))
    empty = client.get(f"{H}/reports?period=month&day=2026-10-01", headers=op).json()
    assert empty["total"]["issued"] == 0 and empty["rows"] == []


def test_csv_and_xlsx_exports_carry_the_same_figures(client: TestClient,
                                                     month: Played) -> None:
    op = login(client, "op")
    want = expected(list(month.tickets.values()))
    r = client.get(f"{H}/reports?period=month&day=2026-11-01&by=window&format=csv",
                   headers=op)
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    head, total = rows[0], rows[-1]
    assert head[:3] == ["名称", "取号数", "办结数"] and total[0] == "合计"
    assert int(total[1]) == want["issued"] and int(total[2]) == want["served"]
    assert int(total[head.index("一次性告知")]) == want["one_time_notice"]
    r = client.get(f"{H}/reports?period=month&day=2026-11-01&by=service&format=xlsx&lang=en",
                   headers=op)
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][:3] == ["name", "issued", "served"]
    total_row = next(v for v in values if v[0] == "Total")  # the English sheet in English
    assert total_row[1] == want["issued"] and total_row[2] == want["served"]
    assert len(ws._charts) == 1


def test_staff_monthly_assessment_sheet(client: TestClient, month: Played) -> None:
    op = login(client, "op")
    sheet = client.get(f"{H}/reports/staff/s2?month=2026-11-01", headers=op).json()
    mine = [t for t in month.tickets.values() if t.staff == "s2"]
    check(sheet["total"], expected(mine))
    assert sheet["staff"]["job_no"] == "s2" and sheet["days_signed_in"] == len(WORKING)
    assert sum(d["served"] for d in sheet["days"]) == sum(t.status == "done" for t in mine)
    assert len(sheet["cases"]) == sum(1 for t in mine if t.rating is not None and t.rating <= 2)
    quarter = client.get(f"{H}/reports/staff/s2?month=2026-11-01&period=quarter",
                         headers=op).json()
    assert quarter["month"] == "2026Q4" and quarter["total"] == sheet["total"]
    x = client.get(f"{H}/reports/staff/s2?month=2026-11-01&format=xlsx", headers=op)
    assert x.status_code == 200 and x.content[:2] == b"PK"
