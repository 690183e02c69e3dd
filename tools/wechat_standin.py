"""A local stand-in for WeChat's side of an Official Account, for tests and demos.

It plays both halves of WeChat that the platform talks to:

* the **resident side**: it builds a message or event as WeChat's servers do, signs it
  (and in compatible / safe mode encrypts it with the EncodingAESKey, using wechatpy's
  crypto), POSTs it to the callback URL, waits 5 s for an answer and re-sends the
  same message up to 3 more times when none comes, then checks and decrypts the
  passive reply like WeChat would;
* the **API side**: ``/cgi-bin/token``, ``/cgi-bin/stable_token`` (normal mode: the same token
  until its last 5 minutes, then a new one while the old one lives out its time; force_refresh:
  a new one at once, the old one valid 5 more minutes, a second one within 30 s refreshes
  nothing, 45009 past 20 a day; 40002/40013/40125 for a bad grant_type/appid/secret),
  ``/cgi-bin/media/get`` (获取临时素材: the files of the image messages it sent, kept 3 days; 40007 for
  an unknown or expired media_id, answered as JSON text like WeChat's),
  ``/cgi-bin/message/custom/send``,
  ``/cgi-bin/message/template/send`` and ``/cgi-bin/menu/create`` with WeChat's error codes and quotas — a new
  token leaves the old one 5 more minutes; 40001/41001/42001 for bad tokens; 45015
  when the resident has not interacted (or unsubscribed); 45047 past the
  customer-service allowance (5 messages within 48 h after a resident's message, 3
  within a minute after a menu tap, a follow or a QR scan, each scene a grant of its own); 45002 past 2048 bytes of text;
  45009 past the daily token quota or a kind's daily send quota (``daily_quota``); 40037 for a malformed template id; 43004 for
  templates to residents who unsubscribed; and a TEMPLATESENDJOBFINISH event back to
  the callback for every template sent; the menu checked as WeChat checks it (40016–40027:
  1–3 items, 1–5 sub-items, names of 16 / 60 bytes, keys of 128, urls of 1024). Like WeChat's API it reads a ``\\uXXXX`` escape
  in a body as those six characters, which the resident would see (SDKs send UTF-8);
* **subscription notices** (订阅通知): ``/cgi-bin/message/subscribe/bizsend`` — 40037 for a template id
  that is not the account's, 43101 when the resident has not accepted the template (or refused it
  since), 47003 when a value breaks its type's rule (thing ≤ 20 characters, phrase ≤ 5
  汉字, number, time …), then a ``subscribe_msg_sent_event`` back; the resident's side sends
  ``subscribe_msg_popup_event`` (``accept_notices``: the resident's choice in the pop-up of an H5 page
  or an article) and ``subscribe_msg_change_event`` (``refuse_notices``: turned off in WeChat's
  settings). Template messages keep the rules of 2023-05-04: ``first``/``remark``, a colour, a field
  over 20 characters or with a line break answer 47003 here (WeChat itself drops or cuts such
  content without an error; the stand-in refuses it so that a test sees it);
* test controls: ``inject`` (the next sends answer these error codes), ``delay_answers`` (the
  next sends are delivered and answered late), ``revoke_tokens``, ``close_window``;
* **web authorisation** (网页授权: ``/connect/oauth2/authorize``, ``/sns/oauth2/access_token``),
  in ``tools/wechat_oauth_standin.py``.

Serve it for a demo (``WECHAT_API_BASE=http://127.0.0.1:8300 make run`` in another terminal)::

    .venv/bin/python -m tools.wechat_standin serve --callback http://127.0.0.1:8000/wechat
    .venv/bin/python -m tools.wechat_standin say 你好
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeET
import requests
from flask import Flask, Response, jsonify, request
from wechatpy.crypto import WeChatCrypto

from tools.wechat_oauth_standin import OAuthStandin

ACCOUNT = "gh_civic_standin"
BEIJING = ZoneInfo("Asia/Shanghai")
TEXT_LIMIT = 2048
MEDIA_TTL = 3 * 86400  # WeChat keeps temporary media (a resident's image) for 3 days
# A stand-in photo: JPEG's SOI and JFIF APP0 markers, then EOI (what a JPEG is known by).
STANDIN_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
OLD_TOKEN_GRACE = 300
FORCE_PER_DAY, FORCE_INTERVAL = 20, 30.0  # stable_token's force_refresh: 20 a day, 30 s apart
# Customer-service grants (服务号 发送客服消息 sendCustomMessage): a message gives 5 for 48 hours; a
# menu tap (click / scancode_*), a follow or a QR scan gives 3 within a minute, a grant of its own.
GRANTS = {"message": (48 * 3600, 5), "event": (60, 3)}
GRANT_EVENTS = {"click", "scancode_push", "scancode_waitmsg", "subscribe", "scan"}
ERRMSG = {
    0: "ok",
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40007: "invalid media_id",
    40013: "invalid appid",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44002: "empty post data",
    45002: "content size out of limit",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
    43101: "user refuse to accept the msg",
    47003: "argument invalid!",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
}
MENU_TYPES = {
    "click",
    "view",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "media_id",
    "article_id",
    "article_view_limited",
    "miniprogram",
}
_TEMPLATE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_UNICODE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u")  # a \u escape not itself escaped


def read_api_json(raw: bytes) -> Any:
    """A request body as WeChat's API reads it: UTF-8 JSON whose ``\\uXXXX`` escapes stay
    literal text (a client that sends ``json.dumps``'s default output shows residents
    ``\\u60a8\\u597d`` instead of 您好)."""
    return json.loads(_UNICODE_ESCAPE.sub(r"\1\\\\u", raw.decode("utf-8")))


def wechat_signature(*parts: str) -> str:
    """WeChat's signature: sha1 over the sorted strings (token, timestamp, nonce[, encrypt])."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


class RawXml(str):
    """A field value that is already XML (nested elements), put in as it is by :func:`message_xml`."""


def notice_list_xml(items: list[dict[str, Any]]) -> RawXml:
    """The ``<List>`` elements of a subscription-notice event."""
    return RawXml("".join("<List>" + message_xml(item)[len("<xml>") : -len("</xml>")] + "</List>" for item in items))


def message_xml(fields: dict[str, Any]) -> str:
    """Fields as WeChat's XML: strings in CDATA, numbers bare."""
    nodes = []
    for name, value in fields.items():
        if isinstance(value, RawXml):  # nested elements (the subscription-notice events' List)
            nodes.append(f"<{name}>{value}</{name}>")
        elif isinstance(value, (int, float)):
            nodes.append(f"<{name}>{value}</{name}>")
        else:
            nodes.append(f"<{name}><![CDATA[{value}]]></{name}>")
    return "<xml>" + "".join(nodes) + "</xml>"


@dataclass
class Delivery:
    """What happened to one message sent to the callback."""

    attempts: int = 0
    status: int | None = None
    raw: str = ""
    reply: str | None = None  # the passive reply's text; None for "success" / empty
    error: str | None = None
    seconds: float = 0.0


@dataclass
class Media:
    """A temporary media file (临时素材): what an image message's MediaId names."""

    data: bytes
    content_type: str
    expires: float


@dataclass
class Window:
    expires: float
    left: int


@dataclass
class Resident:
    subscribed: bool = True
    grants: dict[str, Window] = field(default_factory=dict)  # scene -> its customer-service grant
    inbox: list[dict[str, Any]] = field(default_factory=list)
    notices: dict[str, str] = field(default_factory=dict)  # subscription template id -> accept / reject


class WechatStandin:
    def __init__(
        self,
        callback_url: str,
        token: str,
        app_id: str,
        app_secret: str,
        aes_key: str = "",
        mode: str | None = None,
        token_ttl: int = 7200,
        reply_timeout: float = 5.0,
        retries: int = 3,
        receipt_delay: float = 0.5,
        token_quota: int = 2000,
        oauth_domain: str | None = None,
    ) -> None:
        self.callback_url, self.token, self.app_id, self.app_secret = callback_url, token, app_id, app_secret
        self.mode = mode or ("safe" if aes_key else "plain")
        if self.mode not in ("plain", "compat", "safe"):
            raise ValueError("mode is plain, compat or safe")
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        if self.mode != "plain" and self.crypto is None:
            raise ValueError("compatible and safe mode need the EncodingAESKey")
        self.token_ttl, self.reply_timeout, self.retries = token_ttl, reply_timeout, retries
        self.receipt_delay, self.token_quota = receipt_delay, token_quota
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}  # access_token -> expires at
        self.token_fetches = 0  # calls to a token endpoint (/cgi-bin/token or /cgi-bin/stable_token) that succeeded
        self.stable_token: str | None = None  # the stable token in force (normal mode hands it out)
        self.stable_issued: set[str] = set()  # stable tokens, apart from /cgi-bin/token's
        self.force_refreshes: list[float] = []  # times of the force refreshes that issued a token
        self.force_per_day, self.force_interval = FORCE_PER_DAY, FORCE_INTERVAL
        self.spoiled: set[str] = set()  # tokens WeChat hands out but refuses (spoil_stable_token)
        self.daily_quota: dict[str, int] = {}  # send kind (custom, template, notice) -> calls a day; none: no limit
        self.daily_calls: dict[tuple[str, str], int] = {}  # (kind, Beijing day) -> calls counted
        self.residents: dict[str, Resident] = {}
        self.faults: list[int] = []
        self.late: list[float] = []  # seconds by which the next sends' answers are held back (delay_answers)
        self.blocked: set[str] = set()  # residents whose template receipts say "failed:user block"
        self.api_calls: list[dict[str, Any]] = []
        self.menu: dict[str, Any] | None = None  # the custom menu last published
        # The account's subscription templates; empty: any well-formed template id is one of them.
        self.notice_templates: set[str] = set()
        self.jsapi_ticket: str | None = None  # the JS-SDK ticket (getticket)
        self.media: dict[str, Media] = {}  # temporary media by media_id (residents' images)
        self.media_downloads: list[str] = []  # media_ids served by /cgi-bin/media/get
        self._msg_ids = itertools.count(int(time.time() * 1000) * 1000)
        self.http = requests.Session()
        self.oauth = OAuthStandin(app_id, app_secret, oauth_domain or urlsplit(callback_url).netloc)
        self.app = self._wsgi()
        self.oauth.register(self.app)

    # ---------------------------------------------------------------- resident side
    def send_text(self, openid: str, content: str, msg_id: int | None = None) -> Delivery:
        return self.deliver(openid, {"MsgType": "text", "Content": content}, msg_id)

    def send_voice(self, openid: str, recognition: str) -> Delivery:
        return self.deliver(
            openid,
            {
                "MsgType": "voice",
                "MediaId": "media_" + secrets.token_hex(8),
                "Format": "amr",
                "Recognition": recognition,
            },
        )

    def send_location(self, openid: str, latitude: float, longitude: float, label: str = "") -> Delivery:
        return self.deliver(
            openid,
            {"MsgType": "location", "Location_X": latitude, "Location_Y": longitude, "Scale": 15, "Label": label},
        )

    def send_image(self, openid: str, data: bytes = STANDIN_JPEG, content_type: str = "image/jpeg") -> Delivery:
        """An image message; its file is kept as temporary media, which ``/cgi-bin/media/get`` serves."""
        return self.send_media_message(openid, self.upload_media(data, content_type))

    def send_media_message(self, openid: str, media_id: str) -> Delivery:
        """An image message naming ``media_id`` as it is (one never uploaded: a forged id)."""
        return self.deliver(
            openid, {"MsgType": "image", "PicUrl": "http://mmbiz.qpic.cn/standin.jpg", "MediaId": media_id}
        )

    def upload_media(self, data: bytes, content_type: str) -> str:
        """Keep ``data`` as temporary media for 3 days, as WeChat keeps what a resident sends; its media_id."""
        media_id = secrets.token_urlsafe(48)  # WeChat's are 64 characters
        with self.lock:
            self.media[media_id] = Media(data, content_type, time.time() + MEDIA_TTL)
        return media_id

    def expire_media(self, media_id: str) -> None:
        with self.lock:
            self.media[media_id].expires = time.time() - 1

    def send_event(self, openid: str, event: str, key: str = "", **extra: Any) -> Delivery:
        fields: dict[str, Any] = {"MsgType": "event", "Event": event}
        if key:
            fields["EventKey"] = key
        fields.update(extra)
        return self.deliver(openid, fields)

    def deliver(self, openid: str, fields: dict[str, Any], msg_id: int | None = None) -> Delivery:
        """Send one message like WeChat: sign, encrypt, POST, wait 5 s, retry, read the passive reply."""
        is_event = fields.get("MsgType") == "event"
        payload: dict[str, Any] = {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": int(time.time()),
            **fields,
        }
        if not is_event:
            payload["MsgId"] = msg_id if msg_id is not None else next(self._msg_ids)
        self._interaction(openid, fields)
        plain = message_xml(payload)
        result = Delivery()
        started = time.monotonic()
        for _ in range(1 + self.retries):
            result.attempts += 1
            params, body = self._sign(plain, openid)
            try:
                resp = self.http.post(
                    self.callback_url,
                    params=params,
                    data=body.encode("utf-8"),
                    headers={"Content-Type": "text/xml"},
                    timeout=self.reply_timeout,
                )
            except requests.Timeout:
                result.error = "no answer within 5 s"
                continue
            except requests.ConnectionError as exc:
                result.error = f"connection failed: {type(exc).__name__}"
                continue
            result.status, result.raw, result.error = resp.status_code, resp.text, None
            if resp.status_code == 200:
                result.reply, result.error = self._read_reply(resp.text, openid, params)
            else:
                result.error = f"HTTP {resp.status_code}"
            break
        result.seconds = time.monotonic() - started
        return result

    def _interaction(self, openid: str, fields: dict[str, Any]) -> None:
        event = str(fields.get("Event", "")).lower()
        with self.lock:
            resident = self.residents.setdefault(openid, Resident())
            if event == "unsubscribe":
                resident.subscribed = False
                resident.grants.clear()
                return
            if event == "subscribe":
                resident.subscribed = True
            scene = "message" if fields.get("MsgType") != "event" else "event" if event in GRANT_EVENTS else None
            if scene:
                seconds, count = GRANTS[scene]
                resident.grants[scene] = Window(time.time() + seconds, count)

    def _sign(self, plain: str, openid: str) -> tuple[dict[str, str], str]:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        params = {
            "signature": wechat_signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        if self.mode == "plain":
            return params, plain
        encrypted = SafeET.fromstring(self.crypto.encrypt_message(plain, nonce, timestamp)).findtext("Encrypt")
        params.update(encrypt_type="aes", msg_signature=wechat_signature(self.token, timestamp, nonce, encrypted))
        if self.mode == "safe":
            return (
                params,
                f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>",
            )
        return params, plain[: -len("</xml>")] + f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"

    def _read_reply(self, body: str, openid: str, params: dict[str, str]) -> tuple[str | None, str | None]:
        if body in ("", "success"):
            return None, None
        try:
            root = SafeET.fromstring(body.encode("utf-8"))
            if self.mode != "plain":
                xml = self.crypto.decrypt_message(
                    body, root.findtext("MsgSignature"), root.findtext("TimeStamp"), root.findtext("Nonce")
                )
                root = SafeET.fromstring(xml.encode("utf-8"))
        except Exception as exc:  # whatever is wrong with it, WeChat would show "该公众号暂时无法提供服务"
            return None, f"unreadable reply: {type(exc).__name__}"
        if root.findtext("ToUserName") != openid or root.findtext("FromUserName") != ACCOUNT:
            return None, "reply addressed to someone else"
        if root.findtext("MsgType") != "text":
            return None, f"unexpected reply type {root.findtext('MsgType')}"
        content = root.findtext("Content") or ""
        if len(content.encode("utf-8")) > TEXT_LIMIT:
            return None, "passive reply longer than 2048 bytes"
        return content, None

    def accept_notices(self, openid: str, choices: dict[str, str], scene: int = 1) -> Delivery:
        """The resident answers the subscribe pop-up (``choices``: template id -> accept / reject;
        ``scene`` 1: an H5 page, 2: an article); WeChat sends subscribe_msg_popup_event."""
        with self.lock:
            self.residents.setdefault(openid, Resident()).notices.update(choices)
        items = [{"TemplateId": t, "SubscribeStatusString": s, "PopupScene": scene} for t, s in choices.items()]
        return self.send_event(openid, "subscribe_msg_popup_event", SubscribeMsgPopupEvent=notice_list_xml(items))

    def refuse_notices(self, openid: str, *template_ids: str) -> Delivery:
        """The resident turns templates off in WeChat's settings: subscribe_msg_change_event."""
        with self.lock:
            resident = self.residents.setdefault(openid, Resident())
            for template_id in template_ids:
                resident.notices[template_id] = "reject"
        items = [{"TemplateId": t, "SubscribeStatusString": "reject"} for t in template_ids]
        return self.send_event(openid, "subscribe_msg_change_event", SubscribeMsgChangeEvent=notice_list_xml(items))

    def notices_to(self, openid: str) -> list[dict[str, Any]]:
        return [m for m in self.inbox(openid) if m["kind"] == "notice"]

    # ---------------------------------------------------------------- what tests look at
    def inbox(self, openid: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.residents.get(openid, Resident()).inbox)

    def wait_inbox(self, openid: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.inbox(openid)
            if len(messages) >= count:
                return messages
            time.sleep(0.1)
        return self.inbox(openid)

    def inject(self, *errcodes: int) -> None:
        """The next API sends answer these error codes, in order."""
        with self.lock:
            self.faults.extend(errcodes)

    def delay_answers(self, seconds: float, count: int = 1) -> None:
        """Test control: the next ``count`` message sends (customer-service or template) are handled
        at once (delivered, recorded in the inbox) and their answer leaves ``seconds`` later, as when
        WeChat took a message and its answer was lost or slow: a client whose read timeout is
        shorter cannot know the message arrived."""
        with self.lock:
            self.late.extend([seconds] * count)

    def revoke_tokens(self) -> None:
        """Every issued token becomes invalid at once (as when the AppSecret is reset)."""
        with self.lock:
            self.tokens.clear()

    def spoil_stable_token(self) -> None:
        """Test control: the stable token in force is refused (40001) by every API call, yet normal-mode
        stable_token keeps handing it out — only force_refresh gets past it."""
        with self.lock:
            if self.stable_token:
                self.spoiled.add(self.stable_token)

    def close_window(self, openid: str) -> None:
        with self.lock:
            self.residents.setdefault(openid, Resident()).grants.clear()

    # ---------------------------------------------------------------- API side
    def _wsgi(self) -> Flask:
        app = Flask("wechat_standin")

        @app.get("/cgi-bin/token")
        def token():
            a = request.args
            with self.lock:
                if a.get("appid") != self.app_id:
                    return _error(40013)
                if a.get("secret") != self.app_secret:
                    return _error(40125)
                if self.token_fetches >= self.token_quota:
                    return _error(45009)
                self.token_fetches += 1
                now = time.time()
                for old, expires in list(self.tokens.items()):
                    if old not in self.stable_issued:  # the two endpoints' tokens are kept apart
                        self.tokens[old] = min(expires, now + OLD_TOKEN_GRACE)
                issued = secrets.token_urlsafe(48)
                self.tokens[issued] = now + self.token_ttl
            return jsonify(access_token=issued, expires_in=self.token_ttl)

        @app.post("/cgi-bin/stable_token")
        def stable_token():
            return self._stable_token()

        @app.post("/cgi-bin/message/custom/send")
        def custom_send():
            return self._api_send("custom")

        @app.post("/cgi-bin/message/template/send")
        def template_send():
            return self._api_send("template")

        @app.get("/cgi-bin/ticket/getticket")
        def getticket():  # the JS-SDK ticket an H5 page's wx.config is signed with
            with self.lock:
                problem = self._check_token(request.args.get("access_token", ""))
                if problem or request.args.get("type") != "jsapi":
                    return _error(problem or 40097)
                self.jsapi_ticket = self.jsapi_ticket or secrets.token_urlsafe(48)
            return jsonify(errcode=0, errmsg="ok", ticket=self.jsapi_ticket, expires_in=7200)

        @app.post("/cgi-bin/message/subscribe/bizsend")
        def bizsend():
            return self._bizsend()

        @app.post("/cgi-bin/menu/create")
        def menu_create():
            with self.lock:
                problem = self._check_token(request.args.get("access_token", ""))
                if problem:
                    return _error(problem)
                try:
                    body = read_api_json(request.get_data() or b"null")
                except ValueError:
                    return _error(47001)
                code = _check_menu(body)
                if code:
                    return _error(code)
                self.menu = body
            return jsonify(errcode=0, errmsg="ok")

        @app.get("/cgi-bin/media/get")
        def media_get():
            return self._media_get()

        @app.post("/standin/say")
        def say():
            body = request.get_json(force=True)
            delivery = self.send_text(str(body["openid"]), str(body["text"]))
            return jsonify(
                reply=delivery.reply, attempts=delivery.attempts, status=delivery.status, error=delivery.error
            )

        @app.get("/standin/inbox/<openid>")
        def inbox(openid: str):
            return jsonify(messages=self.inbox(openid))

        return app

    def _stable_token(self):
        """getStableAccessToken as WeChat documents it (docs/wechat.md, "Access token")."""
        try:
            body = read_api_json(request.get_data() or b"null")
        except ValueError:
            return _error(47001)
        if not isinstance(body, dict):
            return _error(44002 if body is None else 47001)
        if body.get("grant_type") != "client_credential":
            return _error(40002)
        if body.get("appid") != self.app_id:
            return _error(40013)
        if body.get("secret") != self.app_secret:
            return _error(40125)
        force = body.get("force_refresh") is True
        with self.lock:
            now = time.time()
            current = self.stable_token
            expires = self.tokens.get(current, 0.0) if current else 0.0
            if force:
                today = [t for t in self.force_refreshes if _beijing_day(t) == _beijing_day(now)]
                if len(today) >= self.force_per_day:
                    return _error(45009)
                if self.force_refreshes and now - self.force_refreshes[-1] < self.force_interval and expires > now:
                    return jsonify(access_token=current, expires_in=int(expires - now))  # "否则不会刷新"
            elif expires - now > OLD_TOKEN_GRACE:
                self.token_fetches += 1
                return jsonify(access_token=current, expires_in=int(expires - now))
            if self.token_fetches >= self.token_quota:
                return _error(45009)
            self.token_fetches += 1
            for old in self.stable_issued:  # a token already in its last minutes ends now on a force refresh
                if old != current and force:
                    self.tokens.pop(old, None)
            if current in self.tokens:
                self.tokens[current] = min(expires, now + OLD_TOKEN_GRACE)
            issued = secrets.token_urlsafe(48)
            self.tokens[issued] = now + self.token_ttl
            self.stable_issued.add(issued)
            self.stable_token = issued
            if force:
                self.force_refreshes.append(now)
        return jsonify(access_token=issued, expires_in=self.token_ttl)

    def _api_send(self, kind: str):
        with self.lock:
            late = self.late.pop(0) if self.late else 0.0
        answer = self._api_send_now(kind)
        if late:
            time.sleep(late)
        return answer

    def _api_send_now(self, kind: str):
        access_token = request.args.get("access_token", "")
        with self.lock:
            problem = self._check_token(access_token)
            try:
                body = read_api_json(request.get_data() or b"null")
            except ValueError:
                body = None
            self.api_calls.append({"kind": kind, "errcode": problem, "body": body, "at": time.time()})
            if problem:
                return _error(problem)
            if self.faults:
                code = self.faults.pop(0)
                self.api_calls[-1]["errcode"] = code
                return _error(code)
            if self._over_daily_quota(kind):
                self.api_calls[-1]["errcode"] = 45009
                return _error(45009)
            if not isinstance(body, dict):
                return _error(44002 if body is None else 47001)
            openid = body.get("touser")
            if not isinstance(openid, str) or not openid or len(openid) > 64:
                return _error(40003)
            resident = self.residents.get(openid)
            code = self._check_custom(resident, body) if kind == "custom" else self._check_template(resident, body)
            self.api_calls[-1]["errcode"] = code
            if code:
                return _error(code)
            msgid = next(self._msg_ids)
            resident.inbox.append({"kind": kind, "msgid": msgid, "at": time.time(), **body})
        if kind == "template":
            status = "failed:user block" if openid in self.blocked else "success"
            threading.Timer(
                self.receipt_delay,
                self.deliver,
                args=(openid, {"MsgType": "event", "Event": "TEMPLATESENDJOBFINISH", "MsgID": msgid, "Status": status}),
            ).start()
            return jsonify(errcode=0, errmsg="ok", msgid=msgid)
        return jsonify(errcode=0, errmsg="ok")

    def _bizsend(self):
        """``/cgi-bin/message/subscribe/bizsend``: a subscription notice to a resident who accepted its template."""
        with self.lock:
            problem = self._check_token(request.args.get("access_token", ""))
            try:
                body = read_api_json(request.get_data() or b"null")
            except ValueError:
                body = None
            self.api_calls.append({"kind": "notice", "errcode": problem, "body": body, "at": time.time()})
            if not problem and self.faults:
                problem = self.faults.pop(0)
            if not problem and self._over_daily_quota("notice"):
                problem = 45009
            if not problem and not isinstance(body, dict):
                problem = 44002 if body is None else 47001
            if not problem:
                openid, template_id = body.get("touser"), str(body.get("template_id", ""))
                resident = self.residents.get(openid) if isinstance(openid, str) else None
                if not isinstance(openid, str) or not openid or len(openid) > 64:
                    problem = 40003
                elif not _TEMPLATE_ID.match(template_id) or (
                    self.notice_templates and template_id not in self.notice_templates
                ):
                    problem = 40037
                else:
                    problem = _check_notice_data(body.get("data"))
                if not problem and (resident is None or resident.notices.get(template_id) != "accept"):
                    problem = 43101  # (a resident who unfollowed still gets it, in 服务通知, as in WeChat)
            self.api_calls[-1]["errcode"] = problem
            if problem:
                return _error(problem)
            msgid = next(self._msg_ids)
            resident.inbox.append({"kind": "notice", "msgid": msgid, "at": time.time(), **body})
        sent = notice_list_xml([{"TemplateId": template_id, "MsgID": msgid, "ErrorCode": 0, "ErrorStatus": "success"}])
        threading.Timer(
            self.receipt_delay,
            self.send_event,
            args=(openid, "subscribe_msg_sent_event"),
            kwargs={"SubscribeMsgSentEvent": sent},
        ).start()
        return jsonify(errcode=0, errmsg="ok", msgid=msgid)

    def _over_daily_quota(self, kind: str) -> bool:
        """The account's daily quota of ``kind`` (``daily_quota``: kind -> calls a Beijing day) is used:
        WeChat answers 45009. Every call that reaches this check counts, as WeChat counts calls."""
        limit = self.daily_quota.get(kind)
        if limit is None:
            return False
        key = (kind, _beijing_day(time.time()))
        if self.daily_calls.get(key, 0) >= limit:
            return True
        self.daily_calls[key] = self.daily_calls.get(key, 0) + 1
        return False

    def _media_get(self) -> Response:
        """获取临时素材: the file itself with its Content-Type and a Content-disposition naming it, or
        an errcode as JSON text (``text/plain``, as WeChat answers this call): 41001/40001/42001 for
        the token, 40007 for a media_id that is not one or whose 3 days are over."""
        with self.lock:
            problem = self._check_token(request.args.get("access_token", ""))
            media_id = request.args.get("media_id", "")
            found = self.media.get(media_id)
            if not problem and (found is None or found.expires < time.time()):
                problem = 40007
            if problem:
                return Response(_error(problem).get_data(), mimetype="text/plain")
            self.media_downloads.append(media_id)
        extension = found.content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        return Response(
            found.data,
            mimetype=found.content_type,
            headers={
                "Content-disposition": f'attachment; filename="{media_id}.{extension}"',
                "Cache-Control": "no-cache, must-revalidate",
            },
        )

    def _check_token(self, access_token: str) -> int:
        if not access_token:
            return 41001
        expires = self.tokens.get(access_token)
        if expires is None or access_token in self.spoiled:
            return 40001
        return 42001 if expires < time.time() else 0

    @staticmethod
    def _check_custom(resident: Resident | None, body: dict[str, Any]) -> int:
        if body.get("msgtype") != "text" or not isinstance(body.get("text"), dict):
            return 47001
        content = body["text"].get("content")
        if not isinstance(content, str) or not content:
            return 47001
        if len(content.encode("utf-8")) > TEXT_LIMIT:
            return 45002
        now = time.time()
        granted = resident.grants.values() if resident is not None and resident.subscribed else ()
        open_grants = sorted((g for g in granted if g.expires >= now), key=lambda g: g.expires)
        if not open_grants:
            return 45015  # 回复时间超过限制: nothing the resident did is recent enough
        usable = [g for g in open_grants if g.left > 0]
        if not usable:
            return 45047  # 客服接口下行条数超过上限
        usable[0].left -= 1  # the grant ending first is spent first
        return 0

    @staticmethod
    def _check_template(resident: Resident | None, body: dict[str, Any]) -> int:
        if not _TEMPLATE_ID.match(str(body.get("template_id", ""))):
            return 40037
        if not isinstance(body.get("data"), dict):
            return 47001
        if _check_template_rules(body["data"]):
            return 47003
        if resident is None or not resident.subscribed:
            return 43004
        return 0


def _check_menu(body: Any) -> int:
    """0, or the errcode WeChat's menu API answers for this menu (top-level codes, then +7 for a sub-item's)."""
    buttons = body.get("button") if isinstance(body, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return 40016
    for button in buttons:
        if not isinstance(button, dict):
            return 40017
        subs = button.get("sub_button")
        if len(str(button.get("name", "")).encode()) not in range(1, 17):
            return 40018
        if subs is not None:
            if not isinstance(subs, list) or not 1 <= len(subs) <= 5:
                return 40023
            for sub in subs:
                code = _check_item(sub if isinstance(sub, dict) else {}, 60)
                if code:
                    return code + 7  # 40017 → 40024 (type), 40018 → 40025 (name), 40019 → 40026, 40020 → 40027
        else:
            code = _check_item(button, 16)
            if code:
                return code
    return 0


def _check_item(item: dict[str, Any], name_bytes: int) -> int:
    kind = item.get("type")
    if kind not in MENU_TYPES:
        return 40017
    if len(str(item.get("name", "")).encode()) not in range(1, name_bytes + 1):
        return 40018
    if kind == "click" and len(str(item.get("key", "")).encode()) not in range(1, 129):
        return 40019
    if kind == "view" and len(str(item.get("url", "")).encode()) not in range(1, 1025):
        return 40020
    return 0


def _beijing_day(at: float) -> str:
    """The day WeChat counts a daily limit in (Beijing time)."""
    return datetime.fromtimestamp(at, BEIJING).strftime("%Y%m%d")


# Subscription-notice value rules by data type (the key's letters: thing1 -> thing), as WeChat
# documents them for bizsend; enum is the template's own list and is not checked here.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
NOTICE_RULES: dict[str, re.Pattern[str]] = {
    "thing": re.compile(r"^[^\r\n]{1,20}$"),
    "number": re.compile(r"^\d{1,32}(\.\d+)?$"),
    "letter": re.compile(r"^[A-Za-z]{1,32}$"),
    "symbol": re.compile(rf"^[^0-9A-Za-z{_HAN}\s]{{1,5}}$"),
    "character_string": re.compile(rf"^[^{_HAN}\s]{{1,32}}$"),
    "time": re.compile(r"^[0-9年月日:\-./ ~]{4,40}$"),
    "date": re.compile(r"^[0-9年月日:\-./ ~]{6,40}$"),
    "amount": re.compile(r"^[¥￥$€£]?\d{1,10}(\.\d{1,2})?元?$"),
    "phone_number": re.compile(r"^[0-9+\-() ]{1,17}$"),
    "car_number": re.compile(rf"^[{_HAN}A-Za-z0-9][A-Za-z0-9]{{0,6}}[{_HAN}A-Za-z0-9]?$"),
    "name": re.compile(rf"^([{_HAN}·]{{1,10}}|[A-Za-z .'-]{{1,20}})$"),
    "phrase": re.compile(rf"^[{_HAN}]{{1,5}}$"),
}


def _check_notice_data(data: Any) -> int:
    """47001 for data that is not WeChat's shape, 47003 for a value that breaks its type's rule."""
    if not isinstance(data, dict) or not data:
        return 47001
    for key, item in data.items():
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            return 47001
        rule = NOTICE_RULES.get(re.sub(r"\d+$", "", str(key)))
        if rule is None or not rule.match(item["value"]):
            return 47003
    return 0


def _check_template_rules(data: dict[str, Any]) -> int:
    """47003 for what template messages no longer show as written (since 2023-05-04)."""
    for key, item in data.items():
        value = str(item.get("value", "")) if isinstance(item, dict) else str(item)
        if key in ("first", "remark") or (isinstance(item, dict) and "color" in item):
            return 47003
        if len(value) > 20 or "\n" in value or "\r" in value:
            return 47003
    return 0


def _error(code: int):
    return jsonify(errcode=code, errmsg=f"{ERRMSG.get(code, 'error')} rid: standin-{secrets.token_hex(4)}")


# -------------------------------------------------------------------- command line (demo)
def _serve(args: argparse.Namespace) -> int:
    from werkzeug.serving import run_simple

    from common import settings

    config = settings.load()
    standin = WechatStandin(
        args.callback,
        config.wechat_token,
        config.wechat_app_id,
        config.wechat_app_secret,
        config.wechat_encoding_aes_key,
        mode=args.mode,
    )
    print(
        f"WeChat stand-in on http://127.0.0.1:{args.port} ({standin.mode} mode) -> {args.callback}\n"
        f"Point the platform at it: WECHAT_API_BASE=http://127.0.0.1:{args.port}",
        flush=True,
    )
    run_simple("127.0.0.1", args.port, standin.app, threaded=True)
    return 0


def _say(args: argparse.Namespace) -> int:
    base = args.standin.rstrip("/")
    seen = len(requests.get(f"{base}/standin/inbox/{args.openid}", timeout=10).json()["messages"])
    answer = requests.post(
        f"{base}/standin/say", json={"openid": args.openid, "text": " ".join(args.text)}, timeout=60
    ).json()
    if answer.get("error"):
        print(f"!! {answer['error']} (HTTP {answer.get('status')})")
    if answer.get("reply"):
        print(answer["reply"])
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:  # slow replies come later, through the customer-service API
        messages = requests.get(f"{base}/standin/inbox/{args.openid}", timeout=10).json()["messages"]
        for message in messages[seen:]:
            print(message.get("text", {}).get("content") or json.dumps(message, ensure_ascii=False))
        seen = len(messages)
        time.sleep(0.5)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.wechat_standin", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the stand-in (token, custom and template send; sends to the callback)")
    serve.add_argument("--port", type=int, default=8300)
    serve.add_argument("--callback", default="http://127.0.0.1:8000/wechat")
    serve.add_argument(
        "--mode",
        choices=["plain", "compat", "safe"],
        default=None,
        help="default: safe when WECHAT_ENCODING_AES_KEY is set, else plain",
    )
    say = sub.add_parser("say", help="send a resident's text message and print the answers")
    say.add_argument("text", nargs="+")
    say.add_argument("--openid", default="oDemoResident0001")
    say.add_argument("--standin", default="http://127.0.0.1:8300")
    say.add_argument("--wait", type=float, default=8.0, help="seconds to wait for customer-service messages")
    args = parser.parse_args(argv)
    return _serve(args) if args.command == "serve" else _say(args)


if __name__ == "__main__":
    sys.exit(main())
