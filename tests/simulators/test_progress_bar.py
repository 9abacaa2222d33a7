"""Long commands (`hallq simulate`, `hallq bench day`) keep their progress bar on a real
terminal, and print none into a file or a pipe."""

from __future__ import annotations

import io
import os
import pty

from simulators.crowd.simulate import progress_bar


def test_the_bar_is_drawn_in_place_on_a_terminal_and_ends_its_line() -> None:
    controller, terminal = pty.openpty()
    try:
        with os.fdopen(terminal, "w", encoding="utf-8", closefd=False) as stream:
            show = progress_bar(stream)
            assert show is not None
            show(0.25, "09:30")
            show(1.0, "17:00")
        drawn = ""
        while not drawn.endswith("\n"):  # the pty may hand the output over in pieces
            drawn += os.read(controller, 4096).decode()
    finally:
        os.close(terminal)
        os.close(controller)
    # Each update starts at the line's beginning (drawn over the last); the terminal
    # turns the final "\n" into "\r\n": the bar's line is ended when the run is.
    assert drawn == ("\r[" + "#" * 10 + "." * 30 + "] 25.0% 09:30 "
                     "\r[" + "#" * 40 + "] 100.0% 17:00 \r\n")


def test_no_bar_into_a_file_or_a_pipe() -> None:
    assert progress_bar(io.StringIO()) is None
    reader, writer = os.pipe()
    try:
        with os.fdopen(writer, "w", closefd=False) as pipe:
            assert progress_bar(pipe) is None
    finally:
        os.close(reader)
        os.close(writer)
