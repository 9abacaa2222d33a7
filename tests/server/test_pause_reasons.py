"""Pause reasons are stored as codes (shown in each viewer's language), words kept as typed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.windows.service import pause_reason
from tests.conftest import login

W2 = "/api/v1/halls/h1/windows/2"


@pytest.mark.parametrize(("sent", "stored"), [
    ("rest", "rest"), ("Break", "rest"), ("休息", "rest"), ("会议：科室例会", "meeting: 科室例会"),
    ("meeting: 科室例会: 二楼", "meeting: 科室例会: 二楼"), ("Out:", "out"),
    ("临时有事", "临时有事"), ("  other  ", "other"), ("去银行: 取号", "去银行: 取号"),
])
def test_known_labels_become_codes(sent: str, stored: str) -> None:
    assert pause_reason(sent) == stored


def test_a_pause_in_english_is_stored_as_its_code(client: TestClient) -> None:
    staff = login(client, "s1")
    assert client.post(f"{W2}/sign-in", json={"post": "A"}, headers=staff).status_code == 200
    r = client.post(f"{W2}/pause", json={"reason": "Break"}, headers=staff)
    assert r.status_code == 200, r.text
    window = client.get("/api/v1/halls/h1/queue", headers=login(client, "op")).json()["windows"][1]
    assert (window["number"], window["state"], window["paused_reason"]) == ("2", "paused", "rest")
