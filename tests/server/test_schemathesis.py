"""schemathesis over the whole OpenAPI schema, as four callers of a demo-like hall.

For every operation and every caller (anonymous, staff, operator, administrator of the
hall `demo`), a few generated requests (derandomized, so each run sends the same ones):
no answer is a 5xx, and every answer conforms to the schema (status and body of the
documented responses, content type). `{hall}` is the demo hall, so requests get past the
boundary; the other parameters and bodies are generated. The number of examples per
operation is `HALLQ_SCHEMATHESIS_EXAMPLES` (default 3), which keeps the run short.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from server.app import create_app
from server.clock import ManualClock
from server.demo.seed import seed
from tests.conftest import make_core
from tests.factories import MONDAY_10

EXAMPLES = int(os.environ.get("HALLQ_SCHEMATHESIS_EXAMPLES", "3"))
CALLERS = {"anonymous": None, "staff": "staff1", "operator": "operator", "admin": "admin"}
PASSWORD = "schema-test-pw"
# Ending the callers' own sessions would turn the rest of the run into 401s.
SKIPPED = {("POST", "/api/v1/auth/logout")}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    path: Path = tmp_path_factory.mktemp("schema") / "hallq.db"
    core = make_core(f"sqlite:///{path}", ManualClock(MONDAY_10))
    core.settings.demo_password = PASSWORD
    seed(core)
    yield create_app(core)
    core.db.dispose()


def _headers(app: FastAPI, job_no: str | None) -> dict[str, str]:
    if job_no is None:
        return {}
    client = TestClient(app)  # no lifespan: schemathesis calls the app in its own loop
    r = client.post("/api/v1/auth/token", data={"username": job_no, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            yield operation


@pytest.mark.parametrize("caller", list(CALLERS))
def test_no_5xx_and_answers_conform(demo_app: FastAPI, caller: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", demo_app)
    headers = _headers(demo_app, CALLERS[caller])
    failures: list[str] = []
    ran = 0
    for operation in _operations(schema):
        fixed = {"hall": "demo"} if "{hall}" in operation.path else None
        strategy = operation.as_strategy(path_parameters=fixed)

        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except (Exception, BaseExceptionGroup) as err:  # every failing operation is reported
            failures.append(f"{operation.method.upper()} {operation.path}: {err}"[:1500])
        ran += 1
    # the whole schema, not a part of it (an operation that failed to load would be missing)
    assert ran == sum(1 for _ in schema.get_all_operations()) - len(SKIPPED) > 80, ran
    if os.environ.get("HALLQ_SCHEMATHESIS_DUMP"):
        Path(os.environ["HALLQ_SCHEMATHESIS_DUMP"] + f".{caller}").write_text(
            "\n\n".join(failures), encoding="utf-8")
    assert not failures, "\n\n".join(failures)


def test_generated_values_reach_the_hall(demo_app: FastAPI) -> None:
    """The fixed `{hall}` makes the requests meet the hall, not only `unknown_hall`."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", demo_app)
    [services] = [op for op in _operations(schema)
                  if op.path == "/api/v1/halls/{hall}/services" and op.method.upper() == "GET"]
    seen: list[int] = []

    @settings(max_examples=2, derandomize=True, database=None, deadline=None)
    @given(case=services.as_strategy(path_parameters={"hall": "demo"}), _=st.none())
    def run(case: Any, _: None) -> None:
        seen.append(case.call().status_code)

    run()
    assert seen and set(seen) == {200}
