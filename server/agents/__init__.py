"""Device agents: the websocket channel between the core and each hall PC's devices."""
