"""线上取号 through the API: the hall's rules, the daily limit per number, bad input, and
no phone number in clear anywhere in the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.clock import ManualClock
from server.core import Core
from server.halls import flows as hall_flows
from simulators.sms_gateway import SmsGatewaySim
from simulators.wechat import WeChatSim
from tests.conftest import login
from tests.factories import hall_config
from tests.notices.conftest import PHONE_RULES, link_settings

PHONE = "13912345678"


@pytest.fixture
def phone_client(phone_core: Core, sms: SmsGatewaySim,
                 wechat: WeChatSim) -> Iterator[TestClient]:
    """The app with phone tickets on and both notice links on the simulators."""
    with TestClient(create_app(phone_core, integrations=link_settings(sms, wechat))) as c:
        yield c


def take(client: TestClient, **body: object) -> tuple[int, dict[str, object]]:
    payload = {"service": "SB01", "phone": PHONE, **body}
    r = client.post("/api/v1/halls/h1/phone/tickets", json=payload)
    return r.status_code, r.json()


def test_offer_lists_general_services_and_channels(phone_client: TestClient) -> None:
    r = phone_client.get("/api/v1/halls/h1/phone")
    assert r.status_code == 200
    offer = r.json()
    assert offer["enabled"] and offer["open_now"] and offer["channels"] == ["sms", "wechat"]
    codes = [s["code"] for s in offer["services"]]
    assert "SB01" in codes and "ZX" not in codes  # special windows' services are not offered
    assert offer["notice_ahead"] == 2 and offer["daily_limit"] == 2
    qr = phone_client.get("/api/v1/halls/h1/phone/qr.svg")
    assert qr.status_code == 200 and qr.text.startswith("<svg") and "qr-path" in qr.text


def test_take_a_number_with_sms_notice(phone_client: TestClient, tmp_path: Path) -> None:
    status, body = take(phone_client, notice={"channel": "sms", "ahead": 3})
    assert status == 201, body
    ticket = body["ticket"]
    assert isinstance(ticket, dict)
    assert ticket["channel"] == "phone" and ticket["status"] == "waiting"
    assert body["notice"] == "sms" and body["notify_ahead"] == 3
    # The phone that took the number is its holder: its address carries the rating key.
    assert str(body["url"]).endswith(f"/t/{ticket['id']}?k={body['rating_key']}")
    # The contract's ticket view answers for it like for any ticket.
    assert phone_client.get(f"/api/v1/tickets/{ticket['id']}").json()["number"] == ticket["number"]
    # PIPL: the number is nowhere in clear, in any form it was typed in.
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("hallq.db*"))
    assert PHONE.encode() not in raw and PHONE[-8:].encode() not in raw


def test_daily_limit_per_phone_number(phone_client: TestClient) -> None:
    assert take(phone_client)[0] == 201
    assert take(phone_client, phone="+86 139-1234-5678")[0] == 201  # the same number
    status, body = take(phone_client, service="YB01")
    assert status == 422 and body["code"] == "daily_limit" and "detail" in body
    assert take(phone_client, phone="13700000000")[0] == 201  # another number


@pytest.mark.parametrize(("payload", "code"), [
    ({"phone": "12345"}, "invalid"),
    ({"phone": "10012345678"}, "invalid_phone"),
    ({"service": "ZX"}, "phone_service"),
    ({"service": "NOPE"}, "phone_service"),
    ({"notice": {"channel": "fax"}}, "invalid"),
    ({"notice": {"channel": "sms", "ahead": 0}}, "invalid"),
    ({"notice": {"channel": "wechat"}}, "wechat_code"),
    ({"notice": {"channel": "wechat", "wechat_code": "forged"}}, "wechat_login"),
])
def test_bad_requests_get_clear_4xx(phone_client: TestClient, payload: dict[str, object],
                                    code: str) -> None:
    status, body = take(phone_client, **payload)
    assert 400 <= status < 500 and body["code"] == code and body["detail"]


def test_refused_when_off_or_closed(core: Core, clock: ManualClock, sms: SmsGatewaySim) -> None:
    with TestClient(create_app(core, integrations=link_settings(sms))) as client:
        status, body = take(client)
        assert status == 422 and body["code"] == "phone_off"
        hall_flows.load(core, config=hall_config(rules=PHONE_RULES))
        clock.advance(hours=12)  # 22:00: the hall is closed
        status, body = take(client)
        assert status == 422 and body["code"] == "closed_hours"
        assert client.get("/api/v1/halls/h1/phone").json()["open_now"] is False
        assert client.get("/api/v1/halls/nowhere/phone").status_code == 404
        r = client.get("/api/v1/halls/nowhere/phone/qr.svg")
        assert r.status_code == 404 and r.json()["detail"]


def test_notice_channel_not_configured_is_503(phone_core: Core) -> None:
    with TestClient(create_app(phone_core, integrations=link_settings())) as client:
        status, body = take(client, notice={"channel": "sms"})
        assert status == 503 and body["code"] == "channel_unavailable"
        assert take(client)[0] == 201  # a number without notices still works


def test_wechat_login_code_becomes_a_sealed_openid(phone_client: TestClient,
                                                   wechat: WeChatSim) -> None:
    code = wechat.login_code("o-citizen-1")
    status, body = take(phone_client, notice={"channel": "wechat", "wechat_code": code},
                        lang="en")
    assert status == 201 and body["notice"] == "wechat"
    # A code is good once, like WeChat's.
    status, body = take(phone_client, phone="13700000001",
                        notice={"channel": "wechat", "wechat_code": code})
    assert status == 422 and body["code"] == "wechat_login"


def test_integrations_status_is_for_operators(phone_client: TestClient) -> None:
    assert take(phone_client, notice={"channel": "sms"})[0] == 201
    url = "/api/v1/halls/h1/integrations"
    assert phone_client.get(url).status_code == 401
    assert phone_client.get(url, headers=login(phone_client, "s1")).status_code == 403
    op = login(phone_client, "op")
    status = phone_client.get(url, headers=op).json()
    assert status["notices"]["channels"] == ["sms", "wechat"]
    assert set(status["notices"]) >= {"counts", "oldest_unsent_s", "behind", "failures"}
    assert status["evaluation_upload"]["configured"] is False
    r = phone_client.post(f"{url}/evaluation-upload/retry", headers=op)
    assert r.status_code == 200 and r.json() == {"retried": 0}
    assert phone_client.post(f"{url}/evaluation-upload/retry",
                             headers=login(phone_client, "s1")).status_code == 403


def test_phone_services_must_exist() -> None:
    with pytest.raises(ValueError, match="phone_services: unknown service NOPE"):
        hall_config(rules={"phone_services": ["NOPE"]})
    assert hall_config(rules={"phone_services": ["SB01"]}).rules.phone_services == ["SB01"]
