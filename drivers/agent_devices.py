"""The agent's devices: built from URLs, and what the core's messages make them do."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from drivers.device import Device, StatusCallback, cancel_and_wait
from drivers.evaluator import EvaluatorDriver, RatingCallback
from drivers.idcard import CardCallback, IdCardDriver
from drivers.led import LedBoardDriver
from drivers.printer import PrinterDriver, PrintResult
from drivers.scanner import ScanCallback, ScannerDriver
from drivers.slip import Slip
from drivers.ticket import Ticket
from drivers.transports import Transport

__all__ = ["AgentDevices", "call_lines", "window_lines"]

log = logging.getLogger(__name__)

# What a window's board shows for each window state (焦作 第三十条(四): the board above
# each window shows its number and the ticket being served).
IDLE_TEXT = "欢迎光临"
CLOSED_TEXT = "暂停服务"


def call_lines(ticket: str, window: str, service_name: str = "", recall: bool = False) -> list[str]:
    """The board lines for a call: 请A001号 到3号窗口, then the service."""
    first = f"请{ticket}号 到{window}号窗口"
    return [first, f"再次呼叫 {service_name}".strip() if recall else service_name]


def window_lines(window: str, state: str, ticket: str | None) -> list[str]:
    """The board lines for a window state: 暂停服务, 欢迎光临 or the ticket number."""
    if state in ("paused", "closed", "empty"):
        return [CLOSED_TEXT]
    if state == "called" and ticket:
        return call_lines(ticket, window)[:1]
    if state == "serving" and ticket:
        return [f"正在办理 {ticket}号"]
    return [IDLE_TEXT]


class AgentDevices:
    """The optional printer, evaluator, scanner, LED bus and ID-card reader of one agent."""

    def __init__(
        self,
        *,
        printer: str | Transport | None = None,
        evaluator: str | Transport | None = None,
        scanner: str | Transport | None = None,
        led: str | Transport | None = None,
        led_map: Mapping[str, int] | None = None,
        idcard: str | Transport | None = None,
        on_status: StatusCallback | None = None,
        on_rating: RatingCallback | None = None,
        on_scan: ScanCallback | None = None,
        on_card: CardCallback | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        opts = options or {}
        self.printer: PrinterDriver | None = None
        self.evaluator: EvaluatorDriver | None = None
        self.scanner: ScannerDriver | None = None
        self.led: LedBoardDriver | None = None
        self.idcard: IdCardDriver | None = None
        if printer is not None:
            self.printer = PrinterDriver(printer, on_status=on_status, **opts.get("printer", {}))
        if evaluator is not None:
            self.evaluator = EvaluatorDriver(
                evaluator, on_status=on_status, on_rating=on_rating, **opts.get("evaluator", {})
            )
        if scanner is not None:
            self.scanner = ScannerDriver(
                scanner, on_status=on_status, on_scan=on_scan, **opts.get("scanner", {})
            )
        if led is not None:
            self.led = LedBoardDriver(led, on_status=on_status, **opts.get("led", {}))
        if idcard is not None:
            self.idcard = IdCardDriver(
                idcard, on_status=on_status, on_card=on_card, **opts.get("idcard", {})
            )
        self.led_map = {str(k): int(v) for k, v in (led_map or {}).items()}
        self._printer_jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._led_jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []

    @property
    def all(self) -> list[Device]:
        """Every configured device."""
        found = (self.printer, self.evaluator, self.scanner, self.led, self.idcard)
        return [d for d in found if d is not None]

    async def start(self) -> None:
        """Start every device and the job workers (one per device: jobs stay in order)."""
        for device in self.all:
            await device.start()
        for queue in (self._printer_jobs, self._led_jobs):
            self._workers.append(asyncio.create_task(self._work(queue)))

    async def stop(self) -> None:
        """Stop the workers and every device."""
        for task in self._workers:
            await cancel_and_wait(task)
        self._workers.clear()
        for device in self.all:
            await device.stop()

    @staticmethod
    async def _work(queue: asyncio.Queue[Callable[[], Awaitable[None]]]) -> None:
        while True:
            job = await queue.get()
            try:
                await job()
            except Exception:  # one bad job must not stop the next ones
                log.exception("device job failed")

    def print_later(self, ticket: Ticket | Slip,
                    done: Callable[[PrintResult], Awaitable[None]]) -> None:
        """Queue a ticket; ``done`` gets the result (never an exception)."""
        async def job() -> None:
            if self.printer is None:
                await done(PrintResult(False, "no_printer"))
                return
            await done(await self.printer.print_ticket(ticket))

        self._printer_jobs.put_nowait(job)

    def show_later(self, window: str, lines: list[str]) -> bool:
        """Queue lines for the board of ``window``; False when no board is mapped to it."""
        address = self.led_map.get(str(window))
        led = self.led
        if led is None or address is None:
            return False

        async def job() -> None:
            await led.show(address, lines)

        self._led_jobs.put_nowait(job)
        return True
