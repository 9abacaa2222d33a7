"""The planner on a synthetic history whose answer is known, and its plan simulated."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from argon2 import PasswordHasher
from sqlalchemy import select

from server.app import build_core
from server.cli import main
from server.core import Core
from server.halls import flows as hall_flows
from server.halls import service as halls
from server.halls.models import Hall, Service
from server.halls.schemas import HallConfig
from server.planner import erlang
from server.planner.history import learn
from server.planner.plan import evaluate, recommend
from server.settings import Settings, get_settings
from server.tickets.models import Ticket
from simulators.crowd.runner import Options
from simulators.crowd.scenario import Behaviour, Handling, Scenario
from simulators.crowd.simulate import run_scenario
from tests.factories import SHANGHAI

TUESDAY = date(2026, 11, 24)
HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("sim")
ANY, SPECIAL = "综合受理窗口", "咨询专窗"


def plan_hall() -> HallConfig:
    """Eight any-matter windows and two consultation windows, open 09:00-11:00."""
    return HallConfig.model_validate({
        "hall": {"code": "p1", "name": "规划测试中心"},
        "rules": {"issue_cutoff_min": 0},
        "hours": {d: ["09:00-11:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "domains": [{"code": "SB", "name": "社保"}],
        "services": [
            {"code": "G1", "name": "社保卡", "prefix": "A", "domain": "SB", "avg_handle_min": 10},
            {"code": "G2", "name": "养老保险", "prefix": "B", "domain": "SB"},
            {"code": "ZX", "name": "综合咨询", "prefix": "Z", "kind": "special",
             "special_type": "consult", "avg_handle_min": 5},
        ],
        "windows": [{"number": str(i), "name": ANY, "kind": "any"} for i in range(1, 9)]
        + [{"number": str(i), "name": SPECIAL, "kind": "special", "services": ["ZX"]}
           for i in (9, 10)],
        "staff": [{"job_no": f"p{i}", "name": f"员工{i}", "password_hash": HASH}
                  for i in range(1, 11)]
        + [{"job_no": "p-op", "name": "值班长", "roles": ["operator"], "password_hash": HASH},
           {"job_no": "p-admin", "name": "管理员", "roles": ["admin", "operator"],
            "password_hash": HASH}],
    })


def _steady(db: object, hall: Hall, service: Service, day: date, every_min: int,
            handle_s: int) -> None:
    """Tickets every `every_min` minutes from 09:00 to 11:00, each busy `handle_s` seconds."""
    t = datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
    end = t + timedelta(hours=2)
    n = 0
    while t < end:
        n += 1
        db.add(Ticket(id=f"{service.code}{day:%m%d}{n:04d}", hall_id=hall.id,  # type: ignore[attr-defined]
                      service_id=service.id, number=f"{service.prefix}{n:03d}",
                      business_day=day, status="done", issued_at=t, queued_at=t,
                      called_at=t + timedelta(seconds=30),
                      finished_at=t + timedelta(seconds=30 + handle_s)))
        t += timedelta(minutes=every_min)


@pytest.fixture
def history_core(tmp_path: Path) -> Iterator[Core]:
    """A hall with four Tuesdays of steady traffic and one busier Monday."""
    core = build_core(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", pepper="t"))
    hall_flows.load(core, config=plan_hall())
    with core.db.begin() as db:
        hall = halls.get_hall(db, "p1")
        services = {s.code: s for s in db.scalars(select(Service))}
        for weeks in range(1, 5):
            day = TUESDAY - timedelta(weeks=weeks)
            _steady(db, hall, services["G1"], day, every_min=2, handle_s=600)
            _steady(db, hall, services["ZX"], day, every_min=10, handle_s=300)
        _steady(db, hall, services["G1"], TUESDAY - timedelta(days=8), 1, 600)  # a Monday
    yield core
    core.db.dispose()


def test_learns_the_weekday_rates_and_handling_times(history_core: Core) -> None:
    """30 an hour of G1 at 10 minutes, 6 an hour of ZX at 5, from the four Tuesdays."""
    with history_core.db.read_session() as db:
        history = learn(db, halls.get_hall(db, "p1"), day=TUESDAY)
    assert len(history.days) == 4
    assert all(d.weekday() == 1 for d in history.days)
    assert history.rate_per_min[9]["G1"] == pytest.approx(0.5)
    assert history.rate_per_min[10]["ZX"] == pytest.approx(0.1)
    assert history.handle_s["G1"] == pytest.approx(600)
    assert history.handle_s["G2"] == pytest.approx(600)  # no history: the configured mean


def test_recommends_the_erlang_c_answer(history_core: Core) -> None:
    """5 erlangs at 10 minutes need 6 windows for a p90 under 20 minutes; 0.5 need 1."""
    with history_core.db.read_session() as db:
        hall = halls.get_hall(db, "p1")
        plan = recommend(db, hall, day=TUESDAY, history=learn(db, hall, day=TUESDAY))
    assert plan.windows() == {"09": {ANY: 6, SPECIAL: 1}, "10": {ANY: 6, SPECIAL: 1}}
    cell = plan.hours[9][ANY]
    assert cell.load == pytest.approx(5.0)
    assert cell.p90_min == pytest.approx(erlang.quantile_wait_s(6, 5.0, 600) / 60)
    assert all(c.meets for cells in plan.hours.values() for c in cells.values())


def test_a_tighter_target_needs_more_windows(history_core: Core) -> None:
    """A 5-minute target asks for the Erlang C answer for 5 minutes."""
    with history_core.db.read_session() as db:
        hall = halls.get_hall(db, "p1")
        plan = recommend(db, hall, day=TUESDAY, history=learn(db, hall, day=TUESDAY),
                         target_min=5)
    assert plan.hours[9][ANY].windows == erlang.servers_needed(5.0, 600, 300)
    assert plan.hours[9][ANY].windows > 6


def test_evaluates_the_managers_plan(history_core: Core) -> None:
    """Five windows for five erlangs never catch up; nobody at the consultation window
    means an endless wait for it."""
    with history_core.db.read_session() as db:
        hall = halls.get_hall(db, "p1")
        history = learn(db, hall, day=TUESDAY)
        plan = evaluate(db, hall, day=TUESDAY, history=history,
                        windows={"09": {ANY: 5, SPECIAL: 1}, "10": {ANY: 7}})
        with pytest.raises(ValueError, match="unknown window groups"):
            evaluate(db, hall, day=TUESDAY, history=history, windows={"09": {"x": 1}})
    assert math.isinf(plan.hours[9][ANY].p90_min) and not plan.hours[9][ANY].meets
    assert plan.hours[10][ANY].meets
    assert plan.hours[10][ANY].mean_min == pytest.approx(
        erlang.mean_wait_s(7, 5.0, 600) / 60)
    assert math.isinf(plan.hours[10][SPECIAL].p90_min) and not plan.hours[10][SPECIAL].meets


def test_hallq_plan_prints_the_plan_and_judges_a_managers_plan(
        history_core: Core, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The command line: a table, JSON that `--plan` reads back, and a refusal without history."""
    monkeypatch.setenv("HALLQ_DATABASE_URL", str(history_core.db.engine.url))
    try:
        assert main(["plan", "--hall", "p1", "--date", "2026-11-24"]) == 0
        out = capsys.readouterr().out
        assert "recommended windows per hour" in out and "6/8" in out
        assert "every hour meets the target" in out
        assert main(["plan", "--hall", "p1", "--date", "2026-11-24", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["windows"]["09"] == {ANY: 6, SPECIAL: 1}
        mine = tmp_path / "mine.yaml"
        mine.write_text(yaml.safe_dump({9: {ANY: 5, SPECIAL: 1}, 10: data["windows"]["10"]},
                                       allow_unicode=True), encoding="utf-8")
        assert main(["plan", "--hall", "p1", "--date", "2026-11-24", "--plan", str(mine)]) == 0
        out = capsys.readouterr().out
        assert "expected waits" in out and f"09:00 {ANY}" in out.splitlines()[-1]
        assert main(["plan", "--hall", "p1", "--date", "2026-01-06"]) == 2
        assert "no tickets" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_the_recommendation_meets_the_target_when_simulated(history_core: Core,
                                                            tmp_path: Path) -> None:
    """The same traffic played against a real core, staffed as recommended."""
    with history_core.db.read_session() as db:
        hall = halls.get_hall(db, "p1")
        plan = recommend(db, hall, day=TUESDAY, history=learn(db, hall, day=TUESDAY))
    quiet = Behaviour(green_share=0, appointment_share=0, no_show_rate=0, transfer_rate=0,
                      cancel_rate=0, walk_s=(5, 10), rating_share=0, pauses_per_window=0,
                      takeovers_per_window=0)
    scenario = Scenario(name="planned", date=TUESDAY, seed=5, hall=plan_hall(), tickets=30,
                        curve={"09": 1},
                        services={"G1": Handling(share=5, median_min=9.5, sigma=0.3),
                                  "ZX": Handling(share=1, median_min=4.75, sigma=0.3)},
                        behaviour=quiet, staffing=plan.windows())
    run = run_scenario(scenario, options=Options(speed=300, window_screens=0),
                       work=tmp_path)
    s = run.summary
    assert s["refused"] == 0, s["refusals"]
    assert s["core"]["statuses"] == {"done": 30}, (s["stalled"], s["failures"])
    assert s["waits"]["p90_min"] <= 20
    staffed = max(q["staffed"] for q in s["queue"])
    assert staffed == 7  # six any-matter windows and one consultation window
