"""Login throttling, per account and per address (issue 10: no password guessing).

Failed logins are counted in a sliding window, per job number and per client address.
Past the limit, every attempt (right or wrong) is refused with 429 and `Retry-After` until
the oldest failure leaves the window, so guessing costs the guesser time, not the hall a
locked-out account for the rest of the day. The counts live in each core process: with N
processes behind a balancer a guesser gets at most N times the limit, still a handful of
tries a minute. A successful login clears the account's failures.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

from server.errors import HallqError

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW_S = 300.0


class TooManyAttempts(HallqError):
    """Too many failed logins: wait `retry_after` seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class LoginThrottle:
    """Sliding-window failure counts per account and per address."""

    def __init__(self, now: Callable[[], float], *, account_limit: int = ACCOUNT_LIMIT,
                 address_limit: int = ADDRESS_LIMIT, window_s: float = WINDOW_S) -> None:
        self._now = now
        self._limits = {"account": account_limit, "address": address_limit}
        self._window = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self._window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def check(self, *, account: str, address: str) -> None:
        """Raise TooManyAttempts while the account or the address is over its limit."""
        now = self._now()
        with self._lock:
            for kind, value in (("account", account), ("address", address)):
                times = self._recent((kind, value), now)
                if len(times) >= self._limits[kind]:
                    wait = max(1, math.ceil(times[0] + self._window - now))
                    raise TooManyAttempts(
                        f"too many failed logins for this {kind}; try again in {wait} s",
                        retry_after=wait)

    def failed(self, *, account: str, address: str) -> None:
        """Count a failed login."""
        now = self._now()
        with self._lock:
            for key in (("account", account), ("address", address)):
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, *, account: str) -> None:
        """A right password clears the account's failures (not the address's)."""
        with self._lock:
            self._failures.pop(("account", account), None)


__all__ = ["ACCOUNT_LIMIT", "ADDRESS_LIMIT", "WINDOW_S", "LoginThrottle", "TooManyAttempts"]
