"""`python -m simulators.bench.rank`: the three ways of choosing agree, and it prints."""

from __future__ import annotations

import subprocess
import sys

from simulators.bench import harness, rank


def test_the_three_choices_agree_on_several_shapes() -> None:
    for services, waiting, calls, special in ((1, 5, 16, 0), (3, 40, 4, 30), (12, 30, 16, 12),
                                              (2, 10, 16, 20)):
        figures = rank.run(services, waiting, calls, special)  # raises when they differ
        assert set(figures) == {"best", "rank heads", "rank all"}
        assert all(us > 0 for us in figures.values())


def test_it_prints_its_figures() -> None:
    done = subprocess.run([sys.executable, "-m", "simulators.bench.rank", "--waiting", "20"],
                          capture_output=True, text=True, cwd=harness.ROOT, check=True)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("choosing a window's next 16 tickets, 12 services x 20 waiting")
    assert [line.split()[0] for line in lines[1:]] == ["best", "rank", "rank"]
