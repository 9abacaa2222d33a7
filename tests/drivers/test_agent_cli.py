"""``hallq agent`` command line: settings, and a real run against the fake core."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from drivers.agent_cli import agent_from_argv, load_settings, main, parse_led_map
from tests.drivers.fake_core import FakeCore

ROOT = Path(__file__).resolve().parents[2]
BASE = ["--server", "http://core:8000", "--hall", "demo", "--name", "pc-1"]


def test_led_map() -> None:
    assert parse_led_map("3=1, 4=2,") == {"3": 1, "4": 2}
    assert parse_led_map({"A1": "5"}) == {"A1": 5}
    for bad in ("3", "3=x", "=1", "3=0", "3=255"):
        with pytest.raises(ValueError):
            parse_led_map(bad)


def test_command_line_and_token_from_env(tmp_path: Path) -> None:
    settings = load_settings(
        [*BASE, "--printer", "tcp://10.0.0.9:9100", "--led", "serial:///dev/ttyS2",
         "--led-map", "3=1", "--state-dir", str(tmp_path), "--kiosk", "kiosk-1",
         "--window", "3", "--window", "4"],
        env={"HALLQ_DEVICE_TOKEN": "tok"},
    )
    assert settings == {
        "server": "http://core:8000", "hall": "demo", "name": "pc-1", "token": "tok",
        "printer": "tcp://10.0.0.9:9100", "led": "serial:///dev/ttyS2", "led_map": {"3": 1},
        "state_dir": str(tmp_path), "log_level": "INFO", "kiosks": ["kiosk-1"],
        "windows": ["3", "4"],
    }
    settings = load_settings([*BASE, "--token", "cli"], env={"HALLQ_DEVICE_TOKEN": "e"})
    assert settings["token"] == "cli"


def test_config_file_and_overrides(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(
        "server: http://core:8000\nhall: demo\nname: from-file\n"
        "evaluator: serial:///dev/ttyS1\nled_map: {'3': 1, '4': 2}\n", encoding="utf-8")
    agent = agent_from_argv(
        ["--config", str(config), "--name", "pc-9", "--state-dir", str(tmp_path)], env={})
    try:
        assert agent.name == "pc-9"
        assert agent.url == "ws://core:8000/ws/halls/demo/agent?name=pc-9"
        assert agent.devices.evaluator is not None and agent.devices.printer is None
        assert agent.devices.led_map == {"3": 1, "4": 2}
    finally:
        agent.outbox.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--hall", "demo"], "missing --server, --name"),
     ([*BASE, "--led-map", "3"], "bad --led-map entry")],
)
def test_bad_command_lines_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unknown_config_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "agent.json"
    config.write_text('{"server": "http://x", "printr": "tcp://x"}', encoding="utf-8")
    with pytest.raises(SystemExit):
        load_settings(["--config", str(config)], env={})
    assert "unknown keys" in capsys.readouterr().err


async def test_agent_process_connects_and_stops_on_sigterm(tmp_path: Path) -> None:
    core = await FakeCore(token="tok").start()
    code = "import sys; from drivers.agent_cli import main; sys.exit(main(sys.argv[1:]))"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, "--server", core.url, "--hall", "demo", "--name", "pc-7",
        "--state-dir", str(tmp_path), cwd=ROOT,
        env={**os.environ, "HALLQ_DEVICE_TOKEN": "tok", "PYTHONPATH": str(ROOT)},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        hello = await core.expect("hello", timeout=20)
        proc.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(proc.wait(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await core.stop()
    assert hello == {"type": "hello", "name": "pc-7", "devices": [], "kiosks": [], "windows": []}
    assert returncode == 0
    assert (tmp_path / "outbox.sqlite3").exists()


def test_idcard_reader_from_the_command_line_and_the_config_file(tmp_path: Path) -> None:
    settings = load_settings([*BASE, "--idcard", "serial:///dev/ttyUSB1?baud=115200"], env={})
    assert settings["idcard"] == "serial:///dev/ttyUSB1?baud=115200"
    config = tmp_path / "agent.json"
    config.write_text('{"server": "http://core:8000", "hall": "demo", "name": "desk-pc", '
                      '"idcard": "serial:///dev/ttyACM3"}', encoding="utf-8")
    agent = agent_from_argv(["--config", str(config), "--state-dir", str(tmp_path)], env={})
    try:
        assert agent.devices.idcard is not None
        assert agent.devices.idcard.url == "serial:///dev/ttyACM3"
        assert [d.kind for d in agent.devices.all] == ["idcard"]
    finally:
        agent.outbox.close()
