"""The notice links: an HTTP SMS gateway and WeChat subscription messages.

Each is a small HTTP client; configuration (HALLQ_SMS_URL, HALLQ_WECHAT_URL) chooses a real
service or its simulator (simulators/sms_gateway.py, simulators/wechat.py), and the code
is the same. A failure is a `LinkError`; `retry` says whether sending again may help.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from server.integrations import IntegrationSettings


class LinkError(Exception):
    """A send that did not go through."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Notice:
    """What one notice says, in the citizen's language."""

    ref: str
    kind: str  # "near" | "called"
    number: str
    service_name: str
    hall_name: str
    ahead: int | None = None
    window: str | None = None
    lang: str = "zh"

    def text(self) -> str:
        """The message text (SMS body; WeChat's short line)."""
        if self.lang == "en":
            if self.kind == "called":
                return (f"{self.hall_name}: ticket {self.number}, please go to window "
                        f"{self.window} now.")
            return (f"{self.hall_name}: ticket {self.number} ({self.service_name}) has "
                    f"{self.ahead} ahead of it. Please come back to the hall.")
        if self.kind == "called":
            return f"请{self.number}号到{self.window}号窗口办理（{self.hall_name}）。"
        return (f"您在{self.hall_name}取的{self.number}号（{self.service_name}）前面还有"
                f"{self.ahead}人，请留意叫号。")

    def short(self) -> str:
        """A line of at most 20 characters (a WeChat `thing` value)."""
        if self.kind == "called":
            return (f"请到{self.window}号窗口" if self.lang == "zh"
                    else f"Go to window {self.window}")[:20]
        return (f"前面还有{self.ahead}人" if self.lang == "zh"
                else f"{self.ahead} ahead of you")[:20]


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as err:
        raise LinkError(f"HTTP {response.status_code}: not JSON") from err
    if not isinstance(data, dict):
        raise LinkError(f"HTTP {response.status_code}: unexpected answer")
    return data


class SmsGateway:
    """An HTTP SMS gateway: POST {phone, content, sign, out_id} with a bearer key."""

    channel = "sms"

    def __init__(self, url: str, *, key: str, sign: str, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        self._sign = sign
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {key}"})

    def send(self, to: str, notice: Notice) -> str:
        """Send one SMS; the gateway's message id."""
        body = {"phone": to, "content": f"【{self._sign}】{notice.text()}", "sign": self._sign,
                "out_id": notice.ref}
        try:
            r = self._http.post(self.url, json=body)
        except httpx.HTTPError as err:
            raise LinkError(f"SMS gateway unreachable: {err!r}") from err
        data = _json(r)
        if r.status_code == 200 and data.get("code") == "OK":
            return str(data.get("message_id", ""))
        # 4xx other than 429 is about this message (bad number, bad key): no use retrying.
        retry = r.status_code >= 500 or r.status_code == 429
        raise LinkError(f"SMS gateway: HTTP {r.status_code} {data.get('code')} "
                        f"{data.get('message', '')}".strip(), retry=retry)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()


# WeChat error codes: an access token that is invalid or expired is fetched again once.
_TOKEN_ERRORS = {40001, 40014, 42001}
# The citizen refused or never granted the subscription, or the openid is wrong: final.
_FINAL_ERRORS = {40003, 43101, 47003, 40037}


class WeChatSubscribe:
    """WeChat subscription messages: access token, then subscribe/send to an openid."""

    channel = "wechat"

    def __init__(self, base: str, *, appid: str, secret: str, template: str,
                 page: str = "", timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._appid, self._secret, self._template, self._page = appid, secret, template, page
        self._http = httpx.Client(base_url=base, timeout=timeout, transport=transport)
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def _access_token(self, *, fresh: bool = False) -> str:
        with self._lock:
            if not fresh and self._token is not None and self._token[1] > time.monotonic():
                return self._token[0]
            try:
                r = self._http.get("/cgi-bin/token", params={
                    "grant_type": "client_credential", "appid": self._appid,
                    "secret": self._secret})
            except httpx.HTTPError as err:
                raise LinkError(f"WeChat unreachable: {err!r}") from err
            data = _json(r)
            if "access_token" not in data:
                raise LinkError(f"WeChat token: {data.get('errcode')} {data.get('errmsg')}")
            # Renew a little early: the token may expire while a message is on its way.
            ttl = max(60.0, float(data.get("expires_in", 7200)) - 300)
            self._token = (str(data["access_token"]), time.monotonic() + ttl)
            return self._token[0]

    def openid_for(self, code: str) -> str:
        """The citizen's openid from the OAuth code the phone page was opened with."""
        try:
            r = self._http.get("/sns/oauth2/access_token", params={
                "appid": self._appid, "secret": self._secret, "code": code,
                "grant_type": "authorization_code"})
        except httpx.HTTPError as err:
            raise LinkError(f"WeChat unreachable: {err!r}") from err
        data = _json(r)
        if not data.get("openid"):
            raise LinkError(f"{data.get('errcode')} {data.get('errmsg')}", retry=False)
        return str(data["openid"])

    def send(self, to: str, notice: Notice) -> str:
        """Send one subscription message to an openid; WeChat's msgid."""
        body = {
            "touser": to, "template_id": self._template, "page": self._page,
            "lang": "en_US" if notice.lang == "en" else "zh_CN",
            "data": {"character_string1": {"value": notice.number[:32]},
                     "thing2": {"value": notice.service_name[:20]},
                     "thing3": {"value": notice.short()},
                     "thing4": {"value": notice.hall_name[:20]}},
        }
        for attempt in (1, 2):
            token = self._access_token(fresh=attempt == 2)
            try:
                r = self._http.post("/cgi-bin/message/subscribe/send",
                                    params={"access_token": token}, json=body)
            except httpx.HTTPError as err:
                raise LinkError(f"WeChat unreachable: {err!r}") from err
            data = _json(r)
            code = int(data.get("errcode", -1))
            if code == 0:
                return str(data.get("msgid", ""))
            if code in _TOKEN_ERRORS and attempt == 1:
                continue
            raise LinkError(f"WeChat send: {code} {data.get('errmsg', '')}",
                            retry=code not in _FINAL_ERRORS)
        raise LinkError("WeChat send: token refused twice")

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()


@dataclass
class Adapters:
    """The configured notice links (None when a link is off)."""

    sms: SmsGateway | None = None
    wechat: WeChatSubscribe | None = None

    @classmethod
    def from_settings(cls, settings: IntegrationSettings) -> Adapters:
        """The links configured by HALLQ_SMS_URL and HALLQ_WECHAT_URL."""
        sms = (SmsGateway(settings.sms_url, key=settings.sms_key, sign=settings.sms_sign,
                          timeout=settings.http_timeout_s) if settings.sms_url else None)
        wechat = (WeChatSubscribe(settings.wechat_url, appid=settings.wechat_appid,
                                  secret=settings.wechat_secret,
                                  template=settings.wechat_template,
                                  timeout=settings.http_timeout_s)
                  if settings.wechat_url else None)
        return cls(sms=sms, wechat=wechat)

    def for_channel(self, channel: str) -> SmsGateway | WeChatSubscribe | None:
        """The link of a channel."""
        return self.sms if channel == "sms" else self.wechat if channel == "wechat" else None

    def close(self) -> None:
        """Close every link."""
        for link in (self.sms, self.wechat):
            if link is not None:
                link.close()
