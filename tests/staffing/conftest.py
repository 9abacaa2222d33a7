"""A test hall whose windows name their A and B posts in advance (AB岗)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from server.core import Core
from server.halls import flows as hall_flows
from tests.factories import TEST_HALL, hall_config


def ab_windows() -> list[dict[str, Any]]:
    """The test hall's windows; window 2 names s2 (A) and s3 (B), window 3 names s4 (A)."""
    windows: list[dict[str, Any]] = copy.deepcopy(TEST_HALL["windows"])
    windows[1].update(a_staff="s2", b_staff="s3")
    windows[2].update(a_staff="s4")
    return windows


@pytest.fixture
def ab_core(core: Core) -> Core:
    """The core with the A and B posts named."""
    hall_flows.load(core, config=hall_config(windows=ab_windows()))
    return core
