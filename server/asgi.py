"""ASGI entry point for `uvicorn server.asgi:app` and `hallq serve --workers N`."""

from server.app import create_app

app = create_app()
