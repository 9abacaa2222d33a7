"""A simulated WeChat API for subscription messages (订阅消息), as the notice link uses it.

GET /cgi-bin/token (client_credential) hands out access tokens that expire; GET
/sns/oauth2/access_token turns a login code (from `login_code(openid)`) into an openid;
POST /cgi-bin/message/subscribe/send checks the token, the template, the openid and the
data fields (a `thing` value at most 20 characters) and records the message. Errors use
WeChat's errcode values.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from simulators.http_sim import Answer, HttpSimulator

__all__ = ["Message", "WeChatSim"]


@dataclass(frozen=True)
class Message:
    """One subscription message WeChat accepted."""

    msgid: int
    touser: str
    template_id: str
    data: dict[str, str]
    lang: str
    at: float = field(default_factory=time.time)


class WeChatSim(HttpSimulator):
    """The WeChat simulator; `sent` holds every accepted message."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, appid: str = "wxsim",
                 secret: str = "sim-secret", template: str = "TPL-queue",
                 token_ttl: int = 7200) -> None:
        super().__init__(host, port)
        self.appid, self.secret, self.template, self.token_ttl = appid, secret, template, token_ttl
        self.sent: list[Message] = []
        self.refused: set[str] = set()  # openids that declined the subscription
        self._tokens: dict[str, float] = {}
        self._codes: dict[str, str] = {}
        self._openids: set[str] = set()
        self.tokens_issued = 0

    def login_code(self, openid: str) -> str:
        """A one-time OAuth code for `openid`, as WeChat appends it to the page's URL."""
        code = secrets.token_hex(8)
        with self.lock:
            self._codes[code] = openid
            self._openids.add(openid)
        return code

    def expire_tokens(self) -> None:
        """Make every access token handed out so far invalid (WeChat's 42001)."""
        with self.lock:
            self._tokens.clear()

    def handle(self, method: str, path: str, query: dict[str, str], body: Any,
               headers: dict[str, str]) -> Answer:
        """WeChat's token, OAuth and subscribe/send endpoints."""
        if method == "GET" and path == "/cgi-bin/token":
            if query.get("appid") != self.appid or query.get("secret") != self.secret:
                return 200, {"errcode": 40013, "errmsg": "invalid appid or secret"}
            token = secrets.token_hex(16)
            with self.lock:
                self._tokens[token] = time.monotonic() + self.token_ttl
                self.tokens_issued += 1
            return 200, {"access_token": token, "expires_in": self.token_ttl}
        if method == "GET" and path == "/sns/oauth2/access_token":
            with self.lock:
                openid = self._codes.pop(query.get("code", ""), None)
            if openid is None or query.get("appid") != self.appid:
                return 200, {"errcode": 40029, "errmsg": "invalid code"}
            return 200, {"access_token": secrets.token_hex(8), "openid": openid,
                         "expires_in": 7200, "scope": "snsapi_base"}
        if method == "GET" and path == "/sim/login":
            # The demo's stand-in for WeChat's web login: a code for a made-up citizen.
            openid = query.get("openid") or f"o-demo-{secrets.token_hex(4)}"
            return 200, {"openid": openid, "code": self.login_code(openid)}
        if method == "GET" and path == "/sim/messages":
            with self.lock:
                return 200, {"messages": [m.__dict__ for m in self.sent]}
        if method == "POST" and path == "/cgi-bin/message/subscribe/send":
            return self._send(query.get("access_token", ""), body)
        return 404, {"errcode": 404, "errmsg": "not found"}

    def _send(self, token: str, body: Any) -> Answer:
        with self.lock:
            expires = self._tokens.get(token)
            if expires is None or expires < time.monotonic():
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            if not isinstance(body, dict) or body.get("template_id") != self.template:
                return 200, {"errcode": 40037, "errmsg": "invalid template_id"}
            touser = str(body.get("touser", ""))
            if touser not in self._openids:
                return 200, {"errcode": 40003, "errmsg": "invalid openid"}
            if touser in self.refused:
                return 200, {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
            data = body.get("data")
            if not isinstance(data, dict) or not data:
                return 200, {"errcode": 47003, "errmsg": "argument invalid! data is empty"}
            values: dict[str, str] = {}
            for key, item in data.items():
                value = item.get("value") if isinstance(item, dict) else None
                if not isinstance(value, str) or not value:
                    return 200, {"errcode": 47003, "errmsg": f"argument invalid! {key}"}
                if key.startswith("thing") and len(value) > 20:
                    return 200, {"errcode": 47003, "errmsg": f"argument invalid! {key} too long"}
                values[key] = value
            msg = Message(msgid=len(self.sent) + 1, touser=touser,
                          template_id=str(body["template_id"]), data=values,
                          lang=str(body.get("lang", "zh_CN")))
            self.sent.append(msg)
        return 200, {"errcode": 0, "errmsg": "ok", "msgid": msg.msgid}
