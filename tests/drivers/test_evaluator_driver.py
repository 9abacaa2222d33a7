"""The production evaluator driver against the pty evaluator simulator."""

import asyncio
import random

from drivers import Backoff, DeviceStatus, EvaluatorDriver, RatingEvent
from drivers.evaluator_protocol import Ack, AckCode, Nak, NakCode, Prompt, Rating, encode
from simulators import EvaluatorSimulator


def driver(url: str, statuses: list[DeviceStatus], **kwargs: object) -> EvaluatorDriver:
    return EvaluatorDriver(
        url, name="eval-3", on_status=statuses.append, heartbeat_interval=0.1,
        offline_after=0.6, backoff=Backoff(0.05, 0.2), **kwargs,  # type: ignore[arg-type]
    )


async def next_rating(evaluator: EvaluatorDriver) -> RatingEvent:
    async for event in evaluator.ratings():
        return event
    raise AssertionError("no rating")


async def test_prompt_rating_ack(evaluator_sim: EvaluatorSimulator) -> None:
    statuses: list[DeviceStatus] = []
    evaluator = driver(evaluator_sim.url, statuses)
    await evaluator.start()
    try:
        assert await evaluator.wait_connected(2)
        evaluator_sim.set_next_rating(2, (1, 4))
        assert await evaluator.prompt(ticket_number="A001", ticket_id="t-1", window="3",
                                      staff_name="李四", staff_no="0203")
        event = await asyncio.wait_for(next_rating(evaluator), 3)
        await evaluator.answer(event, ok=True, code=AckCode.ACCEPTED)
        answer = await evaluator_sim.wait_answered(evaluator_sim.outcomes[0])
    finally:
        await evaluator.stop()
    assert evaluator_sim.prompts == [Prompt("A001", "t-1", "3", "李四", "0203")]
    got = (event.ticket_id, event.level, event.reasons, event.device)
    assert got == ("t-1", 2, (1, 4), "eval-3")
    assert answer == Ack(event.seq, AckCode.ACCEPTED)
    assert any(s.online and s.detail.get("firmware") == "sim-1.0" for s in statuses)


async def test_repeat_after_lost_ack_gets_the_same_answer(
    evaluator_sim: EvaluatorSimulator,
) -> None:
    events: list[RatingEvent] = []
    evaluator = driver(evaluator_sim.url, [], on_rating=events.append)
    await evaluator.start()
    try:
        assert await evaluator.wait_connected(2)
        outcome = evaluator_sim.rate("t-2", 5)
        while not events:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.7)  # no answer yet: the device sends the same rating again
        assert outcome.sends >= 2
        await evaluator.answer(events[0], ok=False, code=NakCode.ALREADY_RATED)
        answer = await evaluator_sim.wait_answered(outcome)
        outcome.answer = None  # pretend the NAK was lost on the wire: the device repeats
        evaluator_sim.send(encode(outcome.seq, outcome.rating))
        await evaluator_sim.wait_answered(outcome)
    finally:
        await evaluator.stop()
    assert len(events) == 1  # one rating, however often it was sent (一次一评)
    assert answer == Nak(outcome.seq, NakCode.ALREADY_RATED)
    assert outcome.answer == answer


async def test_silent_evaluator_goes_offline_and_comes_back(
    evaluator_sim: EvaluatorSimulator,
) -> None:
    statuses: list[DeviceStatus] = []
    evaluator = driver(evaluator_sim.url, statuses)
    await evaluator.start()
    try:
        assert await evaluator.wait_connected(2)
        await asyncio.sleep(0.3)
        assert evaluator.online
        evaluator_sim.silent = True
        await asyncio.sleep(1.2)
        assert not evaluator.online and evaluator.detail["error"] == "silent"
        evaluator_sim.silent = False
        await asyncio.sleep(0.5)
        assert evaluator.online
    finally:
        await evaluator.stop()
    assert [s.online for s in statuses] == [True, False, True]


async def test_garbage_and_bad_ratings_do_not_stop_the_driver(
    evaluator_sim: EvaluatorSimulator,
) -> None:
    events: list[RatingEvent] = []
    evaluator = driver(evaluator_sim.url, [], on_rating=events.append)
    await evaluator.start()
    try:
        assert await evaluator.wait_connected(2)
        evaluator_sim.send(b"\x00\xff" * 300 + b"\x02\x01\x09" + bytes(3000) + b"\x03")
        bad_crc = bytearray(encode(9, Rating("t-x", 4)))
        bad_crc[-2] ^= 0x55
        evaluator_sim.send(bytes(bad_crc))
        evaluator_sim.rate("t-3", 4)
        for _ in range(100):
            if events:
                break
            await asyncio.sleep(0.02)
    finally:
        await evaluator.stop()
    assert [(e.ticket_id, e.level) for e in events] == [("t-3", 4)]


async def test_prompt_when_unplugged_returns_false() -> None:
    evaluator = EvaluatorDriver(
        "serial:///dev/no-such-evaluator", backoff=Backoff(0.05, 0.1), connect_wait=0.2
    )
    await evaluator.start()
    try:
        await asyncio.sleep(0.2)
        ok = await evaluator.prompt(ticket_number="A1", ticket_id="t", window="1",
                                    staff_name="x", staff_no="1")
    finally:
        await evaluator.stop()
    assert ok is False
    assert not evaluator.health().online and "cannot open" in evaluator.health().detail["error"]


async def test_a_flood_of_random_bytes_then_a_rating(evaluator_sim: EvaluatorSimulator) -> None:
    events: list[RatingEvent] = []
    evaluator = driver(evaluator_sim.url, [], on_rating=events.append)
    await evaluator.start()
    try:
        assert await evaluator.wait_connected(2)
        evaluator_sim.send(random.Random(5).randbytes(200_000))
        evaluator_sim.rate("t-flood", 3)
        for _ in range(250):
            if events:
                break
            await asyncio.sleep(0.02)
        assert evaluator.health().online
    finally:
        await evaluator.stop()
    assert [(e.ticket_id, e.level) for e in events] == [("t-flood", 3)]
