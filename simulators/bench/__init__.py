"""The benchmarks (`hallq bench core|display|day`) and the process harness they share.

They live beside the simulators, not in `server/`: the core never imports them, and they
drive it only as a separate process over HTTP and websockets, like any client.
"""
