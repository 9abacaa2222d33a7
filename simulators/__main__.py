"""Run every device simulator: ``python -m simulators``."""

import sys

from simulators.cli import main

sys.exit(main())
