"""The display pages (window LED screen, hall screen), their assets and announcements."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from server.auth.dependencies import CoreDep, CurrentOperator
from server.events import flows
from server.monitoring import actions

WEB = Path(__file__).resolve().parent.parent.parent / "display" / "web"
ASSETS_PATH = "/display/_static"
# Pages are plain files: the scripts read the hall and window from the address.
_NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(tags=["display"])


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


@router.get("/api/v1/halls/{hall}/announcement.wav", tags=["display"])
def announcement(
    hall: str, core: CoreDep,
    ticket: str = Query(pattern=r"^[A-Za-z]{1,2}[0-9]{1,5}$"),
    window: str = Query(pattern=r"^[0-9A-Za-z]{1,8}$"),
    recall: bool = False,
) -> Response:
    """The spoken call as a WAV (the template twice), for the hall screen to play."""
    wav = flows.announcement(core, hall=hall, ticket=ticket, window=window, recall=recall)
    return Response(wav, media_type="audio/wav",
                    headers={"Cache-Control": "public, max-age=3600"})


class ScrollText(BaseModel):
    """The line that scrolls along the bottom of every screen of the hall."""

    text: str = Field("", max_length=500)


@router.put("/api/v1/halls/{hall}/scroll-text", tags=["display"])
def put_scroll_text(hall: str, body: ScrollText, core: CoreDep,
                    actor: CurrentOperator) -> dict[str, str]:
    """Set the scrolling line (operators); the screens change at once."""
    return actions.set_scroll(core, hall=hall, text=body.text, actor=actor)
