"""The production entry point (`server.asgi`, what `hallq serve` runs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_entry_point_freezes_what_it_loaded(tmp_path: Path) -> None:
    """The app's own objects are moved out of the garbage collector's reach
    (`gc.freeze`), so a full collection no longer walks them while tickets wait."""
    env = {**os.environ, "HALLQ_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "HALLQ_PEPPER": "asgi-test-pepper-0123456789"}
    out = subprocess.run(
        [sys.executable, "-c", "import gc, server.asgi; print(gc.get_freeze_count())"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) > 50_000
