"""Erlang C: waiting in an M/M/c queue, and the fewest servers that meet a wait target.

`a` is the offered load in erlangs (arrival rate × mean service time), `c` the servers.
P(wait > t) = C(c, a) · exp(−(c − a) · t / s) for mean service time s; the p90 wait is the
t where that falls to 10 %.
"""

from __future__ import annotations

import math


def erlang_c(c: int, a: float) -> float:
    """The probability that an arrival waits (1 when the queue is unstable, a ≥ c)."""
    if a <= 0:
        return 0.0
    if c <= a:
        return 1.0
    # Erlang B by its stable recursion, then C from B.
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


def wait_tail(c: int, a: float, service_s: float, t_s: float) -> float:
    """P(wait > t) in M/M/c."""
    if a <= 0:
        return 0.0
    if c <= a:
        return 1.0
    return erlang_c(c, a) * math.exp(-(c - a) * t_s / service_s)


def mean_wait_s(c: int, a: float, service_s: float) -> float:
    """Mean wait in M/M/c (infinite when unstable)."""
    if a <= 0:
        return 0.0
    if c <= a:
        return math.inf
    return erlang_c(c, a) * service_s / (c - a)


def quantile_wait_s(c: int, a: float, service_s: float, q: float = 0.9) -> float:
    """The q-quantile of the wait in M/M/c (0 when fewer than 1 − q wait at all)."""
    if a <= 0:
        return 0.0
    if c <= a:
        return math.inf
    p = erlang_c(c, a)
    if p <= 1 - q:
        return 0.0
    return math.log(p / (1 - q)) * service_s / (c - a)


def servers_needed(a: float, service_s: float, target_s: float, q: float = 0.9,
                   limit: int = 10_000) -> int:
    """The fewest servers whose q-quantile wait is at most `target_s`."""
    if a <= 0:
        return 0
    c = max(1, math.floor(a) + 1)
    while quantile_wait_s(c, a, service_s, q) > target_s:
        c += 1
        if c > limit:
            raise ValueError("no staffing meets the target")
    return c
