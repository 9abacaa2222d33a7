"""The display pages (window LED screen, hall screen), their assets and announcements."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from server.auth.access import OperatorInHall, PublicHall
from server.auth.dependencies import CoreDep
from server.errors import Invalid
from server.events import flows
from server.monitoring import actions
from server.openapi import files
from server.writer import on_writer

WEB = Path(__file__).resolve().parent.parent.parent / "display" / "web"
ASSETS_PATH = "/display/_static"
# Pages are plain files: the scripts read the hall and window from the address.
_NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(tags=["display"])
_CALL = re.compile(r"([A-Za-z]{1,2}[0-9]{1,5})-([0-9A-Za-z]{1,8})")


def assets() -> StaticFiles:
    """The pages' scripts, styles and fonts (no internet resources)."""
    return StaticFiles(directory=WEB / "static")


@router.get("/display/{hall}", include_in_schema=False)
def hall_screen(hall: str) -> FileResponse:
    """The hall screen (综合屏)."""
    return FileResponse(WEB / "hall.html", headers=_NO_CACHE)


@router.get("/display/{hall}/window/{number}", include_in_schema=False)
def window_screen(hall: str, number: str) -> FileResponse:
    """The LED screen above one window (焦作 第三十条(四))."""
    return FileResponse(WEB / "window.html", headers=_NO_CACHE)


@router.get("/api/v1/halls/{hall}/announcement.wav", tags=["display"],
            response_class=Response, responses=files("audio/wav"))
def announcement(
    hall: str, core: CoreDep, scope: PublicHall,
    ticket: str = Query(pattern=r"^[A-Za-z]{1,2}[0-9]{1,5}$"),
    window: str = Query(pattern=r"^[0-9A-Za-z]{1,8}$"),
    recall: bool = False,
    also: list[str] = Query(
        default=[], max_length=5,
        description="more calls merged into the same sentence, each TICKET-WINDOW (A002-5)"),
    repeat: int | None = Query(None, ge=1, le=3,
                               description="times a single call is said (default: the hall's)"),
    chime: bool = True,
) -> Response:
    """The spoken call(s) as a WAV (chime, then the hall's template), for the hall screen."""
    calls = [(ticket, window)]
    for item in also:
        match = _CALL.fullmatch(item)
        if match is None:
            raise Invalid(f"also={item!r}: expected TICKET-WINDOW such as A002-5")
        calls.append((match[1], match[2]))
    wav = flows.announcement(core, hall=hall, calls=calls, recall=recall, repeat=repeat,
                             chime=chime)
    return Response(wav, media_type="audio/wav",
                    headers={"Cache-Control": "public, max-age=3600"})


class ScrollText(BaseModel):
    """The line that scrolls along the bottom of every screen of the hall."""

    text: str = Field("", max_length=500)


@router.put("/api/v1/halls/{hall}/scroll-text", tags=["display"])
@on_writer
def put_scroll_text(hall: str, body: ScrollText, core: CoreDep,
                    scope: OperatorInHall) -> dict[str, str]:
    """Set the scrolling line (operators); the screens change at once."""
    return actions.set_scroll(core, hall=hall, text=body.text, actor=scope.principal)
