"""`hallq bench display`'s bare screen client: frames split however the kernel cuts them."""

from __future__ import annotations

import asyncio

from server.events.wire import text_frame
from simulators.bench.display import RawScreen


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True


async def test_messages_are_split_out_of_any_chunking_and_pings_answered() -> None:
    got: list[bytes] = []
    screen = RawScreen("/ws/halls/demo/display?token=t", "127.0.0.1:8000", got.append)
    transport = _Transport()
    screen.connection_made(transport)
    assert transport.written[0].startswith(b"GET /ws/halls/demo/display?token=t HTTP/1.1\r\n")
    messages = ['{"type":"snapshot"}', '{"type":"call","ticket":"A001"}',
                '{"type":"queue","pad":"' + "排" * 30000 + '"}',
                '{"type":"window","pad":"' + "x" * 70000 + '"}']
    ping = bytes((0x89, 3)) + b"abc"
    stream = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
              + text_frame(messages[0]) + text_frame(messages[1]) + ping
              + text_frame(messages[2]) + text_frame(messages[3]))
    for cut in (1, 7, 1000, 65536):
        got.clear()
        screen = RawScreen("/", "h", got.append)
        transport = _Transport()
        screen.connection_made(transport)
        for i in range(0, len(stream), cut):
            screen.data_received(stream[i:i + cut])
        assert screen.ready.done() and screen.ready.exception() is None
        # The snapshot only opens the screen; what follows is handed on, in order.
        assert [m.decode() for m in got] == messages[1:]
        assert transport.written[1:] == [b"\x8a\x83\0\0\0\0abc"]


async def test_a_refused_handshake_fails_the_screen() -> None:
    screen = RawScreen("/", "h", lambda _: None)
    screen.connection_made(_Transport())
    screen.data_received(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
    assert isinstance(screen.ready.exception(), ConnectionError)
