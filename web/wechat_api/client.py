"""Calls to the WeChat API: customer-service text and template messages, the custom menu, and the
media residents send (images, downloaded once).

Every call uses the shared access_token; after a 40001/42001 answer the call is made once
more with the shared token as ``AccessTokenStore.refresh`` leaves it (re-read when another
process already replaced it, fetched anew otherwise: web/wechat_api/token.py). Bodies are UTF-8 JSON with Chinese as it is:
WeChat shows a ``\\uXXXX`` escape to the resident literally (every WeChat SDK, wechatpy
among them, sends them unescaped for this reason). Quota errors and 45015 are raised at once as
typed errors for the caller to record.

A call is repeated (exponential backoff) only when the message surely did not arrive: WeChat
answered system busy (-1: "系统繁忙，此时请开发者稍候再试", its global return codes tell the caller
to try again), or the request never reached it (connection refused, DNS failure, connect timeout).
When the request may have reached WeChat and no answer came back (a read timeout, a connection
dropped mid-call, an answer that is not WeChat's JSON) the call raises :class:`InDoubt` at once:
WeChat may have delivered the message, and has no idempotency key, so sending it again could
give the resident the same message twice. The caller records it in doubt for a person to decide.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import redis
import requests
from urllib3.exceptions import NewConnectionError

from common import metrics
from web.wechat_api.errors import (
    TOKEN_INVALID,
    InDoubt,
    RateLimited,
    RuleBroken,
    Transient,
    WechatApiError,
    WindowClosed,
    raise_for,
)
from web.wechat_api.rules import notice_problems, template_problems
from web.wechat_api.token import TIMEOUT, AccessTokenStore

log = logging.getLogger(__name__)
JSON_UTF8 = {"Content-Type": "application/json; charset=utf-8"}
_OUTCOMES = {WindowClosed: "window_closed", RateLimited: "rate_limited", Transient: "busy", InDoubt: "in_doubt"}


def never_sent(exc: requests.RequestException) -> bool:
    """The request never left: no connection was made (refused, DNS failure, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.exceptions.SSLError):
        return False
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", cause), NewConnectionError)  # urllib3's MaxRetryError wraps it


class WechatApi:
    def __init__(
        self,
        client: redis.Redis,
        api_base: str,
        app_id: str,
        app_secret: str,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.http = requests.Session()
        self.tokens = AccessTokenStore(client, self.http, self.api_base, app_id, app_secret)
        self.retries, self.backoff, self.timeout = retries, backoff, timeout

    def send_text(self, openid: str, content: str) -> None:
        """A customer-service text message (the 48-hour window must be open)."""
        self._push(
            "kf", "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": content}}
        )

    def send_template(self, openid: str, template_id: str, data: dict[str, Any], url: str | None = None) -> int:
        """A template message; returns WeChat's msgid (TEMPLATESENDJOBFINISH reports on it later).

        Content WeChat no longer shows as written (``first``/``remark``, colours, fields over 20
        characters or with line breaks: web/wechat_api/rules.py) raises :class:`RuleBroken` unsent."""
        problems = template_problems(data)
        if problems:
            raise RuleBroken(problems)
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {k: v if isinstance(v, dict) else {"value": str(v)} for k, v in data.items()},
        }
        if url:
            body["url"] = url
        return int(self._push("template", "/cgi-bin/message/template/send", body).get("msgid", 0))

    def send_notice(self, openid: str, template_id: str, data: dict[str, Any], page: str | None = None) -> int | None:
        """A subscription notice (``/cgi-bin/message/subscribe/bizsend``) to a resident who accepted
        ``template_id``; returns WeChat's msgid when it gives one (subscribe_msg_sent_event reports on
        it). Values that break their type's rule raise :class:`RuleBroken` unsent (WeChat: 47003);
        a resident who has not accepted: 43101 from WeChat."""
        problems = notice_problems(data)
        if problems:
            raise RuleBroken(problems)
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {k: {"value": v["value"] if isinstance(v, dict) else str(v)} for k, v in data.items()},
        }
        if page:
            body["page"] = page
        msgid = self._push("notice", "/cgi-bin/message/subscribe/bizsend", body).get("msgid")
        return int(msgid) if msgid else None

    def create_menu(self, menu: dict[str, Any]) -> None:
        """Replace the Official Account's custom menu (``{"button": [...]}``)."""
        self._post("/cgi-bin/menu/create", menu)

    def get_media(self, media_id: str, max_bytes: int) -> bytes:
        """A temporary media file a resident sent (an image message's MediaId; WeChat keeps it 3 days):
        ``GET /cgi-bin/media/get``. WeChat answers the file itself, or JSON with an errcode (40007 an
        invalid media_id, raised as :class:`WechatApiError`; 40001/42001 the token, refreshed and asked
        once more as for every call). At most ``max_bytes + 1`` bytes are read: the caller refuses more."""
        refreshed = False
        while True:
            token = self.tokens.get()
            try:
                with self.http.get(
                    self.api_base + "/cgi-bin/media/get",
                    params={"access_token": token, "media_id": media_id},
                    timeout=self.timeout,
                    stream=True,
                ) as resp:
                    kind = resp.headers.get("Content-Type", "")
                    if resp.status_code == 200 and not kind.startswith(("application/json", "text/plain")):
                        return resp.raw.read(max_bytes + 1, decode_content=True)
                    answer = resp.json()
            except (requests.RequestException, ValueError) as exc:  # a read: safe to ask again later
                raise Transient(-1, f"media: {type(exc).__name__}") from exc
            errcode = int(answer.get("errcode", 0) or 0) if isinstance(answer, dict) else -1
            if errcode in TOKEN_INVALID and not refreshed:
                self.tokens.refresh(token)
                refreshed = True
                continue
            raise_for(errcode or -1, str(answer.get("errmsg", "")) if isinstance(answer, dict) else "not json")

    def _push(self, kind: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One message to a resident, counted in ``outbound_pushes_total`` by its outcome."""
        try:
            answer = self._post(path, body)
        except WechatApiError as exc:
            metrics.PUSHES.labels(kind, _OUTCOMES.get(type(exc), "error")).inc()
            raise
        metrics.PUSHES.labels(kind, "ok").inc()
        return answer

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        refreshed = False
        attempt = 0
        while True:
            try:
                token = self.tokens.get()  # a token endpoint that fails sends nothing to the resident
                answer = self._call(path, token, payload)
                errcode, errmsg = int(answer.get("errcode", 0) or 0), str(answer.get("errmsg", ""))
            except Transient as exc:
                errcode, errmsg, answer = exc.errcode, exc.errmsg, {}
            if errcode in TOKEN_INVALID and not refreshed:
                log.info("wechat access_token refused, refreshing", extra={"errcode": errcode})
                try:
                    self.tokens.refresh(token)  # a no-op when another process already replaced it
                except Transient as exc:
                    errcode, errmsg = exc.errcode, exc.errmsg
                else:
                    refreshed = True
                    continue
            if errcode == -1 and attempt < self.retries:
                attempt += 1
                time.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            try:
                raise_for(errcode, errmsg)
            except Transient:
                log.warning("wechat api busy after retries", extra={"path": path, "attempts": attempt + 1})
                raise
            return answer

    def _call(self, path: str, token: str, payload: bytes) -> dict[str, Any]:
        """One request: WeChat's JSON answer; :class:`Transient` when it surely never arrived,
        :class:`InDoubt` when it may have."""
        try:
            resp = self.http.post(
                self.api_base + path,
                params={"access_token": token},
                data=payload,
                headers=JSON_UTF8,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            if never_sent(exc):
                raise Transient(-1, f"network: {type(exc).__name__}") from exc
            raise InDoubt(-1, f"in doubt: {type(exc).__name__}") from exc
        try:
            answer = resp.json()
            if not isinstance(answer, dict):
                raise ValueError("not an object")
            return answer
        except (requests.RequestException, ValueError) as exc:  # an answer, but not WeChat's (a proxy's error page)
            raise InDoubt(-1, f"in doubt: HTTP {resp.status_code}, {type(exc).__name__}") from exc
