"""Serving the terminals' pages and their static files; nothing is loaded from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from server.errors import NotFound

HERE = Path(__file__).parent
PAGES = HERE / "pages"
STATIC = HERE / "static"
_NAME = re.compile(r"^[a-z0-9_-]+\.(js|css|svg)$")
# Pages change with the code; never let a kiosk keep a stale one for a day.
_NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(tags=["terminals"])


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((PAGES / f"{name}.html").read_text(encoding="utf-8"),
                        headers=_NO_CACHE)


@router.get("/kiosk/{hall}", include_in_schema=False)
def kiosk(hall: str) -> HTMLResponse:
    """The ticket kiosk (取号机)."""
    return _page("kiosk")


@router.get("/counter/{hall}", include_in_schema=False)
def counter(hall: str) -> HTMLResponse:
    """The counter terminal (叫号终端)."""
    return _page("counter")


@router.get("/desk/{hall}", include_in_schema=False)
def desk(hall: str) -> HTMLResponse:
    """The help desk (综合咨询服务台): issue, bookings, 过号重排, reprints, 办事指南."""
    return _page("desk")


@router.get("/t/{ticket_id}", include_in_schema=False)
def ticket(ticket_id: str) -> HTMLResponse:
    """A citizen's live view of one ticket."""
    return _page("ticket")


@router.get("/t/{ticket_id}/rate", include_in_schema=False)
def rate(ticket_id: str) -> HTMLResponse:
    """A citizen's rating of one finished service (好差评, 一次一评)."""
    return _page("rate")


@router.get("/p/{hall}", include_in_schema=False)
def phone(hall: str) -> HTMLResponse:
    """线上取号: a citizen takes a number from a phone (the hall's QR at the door)."""
    return _page("phone")


@router.get("/book/{hall}", include_in_schema=False)
def book(hall: str) -> HTMLResponse:
    """预约办事: a citizen books, looks up and cancels appointments from a phone."""
    return _page("book")


@router.get("/terminals/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """A script, style sheet or image of the terminals."""
    path = STATIC / name
    if not _NAME.match(name) or not path.is_file():
        raise NotFound("no such file")
    return FileResponse(path, headers=_NO_CACHE)
