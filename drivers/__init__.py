"""Device drivers for Hall Queue: printers, evaluators, scanners, LED boards, and the agent."""

from drivers.agent import Agent, agent_ws_url
from drivers.device import Backoff, Device, DeviceStatus
from drivers.errors import DeviceError, ProtocolError, TransportError
from drivers.evaluator import EvaluatorDriver, RatingEvent
from drivers.evaluator_protocol import BAD_REVIEW_REASONS, LEVEL_NAMES
from drivers.led import LedBoardDriver
from drivers.outbox import Outbox
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
    "BAD_REVIEW_REASONS",
    "LEVEL_NAMES",
    "Agent",
    "Backoff",
    "Device",
    "DeviceError",
    "DeviceStatus",
    "DeviceURL",
    "EvaluatorDriver",
    "LedBoardDriver",
    "MemoryTransport",
    "Outbox",
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
    "agent_ws_url",
    "encode_gb18030",
    "open_transport",
    "parse_device_url",
    "render_ticket",
]
