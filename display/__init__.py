"""Hall displays: the window LED screen, the hall screen and voice announcements."""
