"""Transports chosen by URL, over real sockets, pseudo-ttys and files."""

import asyncio
import os
import tty
from pathlib import Path

import pytest

from drivers.errors import TransportError
from drivers.serial_transport import SerialTransport
from drivers.transports import (
    DeviceURL,
    FileTransport,
    MemoryTransport,
    TcpTransport,
    open_transport,
    parse_device_url,
)
from drivers.usb import UsbTransport


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("tcp://10.0.0.5:9100", DeviceURL("tcp", host="10.0.0.5", port=9100)),
        ("tcp://printer", DeviceURL("tcp", host="printer", port=9100)),
        ("serial:///dev/ttyUSB0?baud=115200",
         DeviceURL("serial", path="/dev/ttyUSB0", options={"baud": "115200"})),
        ("serial://COM3", DeviceURL("serial", path="COM3")),
        ("usb://04B8:0202", DeviceURL("usb", host="04b8", path="0202")),
        ("file:///dev/usb/lp0", DeviceURL("file", path="/dev/usb/lp0")),
        ("memory://bench", DeviceURL("memory", host="bench")),
    ],
)
def test_parse_device_url(url: str, parsed: DeviceURL) -> None:
    got = parse_device_url(url)
    assert (got.scheme, got.host, got.port, got.path, got.options) == (
        parsed.scheme, parsed.host, parsed.port, parsed.path, parsed.options)
    assert got.raw == url


@pytest.mark.parametrize(
    "url", ["http://x", "tcp://:9100", "tcp://h:notaport", "usb://zz:01", "usb://04b8",
            "serial://", "lpt1"],
)
def test_bad_urls_are_transport_errors(url: str) -> None:
    with pytest.raises(TransportError):
        parse_device_url(url)


def test_open_transport_picks_the_class() -> None:
    assert isinstance(open_transport("tcp://h:1"), TcpTransport)
    assert isinstance(open_transport("serial:///dev/ttyS1?baud=19200"), SerialTransport)
    assert open_transport("serial:///dev/ttyS1?baud=19200").url == "serial:///dev/ttyS1?baud=19200"
    assert isinstance(open_transport("file:///tmp/x"), FileTransport)
    assert isinstance(open_transport("memory://a"), MemoryTransport)
    usb = open_transport("usb://04b8:0202")
    assert isinstance(usb, UsbTransport) and (usb.vendor_id, usb.product_id) == (0x04B8, 0x0202)
    with pytest.raises(TransportError, match="bad baud"):
        open_transport("serial:///dev/ttyS1?baud=fast")


async def test_usb_open_fails_cleanly_without_device_or_pyusb() -> None:
    # No USB printer exists in the test machine (and pyusb may be absent): either way the
    # failure must be a TransportError, which the agent reports and retries.
    with pytest.raises(TransportError, match="usb://04b8:0202"):
        await open_transport("usb://04b8:0202").open()


async def test_tcp_round_trip_and_eof() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write((await reader.read(10)).upper())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with open_transport(f"tcp://127.0.0.1:{port}") as t:
        await t.write(b"abc")
        assert await t.read(2.0) == b"ABC"
        with pytest.raises(TransportError, match="closed"):
            await t.read(2.0)
    server.close()
    await server.wait_closed()


async def test_tcp_refused_and_not_open() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(TransportError, match="cannot connect"):
        await TcpTransport("127.0.0.1", port).open()
    with pytest.raises(TransportError, match="not open"):
        await TcpTransport("127.0.0.1", port).write(b"x")


async def test_serial_over_a_real_pty() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    transport = SerialTransport(os.ttyname(slave), baudrate=9600)
    await transport.open()
    try:
        await transport.write(b"\x10\x04\x01")
        assert await asyncio.to_thread(os.read, master, 10) == b"\x10\x04\x01"
        os.write(master, b"\x12hello")
        got = b""
        while len(got) < 6:
            got += await transport.read(2.0)
        assert got == b"\x12hello"
        assert await transport.read(0.1) == b""
    finally:
        await transport.close()
        await transport.close()  # closing twice is harmless
        os.close(master)
        os.close(slave)


async def test_serial_missing_port() -> None:
    with pytest.raises(TransportError, match="cannot open"):
        await open_transport("serial:///dev/does-not-exist").open()


async def test_serial_peer_hangup_is_a_transport_error() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    transport = SerialTransport(os.ttyname(slave))
    await transport.open()
    os.close(slave)
    os.close(master)
    try:
        with pytest.raises(TransportError):
            for _ in range(20):
                await transport.read(0.2)
    finally:
        await transport.close()


async def test_file_transport_appends(tmp_path: Path) -> None:
    path = tmp_path / "lp0"
    async with open_transport(f"file://{path}") as t:
        assert not t.readable
        await t.write(b"\x1b@")
        await t.write(b"A001\n")
        assert await t.read(0.01) == b""
    assert path.read_bytes() == b"\x1b@A001\n"
    with pytest.raises(TransportError):
        await FileTransport(str(tmp_path / "no" / "dir")).open()


async def test_memory_transport_responder_and_fail_open() -> None:
    t = MemoryTransport("m", responder=lambda data: b"\x12" if data == b"\x10\x04\x01" else b"")
    await t.open()
    await t.write(b"\x10\x04\x01")
    assert await t.read(0.5) == b"\x12"
    t.feed(b"x")
    assert await t.read(0.5) == b"x"
    assert bytes(t.written) == b"\x10\x04\x01"
    await t.close()
    with pytest.raises(TransportError):
        await t.read(0.1)
    t.fail_open = True
    with pytest.raises(TransportError, match="refused"):
        await t.open()
