"""``python -m display.voice``: make the default clip pack, check a pack, say a call."""

from display.voice.cli import main

raise SystemExit(main())
