"""Device simulators speaking the real bytes on pseudo-ttys and TCP ports."""

from simulators.devices import DeviceSimulators, start_all
from simulators.escpos_decoder import EscPosDecoder, PrintedLine, Receipt, StatusQuery
from simulators.evaluator import EvaluatorSimulator, RatingOutcome
from simulators.idcard import IdCardSimulator, sample_card, with_check_digit
from simulators.led import BoardState, LedBoardSimulator
from simulators.printer import PrinterSimulator
from simulators.scanner import ScannerSimulator
from simulators.serial_pty import SerialSimulator

__all__ = [
    "BoardState",
    "DeviceSimulators",
    "EscPosDecoder",
    "EvaluatorSimulator",
    "IdCardSimulator",
    "LedBoardSimulator",
    "PrintedLine",
    "PrinterSimulator",
    "RatingOutcome",
    "Receipt",
    "ScannerSimulator",
    "SerialSimulator",
    "StatusQuery",
    "sample_card",
    "start_all",
    "with_check_digit",
]
