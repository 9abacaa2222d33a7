"""The crowd simulator: a whole hall day played against the real core (`hallq simulate`)."""

from simulators.crowd.scenario import Scenario, load_scenario
from simulators.crowd.simulate import Run, run_scenario

__all__ = ["Run", "Scenario", "load_scenario", "run_scenario"]
