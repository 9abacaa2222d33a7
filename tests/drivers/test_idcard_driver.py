"""The production ID-card reader driver against the SAM reader simulator on a pty."""

import asyncio
import logging
from collections.abc import Callable
from datetime import date

import pytest

from drivers import Backoff, CardEvent, DeviceStatus, IdCardDriver
from drivers.idcard import mask_id_number
from drivers.idcard_protocol import SamCommand
from simulators import IdCardSimulator, sample_card, with_check_digit

NUMBER = with_check_digit("45010319850612123")


async def until(check: Callable[[], bool], tries: int = 200) -> None:
    """Wait for the condition (the test then asserts on it)."""
    for _ in range(tries):
        if check():
            return
        await asyncio.sleep(0.02)


def reader(sim: IdCardSimulator, cards: list[CardEvent],
           statuses: list[DeviceStatus] | None = None) -> IdCardDriver:
    return IdCardDriver(sim.url, name="kiosk-reader", on_card=cards.append,
                        on_status=(statuses.append if statuses is not None else None),
                        poll_interval=0.05, answer_timeout=0.3, backoff=Backoff(0.05, 0.2),
                        today=lambda: date(2026, 11, 29))


async def test_a_card_placed_is_read_once_until_taken_away(
        idcard_sim: IdCardSimulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cards: list[CardEvent] = []
    driver = reader(idcard_sim, cards)
    await driver.start()
    try:
        assert await driver.wait_connected(2)
        await until(lambda: driver.online)
        assert driver.health().detail == {"card": False}
        idcard_sim.put_card(sample_card(NUMBER))
        await until(lambda: len(cards) == 1)
        assert cards == [CardEvent("kiosk-reader", NUMBER, expired=False)]
        polls = len(idcard_sim.commands)
        await until(lambda: len(idcard_sim.commands) > polls + 6)
        assert len(cards) == 1 and idcard_sim.reads == 1  # still lying there: not read again
        assert driver.health().detail == {"card": True}
        idcard_sim.take_card()
        await until(lambda: driver.health().detail == {"card": False})
        idcard_sim.put_card(sample_card(NUMBER, valid_until="20200101"))
        await until(lambda: len(cards) == 2)
    finally:
        await driver.stop()
    assert cards[1].expired
    # The SAM status is checked first, then find → select → read.
    kinds = [c.command for c in idcard_sim.commands]
    assert kinds[0] is SamCommand.SAM_STATUS
    first_read = kinds.index(SamCommand.READ_BASE)
    assert kinds[first_read - 2:first_read] == [SamCommand.FIND_CARD, SamCommand.SELECT_CARD]
    # The number is never logged in clear, and never in the event's repr.
    assert NUMBER not in caplog.text and mask_id_number(NUMBER) in caplog.text
    assert NUMBER not in repr(cards[0])


async def test_an_unreadable_card_is_a_fault_then_a_good_read(
        idcard_sim: IdCardSimulator) -> None:
    cards: list[CardEvent] = []
    driver = reader(idcard_sim, cards)
    await driver.start()
    try:
        assert await driver.wait_connected(2)
        idcard_sim.read_fault = True
        idcard_sim.put_card(sample_card(NUMBER))
        await until(lambda: driver.health().detail.get("fault") == "read_failed")
        assert driver.health().detail == {"card": True, "fault": "read_failed"}
        assert driver.online and cards == []
        idcard_sim.read_fault = False
        await until(lambda: len(cards) == 1)
    finally:
        await driver.stop()
    assert cards[0].id_number == NUMBER


async def test_a_card_with_a_bad_check_character_is_not_sent(
        idcard_sim: IdCardSimulator) -> None:
    cards: list[CardEvent] = []
    driver = reader(idcard_sim, cards)
    await driver.start()
    try:
        assert await driver.wait_connected(2)
        wrong = NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1")
        idcard_sim.put_card(sample_card(wrong))
        await until(lambda: driver.health().detail.get("fault") == "invalid_number")
        assert driver.health().detail == {"card": True, "fault": "invalid_number"}
    finally:
        await driver.stop()
    assert cards == []


async def test_a_dead_sam_module_is_offline_and_recovers(idcard_sim: IdCardSimulator) -> None:
    cards: list[CardEvent] = []
    statuses: list[DeviceStatus] = []
    idcard_sim.sam_fault = True
    driver = reader(idcard_sim, cards, statuses)
    await driver.start()
    try:
        await until(lambda: bool(statuses))
        assert not driver.online
        assert driver.health().detail["error"] == "SAM module fault: sam_self_test_failed"
        idcard_sim.sam_fault = False
        idcard_sim.put_card(sample_card(NUMBER))
        await until(lambda: len(cards) == 1)
        assert driver.online
    finally:
        await driver.stop()
    assert statuses[0].online is False and statuses[-1].online is True


async def test_silence_and_garble_take_it_offline_then_back(idcard_sim: IdCardSimulator) -> None:
    cards: list[CardEvent] = []
    driver = reader(idcard_sim, cards)
    await driver.start()
    try:
        await until(lambda: driver.online)
        assert driver.online
        idcard_sim.silent = True
        await until(lambda: not driver.online)
        assert driver.health().detail["error"] == "idcard reader kiosk-reader does not answer"
        idcard_sim.silent = False
        await until(lambda: driver.online)
        assert driver.online
        idcard_sim.garble = True
        await until(lambda: not driver.online)
        assert "garbled answers in a row" in driver.health().detail["error"]
        idcard_sim.garble = False
        idcard_sim.put_card(sample_card(NUMBER))
        await until(lambda: len(cards) == 1)
    finally:
        await driver.stop()
    assert driver.reads == 1


async def test_random_bytes_between_answers_do_not_hurt(idcard_sim: IdCardSimulator) -> None:
    cards: list[CardEvent] = []
    driver = reader(idcard_sim, cards)
    await driver.start()
    try:
        await until(lambda: driver.online)
        idcard_sim.send(bytes(range(256)) * 50 + b"\xaa\xaa\xaa")
        idcard_sim.put_card(sample_card(NUMBER))
        await until(lambda: len(cards) == 1)
    finally:
        await driver.stop()
    assert [c.id_number for c in cards] == [NUMBER]


async def test_cards_iterator_without_callback(idcard_sim: IdCardSimulator) -> None:
    driver = IdCardDriver(idcard_sim.url, poll_interval=0.05)
    await driver.start()
    try:
        idcard_sim.put_card(sample_card(NUMBER))
        got = await asyncio.wait_for(anext(aiter(driver.cards())), 5)
    finally:
        await driver.stop()
    assert got.id_number == NUMBER and got.device == "idcard"
    assert str(got) == f"card {mask_id_number(NUMBER)} on idcard"
