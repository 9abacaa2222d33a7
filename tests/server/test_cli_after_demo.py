"""The README's command lines, run as written, in a directory where `hallq demo` ran.

A newcomer runs `make demo`, then, in another terminal of the same checkout, the lines of
the README's "From the command line" block. Here the checkout is a scratch directory with
the project's `.venv` and `server/` linked in, so nothing is written into the repository.
"""

from __future__ import annotations

import os
import pty
import re
import select
import socket
import subprocess
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
HALLQ = ROOT / ".venv" / "bin" / "hallq"
README_COMMANDS = ("load", "device", "plan", "report", "admin")


def readme_lines() -> list[str]:
    """The README's `.venv/bin/hallq load|device|plan|report|admin …` lines, in order, as
    written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("From the command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.strip() for line in block.splitlines()]
    return [line for line in lines
            if re.match(rf"^\.venv/bin/hallq ({'|'.join(README_COMMANDS)})\b", line)]


def _env() -> dict[str, str]:
    env = {**os.environ, "HALLQ_PEPPER": "cli-test-pepper"}
    for name in ("HALLQ_DATABASE_URL", "HALLQ_STAFF_PASSWORD", "HALLQ_ADMIN_PASSWORD",
                 "HALLQ_DEMO"):
        env.pop(name, None)
    return env


def _workdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / ".venv").symlink_to(ROOT / ".venv")
    (path / "server").symlink_to(ROOT / "server")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sh(line: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run one line exactly as a person types it in a shell (comments and all)."""
    return subprocess.run(["bash", "-c", line], cwd=cwd, env={**_env(), **env},
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


# Filled by `demo_dir` while the demo runs: command line of every process (the demo's and
# its children's) that holds a connection to the core, by pid; the core's pid under "core".
DEMO_PROCESSES: dict[str, str] = {}


def _tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            children = (task / "children").read_text().split() if (
                task / "children").exists() else []
            todo += [int(c) for c in children]
    return out


def _clients_of(core_pid: int, port: int) -> dict[str, str]:
    """Which processes of the demo hold a TCP connection *to* the core's port."""
    target = f":{port:04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[2].endswith(target) and fields[3] == "01":  # remote = core, ESTABLISHED
                inodes.add(fields[9])
    out = {"core": str(core_pid)}
    for pid in _tree(core_pid):
        fds = Path(f"/proc/{pid}/fd")
        held = set()
        for fd in fds.glob("*"):
            try:
                held.add(os.readlink(fd))
            except OSError:
                continue
        if {f"socket:[{i}]" for i in inodes} & held:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            out[str(pid)] = cmdline.decode(errors="replace")
    return out


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A directory where `hallq demo` (with its simulated devices) ran; and its log."""
    cwd = _workdir(tmp_path_factory.mktemp("after-demo") / "checkout")
    port = _free_port()
    log_path = cwd / "demo.log"
    with log_path.open("w") as log:
        demo = subprocess.Popen([".venv/bin/hallq", "demo", "--port", str(port)], cwd=cwd,
                                env=_env(), stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 90
            while "/ws/halls/demo/agent" not in log_path.read_text():
                assert demo.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the demo's agent never connected"
                time.sleep(0.2)
            health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10)
            assert health.status_code == 200
            DEMO_PROCESSES.update(_clients_of(demo.pid, port))
        finally:
            demo.terminate()
            demo.wait(30)
    yield cwd, log_path.read_text()


def test_the_demos_agent_connects_at_its_first_try(demo_dir: tuple[Path, str]) -> None:
    _, log = demo_dir
    assert "core unreachable" not in log
    assert "wrote hallq.env" in log


def test_the_demos_devices_and_agent_run_outside_the_core(
        demo_dir: tuple[Path, str]) -> None:
    """`hallq demo` runs the simulated devices and their agent in a process of their own:
    the agent's connection to the core is held by a `simulators.demo_hall` child, never by
    the core's process."""
    clients = {pid: cmd for pid, cmd in DEMO_PROCESSES.items() if pid != "core"}
    assert clients, "no process of the demo holds a connection to the core"
    assert DEMO_PROCESSES["core"] not in clients
    assert all("simulators.demo_hall" in cmd for cmd in clients.values()), clients


def test_readme_lines_work_as_written_after_the_demo(demo_dir: tuple[Path, str]) -> None:
    cwd, _ = demo_dir
    lines = readme_lines()
    assert [line.split()[1] for line in lines] == [
        "load", "device", "device", "report", "admin", "plan"]
    outputs = {}
    for line in lines:
        # The password the README says `hallq admin create` takes from the environment.
        result = sh(line, cwd, HALLQ_ADMIN_PASSWORD="root-pw-12")
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        outputs[" ".join(line.split()[1:3])] = result.stdout
    assert "loaded hall demo" in outputs["load server/demo/demo_hall.yaml"]
    token = outputs["device --hall"].strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", token), token
    listing = outputs["device list"]
    assert re.search(r"^kiosk-2\s+kiosk\s+active\s+1\s", listing, re.M), listing
    assert re.search(r"^agent-1\s+agent\s+active", listing, re.M)
    assert outputs["report --hall"].lstrip("\ufeff").startswith("名称,")
    assert "合计" in outputs["report --hall"]
    assert "deployment administrator root (部署管理员) is ready" in outputs["admin create"]
    assert "demo" in outputs["plan --hall"] or "windows" in outputs["plan --hall"].lower()
    # Everything went to the demo's database: no empty hallq.db was left behind.
    assert not (cwd / "hallq.db").exists()
    assert "HALLQ_DATABASE_URL=sqlite:///hallq-demo.db" in (cwd / "hallq.env").read_text()


def test_a_second_device_with_the_same_name_needs_rotate(demo_dir: tuple[Path, str]) -> None:
    cwd, _ = demo_dir
    first = sh(".venv/bin/hallq device --hall demo --name pc-9 --kind counter", cwd)
    assert first.returncode == 0, first.stderr
    again = sh(".venv/bin/hallq device --hall demo --name pc-9 --kind counter", cwd)
    assert again.returncode == 2 and "already registered" in again.stderr
    assert "--rotate" in again.stderr
    rotated = sh(".venv/bin/hallq device --hall demo --name pc-9 --kind counter --rotate", cwd)
    assert rotated.returncode == 0 and rotated.stdout.strip() != first.stdout.strip()
    listing = sh(".venv/bin/hallq device list --hall demo", cwd).stdout
    assert re.search(r"^pc-9\s+counter\s+active\s+1\s", listing, re.M), listing
    revoked = sh(".venv/bin/hallq device revoke --hall demo --name pc-9", cwd)
    assert revoked.returncode == 0 and "revoked 1 token" in revoked.stdout
    listing = sh(".venv/bin/hallq device list --hall demo", cwd).stdout
    assert re.search(r"^pc-9\s+counter\s+revoked\s+0\s", listing, re.M), listing
    missing = sh(".venv/bin/hallq device rotate --hall demo --name nope", cwd)
    assert missing.returncode == 2 and "no device 'nope' in hall 'demo'" in missing.stderr
    no_name = sh(".venv/bin/hallq device rotate --hall demo", cwd)
    assert no_name.returncode == 2 and "give --name" in no_name.stderr


def _on_a_terminal(argv: list[str], cwd: Path, answers: list[bytes] | None = None,
                   env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run argv with a real pseudo-terminal as stdin/stdout/stderr; type the answers."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(argv, cwd=cwd, env=env or _env(), stdin=terminal,
                               stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    out = b""
    pending = list(answers or [])
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        assert ready, f"no output from {argv}: {out!r}"
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        out += chunk
        if pending and out.rstrip().endswith(b":"):
            _wait_for_hidden_input(controller)
            os.write(controller, pending.pop(0))
            out += b"\n"
    os.close(controller)
    return process.wait(60), out.decode(errors="replace")


def _wait_for_hidden_input(controller: int) -> None:
    """Wait until the program reading the terminal has turned echo off (it reads a
    password now): input typed earlier would be echoed, or flushed with the old mode."""
    deadline = time.monotonic() + 60
    while termios.tcgetattr(controller)[3] & termios.ECHO:
        assert time.monotonic() < deadline, "the password prompt never hid its input"
        time.sleep(0.05)


def test_xlsx_on_a_terminal_is_refused_and_to_a_file_works(demo_dir: tuple[Path, str]) -> None:
    cwd, _ = demo_dir
    status, out = _on_a_terminal([str(HALLQ), "report", "--hall", "demo", "--format", "xlsx"],
                                 cwd)
    assert status == 2 and "XLSX is a binary file: give --out" in out
    assert "PK" not in out
    redirected = sh(".venv/bin/hallq report --hall demo --format xlsx > month.xlsx", cwd)
    assert redirected.returncode == 0, redirected.stderr
    assert (cwd / "month.xlsx").read_bytes()[:2] == b"PK"


def test_load_into_a_new_database_asks_for_the_new_accounts_password(tmp_path: Path) -> None:
    cwd = _workdir(tmp_path / "fresh")
    refused = sh(".venv/bin/hallq load server/demo/demo_hall.yaml", cwd)
    assert refused.returncode == 2 and "HALLQ_STAFF_PASSWORD" in refused.stderr
    assert "staff1" in refused.stderr
    assert not (cwd / "hallq.db").exists()  # nothing loaded, nothing left behind
    status, out = _on_a_terminal([str(HALLQ), "load", "server/demo/demo_hall.yaml"], cwd,
                                 answers=[b"first-pw-1\n", b"first-pw-1\n"])
    assert status == 0 and "loaded hall demo (8 new accounts)" in out, out
    assert "first-pw-1" not in out  # hidden while typed
    login = _login(cwd, "staff1", "first-pw-1")
    assert login
    # Loading again: the accounts exist, no password is asked or changed.
    again = sh(".venv/bin/hallq load server/demo/demo_hall.yaml", cwd)
    assert again.returncode == 0 and "new accounts" not in again.stdout


def test_load_takes_the_password_from_the_environment(tmp_path: Path) -> None:
    cwd = _workdir(tmp_path / "env")
    result = sh(".venv/bin/hallq load server/demo/demo_hall.yaml", cwd,
                HALLQ_STAFF_PASSWORD="env-pw-2")
    assert result.returncode == 0, result.stderr
    assert _login(cwd, "admin", "env-pw-2")


def _login(cwd: Path, username: str, password: str) -> bool:
    """Whether the account logs in with that password, on the core of that directory."""
    code = ("import sys; from server.app import build_core; from server.auth import service;"
            "service.login(build_core(), username=sys.argv[1], password=sys.argv[2])")
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", code, username,
                             password], cwd=cwd, env={**_env(), "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=120)
    return result.returncode == 0


def test_commands_refuse_a_database_that_is_not_there(tmp_path: Path) -> None:
    cwd = _workdir(tmp_path / "empty")
    for line in (".venv/bin/hallq device --hall demo --name kiosk-2 --kind kiosk",
                 ".venv/bin/hallq plan --hall demo", ".venv/bin/hallq report --hall demo"):
        result = sh(line, cwd)
        assert result.returncode == 2, line
        assert "there is no database hallq.db" in result.stderr
        assert "hallq demo" in result.stderr
    assert not (cwd / "hallq.db").exists()


def test_every_schema_error_is_listed_with_its_line(tmp_path: Path) -> None:
    cwd = _workdir(tmp_path / "bad")
    (cwd / "hall.yaml").write_text(
        "hall:\n"
        "  code: Demo Hall\n"
        "  name: 测试\n"
        "  levle: county\n"
        "rules:\n"
        "  max_recalls: many\n"
        "services:\n"
        "  - {code: SB01, name: 社保, prefix: A}\n"
        "  - code: SB02\n"
        "    name: 养老\n",
        encoding="utf-8")
    result = sh(".venv/bin/hallq load hall.yaml", cwd, HALLQ_STAFF_PASSWORD="x")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "hallq load: hall.yaml: 4 problems, nothing was loaded:"
    assert lines[1:] == [
        "  hall.yaml:2:3: hall.code: 'Demo Hall' is not valid here: expected lower-case"
        " letters, digits, '-' and '_' (at most 32), starting with a letter or digit",
        "  hall.yaml:4:3: hall.levle: 'levle' is not a setting here (did you mean 'level'?)",
        "  hall.yaml:6:3: rules.max_recalls: must be a whole number, not 'many'",
        "  hall.yaml:9:5: services[1].prefix: is required but missing",
    ]
    assert "pydantic" not in result.stderr and "errors.pydantic.dev" not in result.stderr
    assert not (cwd / "hallq.db").exists()
    (cwd / "broken.yaml").write_text("hall:\n  code: x\n  name: [unclosed\n", encoding="utf-8")
    broken = sh(".venv/bin/hallq load broken.yaml", cwd)
    assert broken.returncode == 2 and re.search(r"broken\.yaml:\d+:\d+: not valid YAML",
                                                broken.stderr), broken.stderr
