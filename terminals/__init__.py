"""The kiosk, the counter terminal and the citizen's ticket page (served by the core)."""
