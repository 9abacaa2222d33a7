"""Operators' view of the outside links: what waits, what failed, whether one is behind."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from server.appointments import service as appts
from server.appointments.platform import BookingPlatformSettings
from server.auth.access import OperatorInHall
from server.auth.dependencies import CoreDep
from server.evaluations.platform import outbox as upload
from server.integrations.settings import IntegrationSettings
from server.monitoring import access
from server.notices import service as notices
from server.writer import on_writer

router = APIRouter(prefix="/api/v1", tags=["integrations"])


@router.get("/halls/{hall}/integrations")
def status(hall: str, request: Request, core: CoreDep, scope: OperatorInHall) -> dict[str, Any]:
    """The notice outbox, the 好差评 upload outbox, the booking platform feed and the
    booking-SMS outbox of a hall, for its operators."""
    settings: IntegrationSettings = request.app.state.integrations
    bookings: BookingPlatformSettings = request.app.state.booking_platform
    behind = settings.outbox_behind_s * core.settings.clock_speed
    now = core.clock.now()
    with core.db.read_session() as db:
        h = access.hall(db, hall)
        return {
            "notices": {"channels": settings.channels,
                        **notices.outbox_status(db, h, now, behind)},
            "evaluation_upload": {"configured": bool(settings.evaluation_platform_url),
                                  **upload.status(db, h, now, behind)},
            "bookings": appts.links_status(db, hall=h, now=now, behind_s=behind,
                                           mode=bookings.mode),
        }


@router.post("/halls/{hall}/integrations/evaluation-upload/retry")
@on_writer
def retry_uploads(hall: str, core: CoreDep, scope: OperatorInHall) -> dict[str, int]:
    """Send the records the 好差评 platform rejected again, with the hall's current items."""
    return {"retried": upload.retry_rejected(core, hall=hall, actor=scope.principal)}
