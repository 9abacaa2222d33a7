"""`hallq load` and `hallq device` as a hall's IT team runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from server.demo.seed import DEMO_FILE


def hallq(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HALLQ_PEPPER": "cli-test-pepper-not-secret"}
    env.pop("HALLQ_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_load_the_demo_file_then_register_a_kiosk(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    for person in raw["staff"]:
        person["password"] = "pw-12345"
    hall = tmp_path / "hall.yaml"
    hall.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'h.db'}"
    r = hallq("load", str(hall), "--database", db, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "loaded hall demo" in r.stdout
    again = hallq("load", str(hall), "--database", db, cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # idempotent
    r = hallq("device", "--hall", "demo", "--name", "kiosk-2", "--kind", "kiosk",
              "--database", db, cwd=tmp_path)
    assert r.returncode == 0 and len(r.stdout.strip()) >= 40


def test_bad_files_get_a_clear_error(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    bad = tmp_path / "bad.yaml"
    bad.write_text("hall: {code: x1, name: 测试}\nwindows:\n  - {number: '1', name: a, "
                   "kind: domain, domains: [NOPE]}\n", encoding="utf-8")
    r = hallq("load", str(bad), "--database", db, cwd=tmp_path)
    assert r.returncode == 2 and "unknown domain NOPE" in r.stderr
    assert "Traceback" not in r.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("hall: [unclosed", encoding="utf-8")
    r = hallq("load", str(broken), "--database", db, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = hallq("load", str(tmp_path / "missing.yaml"), "--database", db, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = hallq("device", "--hall", "nohall", "--name", "k", "--kind", "kiosk",
              "--database", db, cwd=tmp_path)
    assert r.returncode == 2 and "there is no database" in r.stderr  # none was loaded
    assert not (tmp_path / "h.db").exists()
    ok = tmp_path / "ok.yaml"
    ok.write_text("hall: {code: x1, name: 测试}\n", encoding="utf-8")
    assert hallq("load", str(ok), "--database", db, cwd=tmp_path).returncode == 0
    r = hallq("device", "--hall", "nohall", "--name", "k", "--kind", "kiosk",
              "--database", db, cwd=tmp_path)
    assert r.returncode == 2 and "no hall" in r.stderr
