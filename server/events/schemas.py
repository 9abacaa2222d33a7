"""One schema per event type: what the flows publish and what the websockets send.

Every event is a plain dict on the bus (it crosses processes as JSON through Redis), typed
here once as a `TypedDict` with one builder per type, so mypy checks each producer and the
hot paths pay for nothing but the dict itself (no validation, no model dump: issue and
call-next publish hundreds of times a second). Tests validate what a scripted day
publishes against these schemas (`validator`), and `docs/events.md` is generated from
them (`catalogue`).

The bus stamps every event with `hall` and `seq` on delivery (`server.events.bus.stamp`);
the schemas are the events as published, before that stamp.
"""

from collections.abc import Callable
from typing import Any, Literal, NamedTuple, NotRequired, cast, get_args, get_type_hints

from typing_extensions import TypedDict

from server.evaluations.schemas import EvaluationRead
from server.tickets.schemas import TicketRead
from server.windows.schemas import WindowRead

# --- the queue and the counters (published by the flows) -----------------------------


class CallEvent(TypedDict):
    """A ticket called, or recalled, to a window (请 A001 号到 3 号窗口办理)."""

    type: Literal["call"]
    ticket: str
    ticket_id: str
    window: str
    window_name: str
    service: str
    service_name: str
    domain: str | None
    priority: str
    recall: bool
    # The ticket's status now: `called` when published; in a snapshot's last calls it
    # may since have moved on (`serving`, `done`, `no_show` …).
    status: str
    at: str | None


class WindowEvent(TypedDict):
    """A window's live state (the fields of `WindowRead`; `window` repeats `number`)."""

    type: Literal["window"]
    window: str
    number: str
    name: str
    name_en: str | None
    kind: str
    state: str
    ticket: str | None
    ticket_id: str | None
    service: str | None
    staff: str | None
    staff_no: str | None
    post: str | None
    paused_reason: str | None
    since: str | None
    a_staff: str | None
    b_staff: str | None
    presence: str | None
    presence_staff: str | None
    presence_note: str | None


class QueueEvent(TypedDict):
    """The waiting count of every service of the hall, by service code."""

    type: Literal["queue"]
    waiting: dict[str, int]


class TicketIssuedEvent(TypedDict):
    """A ticket joined the queue."""

    type: Literal["ticket_issued"]
    ticket: str
    ticket_id: str
    service: str
    priority: str
    at: str


class TicketEvent(TypedDict):
    """A ticket changed (called, started, finished, no-show, transferred, cancelled …)."""

    type: Literal["ticket"]
    ticket_id: str
    ticket: str
    status: str
    service: str
    window: str | None


class PresenceEvent(TypedDict):
    """A staff member's 去向牌 changed."""

    type: Literal["presence"]
    job_no: str
    name: str
    department: str | None
    presence: str
    note: str | None
    since: str | None
    window: str | None
    post: str | None
    a_of: list[str]
    b_of: list[str]


class EvaluateEvent(TypedDict):
    """The counter asks its evaluator to prompt the citizen for a rating."""

    type: Literal["evaluate"]
    ticket_id: str
    ticket: str
    service: str | None
    window: str
    staff_name: str | None
    staff_no: str | None


class RatingEvent(TypedDict):
    """A rating was recorded (the fields of `EvaluationRead`)."""

    type: Literal["rating"]
    ticket_id: str
    ticket: str
    level: int
    reasons: list[str]
    channel: str
    window: str | None
    staff_no: str | None
    service: str
    created_at: str
    bad: bool


class CaseEvent(TypedDict):
    """A 差评 case opened (with its ticket, window and level) or moved on a step."""

    type: Literal["case"]
    case: int
    status: str
    overdue: bool
    ticket: NotRequired[str]
    window: NotRequired[str | None]
    level: NotRequired[int]


# --- the hall and its operators ---------------------------------------------------------


class HallEvent(TypedDict):
    """The hall's names and scrolling line, for its screens."""

    type: Literal["hall"]
    hall_name: str
    hall_name_en: str | None
    scroll_text: str


class ScrollEvent(TypedDict):
    """The scrolling line changed (the dashboard's own event)."""

    type: Literal["scroll"]
    text: str


class WindowServicesEvent(TypedDict):
    """A window serves other services for the rest of the day (None: back to normal)."""

    type: Literal["window_services"]
    window: str
    services: list[str] | None


class AlertEvent(TypedDict):
    """An alert raised or resolved (as the dashboard shows it)."""

    type: Literal["alert"]
    id: int
    hall: str
    kind: str
    severity: str
    subject: str | None
    detail: dict[str, Any] | None
    raised_at: str | None
    resolved_at: str | None
    acknowledged_at: str | None
    active: bool


class IntegrationEvent(TypedDict):
    """A message to an outside system failed (SMS, notices, the 好差评 platform)."""

    type: Literal["integration"]
    link: str
    record: str
    kind: NotRequired[str]
    attempts: int
    final: bool
    error: str


# --- devices ----------------------------------------------------------------------------


class PrintedTicket(TypedDict):
    """What a ticket printer prints."""

    id: str
    number: str
    service: str
    service_name: str
    centre: str
    ahead: int | None
    issued_at: str
    url: str
    notice: str
    priority: str
    reprint: bool


class PrintEvent(TypedDict):
    """A print job for an agent's printer: a ticket, or a slip (一次性告知单, 办事指南)."""

    type: Literal["print"]
    job: str
    kiosk: str | None
    ticket: NotRequired[PrintedTicket]
    at_window: NotRequired[str | None]
    slip: NotRequired[dict[str, Any]]


class PrintResultEvent(TypedDict):
    """What an agent's printer made of a job."""

    type: Literal["print_result"]
    job: str
    device: str
    ok: bool
    detail: str


class DeviceEvent(TypedDict):
    """A device went on- or offline."""

    type: Literal["device"]
    device: str
    kind: str
    online: bool
    detail: str


class ScanEvent(TypedDict):
    """An agent's scanner read a code."""

    type: Literal["scan"]
    device: str
    code: str


class IdcardEvent(TypedDict):
    """An ID card read (core listeners only: never sent on a websocket)."""

    type: Literal["idcard"]
    reader: str
    kiosks: list[str]
    card: str
    id_hash: str
    expired: bool
    at: str | None


class PictureEvent(TypedDict):
    """Changes to a hall's queue in memory, for the other core processes (never sent)."""

    type: Literal["picture"]
    changes: list[list[Any]]


class AccessEvent(TypedDict):
    """Who may do what in the hall changed (an account, device, token or the hall itself):
    the other core processes clear their access cache (`server.auth.cache`; never sent)."""

    type: Literal["access"]


class ResyncEvent(TypedDict):
    """Delivered by the Redis bus once a hall's subscription is confirmed (`renewed`: after
    a lost connection), or for hall `*` when every hall is to be resynced."""

    type: Literal["resync"]
    renewed: NotRequired[bool]


# --- what the websockets send besides the events ----------------------------------------


class WaitingRow(TypedDict):
    """One ticket a window would call: the counter's REST view and its stream alike."""

    ticket: str
    ticket_id: str
    service: str
    service_name: str
    priority: str
    issued_at: str | None
    waited_s: int
    # Transferred at least once; and to this very window (首问负责).
    transferred: bool
    transferred_here: bool
    note: str


class WaitingMessage(TypedDict):
    """The tickets a window would call, best first (counter stream)."""

    type: Literal["waiting"]
    window: str
    count: int
    tickets: list[WaitingRow]


class NextMessage(TypedDict):
    """The ticket each staffed window would call next (请 A002 号准备; display streams)."""

    type: Literal["next"]
    windows: dict[str, str | None]


class TicketPageMessage(TypedDict):
    """The citizen's ticket as it changed (ticket stream; the fields of `TicketRead`)."""

    type: Literal["ticket"]
    ticket: dict[str, Any]


class SnapshotService(TypedDict):
    """A service on a hall snapshot."""

    code: str
    name: str
    name_en: str | None
    prefix: str
    domain: str | None
    kind: str
    waiting: int
    longest_wait_s: int


class Voice(TypedDict):
    """How the hall's calls are spoken."""

    template: str
    repeat: int


class HallSnapshot(TypedDict):
    """A hall screen's (and the monitor's) first message; a window screen's is cut to its
    window (`window`), and `next` is there when the hall shows the next tickets."""

    type: Literal["snapshot"]
    seq: NotRequired[int]
    hall: str
    hall_name: str
    hall_name_en: str | None
    timezone: str
    scroll_text: str
    at: str | None
    windows: list[dict[str, Any]]
    services: list[SnapshotService]
    calls: list[CallEvent]
    voice: Voice
    window: NotRequired[str]
    next: NotRequired[dict[str, str | None]]


class CounterSnapshot(TypedDict):
    """A counter terminal's first message: its window, its waiting list, the services."""

    type: Literal["snapshot"]
    seq: NotRequired[int]
    hall: str
    window: dict[str, Any] | None
    waiting: WaitingMessage
    services: list[dict[str, Any]]


class TicketSnapshot(TypedDict):
    """The citizen's ticket page's first message (`ticket`: the fields of `TicketRead`)."""

    type: Literal["snapshot"]
    seq: int
    ticket: dict[str, Any]


# --- builders: one per event type -------------------------------------------------------


def call(*, ticket: str, ticket_id: str, window: str, window_name: str, service: str,
         service_name: str, domain: str | None, priority: str, recall: bool, status: str,
         at: str | None) -> CallEvent:
    """A `call` event (a call, a recall, or one of a snapshot's last calls)."""
    return {"type": "call", "ticket": ticket, "ticket_id": ticket_id, "window": window,
            "window_name": window_name, "service": service, "service_name": service_name,
            "domain": domain, "priority": priority, "recall": recall, "status": status,
            "at": at}


def window(view: WindowRead) -> WindowEvent:
    """A `window` event from the window's view."""
    return cast(WindowEvent, {"type": "window", "window": view.number, **view.model_dump()})


def queue(waiting: dict[str, int]) -> QueueEvent:
    """A `queue` event: waiting per service code."""
    return {"type": "queue", "waiting": waiting}


def ticket_issued(ticket: TicketRead) -> TicketIssuedEvent:
    """A `ticket_issued` event."""
    return {"type": "ticket_issued", "ticket": ticket.number, "ticket_id": ticket.id,
            "service": ticket.service, "priority": ticket.priority, "at": ticket.issued_at}


def ticket(view: TicketRead) -> TicketEvent:
    """A `ticket` event: the ticket's new status."""
    return {"type": "ticket", "ticket_id": view.id, "ticket": view.number,
            "status": view.status, "service": view.service, "window": view.window}


def presence(person: dict[str, Any]) -> PresenceEvent:
    """A `presence` event from a person on the presence board."""
    return cast(PresenceEvent, {"type": "presence", **person})


def evaluate(*, ticket_id: str, ticket: str, service: str | None, window: str,
             staff_name: str | None, staff_no: str | None) -> EvaluateEvent:
    """An `evaluate` event: prompt the window's evaluator."""
    return {"type": "evaluate", "ticket_id": ticket_id, "ticket": ticket, "service": service,
            "window": window, "staff_name": staff_name, "staff_no": staff_no}


def rating(view: EvaluationRead) -> RatingEvent:
    """A `rating` event from the stored rating."""
    return cast(RatingEvent, {"type": "rating", **view.model_dump()})


def case(*, case: int, status: str, overdue: bool, ticket: str | None = None,
         window: str | None = None, level: int | None = None) -> CaseEvent:
    """A `case` event; a newly opened case names its ticket, window and level."""
    out: CaseEvent = {"type": "case", "case": case, "status": status, "overdue": overdue}
    if ticket is not None and level is not None:
        out["ticket"], out["window"], out["level"] = ticket, window, level
    return out


def hall(*, hall_name: str, hall_name_en: str | None, scroll_text: str) -> HallEvent:
    """A `hall` event."""
    return {"type": "hall", "hall_name": hall_name, "hall_name_en": hall_name_en,
            "scroll_text": scroll_text}


def scroll(text: str) -> ScrollEvent:
    """A `scroll` event."""
    return {"type": "scroll", "text": text}


def window_services(*, window: str, services: list[str] | None) -> WindowServicesEvent:
    """A `window_services` event."""
    return {"type": "window_services", "window": window, "services": services}


def alert(view: dict[str, Any]) -> AlertEvent:
    """An `alert` event from the alert's dashboard view."""
    return cast(AlertEvent, {"type": "alert", **view})


def integration(*, link: str, record: str, attempts: int, final: bool, error: str,
                kind: str | None = None) -> IntegrationEvent:
    """An `integration` event: a failed attempt to reach an outside system."""
    out: IntegrationEvent = {"type": "integration", "link": link, "record": record,
                             "attempts": attempts, "final": final, "error": error[:200]}
    if kind is not None:
        out["kind"] = kind
    return out


def print_ticket(*, job: str, kiosk: str | None, ticket: PrintedTicket) -> PrintEvent:
    """A `print` event for a ticket."""
    return {"type": "print", "job": job, "kiosk": kiosk, "ticket": ticket}


def print_slip(*, job: str, kiosk: str | None, at_window: str | None,
               slip: dict[str, Any]) -> PrintEvent:
    """A `print` event for a slip."""
    return {"type": "print", "job": job, "kiosk": kiosk, "at_window": at_window, "slip": slip}


def print_result(*, job: str, device: str, ok: bool, detail: str) -> PrintResultEvent:
    """A `print_result` event."""
    return {"type": "print_result", "job": job, "device": device, "ok": ok, "detail": detail}


def device(*, device: str, kind: str, online: bool, detail: str) -> DeviceEvent:
    """A `device` event."""
    return {"type": "device", "device": device, "kind": kind, "online": online,
            "detail": detail}


def scan(*, device: str, code: str) -> ScanEvent:
    """A `scan` event."""
    return {"type": "scan", "device": device, "code": code}


def idcard(*, reader: str, kiosks: list[str], card: str, id_hash: str, expired: bool,
           at: str | None) -> IdcardEvent:
    """An `idcard` event."""
    return {"type": "idcard", "reader": reader, "kiosks": kiosks, "card": card,
            "id_hash": id_hash, "expired": expired, "at": at}


def picture(changes: list[list[Any]]) -> PictureEvent:
    """A `picture` event (`server.tickets.picture.encode`)."""
    return {"type": "picture", "changes": changes}


def access() -> AccessEvent:
    """An `access` event (`server.auth.cache.watch`)."""
    return {"type": "access"}


def resync(*, renewed: bool | None = None) -> ResyncEvent:
    """A `resync` event."""
    out: ResyncEvent = {"type": "resync"}
    if renewed is not None:
        out["renewed"] = renewed
    return out


def waiting(*, window: str, count: int, tickets: list[WaitingRow]) -> WaitingMessage:
    """A `waiting` message."""
    return {"type": "waiting", "window": window, "count": count, "tickets": tickets}


def ticket_snapshot(*, seq: int, ticket: dict[str, Any]) -> TicketSnapshot:
    """The ticket page's first message."""
    return {"type": "snapshot", "seq": seq, "ticket": ticket}


def ticket_page(ticket: dict[str, Any]) -> TicketPageMessage:
    """The ticket page's `ticket` message: the ticket as it changed."""
    return {"type": "ticket", "ticket": ticket}


def next_tickets(windows: dict[str, str | None]) -> NextMessage:
    """A `next` message."""
    return {"type": "next", "windows": windows}


# --- the catalogue ----------------------------------------------------------------------


class Entry(NamedTuple):
    """One message type of one or more streams, with its schema."""

    kind: str
    schema: type
    where: str


# Everything the core publishes on its bus, by type, and who is sent it (the websocket
# streams of `server.events.router`, the device agents of `server.agents.router`).
EVENTS: dict[str, Entry] = {e.kind: e for e in (
    Entry("call", CallEvent, "display (its window's), counter (its window's), monitor, "
          "ticket (its own), agents"),
    Entry("window", WindowEvent, "display (its window's), counter (its window's), monitor, "
          "agents"),
    Entry("queue", QueueEvent, "hall display, counter, monitor"),
    Entry("ticket_issued", TicketIssuedEvent, "monitor"),
    Entry("ticket", TicketEvent, "counter (its window's), monitor"),
    Entry("presence", PresenceEvent, "monitor"),
    Entry("evaluate", EvaluateEvent, "monitor, agents"),
    Entry("rating", RatingEvent, "monitor"),
    Entry("case", CaseEvent, "monitor"),
    Entry("hall", HallEvent, "display, counter, monitor"),
    Entry("scroll", ScrollEvent, "monitor"),
    Entry("window_services", WindowServicesEvent, "monitor"),
    Entry("alert", AlertEvent, "monitor"),
    Entry("integration", IntegrationEvent, "monitor"),
    Entry("print", PrintEvent, "monitor, agents"),
    Entry("print_result", PrintResultEvent, "monitor"),
    Entry("device", DeviceEvent, "monitor"),
    Entry("scan", ScanEvent, "monitor"),
    Entry("idcard", IdcardEvent, "the core's own listeners only"),
    Entry("picture", PictureEvent, "the other core processes only"),
    Entry("access", AccessEvent, "the other core processes only"),
    Entry("resync", ResyncEvent, "the core's own listeners (the hub resyncs the hall's "
          "sockets)"),
)}

# Sent on websockets only (built by the hub's snapshots, never on the bus).
MESSAGES: tuple[Entry, ...] = (
    Entry("snapshot", HallSnapshot, "display, monitor: first message"),
    Entry("snapshot", CounterSnapshot, "counter: first message"),
    Entry("snapshot", TicketSnapshot, "ticket: first message"),
    Entry("waiting", WaitingMessage, "counter"),
    Entry("next", NextMessage, "display (rule `screen_next_ticket`)"),
    Entry("ticket", TicketPageMessage, "ticket"),
)

NESTED: tuple[type, ...] = (WaitingRow, PrintedTicket, SnapshotService, Voice)


def fields(schema: type) -> list[tuple[str, str, bool]]:
    """A schema's fields: name, type as written, required."""
    hints = get_type_hints(schema)
    required: frozenset[str] = getattr(schema, "__required_keys__", frozenset())
    return [(name, _spell(hint), name in required) for name, hint in hints.items()]


def _spell(hint: Any) -> str:
    if isinstance(hint, type) and not get_args(hint):
        return hint.__name__
    text = str(hint).replace("typing.", "").replace("typing_extensions.", "")
    for nested in (*NESTED, CallEvent, WaitingMessage):
        text = text.replace(f"{__name__}.{nested.__name__}", nested.__name__)
    return text.replace("NoneType", "None")


def catalogue() -> str:
    """The Markdown table of every event and message type and its fields (docs/events.md)."""
    lines = ["| type | schema | sent to | fields (`?`: not always there) |", "|---|---|---|---|"]
    for entry in (*EVENTS.values(), *MESSAGES):
        lines.append(f"| `{entry.kind}` | `{entry.schema.__name__}` | {entry.where} | "
                     + _field_list(entry.schema) + " |")
    lines += ["", "| nested | fields |", "|---|---|"]
    for schema in NESTED:
        lines.append(f"| `{schema.__name__}` | {_field_list(schema)} |")
    return "\n".join(lines) + "\n"


def _field_list(schema: type) -> str:
    return ", ".join(f"`{name}`{'' if req else '?'}: {spelt.replace('|', '&#124;')}"
                     for name, spelt, req in fields(schema) if name != "type")


def validator(schema: type) -> Callable[[Any], Any]:
    """Validate a message against a schema: strict types, no unknown fields (tests)."""
    from pydantic import ConfigDict, TypeAdapter

    for each in (*(e.schema for e in (*EVENTS.values(), *MESSAGES)), *NESTED):
        # A TypedDict takes its pydantic config as an attribute (mypy knows none).
        setattr(each, "__pydantic_config__", ConfigDict(extra="forbid", strict=True))  # noqa: B010
    return TypeAdapter(schema).validate_python


__all__ = [
    "EVENTS",
    "MESSAGES",
    "AccessEvent",
    "AlertEvent",
    "CallEvent",
    "CaseEvent",
    "CounterSnapshot",
    "DeviceEvent",
    "EvaluateEvent",
    "HallEvent",
    "HallSnapshot",
    "IdcardEvent",
    "IntegrationEvent",
    "NextMessage",
    "PictureEvent",
    "PresenceEvent",
    "PrintEvent",
    "PrintResultEvent",
    "PrintedTicket",
    "QueueEvent",
    "RatingEvent",
    "ResyncEvent",
    "ScanEvent",
    "ScrollEvent",
    "TicketEvent",
    "TicketIssuedEvent",
    "TicketPageMessage",
    "TicketSnapshot",
    "WaitingMessage",
    "WaitingRow",
    "WindowEvent",
    "WindowServicesEvent",
    "access",
    "alert",
    "call",
    "case",
    "catalogue",
    "device",
    "evaluate",
    "fields",
    "hall",
    "idcard",
    "integration",
    "next_tickets",
    "picture",
    "presence",
    "print_result",
    "print_slip",
    "print_ticket",
    "queue",
    "rating",
    "resync",
    "scan",
    "scroll",
    "ticket",
    "ticket_issued",
    "validator",
    "waiting",
    "window",
    "window_services",
]
