"""The console over HTTP (Flask's test client; Rasa and the back-office stood in):
login and lockout, CSRF, who may read what, the audit log, and the agent's actions."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from common import settings
from tests.handoff.conftest import BOUND_OPENID, CSRF, PASSWORD, RESIDENT, login
from web.admin.audit import AuditEntry
from web.analytics.models import AnalyticsEvent
from web.conversations.models import Conversation, Message
from web.conversations.router import Inbound
from web.handoff import config
from web.handoff.models import Agent, AgentGroup, CannedReply, Ticket
from web.outbound.models import OutboundMessage

pytestmark = pytest.mark.usefixtures("redis_client")


def ask_for_a_person(app, stand_in, sender: str, channel: str = "wechat", priority: str = "normal") -> int:
    """The resident asks; the (stand-in) bot answers with the handoff payload; returns the conversation id."""
    stand_in.webhook_reply = [
        {
            "recipient_id": sender,
            "text": "好的，我这就帮您转给工作人员。",
            "custom": {"handoff": {"reason": "resident_request", "priority": priority}},
        }
    ]
    replies = app.extensions["router"].handle(Inbound(channel, sender, "/human_handoff"))
    assert replies and "工作人员" in replies[0].text
    with app.extensions["database"].sessions() as sess:
        return sess.scalar(select(Conversation.id).where(Conversation.sender_id == sender))


def audit_actions(app, conversation_id: int | None = None) -> list[str]:
    with app.extensions["database"].sessions() as sess:
        q = select(AuditEntry.action).order_by(AuditEntry.id)
        if conversation_id is not None:
            q = q.where(AuditEntry.conversation_id == conversation_id)
        return list(sess.scalars(q))


# -- nothing without signing in ----------------------------------------------------------


def _without_id(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "message_id"}


def test_no_console_page_or_api_answers_without_login(app):
    client = app.test_client()
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/console") and r.endpoint != "console.login"]
    assert len(rules) >= 15
    for rule in rules:
        path = re.sub(r"<int:\w+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(path, method=method, headers={"Accept": "text/html"})
            assert resp.status_code in (302, 401), (method, path, resp.status_code)
            if resp.status_code == 302:
                assert "/console/login" in resp.headers["Location"]
            assert "王秀英" not in resp.get_data(as_text=True)


def test_behind_a_trusted_proxy_the_audit_log_keeps_the_agents_address_and_cookies_are_secure(
    app, platform_url, redis_url, stand_in
):
    from web.app import create_app

    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # nginx, terminating TLS in front of web

    def failed_login_from(flask_app, base_url: str) -> tuple[str, str]:
        client = flask_app.test_client()
        page = client.get("/console/login", base_url=base_url, headers=forwarded, environ_base=proxy)
        posted = client.post(
            "/console/login",
            base_url=base_url,
            environ_base=proxy,
            headers={**forwarded, "Referer": base_url + "/console/login"},  # as a browser sends it
            data={
                "username": "agent_a",
                "password": "wrong password!",
                "csrf_token": CSRF.search(page.get_data(as_text=True)).group(1),
            },
        )
        assert posted.status_code == 401, posted.get_data(as_text=True)[:300]
        with flask_app.extensions["database"].sessions() as sess:
            entry = sess.scalars(
                select(AuditEntry).where(AuditEntry.action == "login_failed").order_by(AuditEntry.id.desc())
            ).first()
        return entry.remote_addr, page.headers.get("Set-Cookie", "")

    # Not configured: a forwarded header is anyone's to forge, so the proxy's address is recorded.
    assert failed_login_from(app, "http://localhost")[0] == "10.0.0.2"
    config = dataclasses.replace(
        settings.load(),
        database_url=platform_url,
        redis_url=redis_url,
        rasa_urls=(stand_in.url,),
        backoffice_url=stand_in.url,
        secret_key="test-secret",
        trusted_proxies=1,
        public_base_url="https://mz.example.gov.cn",
    )
    proxied = create_app(config)
    try:
        address, cookie = failed_login_from(proxied, "https://localhost")
        assert address == "203.0.113.9"
        assert "; Secure" in cookie and "HttpOnly" in cookie
    finally:
        proxied.extensions["database"].engine.dispose()


def test_a_login_without_csrf_token_is_refused(app):
    resp = app.test_client().post("/console/login", data={"username": "agent_a", "password": PASSWORD})
    assert resp.status_code == 400


def test_wrong_passwords_lock_the_account(app):
    client = app.test_client()
    for _ in range(5):
        assert login(client, "agent_a", "wrong password!").status_code == 401
    resp = login(client, "agent_a")  # the right password, but locked now
    assert resp.status_code == 401 and "锁定" in resp.get_data(as_text=True)
    assert audit_actions(app).count("login_failed") == 4 and "login_locked" in audit_actions(app)
    with app.extensions["database"].sessions.begin() as sess:  # the lock expires
        agent = sess.scalar(select(Agent).where(Agent.username == "agent_a"))
        agent.locked_until = config.utcnow()
    assert login(client, "agent_a").status_code == 302


def test_logout_ends_the_session(app, signed_in):
    client, token = signed_in("agent_a")
    assert client.get("/console/").status_code == 200
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/console/").status_code == 302


# -- CSRF and access by group ------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused(app, stand_in, signed_in):
    conv_id = ask_for_a_person(app, stand_in, "oCsrf")
    client, token = signed_in("agent_a")
    assert client.post(f"/console/conversations/{conv_id}/claim").status_code == 400
    assert client.post(f"/console/conversations/{conv_id}/claim", data={"csrf_token": "forged"}).status_code == 400
    with app.extensions["database"].sessions() as sess:
        assert sess.scalar(select(Ticket.status)) == "waiting"
    assert client.post(f"/console/conversations/{conv_id}/claim", data={"csrf_token": token}).status_code == 302
    with app.extensions["database"].sessions() as sess:
        assert sess.scalar(select(Ticket.status)) == "active"


def test_an_agent_cannot_read_a_conversation_routed_to_another_group(app, stand_in, signed_in):
    conv_id = ask_for_a_person(app, stand_in, "oGroup")
    with app.extensions["database"].sessions.begin() as sess:
        ticket = sess.scalar(select(Ticket))
        ticket.group_id = sess.scalar(select(AgentGroup.id).where(AgentGroup.name == "婚姻组"))
    outsider, outsider_token = signed_in("agent_a")  # 救助组
    for path in (f"/console/conversations/{conv_id}", f"/console/events?conversation={conv_id}"):
        assert outsider.get(path).status_code == 403
    for action in ("reveal", "claim", "reply", "note", "close", "transfer"):
        assert (
            outsider.post(
                f"/console/conversations/{conv_id}/{action}", data={"csrf_token": outsider_token, "text": "x"}
            ).status_code
            == 403
        )
    assert f"/console/conversations/{conv_id}" not in outsider.get("/console/queue/rows").get_data(as_text=True)
    assert audit_actions(app).count("view_denied") == 8
    member, _ = signed_in("agent_b")  # 婚姻组
    assert member.get(f"/console/conversations/{conv_id}").status_code == 200
    supervisor, _ = signed_in("boss")
    assert supervisor.get(f"/console/conversations/{conv_id}").status_code == 200
    assert audit_actions(app, conv_id).count("view_conversation") == 2


def test_a_plain_agent_cannot_open_the_supervisor_or_admin_pages(app, signed_in):
    agent, token = signed_in("agent_a")
    for path in ("/console/supervisor", "/console/canned", "/console/admin"):
        assert agent.get(path).status_code == 403
    assert (
        agent.post("/console/admin/rules", data={"csrf_token": token, "name": "x", "keywords": "y"}).status_code == 403
    )
    supervisor, _ = signed_in("boss")
    assert supervisor.get("/console/supervisor").status_code == 200
    assert supervisor.get("/console/admin").status_code == 403


# -- the conversation view and the audit log -----------------------------------------------


def test_the_conversation_view_shows_transcript_understanding_and_a_masked_profile(app, stand_in, signed_in):
    conv_id = ask_for_a_person(app, stand_in, BOUND_OPENID)
    client, token = signed_in("agent_free")
    page = client.get(f"/console/conversations/{conv_id}").get_data(as_text=True)
    assert "/human_handoff" in page and "好的，我这就帮您转给工作人员。" in page  # the whole transcript
    assert "human_handoff" in page and "marriage_type" in page and "MB20261202001" in page  # what the bot understood
    assert "王秀英" in page and "宜川路" in page
    assert RESIDENT["id_number"] not in page and RESIDENT["phone"] not in page  # masked until revealed
    assert "310***********1234" in page and "138****5678" in page
    assert audit_actions(app, conv_id) == ["view_conversation", "view_verification"]
    revealed = client.post(f"/console/conversations/{conv_id}/reveal", headers={"X-CSRFToken": token}).get_json()
    assert revealed["id_number"] == RESIDENT["id_number"] and revealed["phone"] == RESIDENT["phone"]
    assert audit_actions(app, conv_id) == ["view_conversation", "view_verification", "reveal_profile"]
    assert client.post(f"/console/conversations/{conv_id}/reveal").status_code == 400  # no CSRF token


def test_the_conversation_view_shows_whether_and_how_the_resident_is_verified(app, stand_in, signed_in):
    client, _ = signed_in("agent_free")
    verified = ask_for_a_person(app, stand_in, BOUND_OPENID)
    page = client.get(f"/console/conversations/{verified}").get_data(as_text=True)
    assert "已实名（短信验证码）" in page and "王**" in page and "2026-12-01 绑定" in page
    assert ("GET", f"/identity/bindings/{BOUND_OPENID}") in [(m, p) for m, p, _ in stand_in.calls]
    audited = audit_actions(app, verified)
    assert audited.count("view_verification") == 1

    unbound = ask_for_a_person(app, stand_in, "oNotVerified01")
    page = client.get(f"/console/conversations/{unbound}").get_data(as_text=True)
    assert "实名认证：<strong>未实名</strong>" in page

    web = ask_for_a_person(app, stand_in, "web:visitor-1", channel="web")
    asked_before = len(stand_in.paths())
    page = client.get(f"/console/conversations/{web}").get_data(as_text=True)
    assert "网页对话（未实名）" in page
    assert not [p for p in stand_in.paths()[asked_before:] if p.startswith("/identity/")]  # nothing to ask about


def test_agents_cannot_bind_a_resident(app, stand_in, signed_in):
    """No console route creates or removes a binding: none is named for it, none calls the back-office's binding
    endpoint other than to read it, and a whole desk session reads it only."""
    console_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")]
    assert console_rules and not [r.rule for r in console_rules if "bind" in r.rule or "identity" in r.rule]
    for source in (Path(__file__).parents[2] / "web" / "console").glob("*.py"):
        for line in source.read_text().splitlines():
            if "identity/bindings" in line:
                assert ".get(" in line, f"{source.name}: {line.strip()}"
    conv_id = ask_for_a_person(app, stand_in, BOUND_OPENID)
    client, token = signed_in("agent_free")
    client.get(f"/console/conversations/{conv_id}")
    client.post(f"/console/conversations/{conv_id}/reveal", headers={"X-CSRFToken": token})
    assert [m for m, p, _ in stand_in.calls if p.startswith("/identity/")] == ["GET"]


def _sent_to(app, recipient: str, queued: list[tuple[str, list]]) -> list[str]:
    """What the desk wrote to the resident: the recorded rows, each handed to the sender task."""
    with app.extensions["database"].sessions() as sess:
        rows = sess.scalars(
            select(OutboundMessage).where(OutboundMessage.recipient == recipient).order_by(OutboundMessage.id)
        ).all()
    assert {row.reason for row in rows} <= {"agent"}
    assert sorted(i for task, (ids, _fallback) in queued for i in ids) == [row.id for row in rows]
    return [row.body["content"] for row in rows]


def test_claim_reply_note_and_hand_back_with_a_flow(app, stand_in, signed_in):
    queued: list[tuple[str, list]] = []
    app.extensions["outbound"].enqueue = lambda task, args: queued.append((task, args))
    conv_id = ask_for_a_person(app, stand_in, "oFlow")
    assert "/conversations/oFlow/tracker/events" in stand_in.paths("POST")  # the bot was paused
    pause = [body for m, p, body in stand_in.calls if p.endswith("/tracker/events")]
    assert pause == [{"event": "pause"}]
    client, token = signed_in("agent_free")
    assert client.post(f"/console/conversations/{conv_id}/claim", data={"csrf_token": token}).status_code == 302
    assert "赵敏" in _sent_to(app, "oFlow", queued)[-1]
    resp = client.post(
        f"/console/conversations/{conv_id}/reply",
        json={"text": "您好，结婚登记的材料我帮您看过了。"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert resp.status_code == 200 and resp.get_json()["ok"]
    assert _sent_to(app, "oFlow", queued)[-1] == "您好，结婚登记的材料我帮您看过了。"
    assert (
        client.post(
            f"/console/conversations/{conv_id}/note", data={"csrf_token": token, "text": "已电话核实"}
        ).status_code
        == 302
    )
    # While with the agent, the resident's messages reach the desk, not Rasa.
    webhook_calls = len(stand_in.paths("POST"))
    assert app.extensions["router"].handle(Inbound("wechat", "oFlow", "好的谢谢")) == []
    assert [p for p in stand_in.paths("POST")[webhook_calls:] if p.startswith("/webhooks/")] == []
    asked = "好的，我们接着预约结婚登记。请问您想约哪一天？"
    stand_in.webhook_reply = {
        "messages": [{"recipient_id": "oFlow", "text": asked}],
        "understanding": {
            "intent": "marriage_book",
            "flows": [{"flow": "marriage_book_form", "event": "started", "step": None}],
        },
    }
    resp = client.post(
        f"/console/conversations/{conv_id}/close",
        data={
            "csrf_token": token,
            "outcome": "handed_back",
            "flow": "marriage_book",
            "value_marriage_type": "结婚",
            "value_date": "2026-12-02",
            "value_community": "not-for-this-flow",
        },
    )
    assert resp.status_code == 302
    bodies = [  # the message's id (web/rasa_client.py) is left out: a new one for every message
        (p.rsplit("/", 1)[-1] if not p.endswith("tracker/events") else "events", _without_id(body))
        for m, p, body in stand_in.calls
        if m == "POST"
    ]
    assert ("events", {"event": "resume"}) in bodies
    assert (
        "webhook",
        {
            "sender": "oFlow",
            "message": '/marriage_book{"marriage_type": "结婚", "date": "2026-12-02"}',
            "metadata": {"channel": "wechat"},
        },
    ) == bodies[-1]  # after the resume, like a resident's message
    assert _sent_to(app, "oFlow", queued)[-1] == asked
    with app.extensions["database"].sessions() as sess:  # the flow counts as started; nobody wrote a message
        kinds = [
            (e.kind, e.flow)
            for e in sess.scalars(
                select(AnalyticsEvent).where(AnalyticsEvent.conversation_id == conv_id).order_by(AnalyticsEvent.id)
            )
        ]
    assert ("flow_started", "marriage_book_form") in kinds and not [k for k, _ in kinds if k == "message_in"]
    with app.extensions["database"].sessions() as sess:
        conv = sess.get(Conversation, conv_id)
        ticket = sess.scalar(select(Ticket))
        assert (conv.state, ticket.status, ticket.outcome) == ("bot", "closed", "handed_back")
        authors = [
            m.author
            for m in sess.scalars(select(Message).where(Message.conversation_id == conv_id).order_by(Message.id))
        ]
        assert authors == ["resident", "bot", "agent", "agent", "resident", "bot"]
        assert ticket.notes[0].text == "已电话核实"


def test_an_administrators_rule_sends_a_message_straight_to_the_queue(app, stand_in, signed_in):
    admin, token = signed_in("root")
    resp = admin.post(
        "/console/admin/rules",
        data={"csrf_token": token, "name": "信访", "keywords": "信访，上访", "priority": "urgent", "active": "1"},
    )
    assert resp.status_code == 302
    replies = app.extensions["router"].handle(Inbound("web", "web:rule1", "我要去信访办反映拆迁的事"))
    assert "工作人员" in replies[0].text and "您是下一位" in replies[0].text
    assert [p for p in stand_in.paths() if p.startswith("/webhooks/")] == []  # the bot never saw it
    with app.extensions["database"].sessions() as sess:
        ticket = sess.scalar(select(Ticket))
        assert (ticket.reason, ticket.priority) == ("rule:信访", "urgent")


def test_canned_replies_are_editable_data(app, signed_in):
    supervisor, token = signed_in("boss")
    supervisor.post("/console/canned", data={"csrf_token": token, "title": "节日", "text": "节日期间热线照常服务。"})
    with app.extensions["database"].sessions() as sess:
        assert sess.scalar(select(CannedReply.text).where(CannedReply.title == "节日")) == "节日期间热线照常服务。"
    assert "节日期间热线照常服务。" in supervisor.get("/console/canned").get_data(as_text=True)


def test_the_supervisor_view_has_figures_and_a_chart(app, stand_in, signed_in):
    ask_for_a_person(app, stand_in, "oFig1", priority="urgent")
    ask_for_a_person(app, stand_in, "oFig2")
    supervisor, _ = signed_in("boss")
    page = supervisor.get("/console/supervisor").get_data(as_text=True)
    assert re.search(r'id="fig-waiting">2<', page)
    assert "<svg" in page and 'class="queued"' in page and "cdn" not in page.lower()


def test_the_live_stream_announces_a_new_conversation_within_a_second(app, stand_in, signed_in):
    client, _ = signed_in("agent_free")
    resp = client.get("/console/events", buffered=False)
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    chunks = iter(resp.response)
    assert next(chunks).startswith(b"retry:")
    time.sleep(0.2)  # the subscription is in place once the first chunk is out
    started = time.monotonic()
    conv_id = ask_for_a_person(app, stand_in, "oLive")
    received = b""
    while b"event: queue" not in received:
        received += next(chunks)
    assert time.monotonic() - started < 1.5
    event = json.loads(received.split(b"data: ", 1)[1].split(b"\n", 1)[0])
    assert event == {"conversation_id": conv_id, "status": "waiting"}
    resp.close()


def test_streams_per_process_are_bounded(app, signed_in):
    client, _ = signed_in("agent_free")
    streams = [client.get("/console/events", buffered=False) for _ in range(4)]
    assert all(s.status_code == 200 for s in streams)
    assert client.get("/console/events", buffered=False).status_code == 503
    streams[0].close()
    again = client.get("/console/events", buffered=False)
    assert again.status_code == 200
    for s in streams[1:] + [again]:
        s.close()


def test_an_agent_corrects_what_the_bot_understood_and_the_review_inbox_gets_it(app, stand_in, signed_in):
    from web.review import export
    from web.review.models import ReviewItem

    conv_id = ask_for_a_person(app, stand_in, "oCorrect")
    other_id = ask_for_a_person(app, stand_in, "oCorrectOther")
    app.extensions["router"].handle(Inbound("wechat", "oCorrect", "我叫王秀英，电话13812345678，想问问老人吃饭的地方"))
    with app.extensions["database"].sessions() as sess:
        said = sess.scalars(
            select(Message).where(Message.conversation_id == conv_id, Message.author == "resident").order_by(Message.id)
        ).all()[-1]
        bot_line = sess.scalar(select(Message.id).where(Message.conversation_id == conv_id, Message.author == "bot"))
        elsewhere = sess.scalar(
            select(Message.id).where(Message.conversation_id == other_id, Message.author == "resident")
        )
        tapped = sess.scalar(
            select(Message.id).where(Message.conversation_id == conv_id, Message.text == "/human_handoff")
        )
    client, token = signed_in("agent_free")
    page = client.get(f"/console/conversations/{conv_id}").get_data(as_text=True)
    assert f"/messages/{said.id}/correct" in page and 'value="eldercare_find"' in page
    url = f"/console/conversations/{conv_id}/messages/{said.id}/correct"
    assert client.post(url, data={"intent": "eldercare_find"}).status_code == 400  # no CSRF token
    assert client.post(url, data={"csrf_token": token, "intent": "not_an_intent"}).status_code == 302
    assert (
        client.post(
            f"/console/conversations/{conv_id}/messages/{bot_line}/correct",
            json={"intent": "eldercare_find"},
            headers={"X-CSRFToken": token},
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/console/conversations/{conv_id}/messages/{tapped}/correct",  # a payload, not words
            json={"intent": "eldercare_find"},
            headers={"X-CSRFToken": token},
        ).status_code
        == 404
    )
    assert f"/messages/{tapped}/correct" not in page
    assert (
        client.post(
            f"/console/conversations/{conv_id}/messages/{elsewhere}/correct",
            json={"intent": "eldercare_find"},
            headers={"X-CSRFToken": token},
        ).status_code
        == 404
    )
    with app.extensions["database"].sessions() as sess:
        assert sess.scalars(select(ReviewItem).where(ReviewItem.reason == "agent_corrected")).all() == []
    resp = client.post(url, data={"csrf_token": token, "intent": "eldercare_find"})
    assert resp.status_code == 302
    with app.extensions["database"].sessions() as sess:
        item = sess.scalar(select(ReviewItem).where(ReviewItem.message_id == said.id))
        assert (item.reason, item.status, item.label, item.reviewed_by) == (
            "agent_corrected",
            "labelled",
            "eldercare_find",
            "agent_free",
        )
        assert "13812345678" not in item.text
        examples, _ = export.collect([item], set())
    assert "correct_intent" in audit_actions(app, conv_id)
    exported = export.nlu_yaml(examples)
    assert "eldercare_find" in exported and "13812345678" not in exported and "王秀英" not in exported
