"""Hall Queue core: the queue engine, the REST API, the websocket hub, monitoring."""

__version__ = "0.1.0"
