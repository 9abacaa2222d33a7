"""The live server (uvicorn on a real port), shared with the terminal page tests."""

from tests.terminals.conftest import server

__all__ = ["server"]
