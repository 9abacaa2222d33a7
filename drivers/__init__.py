"""Device drivers for Hall Queue: printers, evaluators, scanners, LED boards, ID-card
readers, and the agent."""

from drivers.agent import Agent, agent_ws_url
from drivers.device import Backoff, Device, DeviceStatus
from drivers.errors import DeviceError, ProtocolError, TransportError
from drivers.evaluator import EvaluatorDriver, RatingEvent
from drivers.evaluator_protocol import BAD_REVIEW_REASONS, LEVEL_NAMES
from drivers.idcard import CardEvent, IdCardDriver
from drivers.idcard_protocol import IdCardText, id_number_valid
from drivers.led import LedBoardDriver
from drivers.outbox import Outbox
from drivers.printer import PrinterDriver, PrintResult
from drivers.printer_status import PrinterStatus
from drivers.scanner import ScanEvent, ScannerDriver
from drivers.serial_transport import SerialTransport
from drivers.slip import Slip, render_slip
from drivers.ticket import Ticket, encode_gb18030, render_ticket
from drivers.transports import (
    DeviceURL,
    FileTransport,
    MemoryTransport,
    TcpTransport,
    Transport,
    open_transport,
    parse_device_url,
)
from drivers.usb import UsbTransport

__all__ = [
    "BAD_REVIEW_REASONS",
    "LEVEL_NAMES",
    "Agent",
    "Backoff",
    "CardEvent",
    "Device",
    "DeviceError",
    "DeviceStatus",
    "DeviceURL",
    "EvaluatorDriver",
    "FileTransport",
    "IdCardDriver",
    "IdCardText",
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
    "SerialTransport",
    "Slip",
    "TcpTransport",
    "Ticket",
    "Transport",
    "TransportError",
    "UsbTransport",
    "agent_ws_url",
    "encode_gb18030",
    "id_number_valid",
    "open_transport",
    "parse_device_url",
    "render_slip",
    "render_ticket",
]
