"""DLE EOT / GS r queries and replies."""

import pytest

from drivers.errors import ProtocolError
from drivers.printer_status import (
    GS_R_PAPER,
    STATUS_QUERIES,
    PrinterStatus,
    dle_eot,
    gs_r,
    parse_dle_eot,
    parse_gs_r_paper,
)


def test_query_bytes() -> None:
    assert STATUS_QUERIES == (b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04")
    assert GS_R_PAPER == b"\x1dr\x01"
    assert gs_r(2) == b"\x1dr\x02"
    with pytest.raises(ValueError):
        dle_eot(5)


def test_all_good() -> None:
    status = parse_dle_eot({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12})
    assert status == PrinterStatus(reachable=True)
    assert status.ready and status.online and status.problem is None


def test_paper_out_and_near_end() -> None:
    out = parse_dle_eot({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E})
    assert (out.offline, out.paper_out, out.paper_near_end) == (True, True, True)
    assert out.reachable and not out.online
    assert out.problem == "paper_out"
    near = parse_dle_eot({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E})
    assert near.ready and near.paper_near_end and not near.paper_out


def test_cover_open_and_errors() -> None:
    cover = parse_dle_eot({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12})
    assert cover.cover_open and cover.problem == "cover_open"
    cutter = parse_dle_eot({1: 0x12, 2: 0x52, 3: 0x1A, 4: 0x12})
    assert cutter.cutter_error and cutter.error and cutter.problem == "cutter_error"
    assert cutter.detail()["cutter_error"] is True


def test_reply_without_fixed_bits_is_refused() -> None:
    with pytest.raises(ProtocolError, match="fixed bits"):
        parse_dle_eot({1: 0xFF})


def test_gs_r_paper() -> None:
    assert parse_gs_r_paper(0x0F) == PrinterStatus(True, paper_out=True, paper_near_end=True)
    assert parse_gs_r_paper(0x00).ready
    with pytest.raises(ProtocolError):
        parse_gs_r_paper(0x10)
