"""Start every device simulator at once (for ``hallq demo`` and end-to-end tests)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from simulators.evaluator import EvaluatorSimulator
from simulators.idcard import IdCardSimulator
from simulators.led import LedBoardSimulator
from simulators.printer import PrinterSimulator
from simulators.scanner import ScannerSimulator

__all__ = ["DeviceSimulators", "start_all"]


@dataclass
class DeviceSimulators:
    """The running simulators and their device URLs."""

    printer: PrinterSimulator
    evaluator: EvaluatorSimulator
    scanner: ScannerSimulator
    led: LedBoardSimulator
    led_map: dict[str, int]
    idcard: IdCardSimulator

    @property
    def urls(self) -> dict[str, str]:
        """Device URLs by kind: printer, evaluator, scanner, led, idcard."""
        return {
            "printer": self.printer.url,
            "evaluator": self.evaluator.url,
            "scanner": self.scanner.url,
            "led": self.led.url,
            "idcard": self.idcard.url,
        }

    async def stop(self) -> None:
        """Stop every simulator."""
        await self.printer.stop()
        for sim in (self.evaluator, self.scanner, self.led, self.idcard):
            await sim.stop()


async def start_all(
    *,
    windows: Iterable[str] = ("1", "2", "3", "4", "5", "6"),
    image_dir: str | Path | None = None,
    printer_port: int = 0,
) -> DeviceSimulators:
    """Start a printer (TCP), evaluator, scanner, LED bus and ID-card reader (ptys).

    Board n shows window n.
    """
    led_map = {str(w): i for i, w in enumerate(windows, start=1)}
    sims = DeviceSimulators(
        PrinterSimulator(port=printer_port, image_dir=image_dir),
        EvaluatorSimulator(),
        ScannerSimulator(),
        LedBoardSimulator(led_map.values()),
        led_map,
        IdCardSimulator(),
    )
    await sims.printer.start()
    for sim in (sims.evaluator, sims.scanner, sims.led, sims.idcard):
        await sim.start()
    return sims
