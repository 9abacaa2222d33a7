"""`python -m simulators.bench.reads`: the picture and the database answer alike, and it
prints its figures."""

from __future__ import annotations

import subprocess
import sys

from simulators.bench import harness, reads


def test_the_picture_and_the_database_agree() -> None:
    figures = reads.run(waiting=70, window_count=4, repeat=2)  # raises when they differ
    assert set(figures) == {"counter list", "next tickets", "kiosk"}
    for modes in figures.values():
        assert set(modes) == {"picture", "database"}
        assert all(calls > 0 and ms > 0 for calls, ms in modes.values())
    # The list from the picture keys ~50 tickets, not every waiting one.
    assert figures["counter list"]["picture"][0] < figures["counter list"]["database"][0]


def test_it_prints_its_figures() -> None:
    done = subprocess.run([sys.executable, "-m", "simulators.bench.reads", "--waiting", "30",
                           "--windows", "3", "--repeat", "2"],
                          capture_output=True, text=True, cwd=harness.ROOT, check=True)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("reads repeated on each change of the queue, 30 waiting")
    assert [line.split()[0] for line in lines[1:]] == ["counter", "next", "kiosk"]
