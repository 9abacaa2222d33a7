"""The alert rules, as pure functions of the hall's state and `now` (no database, no clock).

Each rule names the condition it finds (`cond`); the scanner logs a condition once when it
starts and resolves it when it is gone, so the log is a list of episodes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    """The hall's alarm thresholds (`HallRules`)."""

    max_wait_min: int = 20
    group_waiting: int = 30
    empty_window_min: int = 15  # 焦作 第四十二条: 不得长时间(15分钟以上)空岗
    device_offline_min: int = 2


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket still waiting."""

    id: str
    number: str
    service: str
    service_id: int
    issued_at: datetime


@dataclass(frozen=True)
class WindowState:
    """A window as the rules need it."""

    id: int
    number: str
    open: bool
    staffed: bool
    empty_since: datetime | None
    paused_reason: str | None
    paused_at: datetime | None
    services: frozenset[int]


@dataclass(frozen=True)
class DeviceState:
    """One driven device of an agent (printer, evaluator, scanner, LED board)."""

    agent: str
    kind: str
    online: bool
    detail: str
    since: datetime | None


@dataclass(frozen=True)
class BadReview:
    """A 差评 whose case nobody has verified yet."""

    evaluation_id: int
    case_id: int | None
    ticket: str
    window: str | None
    level: int
    at: datetime


@dataclass(frozen=True)
class OpenCase:
    """A 差评 case whose citizen has not been answered yet (限期反馈)."""

    case_id: int
    ticket: str
    window: str | None
    staff: str | None
    deadline: date


@dataclass(frozen=True)
class LinkBacklog:
    """An outbox towards an outside system (SMS/WeChat notices, the 好差评 platform)."""

    link: str  # "notices" | "evaluation_platform" | "booking_reminders" | "booking_platform"
    oldest_unsent_s: float
    rejected: int = 0
    # Messages given up on that still matter: "ticket:kind" (today's notices) or
    # "booking:kind" (reminders of bookings still ahead).
    failed: tuple[str, ...] = ()
    # The link cannot be reached now (the booking platform's last poll failed).
    error: str | None = None


@dataclass(frozen=True)
class HallState:
    """Everything the rules look at."""

    thresholds: Thresholds
    # Start of the opening period the hall is in now; None while it is closed (no
    # empty-window alarm over lunch or at night).
    open_since: datetime | None
    waiting: list[WaitingTicket] = field(default_factory=list)
    windows: list[WindowState] = field(default_factory=list)
    devices: list[DeviceState] = field(default_factory=list)
    bad_reviews: list[BadReview] = field(default_factory=list)
    # The hall's calendar day at `now`, and its cases not answered yet.
    today: date | None = None
    open_cases: list[OpenCase] = field(default_factory=list)
    links: list[LinkBacklog] = field(default_factory=list)
    link_behind_s: float = 300.0


@dataclass(frozen=True)
class Alert:
    """A condition that holds now."""

    cond: str
    kind: str
    severity: str
    subject: str
    detail: dict[str, Any]


def _minutes(delta_s: float) -> int:
    return int(delta_s // 60)


def long_waits(state: HallState, now: datetime) -> list[Alert]:
    """Tickets waiting longer than the hall's limit (default 20 minutes)."""
    limit = state.thresholds.max_wait_min * 60
    out = []
    for t in state.waiting:
        waited = (now - t.issued_at).total_seconds()
        if waited >= limit:
            out.append(Alert(f"long_wait:{t.id}", "long_wait", "warning", t.number,
                             {"ticket": t.number, "service": t.service,
                              "wait_min": _minutes(waited),
                              "limit_min": state.thresholds.max_wait_min}))
    return out


def window_groups(windows: list[WindowState]) -> dict[frozenset[int], list[WindowState]]:
    """Open windows grouped by what they serve (a window group)."""
    groups: dict[frozenset[int], list[WindowState]] = {}
    for w in windows:
        if w.open and w.services:
            groups.setdefault(w.services, []).append(w)
    return groups


def group_waiting(state: HallState, now: datetime) -> list[Alert]:
    """More than N waiting for one window group: suggest 跨窗通办 by other windows."""
    limit = state.thresholds.group_waiting
    out = []
    per_service = Counter(t.service_id for t in state.waiting)
    for services, members in window_groups(state.windows).items():
        count = sum(per_service[s] for s in services)
        if count <= limit:
            continue
        numbers = [w.number for w in members]
        helpers = [w.number for w in state.windows
                   if w.number not in numbers and w.services & services]
        label = ",".join(numbers)
        out.append(Alert(f"group_waiting:{label}", "group_waiting", "warning", label,
                         {"windows": numbers, "waiting": count, "limit": limit,
                          "helpers": helpers}))
    return out


def empty_windows(state: HallState, now: datetime) -> list[Alert]:
    """Open windows empty, or paused, longer than the limit without the B post taking over.

    焦作 第四十二条: no window empty more than 15 minutes; a B post fills in. Only opening
    hours count: the clock starts at the later of the window emptying and the hall opening.
    """
    if state.open_since is None:
        return []
    limit = state.thresholds.empty_window_min * 60
    out = []
    for w in state.windows:
        if not w.open:
            continue
        if not w.staffed and w.empty_since is not None:
            start = max(w.empty_since, state.open_since)
            if (now - start).total_seconds() >= limit:
                out.append(Alert(
                    f"window_empty:{w.id}:{w.empty_since.isoformat()}", "window_empty",
                    "critical", w.number,
                    {"window": w.number, "minutes": _minutes((now - start).total_seconds()),
                     "limit_min": state.thresholds.empty_window_min}))
        elif w.staffed and w.paused_reason and w.paused_at is not None:
            start = max(w.paused_at, state.open_since)
            if (now - start).total_seconds() >= limit:
                out.append(Alert(
                    f"window_paused:{w.id}:{w.paused_at.isoformat()}", "window_paused",
                    "warning", w.number,
                    {"window": w.number, "reason": w.paused_reason,
                     "minutes": _minutes((now - start).total_seconds()),
                     "limit_min": state.thresholds.empty_window_min}))
    return out


def devices(state: HallState, now: datetime) -> list[Alert]:
    """A device offline (or a printer out of paper) for longer than the grace period."""
    grace = state.thresholds.device_offline_min * 60
    out = []
    for d in state.devices:
        # A printer may stay online while out of paper: the flag alone raises the alarm.
        if d.online and d.detail != "paper_out":
            continue
        if d.since is not None and (now - d.since).total_seconds() < grace:
            continue
        kind = "paper_out" if d.detail == "paper_out" else "device_offline"
        since = d.since.isoformat() if d.since else ""
        out.append(Alert(f"{kind}:{d.agent}:{d.kind}:{since}", kind, "critical",
                         f"{d.agent}/{d.kind}",
                         {"agent": d.agent, "device": d.kind, "reason": d.detail}))
    return out


def bad_reviews(state: HallState, now: datetime) -> list[Alert]:
    """A 差评 received and not yet verified (its case is open)."""
    return [Alert(f"bad_review:{b.evaluation_id}", "bad_review", "warning", b.ticket,
                  {"ticket": b.ticket, "window": b.window, "level": b.level,
                   "case": b.case_id})
            for b in state.bad_reviews]


def overdue_cases(state: HallState, now: datetime) -> list[Alert]:
    """A 差评 case past its deadline in working days without an answer (焦作 第五十四条)."""
    if state.today is None:
        return []
    return [Alert(f"case_overdue:{c.case_id}", "case_overdue", "critical", c.ticket,
                  {"ticket": c.ticket, "window": c.window, "staff": c.staff, "case": c.case_id,
                   "deadline": c.deadline.isoformat(),
                   "days": (state.today - c.deadline).days})
            for c in state.open_cases if state.today > c.deadline]


LINK_NAMES = {"notices": ("到号提醒", "phone reminders"),
              "evaluation_platform": ("省好差评平台", "provincial rating platform"),
              "booking_reminders": ("预约短信提醒", "booking SMS reminders"),
              "booking_platform": ("省网上预约平台", "provincial booking platform")}
# The alert for a message given up on, and the detail key naming what it was about.
FAILED_ALERTS = {"notices": ("notice_failed", "ticket"),
                 "booking_reminders": ("booking_reminder_failed", "booking")}


def links(state: HallState, now: datetime) -> list[Alert]:
    """An outside link falling behind or unreachable, a record the platform refused, a
    notice or booking reminder given up on."""
    out = []
    for b in state.links:
        zh, en = LINK_NAMES.get(b.link, (b.link, b.link))
        if b.error:
            out.append(Alert(f"link_down:{b.link}", "link_down", "warning", b.link,
                             {"link": b.link, "name": zh, "name_en": en,
                              "error": b.error[:200]}))
        if b.oldest_unsent_s > state.link_behind_s:
            out.append(Alert(f"link_behind:{b.link}", "link_behind", "warning", b.link,
                             {"link": b.link, "name": zh, "name_en": en,
                              "minutes": _minutes(b.oldest_unsent_s)}))
        if b.rejected:
            out.append(Alert(f"link_rejected:{b.link}", "link_rejected", "critical", b.link,
                             {"link": b.link, "name": zh, "name_en": en,
                              "records": b.rejected}))
        kind, key = FAILED_ALERTS.get(b.link, ("notice_failed", "ticket"))
        for f in b.failed:
            subject, _, what = f.partition(":")
            out.append(Alert(f"{kind}:{f}", kind, "warning", subject,
                             {key: subject, "kind": what}))
    return out


RULES = (long_waits, group_waiting, empty_windows, devices, bad_reviews, overdue_cases, links)


def evaluate(state: HallState, now: datetime) -> list[Alert]:
    """Every condition that holds at `now`."""
    out: list[Alert] = []
    for rule in RULES:
        out.extend(rule(state, now))
    return out


__all__ = ["RULES", "Alert", "BadReview", "DeviceState", "HallState", "LinkBacklog", "OpenCase",
           "Thresholds", "WaitingTicket", "WindowState", "bad_reviews", "devices",
           "empty_windows", "evaluate", "group_waiting", "links", "long_waits",
           "overdue_cases", "window_groups"]
