"""The ID-card read benchmark runs (its figures are printed, never asserted)."""

from simulators.bench.idcard import measure


async def test_the_benchmark_measures_every_placing() -> None:
    seconds = await measure(3, poll_interval=0.05)
    assert len(seconds) == 3 and all(s > 0 for s in seconds)
