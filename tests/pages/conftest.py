"""The terminals' live server and headless Chromium, shared by the pages' tests."""

from tests.terminals.conftest import browser, playwright_, server

__all__ = ["browser", "playwright_", "server"]
