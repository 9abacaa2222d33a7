"""A simulated provincial 好差评 platform: checks every record and keeps each one once.

POST /records (bearer key, JSON record) answers 200 {"status": "accepted"}, or
{"status": "duplicate"} for a record id it already holds (so a record resent after a crash
is stored once); 422 {"status": "rejected", "errors": [...]} for a record that misses or
breaks a GB/T 39735-2020 data item; 409 {"status": "out_of_order"} for a case step whose
rating or earlier step it has not received. GET /records lists what it holds.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from simulators.http_sim import Answer, HttpSimulator

__all__ = ["EvaluationPlatformSim", "check"]

LEVEL_NAMES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
CHANNELS = {"onsite_device", "qr_code", "sms", "onsite_staff"}
STEPS = {"open": None, "verified": "open", "rectified": "verified", "answered": "rectified",
         "closed": "answered", "voided": None}
_AREA = re.compile(r"^\d{6}(\d{6})?$")
_ORG = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")  # 统一社会信用代码 characters


def _time(value: Any) -> bool:
    try:
        return datetime.fromisoformat(str(value)).tzinfo is not None
    except ValueError:
        return False


def check(record: dict[str, Any]) -> list[str]:
    """What is wrong with a record (empty when nothing)."""
    errors = []
    for name in ("record_id", "record_type", "area_code", "org_code", "org_name", "hall_name"):
        if not isinstance(record.get(name), str) or not record[name]:
            errors.append(f"{name} is required")
    if not _AREA.match(str(record.get("area_code", ""))):
        errors.append("area_code must be a 6- or 12-digit 行政区划代码")
    if not _ORG.match(str(record.get("org_code", ""))):
        errors.append("org_code must be an 18-character 统一社会信用代码")
    kind = record.get("record_type")
    if kind == "rating":
        level = record.get("level")
        if level not in LEVEL_NAMES:
            errors.append("level must be 1..5")
        elif record.get("level_name") != LEVEL_NAMES[level]:
            errors.append("level_name does not match level")
        if record.get("bad") is not (isinstance(level, int) and level <= 2):
            errors.append("bad must be true exactly for levels 1 and 2")
        for name in ("service_code", "service_name", "case_no"):
            if not record.get(name):
                errors.append(f"{name} is required")
        if record.get("channel") not in CHANNELS:
            errors.append(f"channel must be one of {sorted(CHANNELS)}")
        if not _time(record.get("rated_at")):
            errors.append("rated_at must be ISO 8601 with an offset")
        if not isinstance(record.get("reasons"), list):
            errors.append("reasons must be a list")
    elif kind == "case_step":
        if record.get("step") not in STEPS:
            errors.append(f"step must be one of {list(STEPS)}")
        if not _time(record.get("at")):
            errors.append("at must be ISO 8601 with an offset")
        for name in ("rating_record_id", "case_id", "step_name"):
            if not record.get(name):
                errors.append(f"{name} is required")
    else:
        errors.append("record_type must be rating or case_step")
    return errors


class EvaluationPlatformSim(HttpSimulator):
    """The platform simulator; `records` holds every accepted record once, in arrival order."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 key: str = "sim-platform-key") -> None:
        super().__init__(host, port)
        self.key = key
        self.records: dict[str, dict[str, Any]] = {}
        self.duplicates = 0
        self.rejected: list[tuple[str, list[str]]] = []
        self._case_steps: dict[str, list[str]] = {}
        self.delay_s = 0.0  # a slow platform: each record takes this long to answer

    def handle(self, method: str, path: str, query: dict[str, str], body: Any,
               headers: dict[str, str]) -> Answer:
        """Receive a record, or list them."""
        if path != "/records":
            return 404, {"status": "not_found"}
        if method == "GET":
            with self.lock:
                return 200, {"records": list(self.records.values()),
                             "duplicates": self.duplicates}
        if headers.get("authorization") != f"Bearer {self.key}":
            return 401, {"status": "unauthorized"}
        if self.delay_s:
            time.sleep(self.delay_s)
        if not isinstance(body, dict):
            return 422, {"status": "rejected", "errors": ["a JSON object is expected"]}
        with self.lock:
            rid = str(body.get("record_id", ""))
            if rid and rid in self.records:
                self.duplicates += 1
                return 200, {"status": "duplicate"}
            errors = check(body)
            if errors:
                self.rejected.append((rid, errors))
                return 422, {"status": "rejected", "errors": errors}
            if body["record_type"] == "case_step":
                order = self._out_of_order(body)
                if order:
                    return 409, {"status": "out_of_order", "errors": [order]}
                self._case_steps.setdefault(body["case_id"], []).append(body["step"])
            self.records[rid] = body
        return 200, {"status": "accepted"}

    def _out_of_order(self, step: dict[str, Any]) -> str | None:
        if step["rating_record_id"] not in self.records:
            return "the rating of this case has not been received"
        done = self._case_steps.get(step["case_id"], [])
        if step["step"] == "open":
            return "the case is open already" if done else None
        if step["step"] == "voided":
            return None if done and done[-1] in ("open", "verified") else "cannot void now"
        need = STEPS[step["step"]]
        return None if done and done[-1] == need else f"{step['step']} needs {need} first"
