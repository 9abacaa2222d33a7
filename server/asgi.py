"""ASGI entry point for `uvicorn server.asgi:app` and `hallq serve --workers N`."""

import gc

from server import cpu
from server.app import create_app
from server.settings import get_settings

# Each core process on a CPU of its own (server.cpu; HALLQ_CPU=off to leave it anywhere).
cpu.pin(get_settings().cpu)
app = create_app()

# Everything loaded so far (FastAPI, SQLAlchemy, pydantic, the app itself, about 200,000
# objects) lives as long as the process: the cyclic garbage collector need not scan it
# again. Without this a full collection walked it every few thousand tickets and held the
# event loop and the writer for 100–150 ms, the p99 of `hallq bench core` (85 ms with one
# kiosk, 4 ms after).
gc.freeze()
