"""到号提醒 end to end on the simulators: the "N ahead" and "called" notices, never for a
ticket already served, retried with backoff, reported when they fail, erased at day end."""

from __future__ import annotations

import threading

from sqlalchemy import select

from server.clock import ManualClock
from server.core import Core
from server.events.bus import RecordingBus
from server.integrations import IntegrationSettings
from server.monitoring import alerts
from server.notices import flows as phone_flows
from server.notices import service as notice_status
from server.notices import triggers
from server.notices.adapters import Adapters
from server.notices.models import NoticeMessage, PhoneTicket
from server.notices.schemas import NoticeRequest, PhoneTicketCreate
from server.notices.worker import NoticeWorker
from server.tickets import flows as tickets
from server.tickets.schemas import TicketRead
from server.windows import flows as windows
from simulators.sms_gateway import SmsGatewaySim
from simulators.wechat import WeChatSim
from tests.notices.conftest import link_settings, staff
from tests.server.test_flows import KIOSK
from tests.server.test_one_writer import Writes


def kiosk(core: Core, n: int, service: str = "SB01") -> None:
    for _ in range(n):
        tickets.issue(core, hall="h1", service=service, actor=KIOSK)


def phone(core: Core, worker: NoticeWorker, number: str = "13800000001", *, ahead: int = 2,
          channel: str = "sms", code: str | None = None, service: str = "SB01") -> TicketRead:
    body = PhoneTicketCreate(service=service, phone=number, notice=NoticeRequest(
        channel=channel, ahead=ahead, wechat_code=code))
    ticket, _ = phone_flows.take(core, hall="h1", body=body, settings=worker.settings,
                                 adapters=worker.adapters)
    return ticket


def messages(core: Core) -> list[NoticeMessage]:
    with core.db.read_session() as db:
        return list(db.scalars(select(NoticeMessage).order_by(NoticeMessage.id)))


def test_near_then_called(phone_core: Core, worker: NoticeWorker, sms: SmsGatewaySim) -> None:
    kiosk(phone_core, 4)
    mine = phone(phone_core, worker, ahead=2)
    assert worker.round() == 0 and sms.sent == []  # 4 ahead: not yet
    who = staff(phone_core, "s2")
    windows.sign_in(phone_core, hall="h1", window="2", post="A", actor=who)
    windows.call_next(phone_core, hall="h1", window="2", actor=who)  # 3 ahead
    worker.round()
    assert sms.sent == []
    windows.call_next(phone_core, hall="h1", window="2", actor=who,
                      confirm_no_show=True)  # 2 ahead: N reached (A001 过号)
    worker.round()
    assert len(sms.sent) == 1
    near = sms.sent[0]
    assert near.phone == "13800000001" and mine.number in near.content
    assert "前面还有2人" in near.content and near.out_id.startswith("h1-n")
    worker.round()
    assert len(sms.sent) == 1  # once only
    for _ in range(3):
        windows.call_next(phone_core, hall="h1", window="2", actor=who, confirm_no_show=True)
    worker.round()
    assert len(sms.sent) == 2 and "请" + mine.number + "号到2号窗口办理" in sms.sent[1].content
    windows.recall(phone_core, hall="h1", window="2", actor=who)
    worker.round()
    assert len(sms.sent) == 2  # a recall sends nothing more
    assert [m.status for m in messages(phone_core)] == ["sent", "sent"]


def test_never_for_a_ticket_already_served(phone_core: Core, worker: NoticeWorker,
                                          sms: SmsGatewaySim) -> None:
    first = phone(phone_core, worker, "13800000001", ahead=2)  # 0 ahead: due at once
    second = phone(phone_core, worker, "13800000002", ahead=5)
    with phone_core.db.read_session() as db:
        from server.halls import service as halls
        h1 = halls.get_hall(db, "h1").id
    # The notices are queued, but both tickets reach the window before the sender runs.
    assert triggers.queue_notices(phone_core, hall_id=h1) == 2
    who = staff(phone_core, "s2")
    windows.sign_in(phone_core, hall="h1", window="2", post="A", actor=who)
    for _ in (first, second):
        windows.call_next(phone_core, hall="h1", window="2", actor=who)
        windows.start(phone_core, hall="h1", window="2", actor=who)
        windows.finish(phone_core, hall="h1", window="2", outcome="completed", actor=who)
    worker.round(sweep=True)
    assert sms.sent == []
    assert [(m.kind, m.status, m.last_error) for m in messages(phone_core)] == [
        ("near", "dropped", "ticket is done"), ("near", "dropped", "ticket is done")]
    # Called and served between two rounds: no "called" notice is ever queued.
    third = phone(phone_core, worker, "13800000003", ahead=1)
    windows.call_next(phone_core, hall="h1", window="2", actor=who)
    windows.start(phone_core, hall="h1", window="2", actor=who)
    worker.round(sweep=True)
    assert sms.sent == [] and all(m.ticket_id != third.id for m in messages(phone_core))


def test_failed_send_is_retried_with_backoff(phone_core: Core, clock: ManualClock,
                                             worker: NoticeWorker, sms: SmsGatewaySim) -> None:
    sms.fail_next(2)
    phone(phone_core, worker, ahead=3)
    worker.round()
    [m] = messages(phone_core)
    assert m.status == "pending" and m.attempts == 1 and "503" in m.last_error
    first_retry = m.next_attempt_at
    worker.round()
    assert sms.sent == [] and messages(phone_core)[0].attempts == 1  # not due yet
    clock.set(first_retry)
    worker.round()
    m = messages(phone_core)[0]
    assert m.attempts == 2 and (m.next_attempt_at - first_retry).total_seconds() == 20
    clock.set(m.next_attempt_at)
    worker.round()
    assert messages(phone_core)[0].status == "sent" and len(sms.sent) == 1


def test_final_failure_is_reported_to_operators(phone_core: Core, clock: ManualClock,
                                                sms: SmsGatewaySim) -> None:
    settings = link_settings(sms, notice_max_attempts=2)
    worker = NoticeWorker(phone_core, settings, Adapters.from_settings(settings))
    sms.fail_next(5)
    mine = phone(phone_core, worker, ahead=3)
    worker.round()
    clock.advance(minutes=5)
    worker.round()
    [m] = messages(phone_core)
    assert m.status == "failed" and m.attempts == 2
    assert isinstance(phone_core.bus, RecordingBus)
    reports = phone_core.bus.of_type("integration")
    assert [r["final"] for r in reports] == [False, True] and reports[0]["link"] == "sms"
    with phone_core.db.read_session() as db:
        from server.halls import service as halls
        status = notice_status.outbox_status(db, halls.get_hall(db, "h1"), clock.now(), 300)
    assert status["counts"] == {"failed": 1}
    assert status["failures"][0]["ticket"] == mine.number
    raised = alerts.scan(phone_core, "h1")
    assert [(a["kind"], a["subject"]) for a in raised] == [("notice_failed", mine.number)]
    worker.adapters.close()


def test_contacts_erased_when_closed_and_at_day_end(phone_core: Core, clock: ManualClock,
                                                   worker: NoticeWorker) -> None:
    done = phone(phone_core, worker, "13800000001")
    phone(phone_core, worker, "13800000002")
    who = staff(phone_core, "s2")
    windows.sign_in(phone_core, hall="h1", window="2", post="A", actor=who)
    windows.call_next(phone_core, hall="h1", window="2", actor=who)
    windows.start(phone_core, hall="h1", window="2", actor=who)
    windows.finish(phone_core, hall="h1", window="2", outcome="completed", actor=who)
    worker.round()
    with phone_core.db.read_session() as db:
        rows = {p.ticket_id: p for p in db.scalars(select(PhoneTicket))}
    assert rows[done.id].contact_sealed is None and rows[done.id].phone_hash is not None
    assert sum(1 for p in rows.values() if p.contact_sealed) == 1
    clock.advance(days=1)
    worker.round()
    with phone_core.db.read_session() as db:
        rows = {p.ticket_id: p for p in db.scalars(select(PhoneTicket))}
    assert all(p.contact_sealed is None and p.phone_hash is None and p.erased_at
               for p in rows.values())


def test_wechat_subscription_message(phone_core: Core, worker: NoticeWorker,
                                     wechat: WeChatSim) -> None:
    mine = phone(phone_core, worker, channel="wechat", code=wechat.login_code("o-1"), ahead=1)
    worker.round()
    [msg] = wechat.sent
    assert msg.touser == "o-1" and msg.data["character_string1"] == mine.number
    assert msg.data["thing3"] == "前面还有0人" and msg.template_id == wechat.template
    # An expired access token is fetched again, once, without losing the message.
    wechat.expire_tokens()
    who = staff(phone_core, "s2")
    windows.sign_in(phone_core, hall="h1", window="2", post="A", actor=who)
    windows.call_next(phone_core, hall="h1", window="2", actor=who)
    worker.round()
    assert len(wechat.sent) == 2 and wechat.sent[1].data["thing3"] == "请到2号窗口"
    assert wechat.tokens_issued == 2


def test_wechat_refusal_is_final(phone_core: Core, worker: NoticeWorker,
                                 wechat: WeChatSim) -> None:
    wechat.refused.add("o-2")
    phone(phone_core, worker, channel="wechat", code=wechat.login_code("o-2"), ahead=1)
    worker.round()
    [m] = messages(phone_core)
    assert m.status == "failed" and m.attempts == 1 and "43101" in m.last_error


def test_settings_of_the_worker_come_from_the_app(phone_core: Core) -> None:
    settings = IntegrationSettings(demo=True)
    worker = NoticeWorker(phone_core, settings)
    assert worker.adapters.sms is None and worker.adapters.wechat is None


def test_a_round_writes_on_the_writer_and_sends_from_its_own_thread(
        phone_core: Core, worker: NoticeWorker, sms: SmsGatewaySim) -> None:
    """The worker's round stays on its thread (the SMS goes out from there); its
    transactions (queue, claim, sent) run on the one writer (issue 11)."""
    phone(phone_core, worker, ahead=2)  # nobody ahead: the "near" notice is due at once
    writes = Writes(phone_core.db)
    thread = threading.Thread(target=worker.round, name="notice-worker")
    thread.start()
    thread.join()
    threads = writes.take()
    assert len(sms.sent) == 1 and [m.status for m in messages(phone_core)] == ["sent"]
    assert len(threads) >= 3 and all(name.startswith("hallq-writer") for name in threads), \
        threads
