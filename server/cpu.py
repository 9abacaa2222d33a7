"""Each core process on one CPU of its own.

A core process is bound by one interpreter lock: its event loop and its writer (or flow)
threads take turns holding it, and hand it over at every statement, since the database
drivers let it go while the database works. When the two threads run on different CPUs,
every hand-over wakes a thread on the other CPU, whose caches hold nothing of what the
first thread just touched. On this project's 2-core machine, one core process running
on any CPU spent 2.1 ms of CPU per call-next and 1.6 ms per kiosk ticket; the same
process held to one CPU spent 1.4 and 1.2 ms, and served 30–40 % more (`hallq bench core`,
see docs/performance.md). The process gains nothing from a second CPU anyway: only one
of its threads runs Python at a time.

`HALLQ_CPU` (or `hallq serve --cpu`):

- `auto` (the default): claim a CPU no other core process on this machine holds, among
  the CPUs this process may use, and run every thread of the process on it. The claim is
  an advisory lock on a file per CPU in the temporary directory, released by the kernel
  when the process ends however it ends (kill -9 included). With more core processes
  than CPUs, those beyond run anywhere, as without this; on a single CPU, or where the
  system cannot bind threads (not Linux), nothing is done.
- `off`: run anywhere (the scheduler decides), e.g. in containers that share a host's
  CPUs but not a temporary directory, where each container would claim the same CPU.
- a CPU number: that CPU, claimed or not.

What it costs: work that runs outside the interpreter lock (a monthly report's SQL on
SQLite, a password's hash) shares the one CPU with the event loop instead of running
beside it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

# The open lock file of this process's claim, kept for the process's lifetime.
_claim: int | None = None


def parse(value: str) -> str | int:
    """`auto`, `off` or a CPU number; ValueError for anything else."""
    value = value.strip().lower()
    if value in ("auto", "off"):
        return value
    if value.isdigit():
        return int(value)
    raise ValueError(f"HALLQ_CPU must be auto, off or a CPU number, not {value!r}")


def check(setting: str) -> None:
    """`parse`, and a CPU number this process may run on; ValueError with the reason."""
    choice = parse(setting)
    if isinstance(choice, int) and hasattr(os, "sched_getaffinity"):
        allowed = sorted(os.sched_getaffinity(0))
        if choice not in allowed:
            raise ValueError(f"HALLQ_CPU={choice}: this process may use CPUs {allowed}")


def lock_dir() -> Path:
    """Where the core processes of this user claim their CPUs."""
    return Path(tempfile.gettempdir()) / f"hallq-cpu-{os.getuid()}"


def claim(cpus: list[int], folder: Path) -> int | None:
    """Claim the first of `cpus` no other process holds (None: all are held).

    The claim lasts while this process lives (the lock file stays open).
    """
    global _claim
    import fcntl

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for cpu in cpus:
        fd = os.open(folder / f"cpu{cpu}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        if _claim is not None:
            os.close(_claim)
        _claim = fd
        return cpu
    return None


def bind(cpu: int) -> None:
    """Run every thread of this process on `cpu` (those started later inherit it)."""
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(task), {cpu})


def pin(setting: str, folder: Path | None = None) -> int | None:
    """Apply `HALLQ_CPU` to this process; returns the CPU it now runs on, or None."""
    check(setting)
    choice = parse(setting)
    if choice == "off":
        return None
    if not hasattr(os, "sched_setaffinity") or not Path("/proc/self/task").is_dir():
        log.info("HALLQ_CPU=%s: this system cannot bind a process to a CPU", setting)
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if isinstance(choice, int):
        cpu: int | None = choice
        claim([choice], folder or lock_dir())  # so that `auto` processes keep off it
    elif len(allowed) < 2:
        return None
    else:
        cpu = claim(allowed, folder or lock_dir())
        if cpu is None:
            log.info("every CPU is held by another core process: this one runs anywhere")
            return None
    assert cpu is not None
    bind(cpu)
    log.info("core process %d runs on CPU %d (HALLQ_CPU=%s)", os.getpid(), cpu, setting)
    return cpu
