"""Property: whatever arrives at /wechat or /webhooks/rest/webhook, the answer is never a 500.

The app runs in-process (Flask's test client) against real Redis and a Rasa stand-in, so
hypothesis can try many requests: random query strings, random bytes, random XML-ish
bodies, and correctly signed messages with random fields.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.wechat_standin import message_xml

from .in_process import signed_query, wechat_client

TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def client(tmp_path_factory, redis_url, rasa_standin):
    return wechat_client(
        tmp_path_factory, "fuzz", rasa_standin.url, TOKEN, wechat_app_id="wx_fuzz", resident_rate_limit=1000
    )


texts = st.text(max_size=300)
fields = st.dictionaries(
    st.sampled_from(
        [
            "ToUserName",
            "FromUserName",
            "CreateTime",
            "MsgType",
            "Content",
            "MsgId",
            "Event",
            "EventKey",
            "Recognition",
            "Location_X",
            "Location_Y",
            "MsgID",
            "Status",
            "Encrypt",
        ]
    ),
    st.one_of(texts, st.integers(), st.floats(allow_nan=True)),
    max_size=10,
)
queries = st.dictionaries(
    st.sampled_from(["signature", "timestamp", "nonce", "msg_signature", "encrypt_type", "echostr", "openid"]),
    texts,
    max_size=7,
)
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@FUZZ
@given(query=queries, body=st.binary(max_size=2000))
def test_random_requests_never_get_a_500(client, query, body):
    assert client.post("/wechat", query_string=query, data=body).status_code < 500
    assert client.get("/wechat", query_string=query).status_code < 500


@FUZZ
@given(message=fields, encrypt=st.sampled_from([None, "aes", "raw", "x"]))
def test_signed_messages_with_random_fields_never_get_a_500(client, message, encrypt):
    query = signed_query(TOKEN) | ({"encrypt_type": encrypt} if encrypt else {})
    try:
        body = message_xml(message).encode("utf-8", errors="surrogatepass")
    except UnicodeEncodeError:
        body = b"<xml/>"
    assert client.post("/wechat", query_string=query, data=body).status_code < 500


@FUZZ
@given(
    payload=st.one_of(
        st.none(),
        st.integers(),
        texts,
        st.lists(texts, max_size=3),
        st.fixed_dictionaries(
            {
                "sender": st.one_of(texts, st.integers(), st.none()),
                "message": st.one_of(texts, st.integers(), st.none()),
            }
        ),
    )
)
def test_the_rest_channel_never_answers_500(client, payload):
    assert client.post("/webhooks/rest/webhook", json=payload).status_code < 500
