"""好差评 upload: every rating and case step reaches the platform simulator once, in order
per case, retried with backoff; bad records are rejected by the platform and shown to
operators; and the same through a core killed and restarted in the middle."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.clock import ManualClock
from server.core import Core
from server.evaluations import cases
from server.evaluations import service as ratings
from server.evaluations.platform import outbox
from server.evaluations.platform.models import EvaluationUpload
from server.evaluations.platform.worker import Uploader
from server.evaluations.schemas import RatingCreate
from server.halls import flows as hall_flows
from server.halls import service as halls
from server.integrations import IntegrationSettings
from server.monitoring import alerts
from server.tickets import flows as tickets
from server.windows import flows as windows
from simulators.crowd.core_process import provision, running_core
from simulators.evaluation_platform import EvaluationPlatformSim
from tests.factories import MONDAY_10, PASSWORD, hall_config
from tests.notices.conftest import staff
from tests.server.test_flows import KIOSK
from tests.server.test_one_writer import Writes

CODES = {"evaluation_area_code": "410800", "evaluation_org_code": "11410800MB1234567X",
         "evaluation_org_name": "焦作市政务服务中心"}


@pytest.fixture
def platform() -> Iterator[EvaluationPlatformSim]:
    """A running platform simulator."""
    sim = EvaluationPlatformSim()
    sim.start()
    yield sim
    sim.stop()


def uploader(core: Core, sim: EvaluationPlatformSim) -> Uploader:
    settings = IntegrationSettings(evaluation_platform_url=sim.url,
                                   evaluation_platform_key=sim.key, outbox_backoff_s=10)
    return Uploader(core, settings)


def served(core: Core, n: int) -> list[str]:
    """n tickets served at window 2; their ids."""
    who = staff(core, "s2")
    windows.sign_in(core, hall="h1", window="2", post="A", actor=who)
    ids = []
    for _ in range(n):
        ids.append(tickets.issue(core, hall="h1", service="SB01", actor=KIOSK).id)
        windows.call_next(core, hall="h1", window="2", actor=who)
        windows.start(core, hall="h1", window="2", actor=who)
        windows.finish(core, hall="h1", window="2", outcome="completed", actor=who)
    return ids


def rate(core: Core, ticket_id: str, level: int) -> None:
    ratings.record(core, ticket_id=ticket_id, channel="evaluator",
                   rating=RatingCreate(level=level, reasons=["2"] if level <= 2 else []))


def test_ratings_and_case_steps_in_order(core: Core, platform: EvaluationPlatformSim) -> None:
    hall_flows.load(core, config=hall_config(rules=CODES))
    ids = served(core, 3)
    rate(core, ids[0], 5)
    rate(core, ids[1], 1)  # 差评: a case opens with it
    up = uploader(core, platform)
    assert up.round() == 3
    op = staff(core, "op")
    [case] = cases.listing(core, hall="h1", actor=op)["cases"]
    for step in ("verify", "rectify", "answer"):
        cases.advance(core, hall="h1", case_id=case["id"], step=step, note=f"{step} done",
                      actor=op)
    cases.advance(core, hall="h1", case_id=case["id"], step="follow_up", note="回访",
                  actor=op, citizen_view="satisfied")
    rate(core, ids[2], 4)
    assert up.round() == 5
    got = list(platform.records.values())
    assert [r["record_type"] for r in got] == ["rating", "rating", "case_step", "case_step",
                                               "case_step", "case_step", "case_step", "rating"]
    steps = [r["step"] for r in got if r["record_type"] == "case_step"]
    assert steps == ["open", "verified", "rectified", "answered", "closed"]
    first = got[0]
    assert first["area_code"] == "410800" and first["org_code"] == CODES["evaluation_org_code"]
    assert first["level_name"] == "非常满意" and first["channel"] == "onsite_device"
    assert first["service_code"] == "SB01" and first["window_no"] == "2"
    assert got[1]["bad"] is True and got[1]["reasons"] == ["等候时间长"]  # code 2, named
    assert got[-2]["citizen_view"] == "satisfied" and platform.rejected == []
    assert up.round() == 0 and platform.duplicates == 0  # nothing is sent twice


def test_outage_is_retried_with_backoff_and_order_kept(
        core: Core, clock: ManualClock, platform: EvaluationPlatformSim) -> None:
    hall_flows.load(core, config=hall_config(rules=CODES))
    ids = served(core, 2)
    rate(core, ids[0], 2)  # rating + case opened: one stream of two records
    rate(core, ids[1], 5)
    platform.fail_next(1)
    up = uploader(core, platform)
    # The first record fails: its case step waits behind it; the other rating goes.
    assert up.round() == 1
    assert [r["record_type"] for r in platform.records.values()] == ["rating"]
    with core.db.read_session() as db:
        first = db.scalars(select(EvaluationUpload).order_by(EvaluationUpload.id)).first()
        assert first is not None and first.attempts == 1 and first.status == "pending"
        status = outbox.status(db, halls.get_hall(db, "h1"), clock.now(), 300)
    assert status["counts"] == {"pending": 2, "sent": 1}
    assert status["problems"][0]["error"].startswith("HTTP 503")
    assert up.round() == 0  # not due before its backoff
    clock.advance(seconds=10)
    assert up.round() == 2
    got = list(platform.records.values())
    assert [r["record_type"] for r in got] == ["rating", "rating", "case_step"]
    assert got[2]["rating_record_id"] == got[1]["record_id"]


def test_bad_records_are_rejected_and_shown(core: Core, clock: ManualClock,
                                            platform: EvaluationPlatformSim) -> None:
    ids = served(core, 1)  # the test hall has no 行政区划代码 or 统一社会信用代码
    rate(core, ids[0], 1)
    up = uploader(core, platform)
    assert up.round() == 0
    assert platform.records == {} and "area_code" in " ".join(platform.rejected[0][1])
    with core.db.read_session() as db:
        status = outbox.status(db, halls.get_hall(db, "h1"), clock.now(), 300)
    assert status["behind"] is True and status["counts"] == {"rejected": 1, "pending": 1}
    assert "org_code" in status["problems"][0]["error"]
    clock.advance(hours=1)
    assert up.round() == 0 and len(platform.rejected) == 1  # never resent as it is
    raised = alerts.scan(core, "h1")  # the operators' dashboard raises it
    assert [(a["kind"], a["detail"]["records"]) for a in raised
            if a["kind"] == "link_rejected"] == [("link_rejected", 1)]
    assert any(a["kind"] == "link_behind" for a in raised)  # an hour old: behind too
    # The administrator fixes the configuration; an operator sends the records again.
    hall_flows.load(core, config=hall_config(rules=CODES))
    assert outbox.retry_rejected(core, hall="h1", actor=staff(core, "op")) == 1
    assert up.round() == 2  # the rating, then its case's opening
    assert [r["record_type"] for r in platform.records.values()] == ["rating", "case_step"]
    assert next(iter(platform.records.values()))["area_code"] == "410800"
    assert outbox.retry_rejected(core, hall="h1", actor=staff(core, "op")) == 0


def _http_day(url: str, n: int) -> None:
    """n tickets served at window 2 and rated through the core's HTTP API."""
    with httpx.Client(base_url=url, timeout=30) as http:
        token = http.post("/api/v1/auth/token",
                          data={"username": "s2", "password": PASSWORD}).json()["access_token"]
        staff_h = {"Authorization": f"Bearer {token}"}
        assert http.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"},
                         headers=staff_h).status_code == 200
        for i in range(n):
            ticket = http.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                               headers=staff_h).json()
            for action in ("call-next", "start"):
                http.post(f"/api/v1/halls/h1/windows/2/{action}", headers=staff_h)
            http.post("/api/v1/halls/h1/windows/2/finish", json={"outcome": "completed"},
                      headers=staff_h)
            r = http.post(f"/api/v1/tickets/{ticket['id']}/rating",
                          json={"level": 1 if i % 5 == 0 else 5,
                                "reasons": ["1"] if i % 5 == 0 else [],
                                "key": ticket["rating_key"]})
            assert r.status_code == 201, r.text


def test_every_rating_exactly_once_through_a_core_restart(
        tmp_path: Path, platform: EvaluationPlatformSim, monkeypatch: pytest.MonkeyPatch) -> None:
    database = f"sqlite:///{tmp_path / 'hallq.db'}"
    provision(database, hall_config(rules=CODES))
    for name, value in {"HALLQ_EVALUATION_PLATFORM_URL": platform.url,
                        "HALLQ_EVALUATION_PLATFORM_KEY": platform.key,
                        "HALLQ_OUTBOX_SCAN_S": "0.2", "HALLQ_OUTBOX_BACKOFF_S": "0.5",
                        "HALLQ_HTTP_TIMEOUT_S": "1"}.items():
        monkeypatch.setenv(name, value)
    platform.delay_s = 0.05  # slow enough that the kill lands in the middle of the upload
    n = 30
    with running_core(database, speed=1, start=MONDAY_10, log_dir=tmp_path) as core:
        _http_day(core.url, n)
        while len(platform.records) < 5:
            time.sleep(0.02)
        os.kill(core.proc.pid, signal.SIGKILL)  # no shutdown: whatever was in flight is lost
        core.proc.wait(10)
    at_kill = len(platform.records)
    assert at_kill < n + n // 5  # the upload was cut in the middle
    with running_core(database, speed=1, start=MONDAY_10, log_dir=tmp_path):
        deadline = time.monotonic() + 60
        while len(platform.records) < n + (n + 4) // 5 and time.monotonic() < deadline:
            time.sleep(0.1)
    records = list(platform.records.values())
    rated = [r for r in records if r["record_type"] == "rating"]
    opened = [r for r in records if r["record_type"] == "case_step"]
    assert len(rated) == n and len({r["record_id"] for r in rated}) == n
    assert len(opened) == (n + 4) // 5 and platform.rejected == []
    print(f"records at the kill: {at_kill}; resent and recognised as duplicates: "
          f"{platform.duplicates}")


def test_a_round_uploads_from_its_thread_and_writes_on_the_writer(
        core: Core, platform: EvaluationPlatformSim) -> None:
    """The upload goes out from the worker's thread; its claims and results are written on
    the one writer (issue 11)."""
    hall_flows.load(core, config=hall_config(rules=CODES))
    rate(core, served(core, 1)[0], 5)
    up = uploader(core, platform)
    writes = Writes(core.db)
    sent: list[int] = []
    thread = threading.Thread(target=lambda: sent.append(up.round()), name="uploader")
    thread.start()
    thread.join()
    threads = writes.take()
    assert sent == [1] and len(platform.records) == 1
    assert len(threads) == 2 and all(name.startswith("hallq-writer") for name in threads), \
        threads  # the claim, then the record marked sent
