"""`python -m simulators.links` (used by `hallq demo`): three HTTP simulators in one process,
their settings printed first; the WeChat simulator's demo login hands out a usable code."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from tests.conftest import ARTIFACTS


def test_links_process_serves_and_stops() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "simulators.links", "--new-key"],
                            stdout=subprocess.PIPE, text=True, cwd=ARTIFACTS.parent)
    try:
        assert proc.stdout is not None
        started = json.loads(proc.stdout.readline())
        assert set(started) >= {"HALLQ_SMS_URL", "HALLQ_WECHAT_URL", "HALLQ_PII_KEY",
                                "HALLQ_EVALUATION_PLATFORM_URL"}
        r = httpx.post(started["HALLQ_SMS_URL"], json={
            "phone": "13800138000", "content": "测试", "sign": "s", "out_id": "x"},
            headers={"Authorization": f"Bearer {started['HALLQ_SMS_KEY']}"})
        assert r.json()["code"] == "OK"
        sent = httpx.get(started["HALLQ_SMS_URL"].replace("/send", "/messages")).json()
        assert [m["content"] for m in sent["messages"]] == ["测试"]
        wechat = started["HALLQ_WECHAT_URL"]
        login = httpx.get(f"{wechat}/sim/login", params={"openid": "o-9"}).json()
        r = httpx.get(f"{wechat}/sns/oauth2/access_token", params={
            "appid": started["HALLQ_WECHAT_APPID"], "secret": started["HALLQ_WECHAT_SECRET"],
            "code": login["code"], "grant_type": "authorization_code"})
        assert r.json()["openid"] == "o-9"
        r = httpx.post(f"{started['HALLQ_EVALUATION_PLATFORM_URL']}/records", json={},
                       headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
