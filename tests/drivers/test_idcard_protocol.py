"""The SAM (GA 467) ID-card reader codec, as exact bytes."""

from datetime import date

import pytest

from drivers import idcard_protocol as sam
from drivers.idcard_protocol import IdCardText, SamCommand, Status

CARD = IdCardText(
    name="张三", sex="1", nation="01", birth="19900307", address="南宁市青秀区民族大道100号",
    id_number="11010519491231002X", issuer="南宁市公安局青秀分局", valid_from="20151231",
    valid_until="长期",
)


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


@pytest.mark.parametrize(("command", "frame"), [
    (SamCommand.FIND_CARD, "AA AA AA 96 69 00 03 20 01 22"),
    (SamCommand.SELECT_CARD, "AA AA AA 96 69 00 03 20 02 21"),
    (SamCommand.READ_BASE, "AA AA AA 96 69 00 03 30 01 32"),
    (SamCommand.SAM_STATUS, "AA AA AA 96 69 00 03 11 FF ED"),
    (SamCommand.RESET_SAM, "AA AA AA 96 69 00 03 10 FF EC"),
    (SamCommand.SAM_ID, "AA AA AA 96 69 00 03 12 FF EE"),
])
def test_commands_exact_bytes(command: SamCommand, frame: str) -> None:
    assert sam.encode_command(command) == hexbytes(frame)


def test_responses_exact_bytes() -> None:
    assert sam.encode_response(Status.CARD_FOUND, bytes(4)) == hexbytes(
        "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert sam.encode_response(Status.FIND_FAILED) == hexbytes("AA AA AA 96 69 00 04 00 00 80 84")
    assert sam.encode_response(Status.OK, bytes(8)) == hexbytes(
        "AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C")


def test_text_block_exact_bytes() -> None:
    block = sam.encode_text(CARD)
    assert len(block) == sam.TEXT_SIZE == sum(size for _, size in sam.TEXT_FIELDS)
    space = "20 00"
    assert block[:30] == hexbytes("20 5F 09 4E" + f" {space}" * 13)  # 张三 + 13 spaces
    assert block[30:32] == hexbytes("31 00")  # sex 1
    assert block[32:36] == hexbytes("30 00 31 00")  # nation 01
    assert block[36:52] == "19900307".encode("utf-16-le")
    assert block[122:158] == "11010519491231002X".encode("utf-16-le")
    assert block[204:220] == hexbytes("7F 95 1F 67" + f" {space}" * 6)  # 长期
    assert block[220:] == hexbytes(space) * 18
    assert sam.decode_text(block) == CARD


def test_read_base_answer_exact_layout() -> None:
    photo = bytes(range(256)) * 4
    data = sam.encode_base_info(sam.encode_text(CARD), photo)
    frame = sam.encode_response(Status.OK, data)
    # LEN 0x0508 = SW1..3 (3) + lengths (4) + text (256) + photo (1024) + CHK (1)
    assert frame[:14] == hexbytes("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert len(frame) == 5 + 2 + 0x0508
    assert frame[-1] == sam.checksum(frame[5:-1])
    [parsed] = sam.IdCardFramer().feed(frame)
    assert isinstance(parsed, sam.SamFrame)
    response = sam.parse_response(parsed)
    assert response.ok and response.status == "ok"
    info = sam.decode_base_info(response.data)
    assert info.photo == photo
    assert sam.decode_text(info.text).id_number == "11010519491231002X"


def test_framer_splits_joins_and_resyncs() -> None:
    find = sam.encode_response(Status.CARD_FOUND, bytes(4))
    none = sam.encode_response(Status.FIND_FAILED)
    stream = b"\x00\xaa\x13" + find + none
    framer = sam.IdCardFramer()
    events = [e for i in range(len(stream)) for e in framer.feed(stream[i:i + 1])]
    frames = [e for e in events if isinstance(e, sam.SamFrame)]
    garbage = [e for e in events if isinstance(e, sam.IdCardGarbled)]
    assert [sam.parse_response(f).sw3 for f in frames] == [0x9F, 0x80]
    assert sum(g.dropped for g in garbage) == 3
    # A preamble split across two chunks is kept, not thrown away.
    framer = sam.IdCardFramer()
    assert framer.feed(none[:3]) == []
    assert framer.feed(none[3:]) == [sam.SamFrame(hexbytes("00 00 80"))]


def test_framer_drops_bad_checksum_and_bad_length() -> None:
    good = sam.encode_response(Status.OK)
    bad = good[:-1] + bytes((good[-1] ^ 1,))
    events = sam.IdCardFramer().feed(bad + good)
    assert events[0] == sam.IdCardGarbled("bad checksum", 5)
    assert events[-1] == sam.SamFrame(hexbytes("00 00 90"))
    huge = sam.PREAMBLE + b"\xff\xff" + b"\x00" * 10 + good
    events = sam.IdCardFramer().feed(huge)
    assert events[0] == sam.IdCardGarbled("bad length 65535", 7)
    assert events[-1] == sam.SamFrame(hexbytes("00 00 90"))


def test_requests_and_statuses() -> None:
    [frame] = sam.IdCardFramer().feed(sam.encode_command(SamCommand.READ_BASE))
    assert isinstance(frame, sam.SamFrame)
    request = sam.parse_request(frame)
    assert request == sam.SamRequest(0x30, 0x01) and request.command is SamCommand.READ_BASE
    assert sam.SamRequest(0x99, 0x01).command is None
    assert sam.SamResponse(0, 0, 0x41).status == "read_failed"
    assert not sam.SamResponse(0, 0, 0x41).ok
    assert sam.SamResponse(0, 0, 0x5A).status == "sw_5a"
    with pytest.raises(ValueError):
        sam.parse_response(sam.SamFrame(b"\x00\x00"))
    with pytest.raises(ValueError):
        sam.parse_request(sam.SamFrame(b"\x20"))


def test_bad_text_and_base_info_are_value_errors() -> None:
    with pytest.raises(ValueError, match="256"):
        sam.decode_text(b"\x20\x00" * 10)
    with pytest.raises(ValueError, match="not UCS-2"):
        sam.decode_text(b"\x00\xd8" + b"\x20\x00" * 127)  # a lone surrogate
    with pytest.raises(ValueError, match="do not match"):
        sam.decode_base_info(hexbytes("01 00 04 00") + bytes(10))
    with pytest.raises(ValueError, match="name"):
        sam.encode_text(IdCardText(**{**CARD.__dict__, "name": "长" * 16}))


def test_id_number_check_character_and_expiry() -> None:
    assert sam.id_number_valid("11010519491231002X")
    assert not sam.id_number_valid("110105194912310021")
    assert not sam.id_number_valid("11010519491231002x")
    assert not sam.id_number_valid("1101051949123100")
    assert not CARD.expired(date(2099, 1, 1))  # 长期
    dated = IdCardText(**{**CARD.__dict__, "valid_until": "20250101"})
    assert dated.expired(date(2025, 1, 2)) and not dated.expired(date(2025, 1, 1))
