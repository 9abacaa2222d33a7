"""Every error code the core can send has a message in Chinese and in English, so no
operator, staff member or citizen is ever shown the core's English `detail`."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The pages' string tables (each has a zh and an en part).
TABLES = [ROOT / "server/pages/static/strings.js", ROOT / "server/monitoring/web/i18n.js",
          ROOT / "display/web/static/i18n.js",
          *sorted((ROOT / "terminals/static").glob("*i18n.js"))]
# Codes for integrators only (no page can meet them).
API_ONLY: set[str] = set()


def _codes() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "server").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'\bcode\s*=\s*"([a-z_]+)"', text))
    return found


def _halves(text: str) -> tuple[str, str]:
    zh, _, en = text.partition("\n  en: {")
    assert en, "a table without an en part"
    return zh, en


def test_every_error_code_has_a_message_in_both_languages() -> None:
    codes = _codes()
    assert {"unknown_hall", "unknown_window", "just_called", "not_found"} <= codes
    zh_keys: set[str] = set()
    en_keys: set[str] = set()
    for table in TABLES:
        zh, en = _halves(table.read_text(encoding="utf-8"))
        zh_keys.update(re.findall(r'"err\.([a-z_]+)"\s*:', zh))
        en_keys.update(re.findall(r'"err\.([a-z_]+)"\s*:', en))
    wanted = codes - API_ONLY
    assert sorted(wanted - zh_keys) == []
    assert sorted(wanted - en_keys) == []
