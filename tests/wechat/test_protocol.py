"""The callback protocol at the edge, with wechatpy's own crypto as the independent peer.

wechatpy plays WeChat here: it encrypts what we must decrypt and decrypts (and checks
the signature of) what we answer.
"""

from __future__ import annotations

import time

import defusedxml.ElementTree as SafeET
import pytest
from wechatpy.crypto import WeChatCrypto

from tools.wechat_standin import message_xml, wechat_signature
from web.channels import wechat_protocol as proto

TOKEN, APP_ID = "proto-token", "wx_proto_app"
AES_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
PLAIN = proto.WechatConfig(TOKEN, APP_ID, "")
SAFE = proto.WechatConfig(TOKEN, APP_ID, AES_KEY)


def text_xml(openid: str = "oProto1", content: str = "你好", msg_id: int = 42) -> str:
    return message_xml(
        {
            "ToUserName": "gh_acct",
            "FromUserName": openid,
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id,
        }
    )


def plain_query(ts: int | None = None, token: str = TOKEN, nonce: str = "n0nce") -> proto.Query:
    timestamp = str(ts if ts is not None else int(time.time()))
    return proto.Query(wechat_signature(token, timestamp, nonce), timestamp, nonce, None, None)


def encrypted(xml: str, app_id: str = APP_ID, token: str = TOKEN, nonce: str = "n0nce") -> tuple[proto.Query, bytes]:
    """The message as WeChat sends it in safe mode, encrypted by wechatpy."""
    timestamp = str(int(time.time()))
    envelope = SafeET.fromstring(WeChatCrypto(token, AES_KEY, app_id).encrypt_message(xml, nonce, timestamp))
    encrypt = envelope.findtext("Encrypt")
    q = proto.Query(
        wechat_signature(token, timestamp, nonce),
        timestamp,
        nonce,
        wechat_signature(token, timestamp, nonce, encrypt),
        "aes",
    )
    return (
        q,
        f"<xml><ToUserName><![CDATA[gh_acct]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode(),
    )


def test_plaintext_message_is_opened_and_typed():
    incoming = proto.open_message(PLAIN, plain_query(), text_xml(content="低保怎么申请").encode())
    assert (incoming.kind, incoming.openid, incoming.account, incoming.text, incoming.msg_id) == (
        "text",
        "oProto1",
        "gh_acct",
        "低保怎么申请",
        42,
    )
    assert incoming.dedupe_key == "msg:42"


def test_safe_mode_round_trip_with_wechatpy_as_the_peer():
    q, body = encrypted(text_xml(content="我想预约结婚登记"))
    incoming = proto.open_message(SAFE, q, body)
    assert incoming.text == "我想预约结婚登记"
    reply = proto.render_text_reply(SAFE, q, incoming, "好的，我来帮您预约。")
    envelope = SafeET.fromstring(reply)
    # wechatpy checks the reply's MsgSignature and the AppID inside the ciphertext
    xml = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        reply, envelope.findtext("MsgSignature"), envelope.findtext("TimeStamp"), envelope.findtext("Nonce")
    )
    inner = SafeET.fromstring(xml)
    assert (inner.findtext("Content"), inner.findtext("ToUserName"), inner.findtext("FromUserName")) == (
        "好的，我来帮您预约。",
        "oProto1",
        "gh_acct",
    )


def test_compatible_mode_uses_the_encrypted_copy():
    q, safe_body = encrypted(text_xml(content="真正的内容"))
    encrypt = SafeET.fromstring(safe_body).findtext("Encrypt")
    compat = text_xml(content="明文副本")[: -len("</xml>")] + f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    assert proto.open_message(SAFE, q, compat.encode()).text == "真正的内容"


def test_url_verification_in_plain_and_safe_mode():
    q = plain_query()
    assert proto.verify_url(PLAIN, q, "echo-123") == "echo-123"
    assert proto.verify_url(SAFE, q, "echo-456") == "echo-456"  # an Official Account's echostr is never encrypted
    for forged in (plain_query(token="forged"), plain_query(ts=int(time.time()) - 3600)):
        with pytest.raises(proto.Rejected) as exc:
            proto.verify_url(SAFE, forged, "echo")
        assert exc.value.status == 403


@pytest.mark.parametrize(
    "case",
    [
        "forged_signature",
        "stale_timestamp",
        "future_timestamp",
        "forged_msg_signature",
        "wrong_appid",
        "garbage_ciphertext",
        "encrypted_without_key",
    ],
)
def test_untrusted_requests_are_rejected(case):
    cfg = SAFE
    if case == "forged_signature":
        q, body = plain_query(token="not-the-token"), text_xml().encode()
    elif case == "stale_timestamp":
        q, body = plain_query(ts=int(time.time()) - 301), text_xml().encode()
    elif case == "future_timestamp":
        q, body = plain_query(ts=int(time.time()) + 301), text_xml().encode()
    elif case == "forged_msg_signature":
        q, body = encrypted(text_xml())
        q = proto.Query(q.signature, q.timestamp, q.nonce, "0" * 40, "aes")
    elif case == "wrong_appid":
        q, body = encrypted(text_xml(), app_id="wx_someone_else")
    elif case == "garbage_ciphertext":
        q, _ = encrypted(text_xml())
        garbage = "QUJD" * 11
        q = proto.Query(
            q.signature, q.timestamp, q.nonce, wechat_signature(TOKEN, q.timestamp, q.nonce, garbage), "aes"
        )
        body = f"<xml><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>".encode()
    else:
        q, body = encrypted(text_xml())
        cfg = PLAIN
    with pytest.raises(proto.Rejected) as exc:
        proto.open_message(cfg, q, body)
    assert exc.value.status in (400, 403)


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><ToUserName>a</ToUserName>'
    "<FromUserName>oBomb</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
    "<Content>&lol3;</Content><MsgId>1</MsgId></xml>"
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><FromUserName>oX</FromUserName><MsgType>text</MsgType><Content>&xxe;</Content></xml>"
)


@pytest.mark.parametrize(
    "body,status",
    [
        (BOMB.encode(), 400),
        (EXTERNAL.encode(), 400),
        (b"<xml><FromUserName>oX</FromUserName>", 400),  # malformed
        (b"\xff\xfe not xml", 400),
        (b"<html><FromUserName>oX</FromUserName><MsgType>text</MsgType></html>", 400),  # not a WeChat message
        (b"<xml><MsgType>text</MsgType></xml>", 400),  # no sender
        (b"<xml>" + b"<Content>a</Content>" * 5000 + b"</xml>", 413),  # oversized
    ],
)
def test_unsafe_malformed_and_oversized_xml_is_rejected(body, status):
    with pytest.raises(proto.Rejected) as exc:
        proto.open_message(PLAIN, plain_query(), body)
    assert exc.value.status == status


def test_a_bot_text_cannot_break_out_of_the_reply_cdata():
    incoming = proto.open_message(PLAIN, plain_query(), text_xml().encode())
    reply = proto.render_text_reply(PLAIN, plain_query(), incoming, "a]]><MsgType>news</MsgType>b")
    root = SafeET.fromstring(reply)
    assert root.findtext("Content") == "a]]><MsgType>news</MsgType>b" and root.findtext("MsgType") == "text"


def test_event_and_location_fields_are_typed():
    q = plain_query()
    location = message_xml(
        {
            "ToUserName": "gh",
            "FromUserName": "oLoc",
            "CreateTime": 1700000000,
            "MsgType": "location",
            "Location_X": 31.2304,
            "Location_Y": 121.4737,
            "Scale": 15,
            "Label": "上海市普陀区",
            "MsgId": 7,
        }
    )
    msg = proto.open_message(PLAIN, q, location.encode())
    assert (msg.latitude, msg.longitude, msg.label) == (31.2304, 121.4737, "上海市普陀区")
    receipt = message_xml(
        {
            "ToUserName": "gh",
            "FromUserName": "oEv",
            "CreateTime": 1700000000,
            "MsgType": "event",
            "Event": "TEMPLATESENDJOBFINISH",
            "MsgID": 200163836,
            "Status": "success",
        }
    )
    ev = proto.open_message(PLAIN, q, receipt.encode())
    assert (ev.kind, ev.event, ev.msg_id, ev.status) == ("event", "templatesendjobfinish", 200163836, "success")
    assert ev.dedupe_key.startswith("ev:oEv:1700000000:")
