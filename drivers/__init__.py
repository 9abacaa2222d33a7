"""Device drivers for Hall Queue: printers, evaluators, scanners, LED boards, and the agent."""

from drivers.device import Backoff, Device, DeviceStatus
from drivers.errors import DeviceError, ProtocolError, TransportError
from drivers.evaluator import EvaluatorDriver, RatingEvent
from drivers.led import LedBoardDriver
from drivers.printer import PrinterDriver, PrintResult
from drivers.printer_status import PrinterStatus
from drivers.scanner import ScanEvent, ScannerDriver
from drivers.ticket import Ticket, encode_gb18030, render_ticket
from drivers.transports import (
    DeviceURL,
    MemoryTransport,
    Transport,
    open_transport,
    parse_device_url,
)

__all__ = [
    "Backoff",
    "Device",
    "DeviceError",
    "DeviceStatus",
    "DeviceURL",
    "EvaluatorDriver",
    "LedBoardDriver",
    "MemoryTransport",
    "PrintResult",
    "PrinterDriver",
    "PrinterStatus",
    "ProtocolError",
    "RatingEvent",
    "ScanEvent",
    "ScannerDriver",
    "Ticket",
    "Transport",
    "TransportError",
    "encode_gb18030",
    "open_transport",
    "parse_device_url",
    "render_ticket",
]
