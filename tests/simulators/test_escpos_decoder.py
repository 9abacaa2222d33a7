"""The printer simulator's ESC/POS decoder."""

from escpos.printer import Dummy
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from drivers.ticket import Ticket, render_ticket
from simulators.escpos_decoder import EscPosDecoder, PrintedLine, Receipt, StatusQuery

TICKET = Ticket("邵阳市政务服务中心", "企业开办", "C123", 0, "2026-11-23 14:00",
                "http://hall.example/t/9", notice="过号请重新取号", tag="appointment")


def test_decodes_a_rendered_ticket_fed_byte_by_byte() -> None:
    decoder = EscPosDecoder()
    data = render_ticket(TICKET)
    events = [e for i in range(len(data)) for e in decoder.feed(data[i : i + 1])]
    assert len(events) == 1 and isinstance(events[0], Receipt)
    receipt = events[0]
    assert receipt.cut and receipt.qr_codes == ["http://hall.example/t/9"]
    assert receipt.qr_at == [6]  # after the issue time, before the notice
    assert receipt.lines[0] == PrintedLine("邵阳市政务服务中心", 1, 2, True, "center")
    assert receipt.lines[3] == PrintedLine("C123", 4, 4, True, "center")
    assert receipt.text.splitlines() == [
        "邵阳市政务服务中心", "企业开办", "【预约】", "C123", "您前面还有 0 人等候",
        "取号时间：2026-11-23 14:00", "", "过号请重新取号"]


def test_without_chinese_mode_double_bytes_print_as_garbage() -> None:
    (receipt,) = EscPosDecoder().feed("号".encode("gb18030") + b"\n\x1dV\x00")
    assert isinstance(receipt, Receipt) and receipt.lines[0].text == "\xba\xc5"


def test_status_queries_and_esc_bang_sizes() -> None:
    events = EscPosDecoder().feed(b"\x10\x04\x04\x1dr\x01\x1b!\x38big\n\x1dVA\x03")
    assert events[:2] == [StatusQuery("dle_eot", 4), StatusQuery("gs_r", 1)]
    receipt = events[2]
    assert isinstance(receipt, Receipt)
    assert receipt.lines == [PrintedLine("big", 2, 2, True, "left")]


def test_raster_image_is_skipped_whole() -> None:
    printer = Dummy()
    printer.image(Image.new("1", (16, 8), 0))
    printer.text("after\n")
    printer.cut()
    (receipt,) = EscPosDecoder().feed(printer.output)
    assert isinstance(receipt, Receipt)
    assert receipt.images == 1 and receipt.lines[-1].text == "after"


@given(st.lists(st.binary(max_size=64), max_size=20))
def test_garbage_never_raises(chunks: list[bytes]) -> None:
    decoder = EscPosDecoder()
    for chunk in chunks:
        for event in decoder.feed(chunk):
            assert isinstance(event, Receipt | StatusQuery)
