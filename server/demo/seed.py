"""Seeding the demo hall: its configuration, passwords and device tokens."""

from __future__ import annotations

from pathlib import Path

import yaml

from server.auth import service as auth
from server.core import Core
from server.halls import flows as hall_flows
from server.halls.schemas import HallConfig

DEMO_FILE = Path(__file__).with_name("demo_hall.yaml")
# Well-known device tokens, accepted only by a demo hall, so the demo's pages and agent
# work without a setup step. A real hall registers devices with `hallq device`.
DEMO_DEVICES = {"kiosk-1": "kiosk", "screens": "screen", "agent-1": "agent",
                "counters": "counter"}


def demo_config(password: str) -> HallConfig:
    """The demo hall's configuration with every account's password set."""
    raw = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    for person in raw.get("staff", []):
        person["password"] = password
    return HallConfig.model_validate(raw)


def seed(core: Core) -> dict[str, str]:
    """Load the demo hall and register its devices; returns device name → token."""
    hall_flows.load(core, config=demo_config(core.settings.demo_password))
    tokens = {}
    for name, kind in DEMO_DEVICES.items():
        token = f"demo-{name}"
        auth.register_device(core, hall="demo", name=name, kind=kind, token=token)
        tokens[name] = token
    return tokens
