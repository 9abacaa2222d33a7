"""``python -m simulators.links``: the SMS gateway, WeChat and the provincial 好差评 platform,
simulated together for `hallq demo`; prints the settings to point a core at them, then
serves until stopped. What they received: GET {sms}/sms/messages, {platform}/records."""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import signal
import sys
import threading

from simulators.evaluation_platform import EvaluationPlatformSim
from simulators.sms_gateway import SmsGatewaySim
from simulators.wechat import WeChatSim

__all__ = ["main", "settings"]


def settings(sms: SmsGatewaySim, wechat: WeChatSim,
             platform: EvaluationPlatformSim) -> dict[str, str]:
    """The HALLQ_* settings of a core that uses these simulators."""
    return {
        "HALLQ_SMS_URL": sms.send_url, "HALLQ_SMS_KEY": sms.key,
        "HALLQ_WECHAT_URL": wechat.url, "HALLQ_WECHAT_APPID": wechat.appid,
        "HALLQ_WECHAT_SECRET": wechat.secret, "HALLQ_WECHAT_TEMPLATE": wechat.template,
        "HALLQ_EVALUATION_PLATFORM_URL": platform.url,
        "HALLQ_EVALUATION_PLATFORM_KEY": platform.key,
    }


def main(argv: list[str] | None = None) -> int:
    """Serve the three simulators; print their settings as one JSON line first."""
    parser = argparse.ArgumentParser(description="SMS gateway, WeChat, 好差评 platform, simulated")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--new-key", action="store_true",
                        help="also print a fresh HALLQ_PII_KEY (outside demo mode)")
    args = parser.parse_args(argv)
    sims = (SmsGatewaySim(args.host), WeChatSim(args.host), EvaluationPlatformSim(args.host))
    for sim in sims:
        sim.start()
    out = settings(*sims)
    if args.new_key:
        out["HALLQ_PII_KEY"] = base64.b64encode(os.urandom(32)).decode()
    print(json.dumps(out), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    for sim in sims:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
