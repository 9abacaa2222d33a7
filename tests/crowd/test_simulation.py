"""A short scenario at high speed against a real core: every ticket accounted for, and the
figures agree with the core's own data (its API during the run, its database after)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from simulators.crowd.report import accounted, html_report, text_report
from simulators.crowd.runner import Options
from simulators.crowd.scenario import load_scenario
from simulators.crowd.simulate import run_scenario


def test_a_short_township_day(tmp_path: Path) -> None:
    """40 visitors of a morning with no-shows, returns, transfers and cancellations, ×600."""
    scenario = load_scenario("township", citizens=40)
    behaviour = scenario.behaviour.model_copy(update={
        "no_show_rate": 0.15, "transfer_rate": 0.1, "cancel_rate": 0.08, "return_rate": 0.6})
    scenario = scenario.model_copy(update={"curve": {"08": 1.5, "09": 2.0},
                                           "behaviour": behaviour})
    run = run_scenario(scenario, options=Options(speed=600, hall_screens=2), work=tmp_path)
    s = run.summary
    assert accounted(s), s["mismatched"]
    assert s["http"]["server_errors"] == 0, s["http"]["errors"]
    assert s["screens"]["missing"] == 0 and s["screens"]["screens"] == 2 + 5
    assert s["core"]["wait_mismatch"] == 0 and not s["failures"] and not s["stalled"]
    assert not s["resynced"]
    assert s["report_check"] is not None and s["report_check"]["agree"], s["report_check"]
    assert s["alerts"] is not None  # the monitoring API answered through the day
    assert s["issued"] + s["refused"] == 40
    assert run.core is not None and "Traceback" not in run.core.log_text()

    engine = create_engine(f"sqlite:///{tmp_path / 'sim.db'}")
    with engine.connect() as db:
        statuses = dict(db.execute(text(
            "SELECT status, count(*) FROM tickets GROUP BY status")).all())
        ratings = dict(db.execute(text(
            "SELECT level, count(*) FROM evaluations GROUP BY level")).all())
        reasons = db.execute(text(
            "SELECT count(*) FROM tickets WHERE status = 'cancelled' AND close_reason IS NULL"
        )).scalar_one()
        transfers = db.execute(text("SELECT count(*) FROM tickets WHERE transfers > 0")).scalar()
        requeued = db.execute(text("SELECT count(*) FROM tickets WHERE requeues > 0")).scalar()
        waits = [row[0] for row in db.execute(text(
            "SELECT (julianday(called_at) - julianday(issued_at)) * 86400 FROM tickets "
            "WHERE status = 'done' AND transfers = 0 AND requeues = 0")).all()]
    engine.dispose()
    assert statuses == s["core"]["statuses"]
    assert sum(statuses.values()) == s["issued"]
    assert set(statuses) <= {"done", "no_show", "cancelled"}
    assert reasons == 0
    assert {str(k): v for k, v in ratings.items()} == {k: v for k, v in s["ratings"].items()
                                                       if v}
    assert transfers == s["transfers"] and requeued == s["returned"]
    assert s["transfers"] > 0 and s["states"].get("no_show", 0) + s["returned"] > 0
    sim_waits = sorted((r.first_called_at - r.issued_at).total_seconds()
                       for r in run.sim.records
                       if r.state == "done" and not r.transferred and not r.requeues)
    assert len(sim_waits) == len(waits)
    assert all(abs(a - b) < 1 for a, b in zip(sim_waits, sorted(waits), strict=True))
    assert "every ticket accounted for: yes" in text_report(s)
    assert "<svg" in html_report(s)
