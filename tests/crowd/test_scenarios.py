"""Scenario files, the drawn day, screen coverage and the soak's memory verdict."""

from __future__ import annotations

from collections import Counter

import pytest

from simulators.crowd.bench_day import memory_verdict
from simulators.crowd.scenario import draw_day, draw_staff_events, load_scenario, serves
from simulators.crowd.screens import Screen, coverage


@pytest.mark.parametrize(("name", "windows", "services"), [
    ("township", 5, 9), ("county", 16, 19), ("city", 80, 40), ("demo", 6, 9)])
def test_every_scenario_loads(name: str, windows: int, services: int) -> None:
    """Each file is a valid hall configuration with a service mix it knows."""
    scenario = load_scenario(name)
    config = scenario.hall_config()
    assert (len(config.windows), len(config.services)) == (windows, services)
    staff = [s for s in config.staff if "staff" in s.roles]
    assert len(staff) == 2 * windows  # an A and a B post for every window
    assert any("admin" in s.roles for s in config.staff)


def test_the_city_hall_day_is_the_design_size() -> None:
    """20,000 visitors, a morning peak after opening and a smaller one after lunch."""
    scenario = load_scenario("city")
    people = draw_day(scenario)
    assert len(people) == 20_000
    by_hour = Counter(p.arrival.hour for p in people)
    assert by_hour[9] == max(by_hour.values())
    assert by_hour[14] > by_hour[13] and by_hour[14] < by_hour[9]
    assert min(p.arrival for p in people).strftime("%H:%M") >= "08:30"
    bad = sum(1 for p in people if p.rating in (1, 2))
    rated = sum(1 for p in people if p.rating is not None)
    assert 0.02 < bad / rated < 0.08  # 差评 a few percent of the ratings
    assert 0.03 < sum(p.absent for p in people) / len(people) < 0.08


def test_a_day_is_reproducible_and_follows_the_rates() -> None:
    """The same seed draws the same day; shares follow the behaviour settings."""
    scenario = load_scenario("county")
    a, b = draw_day(scenario), draw_day(scenario)
    assert [(p.arrival, p.service, p.handle_s) for p in a] == [
        (p.arrival, p.service, p.handle_s) for p in b]
    green = sum(p.green for p in a) / len(a)
    assert abs(green - scenario.behaviour.green_share) < 0.02
    assert all(p.transfer_to != p.service for p in a if p.transfer_to)
    events = draw_staff_events(scenario)
    assert {e.kind for e in events} == {"pause", "takeover"}


def test_window_scopes_mirror_the_engine() -> None:
    """Any-matter windows take general services, domain windows their domain, specials theirs."""
    config = load_scenario("demo").hall_config()
    scopes = serves(config)
    assert "ZX" not in scopes["1"] and "SB01" in scopes["1"]
    assert scopes["4"] == {"BDC01"}
    assert scopes["6"] == {"ZX", "BB"}


def test_coverage_counts_what_each_screen_missed() -> None:
    """A hall screen needs every call, a window screen only its window's."""
    calls = [{"ticket": "A001", "window": "1", "recall": False},
             {"ticket": "A002", "window": "2", "recall": False},
             {"ticket": "A002", "window": "2", "recall": True}]
    hall = Screen("h", None, calls=[{**c, "seq": i} for i, c in enumerate(calls)])
    win2 = Screen("w2", "2", calls=[{**calls[1], "seq": 1}])
    result = coverage([hall, win2], calls)
    assert result["missing"] == 1 and result["worst_screen"] == "w2"
    assert coverage([hall], calls)["missing"] == 0


def test_memory_verdict() -> None:
    """Warm-up growth is allowed; steady growth after it is not."""
    flat = [(float(i), 100_000 + (20_000 if i > 5 else i * 4000)) for i in range(40)]
    leak = [(float(i), 100_000 + i * 5000) for i in range(40)]
    assert memory_verdict(flat)["flat"]
    assert not memory_verdict(leak)["flat"]
    assert not memory_verdict(flat[:4])["flat"]
