"""A simulated HTTP SMS gateway: checks each request like a real gateway, records it.

POST /sms/send with `Authorization: Bearer KEY` and JSON {phone, content, sign, out_id}
answers {"code": "OK", "message_id"}; a bad key 401, a bad number or an empty text 400.
GET /sms/messages lists what was sent (for a test that runs the core in another process).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from simulators.http_sim import Answer, HttpSimulator

__all__ = ["Sms", "SmsGatewaySim"]

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class Sms:
    """One text the gateway accepted."""

    message_id: str
    phone: str
    content: str
    sign: str
    out_id: str
    at: str


class SmsGatewaySim(HttpSimulator):
    """The SMS gateway simulator; `sent` holds every accepted text."""

    path = "/sms/send"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, key: str = "sim-sms-key") -> None:
        super().__init__(host, port)
        self.key = key
        self.sent: list[Sms] = []

    @property
    def send_url(self) -> str:
        """The URL to configure as HALLQ_SMS_URL."""
        return f"{self.url}{self.path}"

    def handle(self, method: str, path: str, query: dict[str, str], body: Any,
               headers: dict[str, str]) -> Answer:
        """Send, or list what was sent."""
        if method == "GET" and path == "/sms/messages":
            with self.lock:
                return 200, {"messages": [asdict(m) for m in self.sent]}
        if method != "POST" or path != self.path:
            return 404, {"code": "NOT_FOUND", "message": path}
        if headers.get("authorization") != f"Bearer {self.key}":
            return 401, {"code": "AUTH", "message": "bad key"}
        if not isinstance(body, dict):
            return 400, {"code": "BAD_REQUEST", "message": "an object is expected"}
        phone, content = str(body.get("phone", "")), str(body.get("content", ""))
        if not _MOBILE.match(phone):
            return 400, {"code": "BAD_PHONE", "message": "not a mobile number"}
        if not content.strip() or len(content) > 500:
            return 400, {"code": "BAD_CONTENT", "message": "empty or too long"}
        with self.lock:
            sms = Sms(message_id=f"sim{len(self.sent) + 1:06d}", phone=phone, content=content,
                      sign=str(body.get("sign", "")), out_id=str(body.get("out_id", "")),
                      at=datetime.now(UTC).isoformat())
            self.sent.append(sms)
        return 200, {"code": "OK", "message_id": sms.message_id}
