"""Fixtures of the notice tests: the SMS and WeChat simulators, a hall with phone tickets."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from server.auth.models import Staff
from server.auth.principal import Principal
from server.core import Core
from server.halls import flows as hall_flows
from server.integrations import IntegrationSettings
from server.notices.adapters import Adapters
from server.notices.worker import NoticeWorker
from simulators.sms_gateway import SmsGatewaySim
from simulators.wechat import WeChatSim
from tests.factories import hall_config

PHONE_RULES = {"phone_tickets": True, "phone_daily_limit": 2, "notice_ahead": 2}
KEY = base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def sms() -> Iterator[SmsGatewaySim]:
    """A running SMS gateway simulator."""
    sim = SmsGatewaySim()
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def wechat() -> Iterator[WeChatSim]:
    """A running WeChat simulator."""
    sim = WeChatSim()
    sim.start()
    yield sim
    sim.stop()


def link_settings(sms: SmsGatewaySim | None = None, wechat: WeChatSim | None = None,
                  **extra: object) -> IntegrationSettings:
    """Integration settings pointing at the simulators, with a real (random) key."""
    values: dict[str, object] = {"demo": False, "pii_key": KEY, "outbox_backoff_s": 10,
                                 "outbox_scan_s": 3600}
    if sms is not None:
        values.update(sms_url=sms.send_url, sms_key=sms.key)
    if wechat is not None:
        values.update(wechat_url=wechat.url, wechat_appid=wechat.appid,
                      wechat_secret=wechat.secret, wechat_template=wechat.template)
    values.update(extra)
    return IntegrationSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def phone_core(core: Core) -> Core:
    """The test hall with phone tickets on (N = 2, two a day per number)."""
    hall_flows.load(core, config=hall_config(rules=PHONE_RULES))
    return core


@pytest.fixture
def worker(phone_core: Core, sms: SmsGatewaySim, wechat: WeChatSim) -> Iterator[NoticeWorker]:
    """A notice worker on the simulators, run round by round by the test."""
    settings = link_settings(sms, wechat)
    w = NoticeWorker(phone_core, settings, Adapters.from_settings(settings))
    yield w
    w.adapters.close()


def staff(core: Core, job_no: str) -> Principal:
    """The principal of a staff account."""
    with core.db.read_session() as db:
        s = db.scalar(select(Staff).where(Staff.job_no == job_no))
        assert s is not None
        return Principal(roles=frozenset(s.roles), staff_id=s.id, hall_id=s.hall_id,
                         name=s.name, job_no=s.job_no)
