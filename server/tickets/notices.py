"""一次性告知 in writing (焦作 第三十八条 2, 第四十九条): the 补正告知 kept with the ticket.

A ticket finished as `correction_notice` carries the missing materials, picked from the
service's material list (办事指南) plus free text, with who told them where and when.
The notice is shown on the citizen's ticket page, printed as a 一次性告知单 and counted by
the reports from the ticket itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.auth.principal import Principal
from server.errors import Invalid
from server.halls import service as halls
from server.halls.models import Hall, Service
from server.tickets.models import Ticket
from server.tickets.rows import TicketRow
from server.windows.models import Window
from server.windows.rows import WindowRow

__all__ = ["build", "materials_of", "slip"]


def materials_of(db: Session, service_id: int) -> list[str]:
    """The materials a service needs, from the hall's configuration (办事指南)."""
    service = db.get(Service, service_id)
    return [str(m) for m in (service.materials or [])] if service is not None else []


def build(db: Session, hall: Hall, window: Window | WindowRow, ticket: Ticket | TicketRow,
          actor: Principal, now: datetime, *, missing: list[str],
          other: str) -> dict[str, Any] | None:
    """The notice of a 补正告知, or None when it names nothing.

    The public contract finishes with `{"outcome": ...}` alone, so a 补正告知 without a list
    is still accepted (no notice is kept or printed); the counter page always asks for the
    list. A material that is not on the service's list is refused (422).
    """
    listed = materials_of(db, ticket.service_id)
    unknown = [m for m in missing if m not in listed]
    if unknown:
        raise Invalid(f"not in this service's material list: {', '.join(unknown)}",
                      code="unknown_material")
    other = other.strip()
    picked = list(dict.fromkeys(missing))  # each once, in the order picked
    if not picked and not other:
        return None
    service = db.get(Service, ticket.service_id)
    return {
        "materials": picked, "other": other, "hall_name": hall.name,
        "service": service.code if service else "", "service_name": service.name if service else "",
        "window": window.number, "window_name": window.name,
        "staff": actor.name or "", "staff_no": actor.job_no or "",
        "at": halls.local_time(hall, now).isoformat(),
    }


def slip(notice: dict[str, Any], *, number: str, url: str) -> dict[str, Any]:
    """The 一次性告知单 as the agent's printer takes it: a title, lines and a QR code."""
    lines = [f"事项：{notice.get('service_name', '')}",
             f"号码：{number}",
             f"窗口：{notice.get('window', '')}号 {notice.get('window_name', '')}",
             f"工作人员：{notice.get('staff', '')}（{notice.get('staff_no', '')}）",
             f"日期：{str(notice.get('at', ''))[:10]}",
             "请补正以下材料："]
    items = [*notice.get("materials", []), *([notice["other"]] if notice.get("other") else [])]
    lines += [f"{i}. {text}" for i, text in enumerate(items, 1)]
    return {"title": "一次性告知单", "centre": str(notice.get("hall_name", "")),
            "lines": lines, "url": url,
            "footer": "材料补齐后请凭此单到咨询台取号，扫码可查看告知内容"}
