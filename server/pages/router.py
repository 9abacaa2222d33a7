"""Serving the shared front-end module and its strings; nothing is loaded from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from server.errors import NotFound

STATIC = Path(__file__).resolve().parent / "static"
_NAME = re.compile(r"^[a-z0-9_-]+\.(js|css|svg)$")
# Pages change with the code; never let a kiosk keep a stale script for a day.
_NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(tags=["pages"])


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """The shared front-end module (hallq.js), its strings and styles."""
    path = STATIC / name
    if not _NAME.match(name) or not path.is_file():
        raise NotFound("no such file")
    return FileResponse(path, headers=_NO_CACHE)
