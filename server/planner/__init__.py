"""The staffing planner: windows per hour from the hall's own history (`hallq plan`)."""

from server.planner.erlang import erlang_c, mean_wait_s, quantile_wait_s, servers_needed
from server.planner.history import History, learn
from server.planner.plan import Plan, evaluate, recommend

__all__ = ["History", "Plan", "erlang_c", "evaluate", "learn", "mean_wait_s",
           "quantile_wait_s", "recommend", "servers_needed"]
