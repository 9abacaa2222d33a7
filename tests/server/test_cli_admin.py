"""`hallq admin create`: the deployment administrator, made on the server's command line.

Its password comes from HALLQ_ADMIN_PASSWORD or a hidden prompt on a real terminal; a
refused password or account leaves nothing behind, not even a new database file.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.server.test_cli_after_demo import HALLQ, ROOT, _env, _on_a_terminal, _workdir, sh


def whoami(cwd: Path, username: str, password: str) -> dict[str, object] | None:
    """The principal the account logs in as on that directory's database, or None."""
    code = ("import json, sys; from server.app import build_core; from server.auth import "
            "service; core = build_core();"
            "p = service.resolve(core, service.login(core, username=sys.argv[1], "
            "password=sys.argv[2]));"
            "print(json.dumps({'roles': sorted(p.roles), 'hall_id': p.hall_id, "
            "'name': p.name}))")
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", code, username,
                             password], cwd=cwd, env={**_env(), "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        return None
    found: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def test_admin_create_takes_the_password_from_the_environment(tmp_path: Path) -> None:
    cwd = _workdir(tmp_path / "env")
    line = ".venv/bin/hallq admin create --job-no root0 --name 部署管理员"
    result = sh(line, cwd, HALLQ_ADMIN_PASSWORD="deploy-pw-1")
    assert result.returncode == 0, result.stderr
    assert "deployment administrator root0 (部署管理员)" in result.stdout
    assert whoami(cwd, "root0", "deploy-pw-1") == {
        "roles": ["deployment_admin"], "hall_id": None, "name": "部署管理员"}
    # Run again with another password: the same account, its password reset.
    again = sh(line, cwd, HALLQ_ADMIN_PASSWORD="deploy-pw-2")
    assert again.returncode == 0, again.stderr
    assert whoami(cwd, "root0", "deploy-pw-1") is None
    assert whoami(cwd, "root0", "deploy-pw-2") is not None


def test_admin_create_refuses_without_a_password_and_leaves_nothing(tmp_path: Path) -> None:
    cwd = _workdir(tmp_path / "none")
    line = ".venv/bin/hallq admin create --job-no root0 --name 部署管理员"
    missing = sh(line, cwd)  # stdin is not a terminal: nothing can be asked
    assert missing.returncode == 2 and "HALLQ_ADMIN_PASSWORD" in missing.stderr
    short = sh(line, cwd, HALLQ_ADMIN_PASSWORD="short")
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert "Traceback" not in short.stderr
    assert not (cwd / "hallq.db").exists()


def test_admin_create_never_takes_over_a_halls_account(tmp_path: Path) -> None:
    cwd = _workdir(tmp_path / "hall")
    loaded = sh(".venv/bin/hallq load server/demo/demo_hall.yaml", cwd,
                HALLQ_STAFF_PASSWORD="staff-pw-1")
    assert loaded.returncode == 0, loaded.stderr
    taken = sh(".venv/bin/hallq admin create --job-no admin --name 冒名", cwd,
               HALLQ_ADMIN_PASSWORD="takeover-1")
    assert taken.returncode == 2 and "belongs to a hall" in taken.stderr
    assert whoami(cwd, "admin", "takeover-1") is None
    hall_admin = whoami(cwd, "admin", "staff-pw-1")
    assert hall_admin is not None and hall_admin["hall_id"] is not None
    assert "deployment_admin" not in str(hall_admin["roles"])


def test_admin_create_asks_on_a_terminal_with_the_input_hidden(tmp_path: Path) -> None:
    cwd = _workdir(tmp_path / "tty")
    status, out = _on_a_terminal(
        [str(HALLQ), "admin", "create", "--job-no", "root0", "--name", "部署管理员"], cwd,
        answers=[b"typed-pw-9\n", b"typed-pw-9\n"])
    assert status == 0, out
    assert "Password for root0" in out and "typed-pw-9" not in out
    assert whoami(cwd, "root0", "typed-pw-9") is not None
