"""Drive a server with wrk (a separate C process) and read its figures."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# One POST per request, JSON body and bearer token; `done` prints the figures as JSON.
# `services` are cycled through, one per request, so tickets spread over the services.
_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{auth}
local services = {{{services}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, '{{"service":"' .. services[(i % #services) + 1] .. '"}}')
end
done = function(summary, latency, requests)
  io.write("WRKJSON", string.format(
    '{{"requests":%d,"seconds":%f,"errors":%d,"p50":%f,"p90":%f,"p99":%f}}\\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3))
end
"""


@dataclass
class WrkResult:
    """Requests done, their rate, failures and latency percentiles in ms."""

    requests: int
    per_s: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float


def available() -> bool:
    """True when the wrk command is installed (scripts/setup.sh installs it)."""
    return shutil.which("wrk") is not None


def post(url: str, *, services: list[str], clients: int, seconds: float,
         token: str | None = None) -> WrkResult:
    """POST {"service": …} to `url` from `clients` connections for `seconds` (wrk counts
    whole seconds: a fraction is rounded up)."""
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    listed = ", ".join(json.dumps(s) for s in services)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(_SCRIPT.format(auth=auth, services=listed))
        whole = max(1, math.ceil(seconds))
        out = subprocess.run(
            ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{whole}s", "--timeout", "10s",
             "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"WRKJSON(\{.*\})", out)
    if match is None:
        raise RuntimeError(f"wrk gave no figures:\n{out}")
    r = json.loads(match.group(1))
    return WrkResult(r["requests"], r["requests"] / r["seconds"], r["errors"], r["p50"],
                     r["p90"], r["p99"])


def post_at_once(jobs: list[tuple[str, list[str]]], *, clients: int, seconds: float,
                 token: str | None = None) -> list[WrkResult]:
    """`post` to several servers at the same time: one wrk per (url, services) job, each
    with `clients` connections; their results in the jobs' order."""
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: post(job[0], services=job[1], clients=clients,
                                              seconds=seconds, token=token), jobs))
