"""Page objects for the display pages, driven through Playwright in headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

CHROMIUM = os.environ.get("HALLQ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "artifacts" / "screenshots"


class _Screen:
    """What both screens share: opening at a size and saving a screenshot."""

    path = ""

    def __init__(self, page: Page, base_url: str, *, token: str, lang: str | None = None,
                 voice: str | None = None) -> None:
        self.page = page
        self.base_url = base_url
        self.token = token
        self.query = f"?token={token}" + (f"&lang={lang}" if lang else "") + (
            f"&voice={voice}" if voice else "")

    def open(self, width: int, height: int) -> None:
        """Load the page at a viewport size and wait for its first snapshot."""
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.goto(self.base_url + self.path + self.query)
        expect(self.page.locator("#offline")).to_be_hidden()

    def screenshot(self, name: str) -> Path:
        """Save a screenshot under artifacts/screenshots/ and return its path."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path))
        return path

    def fits(self, selector: str) -> bool:
        """True when the element lies wholly inside the viewport."""
        box = self.page.locator(selector).bounding_box()
        size = self.page.viewport_size
        assert box is not None and size is not None
        return (box["x"] >= -1 and box["y"] >= -1 and box["x"] + box["width"] <= size["width"] + 1
                and box["y"] + box["height"] <= size["height"] + 1)


class WindowScreen(_Screen):
    """The LED screen above one window."""

    def __init__(self, page: Page, base_url: str, hall: str, window: str, **kw: Any) -> None:
        super().__init__(page, base_url, **kw)
        self.path = f"/display/{hall}/window/{window}"

    @property
    def ticket(self) -> Locator:
        """The big number (or 欢迎光临 / 暂停服务)."""
        return self.page.locator("#win-ticket")

    @property
    def tag(self) -> Locator:
        """The matter-type label."""
        return self.page.locator("#win-tag")

    @property
    def state(self) -> str | None:
        """The screen's state: called, serving, idle or paused."""
        return self.page.locator("#screen").get_attribute("data-state")

    def matter_colour(self) -> str:
        """The computed colour of the number."""
        return str(self.ticket.evaluate("el => getComputedStyle(el).color"))


class HallScreen(_Screen):
    """The hall screen."""

    def __init__(self, page: Page, base_url: str, hall: str, **kw: Any) -> None:
        super().__init__(page, base_url, **kw)
        self.path = f"/display/{hall}"

    @property
    def latest(self) -> Locator:
        """The newest call's card."""
        return self.page.locator(".latest-call")

    def window_ticket(self, number: str) -> Locator:
        """The current number shown for a window."""
        return self.page.locator(f'.window-card[data-window="{number}"] .wc-ticket')

    def waiting(self, service: str) -> Locator:
        """The waiting count shown for a service."""
        return self.page.locator(f'tr[data-service="{service}"] .ws-count')

    def voice_log(self) -> list[dict[str, Any]]:
        """The announcements played so far, with start and end times (ms)."""
        log: list[dict[str, Any]] = self.page.evaluate("() => window.HallqVoice.log")
        return log
