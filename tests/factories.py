"""Test data: a small hall configuration and helpers to build variants of it."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.auth.security import hash_password
from server.halls.schemas import HallConfig

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday, mid-morning, in the hall's time zone.
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
PASSWORD = "s3cret-test"
# Hashed once: argon2 is slow on purpose, and every test loads the hall.
PASSWORD_HASH = hash_password(PASSWORD)

_WEEK = {d: ["08:30-12:00", "13:30-17:30"] for d in ("mon", "tue", "wed", "thu", "fri")}

TEST_HALL: dict[str, Any] = {
    "hall": {"code": "h1", "name": "测试县政务服务中心", "level": "county"},
    "rules": {"daily_limit_per_person": 2, "max_recalls": 2, "requeue_after": 2,
              "issue_cutoff_min": 30},
    "hours": _WEEK,
    "calendar": [
        {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"},
        {"date": "2026-11-29", "kind": "workday", "name": "调休", "as_weekday": "mon"},
    ],
    "domains": [{"code": "SB", "name": "社保"}, {"code": "BDC", "name": "不动产"},
                {"code": "YB", "name": "医保"}],
    "services": [
        {"code": "SB01", "name": "社保卡", "prefix": "A", "domain": "SB", "avg_handle_min": 5,
         "materials": ["居民身份证原件", "近期一寸白底照片", "社保卡申领表"]},
        {"code": "SB02", "name": "养老保险", "prefix": "A", "domain": "SB"},
        {"code": "BDC01", "name": "不动产登记", "prefix": "C", "domain": "BDC"},
        {"code": "YB01", "name": "医保报销", "prefix": "B", "domain": "YB"},
        {"code": "ZX", "name": "综合咨询", "prefix": "Z", "kind": "special",
         "special_type": "consult"},
    ],
    "windows": [
        {"number": "1", "name": "综合受理", "kind": "any"},
        {"number": "2", "name": "社保窗口", "kind": "domain", "domains": ["SB"],
         "backup_domains": ["YB"]},
        {"number": "3", "name": "不动产窗口", "kind": "domain", "domains": ["BDC"]},
        {"number": "4", "name": "咨询专窗", "kind": "special", "services": ["ZX"]},
    ],
    "staff": [
        {"job_no": f"s{i}", "name": f"员工{i}", "roles": ["staff"], "password_hash": PASSWORD_HASH}
        for i in range(1, 7)
    ] + [
        {"job_no": "op", "name": "值班长", "roles": ["operator"], "password_hash": PASSWORD_HASH},
        {"job_no": "root", "name": "管理员", "roles": ["admin", "operator"],
         "password_hash": PASSWORD_HASH},
    ],
}


def hall_config(**changes: Any) -> HallConfig:
    """The test hall, with top-level sections replaced or rules merged."""
    raw = copy.deepcopy(TEST_HALL)
    rules = changes.pop("rules", None)
    if rules:
        raw["rules"].update(rules)
    raw.update(changes)
    return HallConfig.model_validate(raw)
