"""The paper ticket as exact ESC/POS bytes."""

from drivers.ticket import Ticket, encode_gb18030, render_ticket

GB = "gb18030"
TICKET = Ticket(
    centre="焦作市政务服务中心",
    service_name="社保卡补办",
    number="A001",
    ahead=3,
    issued_at="2026-11-23 09:01",
    url="http://hall.example/t/42",
    notice="请留意叫号",
)


def qr(data: bytes) -> bytes:
    n = len(data) + 3
    return (
        b"\x1d(k\x04\x001A2\x00"  # model 2
        + b"\x1d(k\x03\x001C\x06"  # module size 6
        + b"\x1d(k\x03\x001E1"  # error correction M
        + b"\x1d(k" + bytes((n, 0)) + b"1P0" + data  # store data
        + b"\x1d(k\x03\x001Q0"  # print
    )


def expected(*middle: bytes, notice: str = "请留意叫号") -> bytes:
    return b"".join(
        [
            b"\x1b@\x1c&",  # ESC @ init, FS & Chinese mode
            b"\x1bE\x01\x1ba\x01",  # bold, centred
            b"\x1d!\x01" + "焦作市政务服务中心".encode(GB) + b"\n",  # double height
            b"\x1d!\x00\x1bE\x00",
            *middle,
            b"\x1d!\x33\x1bE\x01A001\n",  # the number at 4x4
            b"\x1d!\x00\x1bE\x00",
            "您前面还有 3 人等候\n".encode(GB),
            "取号时间：2026-11-23 09:01\n".encode(GB),
            qr(b"http://hall.example/t/42") + b"\n",
            notice.encode(GB) + b"\n",
            b"\x1bd\x06\x1dV\x00",  # feed 6 lines, full cut
        ]
    )


def test_ticket_exact_bytes() -> None:
    assert render_ticket(TICKET) == expected("社保卡补办\n".encode(GB))


def test_green_channel_reprint_ticket() -> None:
    ticket = Ticket(**{**TICKET.__dict__, "tag": "green", "reprint": True})
    assert render_ticket(ticket) == expected(
        "（补打）\n".encode(GB), "社保卡补办\n".encode(GB), "【绿色通道】\n".encode(GB)
    )


def test_appointment_tag_from_core_message() -> None:
    ticket = Ticket.from_message(
        {"id": "42", "number": "A001", "service": "SB01", "service_name": "社保卡补办",
         "centre": "焦作市政务服务中心", "ahead": 3, "issued_at": "2026-11-23 09:01",
         "url": "http://hall.example/t/42", "notice": "请留意叫号", "priority": "appointment",
         "reprint": False}
    )
    assert ticket.tag == "appointment" and ticket.id == "42"
    assert "【预约】\n".encode(GB) in render_ticket(ticket)


def test_gb18030_quirks() -> None:
    # Full-width punctuation is two-byte GB18030; control bytes never reach the printer;
    # a four-byte (rare) character falls back unless the printer has the full font.
    assert encode_gb18030("号：，\x1b\x1d!") == "号：，!".encode(GB)
    assert encode_gb18030("王𠀀") == "王□".encode(GB)
    assert encode_gb18030("王𠀀", four_byte=True) == "王𠀀".encode(GB)
    assert encode_gb18030("\ud800") == "□".encode(GB)


def test_rare_name_in_ticket_prints_fallback() -> None:
    ticket = Ticket(**{**TICKET.__dict__, "service_name": "𠀀办理"})
    assert "□办理\n".encode(GB) in render_ticket(ticket)


def test_core_times_print_as_people_read_them() -> None:
    from drivers.ticket import printed_time

    assert printed_time("2026-11-24T04:10:19.353057+08:00") == "2026-11-24 04:10"
    assert printed_time("2026-11-23 09:01") == "2026-11-23 09:01"
    assert printed_time("soon") == "soon"
