"""The records the provincial 好差评 platform receives, with GB/T 39735-2020 data items.

GB/T 39735-2020 (政务服务评价工作指南) names what an evaluation is about and how it is
handled; the platform's wire format is the province's. This module maps the hall's
configuration and one rating or case step onto those items (the table is in
docs/integrations.md). Pure: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.evaluations.models import LEVELS

# 评价渠道 (GB/T 39735 §5): where the citizen rated.
CHANNELS = {"evaluator": "onsite_device",  # 窗口评价器 (现场)
            "web": "qr_code",  # 扫码评价 (移动端)
            "sms": "sms",  # 短信评价
            "desk": "onsite_staff"}  # 工作人员协助 (现场)
# 差评整改 steps (国办发〔2019〕51号: 核实、整改、反馈、回访), as the platform names them.
STEP_NAMES = {"open": "待核实", "verified": "已核实", "rectified": "已整改",
              "answered": "已反馈", "closed": "已回访", "voided": "申诉作废"}
ORDER = ("open", "verified", "rectified", "answered", "closed")


@dataclass(frozen=True)
class Issuer:
    """Who the hall is to the platform, from its configuration (rules)."""

    area_code: str  # 行政区划代码
    org_code: str  # 实施主体 统一社会信用代码
    org_name: str  # 实施主体名称
    hall_code: str
    hall_name: str  # 服务场所

    def items(self) -> dict[str, str]:
        """The issuer's data items of every record."""
        return {"area_code": self.area_code, "org_code": self.org_code,
                "org_name": self.org_name or self.hall_name, "hall_name": self.hall_name}


def rating_id(hall_code: str, evaluation_id: int) -> str:
    """The record id of a rating (评价编号), stable across resends."""
    return f"{hall_code}-E{evaluation_id}"


def step_id(hall_code: str, case_id: int, step: str) -> str:
    """The record id of one case step."""
    return f"{hall_code}-C{case_id}-{step}"


def rating_record(issuer: Issuer, *, evaluation_id: int, ticket: str, business_day: str,
                  service_code: str, service_name: str, window: str | None,
                  staff_no: str | None, level: int, reasons: list[str], comment: str,
                  channel: str, rated_at: str) -> dict[str, Any]:
    """One rating (一次一评) as the platform receives it."""
    return {
        "record_id": rating_id(issuer.hall_code, evaluation_id),
        "record_type": "rating",
        **issuer.items(),
        "service_code": service_code,  # 事项编码
        "service_name": service_name,  # 事项名称
        "case_no": f"{issuer.hall_code}-{business_day}-{ticket}",  # 办件 (取号) 流水号
        "window_no": window or "",  # 服务窗口
        "staff_no": staff_no or "",  # 工作人员 (工号, no name: minimum data)
        "channel": CHANNELS.get(channel, "onsite_device"),  # 评价渠道
        "level": level,  # 评价等级 5 非常满意 … 1 非常不满意
        "level_name": LEVELS[level],
        "bad": level <= 2,  # 差评
        "reasons": reasons,  # 评价标签 / 差评原因
        "comment": comment,  # 文字评价
        "rated_at": rated_at,  # 评价时间
        # 评价人: the hall keeps no identity of who rated (PIPL); anonymous natural person.
        "evaluator": {"type": "natural_person", "anonymous": True},
    }


def step_record(issuer: Issuer, *, evaluation_id: int, case_id: int, status: str, at: str,
                note: str, deadline: str, citizen_view: str | None = None) -> dict[str, Any]:
    """One step of a 差评 case (核实、整改、反馈、回访, or 作废 by appeal)."""
    return {
        "record_id": step_id(issuer.hall_code, case_id, status),
        "record_type": "case_step",
        **issuer.items(),
        "rating_record_id": rating_id(issuer.hall_code, evaluation_id),
        "case_id": f"{issuer.hall_code}-C{case_id}",
        "step": status,
        "step_name": STEP_NAMES[status],
        "at": at,
        "note": note,  # 核实情况 / 整改措施 / 反馈内容 / 回访记录
        "deadline": deadline,  # 限期反馈 date
        "citizen_view": citizen_view,  # 回访满意度
    }
