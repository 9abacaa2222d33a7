"""The OpenAPI schema says what the core really answers (checked by schemathesis).

- Files (QR codes, announcements, report exports) are documented with their own media
  types (`files(...)` on the route).
- Every 422 is `{"detail", "code"}`: `detail` is a list of `{loc, msg, type}` when the
  request does not fit its schema, or one sentence when a rule refused it (a bad phone
  number, an unknown step). The generated `HTTPValidationError` says both.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def files(*media: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route answering a file of one of these media types."""
    return {200: {"content": {m: _BINARY for m in media}}}


def install(app: FastAPI) -> None:
    """Generate the app's schema once, with the error shape the core really answers."""

    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, routes=app.routes,
                              description=app.description, tags=app.openapi_tags)
            shapes = doc.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in shapes:
                shapes["HTTPValidationError"] = {
                    "title": "HTTPValidationError", "type": "object",
                    "properties": {
                        "detail": {"anyOf": [
                            {"type": "array",
                             "items": {"$ref": "#/components/schemas/ValidationError"}},
                            {"type": "string"}]},
                        "code": {"type": "string"},
                    },
                }
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]
