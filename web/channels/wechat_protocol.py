"""The WeChat Official Account callback protocol at the edge: signatures, crypto, safe parsing.

Untrusted XML is first parsed with defusedxml (no DTDs, no entities, size-limited);
only XML that passes is handed to wechatpy for typed parsing and crypto.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature
from xml.etree.ElementTree import ParseError

MAX_BODY = 64 * 1024  # WeChat's own messages are a few KB at most
TIMESTAMP_WINDOW = 300  # seconds either side of now


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


@dataclass(frozen=True)
class WechatConfig:
    token: str
    app_id: str
    encoding_aes_key: str  # "" means plaintext mode


def _check_fresh(timestamp: str, now: float | None = None) -> None:
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise Rejected(400, "bad timestamp") from exc
    if abs((now or time.time()) - ts) > TIMESTAMP_WINDOW:
        raise Rejected(403, "stale timestamp")


def _safe_xml(body: bytes | str) -> str:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > MAX_BODY:
        raise Rejected(413, "body too large")
    try:
        SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError) as exc:
        raise Rejected(400, f"unsafe or malformed xml: {type(exc).__name__}") from exc
    return raw.decode("utf-8")


def verify_url(cfg: WechatConfig, q: Query, echostr: str) -> str:
    """GET /wechat: the echostr to answer if the request really comes from WeChat."""
    _check_fresh(q.timestamp)
    try:
        if cfg.encoding_aes_key and q.msg_signature:
            return WeChatCrypto(cfg.token, cfg.encoding_aes_key, cfg.app_id).check_signature(q.msg_signature, q.timestamp, q.nonce, echostr)
        check_signature(cfg.token, q.signature, q.timestamp, q.nonce)
    except (InvalidSignatureException, InvalidAppIdException) as exc:
        raise Rejected(403, "bad signature") from exc
    return echostr


def open_message(cfg: WechatConfig, q: Query, body: bytes):
    """Check, decrypt if needed and parse a POSTed message into a wechatpy message object."""
    _check_fresh(q.timestamp)
    outer = _safe_xml(body)
    try:
        check_signature(cfg.token, q.signature, q.timestamp, q.nonce)
    except InvalidSignatureException as exc:
        raise Rejected(403, "bad signature") from exc
    xml = outer
    if q.encrypt_type == "aes":
        if not cfg.encoding_aes_key or not q.msg_signature:
            raise Rejected(400, "encrypted message without key or msg_signature")
        try:
            xml = WeChatCrypto(cfg.token, cfg.encoding_aes_key, cfg.app_id).decrypt_message(outer, q.msg_signature, q.timestamp, q.nonce)
        except InvalidSignatureException as exc:
            raise Rejected(403, "bad msg_signature") from exc
        except InvalidAppIdException as exc:
            raise Rejected(403, "wrong appid") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise Rejected(400, "undecryptable message") from exc
        xml = _safe_xml(xml)
    elif cfg.encoding_aes_key and q.encrypt_type not in (None, "", "raw"):
        raise Rejected(400, "unknown encrypt_type")
    try:
        message = parse_message(xml)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise Rejected(400, "not a WeChat message") from exc
    if message is None or not getattr(message, "source", None):
        raise Rejected(400, "not a WeChat message")
    return message


def render_text_reply(cfg: WechatConfig, q: Query, message, text: str) -> str:
    """A passive text reply, encrypted when the request was."""
    xml = TextReply(content=text, message=message).render()
    if q.encrypt_type == "aes":
        return WeChatCrypto(cfg.token, cfg.encoding_aes_key, cfg.app_id).encrypt_message(xml, q.nonce, q.timestamp)
    return xml
