"""What every driver shares: backoff, callbacks, supervised reconnects."""

import asyncio

from drivers import Backoff, DeviceStatus, MemoryTransport, ScannerDriver
from drivers.device import call_callback, cancel_and_wait


def test_backoff_doubles_caps_and_resets() -> None:
    backoff = Backoff(0.5, 3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.5


async def test_callbacks_sync_async_and_failing() -> None:
    got: list[int] = []

    async def later(value: int) -> None:
        got.append(value * 10)

    def broken(value: int) -> None:
        raise RuntimeError("a bug in the caller's callback")

    await call_callback(got.append, 1)
    await call_callback(later, 2)
    await call_callback(broken, 3)  # logged, not raised into the driver
    await call_callback(None, 4)
    assert got == [1, 20]


async def test_cancel_and_wait_survives_a_swallowed_cancel() -> None:
    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)  # ignores the first cancel, as a racing wait_for can
        await asyncio.sleep(10)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert task.cancelled()


async def test_failed_open_is_reported_then_retried() -> None:
    memory = MemoryTransport("scanner")
    memory.fail_open = True
    statuses: list[DeviceStatus] = []
    scanner = ScannerDriver(memory, on_status=statuses.append, backoff=Backoff(0.02, 0.05))
    await scanner.start()
    try:
        for _ in range(50):
            if statuses:
                break
            await asyncio.sleep(0.01)
        memory.fail_open = False  # the device comes back
        assert await scanner.wait_connected(2)
        for _ in range(50):
            if statuses[-1].online:
                break
            await asyncio.sleep(0.01)
    finally:
        await scanner.stop()
    assert statuses[0] == DeviceStatus("scanner", "scanner", False,
                                       {"error": "memory://scanner refused to open"})
    assert statuses[-1].online
    assert scanner.url == "memory://scanner"
