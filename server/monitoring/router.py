"""Monitoring endpoints: the dashboard, alerts, operator actions, reports, /metrics, pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    Response,
)
from pydantic import BaseModel, Field

from server.auth.access import OperatorInHall
from server.auth.dependencies import CoreDep
from server.errors import MAX_ID, NotFound
from server.halls import service as halls
from server.monitoring import access, actions, alerts, dashboard, metrics
from server.openapi import XLSX, files
from server.reports import export
from server.reports import service as reports
from server.tickets.schemas import TicketRead
from server.writer import on_writer

WEB = Path(__file__).resolve().parent / "web"
ROOT = Path(__file__).resolve().parent.parent.parent
ECHARTS = ROOT / "node_modules" / "echarts" / "dist" / "echarts.min.js"
_NO_CACHE = {"Cache-Control": "no-cache"}
_STATIC = {"monitor.js", "monitor.css", "reports.js", "cases.js", "i18n.js", "session.js",
           "presence.js", "audit.js"}

router = APIRouter(tags=["monitoring"])
api = "/api/v1/halls/{hall}"
Below = Annotated[bool, Query(description="also every hall below this one (sub-centres)")]
# A report's day: within the years a hall can have data for (9999-12-31 has no next day).
ReportDay = Annotated[date | None, Query(ge=date(2000, 1, 1), le=date(2099, 12, 31))]
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]


@router.get(api + "/monitor")
def get_dashboard(hall: str, core: CoreDep, scope: OperatorInHall,
                  below: Below = False) -> dict[str, Any]:
    """The live dashboard's data (one hall, or a centre and the halls below it)."""
    return dashboard.dashboard(core, hall=hall, actor=scope.principal, below=below)


@router.get(api + "/monitor/alerts")
def get_alerts(hall: str, core: CoreDep, scope: OperatorInHall) -> dict[str, Any]:
    """The active alerts and the latest of the log."""
    with core.db.read_session() as db:
        access.hall(db, hall)
    alerts.scan(core, hall)
    with core.db.read_session() as db:
        return {"hall": hall, "alerts": alerts.recent(db, access.hall(db, hall))}


@router.post(api + "/monitor/alerts/{alert_id}/ack")
@on_writer
def ack_alert(hall: str, alert_id: RowId, core: CoreDep,
              scope: OperatorInHall) -> dict[str, Any]:
    """Mark an alert seen."""
    return alerts.acknowledge(core, hall=hall, alert_id=alert_id, actor=scope.principal)


class ScrollIn(BaseModel):
    """The LED scrolling line."""

    text: str = Field("", max_length=500)


@router.put(api + "/monitor/scroll")
@on_writer
def put_scroll(hall: str, body: ScrollIn, core: CoreDep, scope: OperatorInHall) -> dict[str, Any]:
    """Set the scrolling line of every screen of the hall."""
    return actions.set_scroll(core, hall=hall, text=body.text, actor=scope.principal)


class MoveIn(BaseModel):
    """The services a window serves for the rest of the day; null puts it back."""

    services: list[str] | None = Field(None, max_length=100)


@router.put(api + "/monitor/windows/{window}/services")
@on_writer
def move_window(hall: str, window: str, body: MoveIn, core: CoreDep,
                scope: OperatorInHall) -> dict[str, Any]:
    """Move a window to other services for the day."""
    return actions.move_window(core, hall=hall, window=window, services=body.services,
                               actor=scope.principal)


@router.post(api + "/monitor/windows/{window}/open")
@on_writer
def open_window(hall: str, window: str, core: CoreDep, scope: OperatorInHall) -> dict[str, Any]:
    """Open a window for the day."""
    return actions.set_open(core, hall=hall, window=window, open_=True, actor=scope.principal)


@router.post(api + "/monitor/windows/{window}/close")
@on_writer
def close_window(hall: str, window: str, core: CoreDep,
                 scope: OperatorInHall) -> dict[str, Any]:
    """Close a window for the day."""
    return actions.set_open(core, hall=hall, window=window, open_=False, actor=scope.principal)


class CancelIn(BaseModel):
    """Why a ticket is cancelled."""

    reason: str = Field(min_length=1, max_length=200)


class ReissueIn(BaseModel):
    """Re-issue, optionally for another service."""

    service: str | None = None


@router.get(api + "/monitor/tickets/by-number/{number}")
def find_ticket(hall: str, number: str, core: CoreDep, scope: OperatorInHall) -> dict[str, str]:
    """Today's ticket id of a number."""
    return {"id": actions.find_ticket(core, hall=hall, number=number, actor=scope.principal)}


@router.post(api + "/monitor/tickets/{ticket_id}/cancel")
@on_writer
def cancel_ticket(hall: str, ticket_id: str, body: CancelIn, core: CoreDep,
                  scope: OperatorInHall) -> TicketRead:
    """Cancel a ticket with a reason."""
    return actions.cancel(core, hall=hall, ticket_id=ticket_id, reason=body.reason,
                          actor=scope.principal)


@router.post(api + "/monitor/tickets/{ticket_id}/reissue", status_code=201)
@on_writer
def reissue_ticket(hall: str, ticket_id: str, body: ReissueIn, core: CoreDep,
                   scope: OperatorInHall) -> dict[str, Any]:
    """Issue a new ticket in place of an old one."""
    return actions.reissue(core, hall=hall, ticket_id=ticket_id, service=body.service,
                           actor=scope.principal)


Fmt = Annotated[str, Query(pattern=r"^(json|csv|xlsx)$")]


def _file(data: bytes, name: str, fmt: str) -> Response:
    media = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt]
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get(api + "/reports", response_model=None,
            responses=files("text/csv", XLSX))
def get_report(hall: str, core: CoreDep, scope: OperatorInHall,
               period: Annotated[str, Query(pattern=r"^(day|month|quarter|year)$")] = "month",
               day: ReportDay = None,
               by: Annotated[str, Query(pattern=r"^(window|staff|department|service|hall)$")]
               = "window",
               below: Below = False, format: Fmt = "json",
               lang: Annotated[str, Query(pattern=r"^(zh|en)$")] = "zh",
               ) -> dict[str, Any] | Response:
    """A report for a period by a dimension; `format=csv` or `xlsx` downloads it."""
    when = day
    if when is None:
        with core.db.read_session() as db:
            when = halls.local_day(halls.get_hall(db, hall), core.clock.now())
    data = reports.report(core, hall=hall, actor=scope.principal, period=period, day=when, by=by,
                          below=below)
    if format == "csv":
        return _file(export.to_csv(data, lang), export.title(data), "csv")
    if format == "xlsx":
        return _file(export.to_xlsx(data, lang), export.title(data), "xlsx")
    return data


@router.get(api + "/reports/staff/{job_no}", response_model=None,
            responses=files("text/csv", XLSX))
def staff_sheet(hall: str, job_no: str, core: CoreDep, scope: OperatorInHall,
                month: ReportDay = None, format: Fmt = "json",
                lang: Annotated[str, Query(pattern=r"^(zh|en)$")] = "zh",
                period: Annotated[str, Query(pattern=r"^(month|quarter|year)$")] = "month",
                ) -> dict[str, Any] | Response:
    """A staff member's assessment sheet: 月考核, 季考评 or 年总评 (邵阳 第三十九条)."""
    if month is None:
        with core.db.read_session() as db:
            month = halls.local_day(halls.get_hall(db, hall), core.clock.now())
    data = reports.staff_sheet(core, hall=hall, actor=scope.principal, job_no=job_no, month=month,
                               period=period)
    if format == "json":
        return data
    sheet = {"hall": hall, "label": data["month"], "by": f"staff-{job_no}", "halls": [hall],
             "start": data["start"], "end": data["end"],
             "rows": [{"label": d["day"], **d} for d in data["days"]],
             "total": {**data["total"], "label": f"{data['staff']['name']} 合计"}}
    if format == "csv":
        return _file(export.to_csv(sheet, lang), export.title(sheet), "csv")
    return _file(export.to_xlsx(sheet, lang), export.title(sheet), "xlsx")


@router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
def prometheus(core: CoreDep, request: Request) -> PlainTextResponse:
    """Gauges for Prometheus (counts only, no personal data).

    Every hall's figures: only for the scraper, which sends HALLQ_METRICS_TOKEN as a bearer
    token or scrapes from an address in HALLQ_METRICS_ALLOW.
    """
    metrics.check_scraper(core.settings, authorization=request.headers.get("authorization"),
                          address=request.client.host if request.client else None)
    return PlainTextResponse(metrics.render(core),
                             media_type="text/plain; version=0.0.4; charset=utf-8")


# --- live stream ----------------------------------------------------------------------


# --- pages ------------------------------------------------------------------------------


@router.get("/monitor/_static/echarts.min.js", include_in_schema=False)
def echarts() -> FileResponse:
    """Apache ECharts, installed by the setup command (npm), never from the internet."""
    if not ECHARTS.is_file():
        raise NotFound("ECharts is not installed: run scripts/setup.sh (npm install)")
    return FileResponse(ECHARTS, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/monitor/_static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    """The dashboard's scripts and styles."""
    if name not in _STATIC:
        raise NotFound("no such file")
    return FileResponse(WEB / name, headers=_NO_CACHE)


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((WEB / f"{name}.html").read_text(encoding="utf-8"), headers=_NO_CACHE)


@router.get("/monitor/{hall}", include_in_schema=False)
def monitor_page(hall: str) -> HTMLResponse:
    """The operator's dashboard."""
    return _page("monitor")


@router.get("/monitor/{hall}/reports", include_in_schema=False)
def reports_page(hall: str) -> HTMLResponse:
    """Reports with charts and exports."""
    return _page("reports")


@router.get("/monitor/{hall}/cases", include_in_schema=False)
def cases_page(hall: str) -> HTMLResponse:
    """差评 cases."""
    return _page("cases")


@router.get("/monitor/{hall}/presence", include_in_schema=False)
def presence_page(hall: str) -> HTMLResponse:
    """The presence board (去向牌) and the A and B posts."""
    return _page("presence")


@router.get("/monitor/{hall}/audit", include_in_schema=False)
def audit_page(hall: str) -> HTMLResponse:
    """The audit trail: search, export, a ticket's history."""
    return _page("audit")
