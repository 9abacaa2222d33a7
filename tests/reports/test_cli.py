"""`hallq report` writes the same report as the API, from the command line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.cli import main
from server.core import Core
from server.settings import get_settings
from tests.conftest import login

H = "/api/v1/halls/h1"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command sets HALLQ_DATABASE_URL and re-reads the settings: undo both."""
    monkeypatch.setenv("HALLQ_DATABASE_URL", "sqlite:///unused.db")
    yield
    get_settings.cache_clear()


def test_report_to_csv_and_json(client: TestClient, core: Core, tmp_path: Path, env: None,
                                capsys: pytest.CaptureFixture[str]) -> None:
    s2 = login(client, "s2")
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=s2)
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    client.post(f"{H}/windows/2/call-next", headers=s2)
    client.post(f"{H}/windows/2/finish", headers=s2,
                json={"outcome": "correction_notice", "missing_other": "户口簿"})
    out = tmp_path / "r.csv"
    args = ["report", "--hall", "h1", "--database", core.db.url, "--period", "day",
            "--day", "2026-11-23"]
    assert main([*args, "--out", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[-1][:3] == ["合计", "1", "1"]
    capsys.readouterr()
    assert main([*args, "--format", "json", "--by", "staff"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["total"]["one_time_notice"] == 1 and body["rows"][0]["label"] == "员工2 (s2)"
    assert main([*args, "--staff", "s2", "--format", "xlsx", "--out",
                 str(tmp_path / "s.xlsx")]) == 0
    assert (tmp_path / "s.xlsx").read_bytes()[:2] == b"PK"
    assert main(["report", "--hall", "nope", "--database", core.db.url]) == 2
    assert "no hall" in capsys.readouterr().err
