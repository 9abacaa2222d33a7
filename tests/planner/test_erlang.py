"""Erlang C against textbook values and against the M/M/c chain solved numerically."""

from __future__ import annotations

import math

import pytest

from server.planner.erlang import (
    erlang_c,
    mean_wait_s,
    quantile_wait_s,
    servers_needed,
    wait_tail,
)


def test_two_erlangs_on_three_servers_wait_four_ninths_of_the_time() -> None:
    """C(3, 2) = (8/6·3) / (1 + 2 + 2 + 4) = 4/9, worked by hand."""
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)


@pytest.mark.parametrize(("agents", "expected"), [(11, 0.6821), (12, 0.4494), (13, 0.2853),
                                                  (14, 0.1741)])
def test_call_centre_textbook_example(agents: int, expected: float) -> None:
    """100 calls in 30 minutes, 180 s each (10 erlangs): the classic staffing table."""
    assert erlang_c(agents, 10.0) == pytest.approx(expected, abs=5e-5)


def test_service_level_of_the_textbook_example() -> None:
    """14 agents answer 88.84 % of the calls within 20 seconds."""
    assert 1 - wait_tail(14, 10.0, 180, 20) == pytest.approx(0.8884, abs=5e-5)


def _chain(c: int, a: float, cap: int = 400) -> list[float]:
    """Stationary distribution of the M/M/c birth-death chain, by the balance equations."""
    p = [1.0]
    for n in range(1, cap):
        p.append(p[-1] * a / min(n, c))
    total = sum(p)
    return [x / total for x in p]


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (2, 1.5), (5, 4.2), (20, 17.0)])
def test_agrees_with_the_chain(c: int, a: float) -> None:
    """P(wait) is the chance all c servers are busy; the mean wait is Little's law on it."""
    p = _chain(c, a)
    assert erlang_c(c, a) == pytest.approx(sum(p[c:]), rel=1e-6)
    queue = sum((n - c) * x for n, x in enumerate(p) if n > c)
    service_s = 300.0
    arrivals_per_s = a / service_s
    assert mean_wait_s(c, a, service_s) == pytest.approx(queue / arrivals_per_s, rel=1e-6)


def test_quantile_is_where_the_tail_falls_to_ten_percent() -> None:
    """P(wait > p90) = 10 %."""
    t = quantile_wait_s(6, 5.0, 600)
    assert wait_tail(6, 5.0, 600, t) == pytest.approx(0.1)
    assert quantile_wait_s(10, 2.0, 600) == 0.0  # hardly anybody waits at all


def test_unstable_queues_wait_forever() -> None:
    """At or above one erlang per server the queue grows without bound."""
    assert erlang_c(2, 2.5) == 1.0
    assert math.isinf(mean_wait_s(2, 2.0, 60))
    assert math.isinf(quantile_wait_s(3, 3.5, 60))


def test_servers_needed_is_the_fewest_that_meet_the_target() -> None:
    """The answer meets the target and one server fewer does not."""
    for a, service_s, target_s in ((5.0, 600, 1200), (10.0, 180, 20), (0.3, 300, 60),
                                   (42.0, 240, 600)):
        c = servers_needed(a, service_s, target_s)
        assert quantile_wait_s(c, a, service_s) <= target_s
        assert quantile_wait_s(c - 1, a, service_s) > target_s
    assert servers_needed(5.0, 600, 1200) == 6
    assert servers_needed(0.0, 600, 1200) == 0
