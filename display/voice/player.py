"""Players: where a rendered announcement goes (a speaker through aplay/paplay, or files)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from display.voice.errors import PlayerError

__all__ = ["CommandPlayer", "FilePlayer", "Player", "find_player"]


class Player(Protocol):
    """Plays one WAV and returns when it has finished."""

    async def play(self, wav: bytes, *, label: str) -> None:
        """Play the WAV bytes; label names the announcement (e.g. "A001-3") for logs and files."""


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", label)[:60] or "call"


class FilePlayer:
    """Writes each announcement to ``NNNNN-<label>.wav`` in a directory, in play order."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    async def play(self, wav: bytes, *, label: str) -> None:
        """Write the WAV file (atomically, so a watcher never sees half a file)."""
        path = self.directory / f"{len(self.written) + 1:05d}-{_safe(label)}.wav"
        partial = path.with_suffix(".wav.part")
        await asyncio.to_thread(partial.write_bytes, wav)
        partial.replace(path)
        self.written.append(path)


class CommandPlayer:
    """Runs a command such as ``aplay -q {file}`` on each announcement and waits for it."""

    def __init__(self, argv: Sequence[str], *, timeout: float = 60.0) -> None:
        if not argv:
            raise ValueError("empty player command")
        self.argv = list(argv)
        self.timeout = timeout

    async def play(self, wav: bytes, *, label: str) -> None:
        """Play the WAV through the command; raise PlayerError if it fails."""
        fd, name = tempfile.mkstemp(prefix=f"hallq-voice-{_safe(label)}-", suffix=".wav")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(wav)
            argv = [part.replace("{file}", name) for part in self.argv]
            if argv == self.argv:
                argv.append(name)
            try:
                # Own process group: a wrapper script's children are stopped with it.
                process = await asyncio.create_subprocess_exec(
                    *argv,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                    start_new_session=True,
                )
            except OSError as err:
                raise PlayerError(f"cannot run {argv[0]}: {err}") from err
            try:
                _, stderr = await asyncio.wait_for(process.communicate(), self.timeout)
            except TimeoutError:
                raise PlayerError(f"{argv[0]} did not finish within {self.timeout} s") from None
            finally:
                if process.returncode is None:  # timed out or cancelled: stop the speaker
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    await process.wait()
            if process.returncode != 0:
                message = stderr.decode(errors="replace").strip()
                raise PlayerError(f"{argv[0]} exited with {process.returncode}: {message}")
        finally:
            Path(name).unlink(missing_ok=True)


def _pulse_running() -> bool:
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return runtime is not None and Path(runtime, "pulse", "native").exists()


def find_player() -> CommandPlayer:
    """The audio player for this PC: paplay under PulseAudio/PipeWire, else aplay, else play."""
    candidates = [["aplay", "-q"], ["play", "-q"]]
    if _pulse_running():
        candidates.insert(0, ["paplay"])
    else:
        candidates.append(["paplay"])
    for argv in candidates:
        if shutil.which(argv[0]):
            return CommandPlayer(argv)
    raise PlayerError(
        "no audio player found: install alsa-utils (aplay) or pulseaudio-utils"
        " (paplay), or write announcements to files with FilePlayer"
    )
