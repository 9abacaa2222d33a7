"""Answers built once: a route that returns a Response skips FastAPI's re-validation and
re-encoding of the value it returns (the hot routes: issue, the counter's buttons)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy.exc import OperationalError

from server.auth.throttle import TooManyAttempts
from server.errors import HallqError

log = logging.getLogger("hallq")


def json_response(value: BaseModel | dict[str, Any], status_code: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    """`value` encoded as JSON (UTF-8, not escaped), once."""
    body = value.model_dump_json() if isinstance(value, BaseModel) else to_json(value)
    return Response(content=body, status_code=status_code, headers=headers,
                    media_type="application/json")


def error_response(err: HallqError) -> JSONResponse:
    """A refusal as every route answers it: `{"detail", "code"}` with the error's status."""
    headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
    if isinstance(err, TooManyAttempts):
        headers = {"Retry-After": str(err.retry_after)}
    return JSONResponse({"detail": err.detail, "code": err.code}, status_code=err.status,
                        headers=headers)


def busy_response(err: OperationalError) -> JSONResponse:
    """A locked or unreachable database: the client may retry; nothing was written."""
    log.warning("database unavailable: %s", err.orig)
    return JSONResponse({"detail": "database busy, try again", "code": "busy"},
                        status_code=503, headers={"Retry-After": "1"})
