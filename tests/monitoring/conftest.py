"""The live server and Debian's headless Chromium, shared with the terminal page tests."""

from tests.terminals.conftest import browser, playwright_, server

__all__ = ["browser", "playwright_", "server"]
