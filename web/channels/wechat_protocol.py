"""The WeChat Official Account callback protocol at the edge: signatures, crypto, safe parsing.

Untrusted XML is first parsed with defusedxml (no DTDs, no entities, size-limited);
only XML that passes is handed to wechatpy for crypto and typed parsing, and the
result is turned at once into an :class:`Incoming` — nothing past this module sees XML.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

MAX_BODY = 64 * 1024  # WeChat's own messages are a few KB at most
TIMESTAMP_WINDOW = 300  # seconds either side of now
MAX_FIELD = 8 * 1024  # longest text field kept from a message
SAFE_MODES = ("strict", "compatible")  # WECHAT_SAFE_MODE; "" means strict whenever a key is set


class Rejected(Exception):
    """A request that must not be processed; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Query:
    signature: str
    timestamp: str
    nonce: str
    msg_signature: str | None
    encrypt_type: str | None

    @property
    def encrypted(self) -> bool:
        return self.encrypt_type == "aes"


@dataclass(frozen=True)
class WechatConfig:
    """``safe_mode`` (WECHAT_SAFE_MODE) says what an account with an EncodingAESKey accepts:
    ``strict`` (the default) only encrypted messages, as WeChat sends in 安全模式;
    ``compatible`` (兼容模式, while switching over) plaintext ones too."""

    token: str
    app_id: str
    encoding_aes_key: str  # "" means plaintext mode
    safe_mode: str = ""

    @property
    def strict(self) -> bool:
        """Plaintext messages are refused."""
        return bool(self.encoding_aes_key) and self.safe_mode != "compatible"

    def __post_init__(self) -> None:
        if self.safe_mode not in ("", *SAFE_MODES):
            raise ValueError("WECHAT_SAFE_MODE is strict or compatible")
        if self.safe_mode and not self.encoding_aes_key:
            raise ValueError("WECHAT_SAFE_MODE needs WECHAT_ENCODING_AES_KEY")
        if self.encoding_aes_key:
            try:
                key = base64.b64decode(self.encoding_aes_key + "=", validate=True)
            except binascii.Error as exc:
                raise ValueError("WECHAT_ENCODING_AES_KEY is not valid base64") from exc
            if len(self.encoding_aes_key) != 43 or len(key) != 32:
                raise ValueError("WECHAT_ENCODING_AES_KEY must be the 43 characters WeChat shows")

    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.encoding_aes_key, self.app_id)


@dataclass(frozen=True)
class NoticeItem:
    """One template of a subscription-notice event (the ``List`` elements of
    subscribe_msg_popup_event / subscribe_msg_change_event / subscribe_msg_sent_event)."""

    template_id: str
    status: str = ""  # SubscribeStatusString (accept / reject), or ErrorStatus for a sent event
    scene: str = ""  # PopupScene: 1 an H5 page, 2 an article
    msg_id: int = 0  # MsgID of a sent event
    error_code: int = 0  # ErrorCode of a sent event


NOTICE_EVENTS = {
    "subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
    "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
    "subscribe_msg_sent_event": "SubscribeMsgSentEvent",
}


@dataclass(frozen=True)
class Incoming:
    """One message or event from a resident, typed. ``kind`` is WeChat's MsgType, lower case."""

    kind: str
    openid: str
    account: str  # ToUserName: the Official Account's own id
    create_time: int
    msg_id: int = 0
    text: str = ""  # Content, or Recognition for voice
    event: str = ""  # lower-case Event for kind == "event"
    event_key: str = ""
    latitude: float | None = None
    longitude: float | None = None
    label: str = ""
    status: str = ""  # TEMPLATESENDJOBFINISH's Status
    notices: tuple[NoticeItem, ...] = ()  # the subscription-notice events' templates
    media_id: str = ""  # an image message's MediaId (downloaded through the API: /cgi-bin/media/get)

    @property
    def dedupe_key(self) -> str:
        """MsgId for messages; FromUserName + CreateTime (+ event, + MsgID) for events."""
        if self.kind != "event" and self.msg_id:
            return f"msg:{self.msg_id}"
        key = f"ev:{self.openid}:{self.create_time}:{self.kind}:{self.event}:{self.msg_id}"
        if self.notices:  # two notices' sent events in one second differ by their MsgIDs
            key += ":" + hashlib.sha1(repr(self.notices).encode()).hexdigest()[:12]
        return key


def _check_fresh(timestamp: str, now: float | None = None) -> None:
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise Rejected(400, "bad timestamp") from exc
    if abs((now or time.time()) - ts) > TIMESTAMP_WINDOW:
        raise Rejected(403, "stale timestamp")


def _signed(expected: str, *parts: str) -> bool:
    """``expected`` is WeChat's signature (sha1 of the sorted parts, computed by wechatpy) of
    ``parts``, compared in constant time: wechatpy's own checks compare with ``!=``."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return hmac.compare_digest(signer.signature.encode("ascii"), expected.encode("utf-8", "replace"))


def _check_signature(cfg: WechatConfig, q: Query) -> None:
    if not _signed(q.signature, cfg.token, q.timestamp, q.nonce):
        raise Rejected(403, "bad signature")


def _safe_xml(body: bytes | str) -> str:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > MAX_BODY:
        raise Rejected(413, "body too large")
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        text = raw.decode("utf-8")
    except (DefusedXmlException, ParseError, UnicodeDecodeError) as exc:
        raise Rejected(400, f"unsafe or malformed xml: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise Rejected(400, "not a WeChat message")
    return text


def verify_url(cfg: WechatConfig, q: Query, echostr: str) -> str:
    """GET /wechat: the echostr to answer if the request really comes from WeChat.

    An Official Account's URL check is signed with the token in every mode (the
    echostr is not encrypted, unlike WeCom's), so the plain signature decides.
    """
    _check_fresh(q.timestamp)
    _check_signature(cfg, q)
    return echostr


def open_message(cfg: WechatConfig, q: Query, body: bytes) -> Incoming:
    """Check, decrypt if needed and parse a POSTed message.

    In strict safe mode a plaintext message is refused: the plain signature covers the
    token, timestamp and nonce only, never the body, so only ``msg_signature`` (over the
    ciphertext) and the AppID inside it tie a message to WeChat.
    """
    _check_fresh(q.timestamp)
    outer = _safe_xml(body)
    _check_signature(cfg, q)
    if q.encrypt_type not in (None, "", "raw", "aes"):
        raise Rejected(400, "unknown encrypt_type")
    if not q.encrypted:
        if cfg.strict:
            raise Rejected(403, "plaintext message refused in safe mode")
        return _typed(outer)
    if not cfg.encoding_aes_key or not q.msg_signature:
        raise Rejected(400, "encrypted message without key or msg_signature")
    encrypt = SafeET.fromstring(outer).findtext("Encrypt")
    if not encrypt:
        raise Rejected(400, "encrypted message without Encrypt")
    if not _signed(q.msg_signature, cfg.token, q.timestamp, q.nonce, encrypt):
        raise Rejected(403, "bad msg_signature")
    try:  # wechatpy checks msg_signature again (with ``!=``, harmless once it is known right) and the AppID
        xml = cfg.crypto().decrypt_message(outer, q.msg_signature, q.timestamp, q.nonce)
    except InvalidSignatureException as exc:
        raise Rejected(403, "bad msg_signature") from exc
    except InvalidAppIdException as exc:
        raise Rejected(403, "wrong appid") from exc
    except Exception as exc:  # corrupt ciphertext: base64, padding, struct or decode errors alike
        raise Rejected(400, "undecryptable message") from exc
    return _typed(_safe_xml(xml))


def _s(value: object) -> str:
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if -180.0 <= number <= 180.0 else None


def _int(value: object) -> int:
    try:
        return int(_s(value) or 0)
    except ValueError:
        return 0


def _notice_items(data: dict, event: str) -> tuple[NoticeItem, ...]:
    """The ``List`` elements of a subscription-notice event: one element is a dict, several a list."""
    container = data.get(NOTICE_EVENTS.get(event, ""))
    items = container.get("List") if isinstance(container, dict) else None
    items = [items] if isinstance(items, dict) else items if isinstance(items, list) else []
    return tuple(
        NoticeItem(
            template_id=_s(item.get("TemplateId"))[:64],
            status=_s(item.get("SubscribeStatusString") or item.get("ErrorStatus")).lower()[:40],
            scene=_s(item.get("PopupScene"))[:4],
            msg_id=_int(item.get("MsgID")),
            error_code=_int(item.get("ErrorCode")),
        )
        for item in items[:20]
        if isinstance(item, dict) and _s(item.get("TemplateId"))
    )


def _typed(xml: str) -> Incoming:
    try:
        message = parse_message(xml)
        data = message._data  # the raw fields wechatpy parsed; read defensively below
        kind = _s(data.get("MsgType")).lower()
        openid, account = _s(data.get("FromUserName")), _s(data.get("ToUserName"))
        create_time = int(_s(data.get("CreateTime")) or 0)
        msg_id = int(_s(data.get("MsgId")) or _s(data.get("MsgID")) or 0)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise Rejected(400, "not a WeChat message") from exc
    if not openid or not kind or len(openid) > 64:
        raise Rejected(400, "not a WeChat message")
    common = {"kind": kind, "openid": openid, "account": account, "create_time": create_time, "msg_id": msg_id}
    if kind == "text":
        return Incoming(**common, text=_s(data.get("Content")))
    if kind == "voice":
        return Incoming(**common, text=_s(data.get("Recognition")))
    if kind == "image":
        return Incoming(**common, media_id=_s(data.get("MediaId"))[:128])
    if kind == "location":
        return Incoming(
            **common,
            latitude=_float(data.get("Location_X")),
            longitude=_float(data.get("Location_Y")),
            label=_s(data.get("Label")),
        )
    if kind == "event":
        event = _s(data.get("Event")).lower()
        return Incoming(
            **common,
            event=event,
            event_key=_s(data.get("EventKey")),
            status=_s(data.get("Status")),
            latitude=_float(data.get("Latitude")),
            longitude=_float(data.get("Longitude")),
            notices=_notice_items(data, event),
        )
    return Incoming(**common)


def render_text_reply(cfg: WechatConfig, q: Query, incoming: Incoming, text: str) -> str:
    """A passive text reply, encrypted when the request was."""
    safe = text.replace("]]>", "]]]]><![CDATA[>")  # the reply is CDATA: a bot text must not close it
    xml = TextReply(source=incoming.account, target=incoming.openid, content=safe).render()
    if q.encrypted:
        return cfg.crypto().encrypt_message(xml, q.nonce, q.timestamp)
    return xml
