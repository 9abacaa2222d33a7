"""devices domain: device status (printer, evaluator, scanner, LED), print jobs and scans."""

from server.devices.status import (
    agent_gone,
    device_status,
    print_job,
    printer_state,
    record_print,
    set_status,
)

__all__ = ["agent_gone", "device_status", "print_job", "printer_state", "record_print",
           "set_status"]
