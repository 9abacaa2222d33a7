"""Ticket and counter flows on a real SQLite core, without HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.auth.models import Staff
from server.auth.principal import Principal
from server.clock import ManualClock
from server.core import Core
from server.errors import Conflict, Forbidden, Refused
from server.events.bus import RecordingBus
from server.halls import flows as hall_flows
from server.tickets import flows as tickets
from server.tickets.models import Ticket
from server.windows import flows as windows
from tests.factories import hall_config

KIOSK = Principal(roles=frozenset({"device", "kiosk"}), device_id=None)


def staff(core: Core, job_no: str) -> Principal:
    with core.db.read_session() as db:
        s = db.scalar(select(Staff).where(Staff.job_no == job_no))
        assert s is not None
        return Principal(roles=frozenset(s.roles), staff_id=s.id, hall_id=s.hall_id,
                         name=s.name, job_no=s.job_no)


def issue(core: Core, service: str = "SB01", **kw: object) -> str:
    return tickets.issue(core, hall="h1", service=service, actor=KIOSK, **kw).number  # type: ignore[arg-type]


def signed_in(core: Core, window: str, job_no: str, post: str = "A") -> Principal:
    who = staff(core, job_no)
    windows.sign_in(core, hall="h1", window=window, post=post, actor=who)
    return who


def call(core: Core, window: str, who: Principal) -> str | None:
    out = windows.call_next(core, hall="h1", window=window, actor=who)
    return out.ticket.number if out.ticket else None


def test_numbers_per_prefix_without_gaps(core: Core) -> None:
    assert [issue(core, "SB01"), issue(core, "SB02"), issue(core, "BDC01"),
            issue(core, "SB01")] == ["A001", "A002", "C001", "A003"]


def test_refusals_leave_no_gap_in_numbers(core: Core) -> None:
    assert issue(core, id_number="110101199001011234") == "A001"
    assert issue(core, id_number="110101199001011234") == "A002"
    with pytest.raises(Refused) as err:
        issue(core, id_number="1101 0119 9001 0112 34")  # same person, spaced differently
    assert err.value.code == "daily_limit"
    assert issue(core) == "A003"


def test_id_numbers_are_never_stored_in_clear(core: Core) -> None:
    issue(core, id_number="110101199001011234")
    with core.db.read_session() as db:
        stored = db.scalar(select(Ticket.id_hash))
    assert stored and "110101" not in stored and len(stored) == 64


def test_unknown_closed_and_out_of_hours_refused(core: Core, clock: ManualClock) -> None:
    from server.errors import NotFound

    with pytest.raises(NotFound):
        issue(core, "NOPE")
    cfg = hall_config()
    cfg.services[2].active = False
    hall_flows.load(core, config=cfg)
    with pytest.raises(Refused) as err:
        issue(core, "BDC01")
    assert err.value.code == "service_closed"
    clock.set(clock.now().replace(hour=9, minute=10))  # 17:10 Shanghai, cutoff 30 min
    with pytest.raises(Refused) as err:
        issue(core)
    assert err.value.code == "closing_soon"
    clock.advance(days=5)  # Saturday
    with pytest.raises(Refused) as err:
        issue(core)
    assert err.value.code == "closed_day"


def test_extended_service_calls_after_closing_and_day_rolls_over(
    core: Core, clock: ManualClock
) -> None:
    issue(core)
    issue(core)
    who = signed_in(core, "1", "s1")
    clock.set(clock.now().replace(hour=10))  # 18:00 Shanghai: closed for issuing
    assert call(core, "1", who) == "A001"  # 延时服务: still served
    clock.advance(hours=15)  # Tuesday 09:00
    assert issue(core) == "A001"  # numbers restart
    with core.db.read_session() as db:
        old = db.scalars(select(Ticket).where(Ticket.status == "cancelled")).all()
    assert sorted(t.number for t in old) == ["A001", "A002"]
    assert {t.close_reason for t in old} == {"day_closed"}
    # Windows start the new day empty: the old sign-in is gone.
    with pytest.raises(Forbidden):
        call(core, "1", who)


def test_routing_only_serves_windows_what_they_serve(core: Core) -> None:
    zx = issue(core, "ZX")
    bdc = issue(core, "BDC01")
    w2 = signed_in(core, "2", "s2")  # 社保 + backup 医保
    w1 = signed_in(core, "1", "s1")  # any-matter: no special services
    w4 = signed_in(core, "4", "s4")  # 咨询专窗
    assert call(core, "2", w2) is None
    assert call(core, "1", w1) == bdc
    assert call(core, "4", w4) == zx


def test_green_channel_jumps_the_queue(core: Core, clock: ManualClock) -> None:
    issue(core)
    clock.advance(minutes=1)
    green = tickets.issue(core, hall="h1", service="SB01", priority="green", actor=KIOSK)
    assert green.ahead == 0
    who = signed_in(core, "2", "s2")
    assert call(core, "2", who) == green.number


def test_call_next_makes_an_unanswered_call_a_no_show_and_requeue_puts_it_back(
    core: Core, clock: ManualClock
) -> None:
    for _ in range(5):
        issue(core)
        clock.advance(minutes=1)
    who = signed_in(core, "2", "s2")
    assert call(core, "2", who) == "A001"
    windows.recall(core, hall="h1", window="2", actor=who)
    clock.advance(seconds=60)  # recalled and waited for (no_show_min_recalls, _wait_s)
    assert call(core, "2", who) == "A002"  # A001 did not come: no-show
    back = tickets.requeue(core, hall="h1", number="A001", actor=KIOSK)
    assert back.status == "waiting" and back.ahead == 2  # requeue_after = 2 places
    called = [windows.call_next(core, hall="h1", window="2", actor=who,
                                confirm_no_show=True).ticket for _ in range(4)]
    assert [t.number for t in called if t] == ["A003", "A004", "A001", "A005"]


def test_recall_limit_turns_into_no_show(core: Core) -> None:
    issue(core)
    who = signed_in(core, "2", "s2")
    call(core, "2", who)
    for expected in (1, 2):
        out = windows.recall(core, hall="h1", window="2", actor=who)
        assert out.ticket and out.ticket.recalls == expected and out.ticket.status == "called"
    out = windows.recall(core, hall="h1", window="2", actor=who)
    assert out.ticket and out.ticket.status == "no_show"
    bus = core.bus
    assert isinstance(bus, RecordingBus)
    assert [e["recall"] for e in bus.of_type("call")] == [False, True, True]


def test_transfer_keeps_the_place_in_time(core: Core, clock: ManualClock) -> None:
    first = issue(core, "SB01")
    clock.advance(minutes=5)
    for _ in range(3):
        issue(core, "BDC01")
    w2 = signed_in(core, "2", "s2")
    w3 = signed_in(core, "3", "s3")
    assert call(core, "2", w2) == first
    out = windows.transfer(core, hall="h1", window="2", service="BDC01", note="需登记",
                           actor=w2)
    assert out.ticket and out.ticket.status == "waiting" and out.ticket.ahead == 0
    assert call(core, "3", w3) == first  # 首问负责: ahead of later tickets


def test_transfer_to_a_window_only_that_window_calls_it(core: Core) -> None:
    issue(core, "SB01")
    w2 = signed_in(core, "2", "s2")
    w1 = signed_in(core, "1", "s1")
    call(core, "2", w2)
    windows.transfer(core, hall="h1", window="2", to_window="3", actor=w2)
    assert call(core, "1", w1) is None
    w3 = signed_in(core, "3", "s3")
    assert call(core, "3", w3) == "A001"


def test_pause_blocks_calls_and_resume_records_duration(core: Core, clock: ManualClock) -> None:
    issue(core)
    who = signed_in(core, "2", "s2")
    windows.pause(core, hall="h1", window="2", reason="休息", actor=who)
    with pytest.raises(Conflict) as err:
        call(core, "2", who)
    assert err.value.code == "paused"
    clock.advance(minutes=7)
    windows.resume(core, hall="h1", window="2", actor=who)
    assert call(core, "2", who) == "A001"
    with core.db.read_session() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "resume"))
    assert entry is not None and entry.detail["paused_s"] == 420


def test_b_post_takes_over_with_the_ticket_in_hand(core: Core) -> None:
    issue(core)
    a = signed_in(core, "2", "s2", "A")
    call(core, "2", a)
    b = signed_in(core, "2", "s5", "B")
    with pytest.raises(Forbidden):
        windows.start(core, hall="h1", window="2", actor=a)
    out = windows.finish(core, hall="h1", window="2", outcome="correction_notice",
                         missing=["社保卡申领表"], actor=b)
    assert out.ticket and out.ticket.status == "done"
    assert out.window is not None
    assert out.window.staff_no == "s5" and out.window.post == "B"


def test_staff_moving_windows_leaves_the_first_empty(core: Core) -> None:
    who = signed_in(core, "1", "s1")
    out = windows.sign_in(core, hall="h1", window="2", post="A", actor=who)
    assert out.window is not None and out.window.state == "idle"
    q = hall_flows.queue(core, hall="h1")
    states = {w["number"]: w["state"] for w in q["windows"]}
    assert states["1"] == "empty" and states["2"] == "idle"


def test_sign_out_refused_with_a_ticket_in_hand(core: Core) -> None:
    issue(core)
    who = signed_in(core, "2", "s2")
    call(core, "2", who)
    with pytest.raises(Conflict):
        windows.sign_out(core, hall="h1", window="2", actor=who)


def test_call_specific_ticket_and_cross_window_refusal(core: Core) -> None:
    issue(core, "SB01")
    issue(core, "BDC01")
    w2 = signed_in(core, "2", "s2")
    with pytest.raises(Conflict) as err:
        windows.call_specific(core, hall="h1", window="2", number="C001", actor=w2)
    assert err.value.code == "not_served_here"
    out = windows.call_specific(core, hall="h1", window="2", number="a001", actor=w2)
    assert out.ticket and out.ticket.number == "A001"


def test_appointment_check_in_is_served_in_its_slot(core: Core, clock: ManualClock) -> None:
    from server.tickets.schemas import AppointmentCreate

    admin = staff(core, "root")
    now = clock.now()
    start = (now + timedelta(minutes=5)).isoformat()
    end = (now + timedelta(minutes=35)).isoformat()
    tickets.create_appointment(core, hall="h1", actor=admin, body=AppointmentCreate(
        service="SB01", code="YY20261123001", slot_start=start, slot_end=end,
        phone="13800000000"))
    issue(core)
    clock.advance(minutes=1)
    t = tickets.check_in(core, hall="h1", code="YY20261123001", actor=KIOSK)
    assert t.priority == "appointment" and t.channel == "appointment"
    with pytest.raises(Conflict):
        tickets.check_in(core, hall="h1", code="YY20261123001", actor=KIOSK)
    who = signed_in(core, "2", "s2")
    assert call(core, "2", who) == t.number


def test_every_action_is_audited(core: Core) -> None:
    issue(core)
    who = signed_in(core, "2", "s2")
    call(core, "2", who)
    windows.start(core, hall="h1", window="2", actor=who)
    windows.finish(core, hall="h1", window="2", outcome="completed", actor=who)
    with core.db.read_session() as db:
        rows = db.execute(select(AuditEntry.action, AuditEntry.staff_id, AuditEntry.window_id,
                                 AuditEntry.ticket_id).order_by(AuditEntry.id)).all()
        count = db.scalar(select(func.count()).select_from(AuditEntry))
    actions = [r.action for r in rows]
    assert actions[-5:] == ["issue", "sign_in", "call", "start", "finish"]
    assert count == len(rows)
    assert all(r.staff_id == who.staff_id and r.window_id is not None for r in rows[-4:])
    assert all(r.ticket_id is not None for r in rows[-3:])
