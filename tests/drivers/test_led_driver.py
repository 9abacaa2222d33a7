"""The production LED driver against a simulated RS-485 bus of boards on a pty."""

from drivers import Backoff, DeviceStatus, LedBoardDriver
from drivers.led_protocol import BROADCAST, Colour, show_text
from simulators import LedBoardSimulator


async def test_show_on_several_boards(led_sim: LedBoardSimulator) -> None:
    statuses: list[DeviceStatus] = []
    led = LedBoardDriver(led_sim.url, on_status=statuses.append, backoff=Backoff(0.05, 0.2))
    await led.start()
    try:
        assert await led.wait_connected(2)
        assert await led.show(1, ["请A001号 到1号窗口", "社保"])
        assert await led.show(2, ["暂停服务"], colour=Colour.YELLOW)
        assert await led.set_brightness(2, 7)
        assert await led.scroll(3, 1, "欢迎光临")
        assert await led.show(1, ["请A002号 到1号窗口"])
    finally:
        await led.stop()
    assert led_sim.text(1) == ["请A002号 到1号窗口", ""]
    assert led_sim.text(2) == ["暂停服务", ""]
    assert led_sim.boards[2].colours[0] == Colour.YELLOW and led_sim.boards[2].brightness == 7
    assert led_sim.boards[3].scrolling[1]
    assert statuses[-1].detail == {"boards": {"1": True, "2": True, "3": True}}


async def test_missing_or_dead_board_is_reported(led_sim: LedBoardSimulator) -> None:
    led = LedBoardDriver(led_sim.url, ack_timeout=0.2, backoff=Backoff(0.05, 0.2))
    await led.start()
    try:
        assert await led.wait_connected(2)
        assert not await led.show(9, ["x"])
        led_sim.dead.add(2)
        assert not await led.clear(2)
        assert await led.clear(1)
        assert await led.send(BROADCAST, show_text(BROADCAST, 0, "全体"))  # nobody replies
        await led_sim.wait_for_text(3, ["全体", ""])
    finally:
        await led.stop()
    assert led.health().online
    assert led.health().detail["boards"] == {"1": True, "2": False, "9": False}
    assert led_sim.text(1) == ["全体", ""]


async def test_bad_line_is_nakked(led_sim: LedBoardSimulator) -> None:
    led = LedBoardDriver(led_sim.url, lines=5)
    await led.start()
    try:
        assert await led.wait_connected(2)
        assert not await led.send(1, show_text(1, 4, "第五行"))
    finally:
        await led.stop()


async def test_unplugged_bus_returns_false() -> None:
    led = LedBoardDriver("serial:///dev/no-such-bus", backoff=Backoff(0.05, 0.1), connect_wait=0.2)
    await led.start()
    try:
        assert not await led.show(1, ["x"])
    finally:
        await led.stop()
    assert not led.health().online


async def test_commands_before_connecting_and_replay_after_reconnect(
    led_sim: LedBoardSimulator,
) -> None:
    led = LedBoardDriver(led_sim.url, backoff=Backoff(0.05, 0.2))
    await led.start()
    try:
        assert await led.show(1, ["请A003号 到3号窗口"])  # waits for the port to open
        led_sim.boards[1].lines.clear()  # the board reboots, blank
        await led._drop_transport()  # and the bus connection drops
        await led_sim.wait_for_text(1, ["请A003号 到3号窗口", ""])
    finally:
        await led.stop()
