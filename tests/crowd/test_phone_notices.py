"""A simulated morning where a share of visitors take their number from a phone with an SMS
reminder: every text the gateway simulator received matches a ticket that reached its
threshold, none went to a ticket already served, each exactly once."""

from __future__ import annotations

from pathlib import Path

from simulators.crowd.report import accounted, text_report
from simulators.crowd.runner import Options
from simulators.crowd.scenario import load_scenario
from simulators.crowd.simulate import run_scenario


def test_phone_tickets_and_their_reminders(tmp_path: Path) -> None:
    scenario = load_scenario("township", citizens=50)
    behaviour = scenario.behaviour.model_copy(update={"phone_share": 0.5, "notice_ahead": 2})
    scenario = scenario.model_copy(update={"curve": {"08": 1.5, "09": 2.0},
                                           "behaviour": behaviour})
    run = run_scenario(scenario, options=Options(speed=300, hall_screens=1), work=tmp_path)
    s = run.summary
    assert accounted(s), s["mismatched"]
    assert s["http"]["server_errors"] == 0, s["http"]["errors"]
    notices = s["notices"]
    assert notices["bad"] == [], notices["bad"]
    assert notices["phone_tickets"] >= 10
    assert notices["near"] > 0 and notices["called"] > 0 and notices["texts"] > 0
    assert notices["duplicates"] == 0 and notices["failed"] == 0 and notices["unsent"] == 0
    # Every phone ticket that was called had its "called" text, or it was dropped because
    # the citizen was already at the window when the sender came to it.
    called_phones = sum(1 for r in run.sim.records if r.phone and r.first_called_at)
    assert notices["called"] + notices["dropped"] >= called_phones
    assert "every text checked: yes" in text_report(s)
    assert run.core is not None and "Traceback" not in run.core.log_text()
    print(text_report(s))
