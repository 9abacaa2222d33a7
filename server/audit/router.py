"""The audit trail for operators (广西 第九条 电子监察; 焦作 第五十三条 巡查)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from server.audit import flows, query
from server.auth.access import OperatorInHall
from server.auth.dependencies import CoreDep
from server.openapi import XLSX, files

router = APIRouter(prefix="/api/v1/halls/{hall}/audit", tags=["audit"])

Text = Annotated[str | None, Query(max_length=64)]
_MEDIA = {"csv": "text/csv; charset=utf-8",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("", response_model=None,
            responses=files("text/csv", XLSX))
def search(hall: str, core: CoreDep, scope: OperatorInHall,
           day: date | None = None,
           start: Annotated[date | None, Query(alias="from")] = None,
           end: Annotated[date | None, Query(alias="to")] = None,
           staff: Text = None, window: Text = None, ticket: Text = None,
           action: Annotated[str | None, Query(max_length=32)] = None,
           limit: Annotated[int, Query(ge=1, le=query.MAX_LIMIT)] = 200,
           offset: Annotated[int, Query(ge=0)] = 0,
           format: Annotated[str, Query(pattern=r"^(json|csv|xlsx)$")] = "json",
           lang: Annotated[str, Query(pattern=r"^(zh|en)$")] = "zh",
           ) -> dict[str, Any] | Response:
    """Search by day (or from/to), staff job number, window, ticket and action."""
    filters: dict[str, Any] = {"start": day or start, "end": day or end, "staff": staff,
                               "window": window, "ticket": ticket, "action": action}
    if format == "json":
        return flows.search(core, hall=hall, actor=scope.principal, limit=limit, offset=offset,
                            **filters)
    data, name = flows.export(core, hall=hall, actor=scope.principal, fmt=format, lang=lang,
                              **filters)
    return Response(data, media_type=_MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'})


@router.get("/tickets/{ticket}")
def ticket_history(hall: str, ticket: str, core: CoreDep, scope: OperatorInHall,
                   day: date | None = None) -> dict[str, Any]:
    """One ticket's whole history: by its id, or its number on `day` (today by default)."""
    return flows.ticket_history(core, hall=hall, actor=scope.principal, ticket=ticket, day=day)
