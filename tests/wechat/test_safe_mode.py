"""Safe mode is strict, signatures are compared in constant time, and a signed URL works once
(docs/security.md, 4). The protocol is checked on its own; the replay rule through the real
``/wechat`` of an in-process app on real Redis, with the Rasa stand-in as the bot.
"""

from __future__ import annotations

import dataclasses
import time
import uuid

import pytest
import redis

from tools.wechat_standin import message_xml
from web.channels import wechat_protocol as proto

from .conftest import WECHAT_REDIS_URL
from .in_process import signed_query, wechat_client
from .test_protocol import AES_KEY, APP_ID, SAFE, TOKEN, encrypted, plain_query, text_xml

COMPATIBLE = proto.WechatConfig(TOKEN, APP_ID, AES_KEY, "compatible")


def test_with_a_key_plaintext_is_refused_by_default():
    assert SAFE.strict
    with pytest.raises(proto.Rejected) as exc:
        proto.open_message(SAFE, plain_query(), text_xml().encode())
    assert exc.value.status == 403
    raw = proto.Query(*dataclasses.astuple(plain_query())[:4], "raw")
    with pytest.raises(proto.Rejected):
        proto.open_message(SAFE, raw, text_xml().encode())
    q, body = encrypted(text_xml(content="加密的内容"))
    assert proto.open_message(SAFE, q, body).text == "加密的内容"


def test_compatible_mode_accepts_both():
    assert not COMPATIBLE.strict
    assert proto.open_message(COMPATIBLE, plain_query(), text_xml(content="明文").encode()).text == "明文"
    q, body = encrypted(text_xml(content="密文"))
    assert proto.open_message(COMPATIBLE, q, body).text == "密文"


def test_safe_mode_setting_is_checked():
    with pytest.raises(ValueError):
        proto.WechatConfig(TOKEN, APP_ID, "", "strict")  # safe mode without a key
    with pytest.raises(ValueError):
        proto.WechatConfig(TOKEN, APP_ID, AES_KEY, "lenient")


def _flip_last(signature: str) -> str:
    return signature[:-1] + ("0" if signature[-1] != "0" else "1")


def test_a_wrong_signature_of_the_right_length_is_refused():
    good = plain_query()
    forged = dataclasses.replace(good, signature=_flip_last(good.signature))
    assert len(forged.signature) == len(good.signature)
    for call in (
        lambda: proto.verify_url(SAFE, forged, "echo"),
        lambda: proto.open_message(COMPATIBLE, forged, text_xml().encode()),
    ):
        with pytest.raises(proto.Rejected) as exc:
            call()
        assert exc.value.status == 403
    q, body = encrypted(text_xml())
    with pytest.raises(proto.Rejected) as exc:
        proto.open_message(SAFE, dataclasses.replace(q, msg_signature=_flip_last(q.msg_signature)), body)
    assert (exc.value.status, exc.value.reason) == (403, "bad msg_signature")


def test_signatures_are_compared_in_constant_time(monkeypatch):
    """The comparison is hmac.compare_digest's (wechatpy's own checks use ``!=``)."""
    seen: list[tuple[bytes, bytes]] = []
    real = proto.hmac.compare_digest
    monkeypatch.setattr(proto.hmac, "compare_digest", lambda a, b: seen.append((a, b)) or real(a, b))
    q, body = encrypted(text_xml())
    proto.open_message(SAFE, q, body)
    assert [b for _, b in seen] == [q.signature.encode(), q.msg_signature.encode()]


# -- a signed URL works once, through /wechat ---------------------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory, rasa_standin):
    # plaintext (no AES key): the signature covers no body, so the nonce is all there is
    return wechat_client(tmp_path_factory, "safe-mode", rasa_standin.url, TOKEN, wechat_app_id=APP_ID)


def _message(openid: str, content: str, msg_id: int) -> bytes:
    fields = {"ToUserName": "gh_acct", "FromUserName": openid, "CreateTime": int(time.time())}
    return message_xml({**fields, "MsgType": "text", "Content": content, "MsgId": msg_id}).encode()


def test_a_replayed_url_with_another_body_is_refused(client, rasa_standin):
    openid, attacker_target = "o" + uuid.uuid4().hex[:27], "o" + uuid.uuid4().hex[:27]
    msg_id = int(time.time() * 1000)
    query = signed_query(TOKEN)
    assert client.post("/wechat", query_string=query, data=_message(openid, "你好", msg_id)).status_code == 200
    replay = client.post("/wechat", query_string=query, data=_message(attacker_target, "伪造的消息", msg_id + 1))
    assert replay.status_code == 403
    assert rasa_standin.messages_from(attacker_target) == []
    # the same message under the same URL is WeChat delivering it again: answered, processed once
    again = client.post("/wechat", query_string=query, data=_message(openid, "你好", msg_id))
    assert again.status_code == 200
    assert rasa_standin.messages_from(openid) == ["你好"]


def test_a_url_check_cannot_be_reused_for_a_message(client, rasa_standin):
    query = signed_query(TOKEN)
    assert client.get("/wechat", query_string={**query, "echostr": "e1"}).data == b"e1"
    openid = "o" + uuid.uuid4().hex[:27]
    resp = client.post("/wechat", query_string=query, data=_message(openid, "你好", int(time.time() * 1000) + 7))
    assert resp.status_code == 403
    assert rasa_standin.messages_from(openid) == []


def test_a_used_nonce_is_forgotten_when_its_timestamp_goes_stale(client):
    query = signed_query(TOKEN)
    client.post("/wechat", query_string=query, data=_message("o" + uuid.uuid4().hex[:27], "你好", 1))
    ttl = redis.Redis.from_url(WECHAT_REDIS_URL).ttl(f"wechat:nonce:{query['timestamp']}:{query['nonce']}")
    assert proto.TIMESTAMP_WINDOW - 5 <= ttl <= proto.TIMESTAMP_WINDOW + 1
