"""When an outbox record is tried again after a failed send."""

from __future__ import annotations

from datetime import datetime, timedelta


def next_attempt(now: datetime, attempts: int, *, base_s: float, max_s: float) -> datetime:
    """Exponential backoff: base, 2×base, 4×base … capped at max_s, after `attempts` tries."""
    delay = min(max_s, base_s * (2 ** max(0, attempts - 1)))
    return now + timedelta(seconds=delay)
