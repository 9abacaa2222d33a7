"""The printed slip (一次性告知单, 办事指南): rendered to ESC/POS and read back."""

from __future__ import annotations

import pytest

from drivers.slip import Slip, render_slip
from simulators.escpos_decoder import EscPosDecoder, PrintedLine, Receipt

NOTICE = Slip(title="一次性告知单", centre="测试县政务服务中心",
              lines=("事项：社保卡", "请补正以下材料：", "1. 户口簿"),
              url="http://hall.example/t/abc", footer="扫码可查看告知内容", number="A001")


def test_a_slip_decodes_to_its_lines_qr_and_cut() -> None:
    data = render_slip(NOTICE)
    assert data.startswith(b"\x1b@\x1c&") and data.endswith(b"\x1dV\x00")
    (receipt,) = EscPosDecoder().feed(data)
    assert isinstance(receipt, Receipt) and receipt.cut
    assert receipt.lines[0] == PrintedLine("测试县政务服务中心", 1, 1, True, "center")
    assert receipt.lines[1] == PrintedLine("一次性告知单", 2, 2, True, "center")
    assert receipt.lines[4] == PrintedLine("1. 户口簿", 1, 1, False, "left")
    assert receipt.qr_codes == ["http://hall.example/t/abc"]
    assert receipt.text.splitlines()[-1] == "扫码可查看告知内容"


def test_a_slip_from_the_core_s_message_keeps_control_bytes_out() -> None:
    slip = Slip.from_message({"title": "办事指南", "lines": ["1. 身份证\x1b@", 7]})
    assert slip.lines == ("1. 身份证\x1b@", "7")
    (receipt,) = EscPosDecoder().feed(render_slip(slip))
    assert isinstance(receipt, Receipt)
    assert [line.text for line in receipt.lines] == ["办事指南", "1. 身份证@", "7"]
    assert receipt.qr_codes == []


@pytest.mark.parametrize("message", [{"lines": []}, {"title": "x", "lines": "not a list"}])
def test_a_bad_slip_message_is_refused(message: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        Slip.from_message(message)
