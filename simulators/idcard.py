"""A 二代证 (resident ID card) reader on a pseudo-tty speaking the SAM protocol (GA 467).

A test puts a card on it (``put_card``), takes it away (``take_card``) or makes it fail:
a dead SAM module, unreadable cards, garbled answers, or silence.
"""

from __future__ import annotations

from drivers import idcard_protocol as sam
from drivers.idcard_protocol import IdCardText, SamCommand, Status
from simulators.serial_pty import SerialSimulator

__all__ = ["IdCardSimulator", "sample_card", "with_check_digit"]


def with_check_digit(first17: str) -> str:
    """Complete 17 digits into a valid 18-character ID number (GB 11643 check character)."""
    return first17 + sam.check_character(first17)


def sample_card(id_number: str, *, name: str = "张三", valid_until: str = "20351231") -> IdCardText:
    """A plausible card for tests and the demo (the address and issuer are invented)."""
    return IdCardText(
        name=name, sex="1", nation="01", birth=id_number[6:14] if len(id_number) >= 14 else "",
        address="广西壮族自治区南宁市青秀区民族大道100号", id_number=id_number,
        issuer="南宁市公安局青秀分局", valid_from="20151231", valid_until=valid_until,
    )


class IdCardSimulator(SerialSimulator):
    """Answers find, select and read for the card it holds, like a desktop SAM reader."""

    def __init__(self) -> None:
        super().__init__()
        self.card: IdCardText | None = None
        self.photo = bytes(range(256)) * (sam.PHOTO_SIZE // 256)  # stands in for WLT data
        self.silent = False  # answer nothing: looks dead to the host
        self.sam_fault = False  # the SAM module fails its self-test
        self.read_fault = False  # a card is found but cannot be read
        self.garble = False  # answers arrive with a bad checksum
        self.commands: list[sam.SamRequest] = []
        self.reads = 0  # successful READ_BASE answers
        self._framer = sam.IdCardFramer()
        self._selected = False

    def put_card(self, card: IdCardText) -> None:
        """Place a card on the reader."""
        sam.encode_text(card)  # refuse a card that could not be encoded, now
        self.card, self._selected = card, False

    def take_card(self) -> None:
        """Take the card away."""
        self.card, self._selected = None, False

    def data_received(self, data: bytes) -> None:
        """Answer each complete command frame."""
        for event in self._framer.feed(data):
            if isinstance(event, sam.IdCardGarbled):
                if event.reason == "bad checksum":
                    self._answer(Status.CHECKSUM_ERROR)
                continue
            try:
                request = sam.parse_request(event)
            except ValueError:
                self._answer(Status.LENGTH_ERROR)
                continue
            self.commands.append(request)
            self._handle(request)

    def _handle(self, request: sam.SamRequest) -> None:
        command = request.command
        if command is None:
            self._answer(Status.COMMAND_ERROR)
        elif command in (SamCommand.SAM_STATUS, SamCommand.RESET_SAM):
            self._answer(Status.SAM_SELF_TEST_FAILED if self.sam_fault else Status.OK)
        elif command is SamCommand.SAM_ID:
            self._answer(Status.OK, bytes(16))
        elif command is SamCommand.FIND_CARD:
            if self.card is None:
                self._answer(Status.FIND_FAILED)
            else:
                self._answer(Status.CARD_FOUND, bytes(4))
        elif command is SamCommand.SELECT_CARD:
            if self.card is None:
                self._answer(Status.SELECT_FAILED)
            else:
                self._selected = True
                self._answer(Status.OK, bytes(8))
        elif command is SamCommand.READ_BASE:
            if self.card is None or not self._selected:
                self._answer(Status.NO_CONTENT)
            elif self.read_fault:
                self._answer(Status.READ_FAILED)
            else:
                self.reads += 1
                self._selected = False
                self._answer(Status.OK,
                             sam.encode_base_info(sam.encode_text(self.card), self.photo))

    def _answer(self, status: Status, data: bytes = b"") -> None:
        if self.silent:
            return
        frame = sam.encode_response(status, data)
        if self.garble:
            frame = frame[:-1] + bytes((frame[-1] ^ 0xFF,))
        self.send(frame)
