"""Simulated devices on real pseudo-ttys and TCP sockets (driver and simulator tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulators import (
    EvaluatorSimulator,
    IdCardSimulator,
    LedBoardSimulator,
    PrinterSimulator,
    ScannerSimulator,
)


@pytest.fixture
async def printer_sim() -> AsyncIterator[PrinterSimulator]:
    """A TCP ESC/POS printer on a free port."""
    sim = PrinterSimulator()
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def evaluator_sim() -> AsyncIterator[EvaluatorSimulator]:
    """An evaluator on a pty with quick heartbeats and retries."""
    sim = EvaluatorSimulator(heartbeat_interval=0.2, retry_after=0.3)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def scanner_sim() -> AsyncIterator[ScannerSimulator]:
    """A serial scanner on a pty."""
    sim = ScannerSimulator()
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def led_sim() -> AsyncIterator[LedBoardSimulator]:
    """Boards 1, 2 and 3 on one pty bus."""
    sim = LedBoardSimulator((1, 2, 3))
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def idcard_sim() -> AsyncIterator[IdCardSimulator]:
    """A SAM ID-card reader on a pty, with no card on it."""
    sim = IdCardSimulator()
    await sim.start()
    yield sim
    await sim.stop()
