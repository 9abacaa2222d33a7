"""No per-request work a hall did not ask for: FastAPI's own OpenTelemetry stays off."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry import metrics, trace


def test_a_request_asks_opentelemetry_nothing(client: TestClient,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def counting(name: str, real: Any) -> Any:
        def provider() -> Any:
            asked.append(name)
            return real()
        return provider

    monkeypatch.setattr(trace, "get_tracer_provider",
                        counting("tracer", trace.get_tracer_provider))
    monkeypatch.setattr(metrics, "get_meter_provider",
                        counting("meter", metrics.get_meter_provider))
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/halls/h1/directory").status_code == 200
    assert asked == []
