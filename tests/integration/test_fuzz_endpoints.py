"""Fuzz of every endpoint of the web app (security review, item 12): random bodies, sizes,
encodings and unicode never get a 5xx, an endpoint behind the console's login answers 302/401/403
(or 400 for a POST without its CSRF token), and a message accepted is in the transcript.

The routes are read from the app's URL map, so a new endpoint is fuzzed without anyone listing it.
The app runs in-process against real PostgreSQL, real Redis and the real back-office; Rasa is a
stand-in that echoes (tests/integration/conftest.py): the subject is the web layer.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import Rule

from common.plain_text import is_name, plain
from tests.integration.conftest import WECHAT_TOKEN
from tools.wechat_standin import message_xml, wechat_signature
from web.conversations.models import Conversation, Message

LOGIN_REQUIRED = ("/console/", "/admin/")
OPEN_UNDER_THEM = {"console.login"}
RESIDENT_FACING = {"rest_channel.receive", "wechat_channel.receive", "policy_public.apply", "policy_public.opened"}
EXAMPLES, RESIDENT_EXAMPLES = 6, 30  # per route and method: the whole file stays within about a minute

QUICK = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None)

texts = st.text(max_size=200) | st.text(st.characters(max_codepoint=0x1F), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=10,
)
ENCODINGS = ["utf-8", "utf-16", "gbk", "latin-1", "utf-32"]


@st.composite
def bodies(draw) -> dict[str, Any]:
    """A request body of any kind: raw bytes, JSON (of any value, in any encoding), a form, big."""
    kind = draw(st.sampled_from(["bytes", "json", "encoded", "form", "big", "none"]))
    if kind == "bytes":
        return {"data": draw(st.binary(max_size=2000)), "content_type": draw(st.sampled_from(["", "text/xml"]))}
    if kind == "json":
        return {"data": json.dumps(draw(json_values)), "content_type": "application/json"}
    if kind == "encoded":
        encoding = draw(st.sampled_from(ENCODINGS))
        text = json.dumps({"sender": draw(texts), "message": draw(texts)}, ensure_ascii=draw(st.booleans()))
        return {
            "data": text.encode(encoding, errors="replace"),
            "content_type": f"application/json; charset={draw(st.sampled_from(ENCODINGS))}",
        }
    if kind == "form":
        return {"data": draw(st.dictionaries(st.sampled_from(["csrf_token", "action", "name", "q"]), texts))}
    if kind == "big":
        return {"data": b"x" * draw(st.sampled_from([64 * 1024, 300 * 1024])), "content_type": "application/json"}
    return {}


def _any_items(rule: Rule, name: str) -> list[str]:
    found = re.search(rf"<any\(([^)]*)\):{name}>", rule.rule)
    return [item.strip() for item in found.group(1).split(",")] if found else ["x"]


def path_values(rule: Rule) -> st.SearchStrategy[dict[str, Any]]:
    values: dict[str, st.SearchStrategy[Any]] = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind == "IntegerConverter":
            values[name] = st.integers(0, 10**20)
        elif kind == "AnyConverter":
            values[name] = st.sampled_from(_any_items(rule, name))
        else:  # a path segment: werkzeug builds "/" into the URL as it is, so it would name another route; a lone
            # surrogate cannot be put in a URL at all (no client can send one: werkzeug's quote raises building it)
            values[name] = st.text(
                st.characters(exclude_characters="/", exclude_categories=("Cs",)), min_size=1, max_size=300
            )
    return st.fixed_dictionaries(values)


def routes(app) -> list[tuple[Rule, str]]:
    return sorted(
        ((rule, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}),
        key=lambda pair: (pair[0].rule, pair[1]),
    )


def needs_login(rule: Rule) -> bool:
    return rule.rule.startswith(LOGIN_REQUIRED) and rule.endpoint not in OPEN_UNDER_THEM


def fuzz(client, adapter, rule: Rule, method: str) -> None:
    """Random requests to one route and method."""

    @settings(max_examples=RESIDENT_EXAMPLES if rule.endpoint in RESIDENT_FACING else EXAMPLES, **QUICK)
    @given(values=path_values(rule), query=st.dictionaries(texts, texts, max_size=4), body=bodies())
    def one(values, query, body):
        url = adapter.build(rule.endpoint, values, method=method)
        resp = client.open(url, method=method, query_string=query, **body)
        assert resp.status_code < 500, (method, url, resp.status_code, resp.get_data()[:300])
        if needs_login(rule):
            refused = resp.status_code in (302, 401, 403) or (method == "POST" and resp.status_code == 400)
            assert refused, (method, url, resp.status_code)

    one()


def test_every_endpoint_answers_any_request_without_a_5xx(platform_app):
    app = platform_app.app
    adapter, client = app.url_map.bind("localhost"), app.test_client()
    tried = []
    for rule, method in routes(app):
        fuzz(client, adapter, rule, method)
        tried.append(f"{method} {rule.rule}")
    assert {"POST /webhooks/rest/webhook", "POST /wechat", "GET /policy/r/<token>", "GET /readyz"} <= set(tried)


def resident_lines(sessions, sender_id: str) -> list[str]:
    with sessions() as sess:
        return list(
            sess.scalars(
                select(Message.text)
                .join(Conversation)
                .where(Conversation.sender_id == sender_id, Message.author == "resident")
                .order_by(Message.id)
            )
        )


@settings(max_examples=60, **QUICK)
@given(
    sender=st.text(max_size=20) | st.text(st.characters(max_codepoint=0x7F), max_size=10),
    message=st.text(max_size=300) | st.text(st.characters(max_codepoint=0x7F), max_size=30),
    surrogate=st.booleans(),
)
def test_a_rest_message_answered_200_is_in_the_transcript(platform_app, sender, message, surrogate):
    sender = f"fz-{uuid.uuid4().hex[:12]}-{sender}"
    message = ("\ud83d" if surrogate else "") + message  # half of a pair, as JSON can carry it
    body = json.dumps({"sender": sender, "message": message})
    resp = platform_app.app.test_client().post("/webhooks/rest/webhook", data=body, content_type="application/json")
    assert resp.status_code < 500
    if not is_name(sender):
        assert resp.status_code == 400
        return
    said = plain(message).strip()
    if resp.status_code == 200 and said:
        assert resident_lines(platform_app.sessions, f"web:{sender.strip()}") == [said]


MSG_IDS = count(int(time.time() * 1000))


@settings(max_examples=40, **QUICK)
@given(content=st.text(max_size=300))
def test_a_signed_wechat_text_answered_200_is_in_the_transcript(platform_app, content):
    openid = f"oFz{uuid.uuid4().hex[:20]}"
    ts, nonce = str(int(time.time())), uuid.uuid4().hex
    query = {"signature": wechat_signature(WECHAT_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    xml = message_xml(
        {
            "ToUserName": "gh_fuzz",
            "FromUserName": openid,
            "CreateTime": int(ts),
            "MsgType": "text",
            "Content": content,
            "MsgId": next(MSG_IDS),
        }
    )
    resp = platform_app.app.test_client().post(
        "/wechat", query_string=query, data=xml.encode("utf-8", errors="surrogatepass")
    )
    assert resp.status_code < 500
    said = plain(content.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if resp.status_code == 200 and said and len(said) <= 2000:
        deadline = time.monotonic() + 10  # the line is written just after the passive reply leaves
        while not (found := resident_lines(platform_app.sessions, openid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert found == [said]
