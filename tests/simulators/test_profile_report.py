"""The profile script's reading of py-spy's raw stacks (the run itself needs py-spy's
ptrace and is a benchmark, not a test)."""

from __future__ import annotations

from simulators.bench.profile import frame_name, inclusive

RAW = [
    "run (threading.py:1002);issue (/x/server/tickets/flows.py:59);record "
    "(/x/server/audit/service.py:36) 3\n",
    "run (threading.py:1002);issue (/x/server/tickets/flows.py:60) 2\n",
    "run (threading.py:1002);issue (/x/server/tickets/flows.py:59);issue "
    "(/x/server/tickets/flows.py:70) 1\n",
    "garbage line\n",
]


def test_frames_are_named_by_function_and_project_path() -> None:
    assert frame_name("issue (/x/server/tickets/flows.py:59)") == "issue server/tickets/flows.py"
    assert frame_name("run (threading.py:1002)") == "run threading.py"


def test_inclusive_counts_a_function_once_per_stack() -> None:
    total, counts = inclusive(RAW)
    assert total == 6
    assert counts["issue server/tickets/flows.py"] == 6  # recursion counted once
    assert counts["record server/audit/service.py"] == 3
    assert counts["run threading.py"] == 6
