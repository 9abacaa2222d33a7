"""Counter endpoints: one thin handler per button on the counter terminal."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response

from server.auth.access import OperatorInHall, StaffInHall
from server.auth.dependencies import CoreDep
from server.auth.principal import Principal
from server.core import Core
from server.devices import printing
from server.responses import json_response
from server.windows import flows
from server.windows.schemas import CallNext, CallSpecific, Finish, Pause, SignIn, Transfer
from server.writer import on_writer

router = APIRouter(prefix="/api/v1/halls/{hall}/windows/{window}", tags=["counter"])


def _answer(out: flows.Outcome) -> dict[str, Any]:
    return {"ticket": out.ticket.model_dump() if out.ticket else None,
            "window": out.window.model_dump() if out.window else None}


@router.post("/sign-in")
@on_writer
def sign_in(hall: str, window: str, body: SignIn, core: CoreDep,
            scope: StaffInHall) -> dict[str, Any]:
    """Sign in to the window as A or B post."""
    return _answer(flows.sign_in(core, hall=hall, window=window, post=body.post,
                                 actor=scope.principal))


@router.post("/sign-out")
@on_writer
def sign_out(hall: str, window: str, core: CoreDep, scope: StaffInHall) -> dict[str, Any]:
    """Leave the window."""
    return _answer(flows.sign_out(core, hall=hall, window=window, actor=scope.principal))


# The counter's buttons on the hot path: `async`, the access dependency answered on the
# event loop from its cache, the flow run in one hop (`Database.run_write`: SQLite's one
# writer thread, or the threadpool on PostgreSQL) and the answer encoded once.
# `server.hotpaths` takes the plain case of call-next, recall, no-show and start before
# FastAPI, to the same `button_answer`.

_BUTTONS = {"recall": flows.recall, "no-show": flows.no_show, "start": flows.start}


def button_answer(core: Core, hall: str, window: str, action: str, actor: Principal,
                  confirm_no_show: bool = False) -> Response:
    """Press one of the counter's buttons and encode the answer (call-next: 204 when
    nothing waits for the window)."""
    if action == "call-next":
        out = flows.call_next(core, hall=hall, window=window, actor=actor,
                              confirm_no_show=confirm_no_show)
        return json_response(_answer(out)) if out.ticket else Response(status_code=204)
    return json_response(_answer(_BUTTONS[action](core, hall=hall, window=window,
                                                  actor=actor)))


@router.post("/call-next", response_model=None)
async def call_next(hall: str, window: str, core: CoreDep, scope: StaffInHall,
                    body: CallNext | None = None) -> Response:
    """Call the next ticket; 204 when nothing waits for this window.

    409 `confirm_no_show` while the last call is still unanswered and not yet recalled
    (the hall's rules); send `{"confirm_no_show": true}` to mark it 过号 and call on.
    """
    return await core.db.run_write(partial(
        button_answer, core, hall, window, "call-next", scope.principal,
        body is not None and body.confirm_no_show))


@router.post("/call", response_model=dict[str, Any])
async def call_specific(hall: str, window: str, body: CallSpecific, core: CoreDep,
                        scope: StaffInHall) -> Response:
    """Call one ticket by its number (指定呼叫)."""
    return json_response(_answer(await core.db.run_write(partial(
        flows.call_specific, core, hall=hall, window=window, number=body.number,
        actor=scope.principal))))


@router.post("/recall", response_model=dict[str, Any])
async def recall(hall: str, window: str, core: CoreDep, scope: StaffInHall) -> Response:
    """Announce the current ticket again."""
    return await core.db.run_write(partial(
        button_answer, core, hall, window, "recall", scope.principal))


@router.post("/no-show", response_model=dict[str, Any])
async def no_show(hall: str, window: str, core: CoreDep, scope: StaffInHall) -> Response:
    """The called citizen did not come."""
    return await core.db.run_write(partial(
        button_answer, core, hall, window, "no-show", scope.principal))


@router.post("/start", response_model=dict[str, Any])
async def start(hall: str, window: str, core: CoreDep, scope: StaffInHall) -> Response:
    """Service starts."""
    return await core.db.run_write(partial(
        button_answer, core, hall, window, "start", scope.principal))


@router.post("/finish", response_model=dict[str, Any])
async def finish(hall: str, window: str, body: Finish, request: Request, core: CoreDep,
                 scope: StaffInHall) -> Response:
    """Finish the current ticket with an outcome; a 补正告知 is printed at the window."""
    actor, base = scope.principal, str(request.base_url)

    def finish() -> dict[str, Any]:  # one hop: the flow and its print job
        out = flows.finish(core, hall=hall, window=window, outcome=body.outcome,
                           note=body.note, missing=body.missing,
                           missing_other=body.missing_other, actor=actor)
        answer = _answer(out)
        if out.ticket is not None and out.ticket.notice and body.print_notice:
            answer["print"] = printing.print_notice(
                core, ticket=out.ticket, window=window,
                base=printing.public_base(core, base))
        return answer

    return json_response(await core.db.run_write(finish))


@router.post("/transfer", response_model=dict[str, Any])
async def transfer(hall: str, window: str, body: Transfer, core: CoreDep,
                   scope: StaffInHall) -> Response:
    """Hand the current ticket to another service or window."""
    return json_response(_answer(await core.db.run_write(partial(
        flows.transfer, core, hall=hall, window=window, service=body.service,
        to_window=body.window, note=body.note, actor=scope.principal))))


@router.post("/pause")
@on_writer
def pause(hall: str, window: str, body: Pause, core: CoreDep,
          scope: StaffInHall) -> dict[str, Any]:
    """Pause the window with a reason."""
    return _answer(flows.pause(core, hall=hall, window=window, reason=body.reason,
                               actor=scope.principal))


@router.post("/resume")
@on_writer
def resume(hall: str, window: str, core: CoreDep, scope: StaffInHall) -> dict[str, Any]:
    """End the pause."""
    return _answer(flows.resume(core, hall=hall, window=window, actor=scope.principal))


@router.post("/open")
@on_writer
def open_window(hall: str, window: str, core: CoreDep, scope: OperatorInHall) -> dict[str, Any]:
    """Open the window for the day (operators)."""
    return _answer(flows.set_open(core, hall=hall, window=window, open_=True,
                                  actor=scope.principal))


@router.post("/close")
@on_writer
def close_window(hall: str, window: str, core: CoreDep,
                 scope: OperatorInHall) -> dict[str, Any]:
    """Close the window for the day (operators)."""
    return _answer(flows.set_open(core, hall=hall, window=window, open_=False,
                                  actor=scope.principal))
