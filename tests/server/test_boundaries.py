"""The core stands alone: `server/` imports neither the simulators nor the terminals."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
FORBIDDEN = ("simulators", "terminals")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_module_of_the_core_imports_the_simulators_or_the_terminals() -> None:
    offenders = {
        str(path.relative_to(SERVER.parent)): sorted(
            name for name in _imports(path) if name.split(".")[0] in FORBIDDEN)
        for path in SERVER.rglob("*.py")
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert len(list(SERVER.rglob("*.py"))) > 50  # the walk did find the core
    assert offenders == {}


def test_the_app_and_the_command_load_without_them(tmp_path: Path) -> None:
    # With no page package configured, building the app and the command line must not
    # pull in a module of either package, however indirectly.
    probe = (
        "import json, sys\n"
        "import server.cli\n"
        "from server.app import create_app, build_core\n"
        "from server.settings import Settings\n"
        f"core = build_core(Settings(database_url='sqlite:///{tmp_path / 'b.db'}'))\n"
        "app = create_app(core)\n"
        "print(json.dumps([m for m in sys.modules if m.split('.')[0] in "
        "('simulators', 'terminals')]))\n"
        "print(json.dumps(sorted(app.openapi()['paths'])))\n"
    )
    env = {**os.environ, "HALLQ_PAGES": "[]"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, check=True, cwd=SERVER.parent).stdout.splitlines()
    assert json.loads(out[0]) == []
    assert "/api/v1/halls/{hall}/tickets" in json.loads(out[1])


def test_the_terminals_are_plugged_in_by_default(tmp_path: Path) -> None:
    from server.app import build_core, create_app
    from server.settings import Settings

    core = build_core(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}"))
    from fastapi.testclient import TestClient

    with TestClient(create_app(core)) as client:
        page = client.get("/kiosk/demo")
    core.db.dispose()
    assert page.status_code == 200 and "<html" in page.text.lower()
