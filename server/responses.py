"""Answers built once: a route that returns a Response skips FastAPI's re-validation and
re-encoding of the value it returns (the hot routes: issue, the counter's buttons)."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel
from pydantic_core import to_json


def json_response(value: BaseModel | dict[str, Any], status_code: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    """`value` encoded as JSON (UTF-8, not escaped), once."""
    body = value.model_dump_json() if isinstance(value, BaseModel) else to_json(value)
    return Response(content=body, status_code=status_code, headers=headers,
                    media_type="application/json")
