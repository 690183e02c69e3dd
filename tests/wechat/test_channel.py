"""The WeChat channel end to end: the WeChat stand-in (safe mode) → real web + Celery worker
processes → a Rasa stand-in whose speed each test sets → customer-service API on the stand-in.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from kombu.exceptions import OperationalError as KombuOperationalError
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, text, update

from tests.waiting import wait_for
from tools import stack
from tools.wechat_standin import WechatStandin, message_xml, wechat_signature
from web.conversations.models import Conversation
from web.documents.intake import TEXTS as DOCUMENT_TEXTS
from web.outbound import Outbound, Template, sweep
from web.outbound.models import OutboundMessage, ResidentConsent
from web.rasa_client import BotMessage, Button
from web.texts import text as channel_text

from .conftest import AES_KEY, APP_ID, APP_SECRET, BUDGET, TOKEN


def new_openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def outbound_rows(stack, openid: str) -> list[OutboundMessage]:
    with stack.sessions() as sess:
        return list(
            sess.scalars(
                select(OutboundMessage).where(OutboundMessage.recipient == openid).order_by(OutboundMessage.id)
            )
        )


def settled_rows(stack, openid: str, count: int, timeout: float = 20.0) -> list[OutboundMessage]:
    """The resident's outbound rows once ``count`` of them are settled (neither queued nor being sent)."""
    return wait_for(
        lambda: (
            (rows := outbound_rows(stack, openid))
            and len([r for r in rows if r.status not in ("queued", "sending")]) >= count
            and rows
        ),
        timeout,
    )


def resident_lines(stack, openid: str) -> list[str]:
    with stack.sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == openid))
        return [m.text for m in conv.messages if m.author == "resident"] if conv else []


def recorded(stack, openid: str, count: int) -> list[str]:
    """The resident's transcript lines once there are ``count``: the passive reply leaves
    before the worker thread records the turn."""
    return wait_for(lambda: len(lines := resident_lines(stack, openid)) >= count and lines) or resident_lines(
        stack, openid
    )


def test_a_quick_answer_is_a_passive_reply_encrypted_both_ways(wechat_stack):
    openid = new_openid()
    delivery = wechat_stack.standin.send_text(openid, "你好")
    assert (delivery.status, delivery.error, delivery.attempts) == (200, None, 1)
    assert delivery.reply == "收到：你好"  # the stand-in decrypted it and checked signature and AppID
    assert "<Encrypt>" in delivery.raw and "收到" not in delivery.raw
    assert wechat_stack.rasa.messages_from(openid) == ["你好"]


def test_the_passive_reply_does_not_wait_for_the_transcript(wechat_stack):
    """The turn is recorded after the reply leaves: with the conversation's row locked by
    someone else (a slow database), the resident is answered at once and the lines follow."""
    openid = new_openid()
    wechat_stack.standin.send_text(openid, "你好")  # the conversation exists
    recorded(wechat_stack, openid, 1)
    with wechat_stack.sessions() as holder:
        holder.execute(select(Conversation).where(Conversation.sender_id == openid).with_for_update())
        started = time.monotonic()
        answer = wechat_stack.standin.send_text(openid, "低保怎么申请")
        took = time.monotonic() - started
        assert answer.reply and took < 2.0, (answer, took)
        time.sleep(0.5)
        assert resident_lines(wechat_stack, openid) == ["你好"]  # waiting behind the lock
        holder.rollback()
    assert recorded(wechat_stack, openid, 2) == ["你好", "低保怎么申请"]


def test_a_turn_the_database_refuses_to_record_is_still_answered_counted_and_logged(wechat_stack):
    """The record comes after the reply: when the database refuses it (here a trigger,
    for this one message), the resident has the answer and operations are told."""
    openid, said = new_openid(), "这句话数据库不让记"
    engine = wechat_stack.sessions.kw["bind"]
    with engine.begin() as conn:
        conn.execute(
            text(f"""CREATE FUNCTION refuse_line() RETURNS trigger AS $$ BEGIN
            IF NEW.text = '{said}' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$
            LANGUAGE plpgsql""")
        )
        conn.execute(
            text("CREATE TRIGGER refuse_line BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION refuse_line()")
        )
    try:
        answer = wechat_stack.standin.send_text(openid, said)
        assert answer.reply and answer.error is None, answer
        unrecorded = wait_for(
            lambda: _web_samples(wechat_stack).get(
                ("transcript_unrecorded_turns_total", frozenset({("channel", "wechat")}))
            )
        )
        assert unrecorded and unrecorded >= 1
        log = (wechat_stack.log_dir / "web.log").read_text(errors="replace")
        assert "bot turn answered but not recorded in the transcript" in log
        assert resident_lines(wechat_stack, openid) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_line ON message"))
            conn.execute(text("DROP FUNCTION refuse_line()"))
    wechat_stack.standin.send_text(openid, "你好")  # recorded again once the database takes it
    assert recorded(wechat_stack, openid, 1) == ["你好"]


def _web_samples(wechat_stack) -> dict[tuple[str, frozenset], float]:
    return _samples(wechat_stack.url + "/metrics")


@pytest.mark.parametrize(
    "case", ["forged_signature", "stale_timestamp", "wrong_appid", "entity_bomb", "oversized", "malformed"]
)
def test_rejected_requests_reach_nobody(wechat_stack, case):
    openid = new_openid()
    ts, nonce = str(int(time.time())), secrets.token_hex(5)  # a fresh nonce: a used one is refused
    plain = message_xml(
        {
            "ToUserName": "gh",
            "FromUserName": openid,
            "CreateTime": int(ts),
            "MsgType": "text",
            "Content": "你好",
            "MsgId": 990000 + len(case),
        }
    )
    params = {"signature": wechat_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    body = plain.encode()
    if case == "forged_signature":
        params["signature"] = wechat_signature("guessed-token", ts, nonce)
    elif case == "stale_timestamp":
        old = str(int(ts) - 3600)
        params.update(timestamp=old, signature=wechat_signature(TOKEN, old, nonce))
    elif case == "wrong_appid":
        other = WechatStandin("http://unused", TOKEN, "wx_not_ours", "x", AES_KEY)
        params, text = other._sign(plain, openid)
        body = text.encode()
    elif case == "entity_bomb":
        body = (
            f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "{"A" * 1000}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            f"<xml><FromUserName>{openid}</FromUserName><MsgType>text</MsgType><Content>&b;</Content></xml>"
        ).encode()
    elif case == "oversized":
        body = plain.replace("你好", "长" * 100_000).encode()
    else:
        body = plain.encode()[:-10]
    resp = requests.post(wechat_stack.url + "/wechat", params=params, data=body, timeout=10)
    assert resp.status_code in (400, 403, 413)
    assert wechat_stack.rasa.messages_from(openid) == []
    with wechat_stack.sessions() as sess:
        assert sess.scalar(select(Conversation).where(Conversation.sender_id == openid)) is None


def test_duplicate_deliveries_are_processed_once_and_answered_alike(wechat_stack):
    openid = new_openid()
    wechat_stack.rasa.behave(openid, delay=0.5)
    msg_id = int(time.time() * 1000)
    with ThreadPoolExecutor(4) as pool:
        deliveries = list(
            pool.map(lambda _: wechat_stack.standin.send_text(openid, "低保标准多少", msg_id=msg_id), range(4))
        )
    assert wechat_stack.rasa.messages_from(openid) == ["低保标准多少"]
    assert {d.reply for d in deliveries} == {"收到：低保标准多少"}
    again = wechat_stack.standin.send_text(openid, "低保标准多少", msg_id=msg_id)  # a late retry
    assert again.reply == "收到：低保标准多少" and len(wechat_stack.rasa.messages_from(openid)) == 1


def test_a_slow_bot_gets_success_then_customer_service_messages_in_order(wechat_stack):
    openid = new_openid()
    parts = [f"第{i}部分：" + "请您带好户口本和身份证。" * 50 for i in (1, 2, 3)]  # ~1.8 KB: no two fit in one message
    wechat_stack.rasa.behave(openid, delay=BUDGET + 1.5, replies=[{"text": p} for p in parts])
    started = time.monotonic()
    delivery = wechat_stack.standin.send_text(openid, "结婚登记要带什么")
    assert delivery.reply is None and delivery.raw == "success" and delivery.attempts == 1
    assert time.monotonic() - started < BUDGET + 1.0  # WeChat was answered within the budget, not after the bot
    inbox = wechat_stack.standin.wait_inbox(openid, 3, timeout=20)
    assert [m["text"]["content"] for m in inbox] == parts
    rows = settled_rows(wechat_stack, openid, 3)
    assert [(r.status, r.reason, r.errcode) for r in rows] == [("sent", "slow_reply", 0)] * 3


def test_messages_recorded_while_the_broker_is_down_go_out_once_when_it_is_back(wechat_stack):
    openid = new_openid()
    wechat_stack.rasa.behave(openid)
    wechat_stack.standin.send_text(openid, "你好")  # the customer-service window is open

    def broker_down(task: str, args: list) -> None:
        raise KombuOperationalError("Error 111 connecting to redis:6379. Connection refused.")

    down = Outbound(wechat_stack.sessions, wechat_stack.redis, enqueue=broker_down)
    first = down.deliver(openid, [BotMessage(text="工作人员：您好，材料我看过了。")], reason="agent")
    second = down.deliver(openid, [BotMessage(text="工作人员：周三上午来办就行。")], reason="agent")  # no exception
    assert [(r.status, r.attempts) for r in outbound_rows(wechat_stack, openid)] == [("queued", 0)] * 2

    broker = wechat_stack.outbound().enqueue
    assert sweep.requeue_unsent(wechat_stack.sessions, broker) == 0  # not yet stale: a task may still be on its way
    assert sweep.requeue_unsent(wechat_stack.sessions, broker, stale_after=timedelta(0)) == 2
    broker("wechat.send_texts", [first + second, None])  # the same two again, as if the first task were only slow
    inbox = wechat_stack.standin.wait_inbox(openid, 2)
    assert [m["text"]["content"] for m in inbox[:2]] == [
        "工作人员：您好，材料我看过了。",
        "工作人员：周三上午来办就行。",
    ]
    rows = settled_rows(wechat_stack, openid, 2)
    assert [(r.id, r.status, r.attempts) for r in rows] == [(first[0], "sent", 1), (second[0], "sent", 1)]
    assert sweep.requeue_unsent(wechat_stack.sessions, broker, stale_after=timedelta(0)) == 0

    # A worker died in the middle of sending: the row stays `sending` until the sweep calls it stalled.
    [third] = down.deliver(openid, [BotMessage(text="工作人员：还有问题随时找我。")], reason="agent")
    with wechat_stack.sessions.begin() as sess:
        long_ago = sess.scalar(select(func.now())).replace(tzinfo=None) - timedelta(minutes=11)
        sess.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == third)
            .values(status="sending", attempts=1, last_attempt_at=long_ago)
        )
    # WeChat may have taken it before the worker died: it is in doubt, for a person to decide
    # (docs/security.md, rule 6), never sent a second time by the sweep.
    assert sweep.requeue_unsent(wechat_stack.sessions, broker) == 0
    with wechat_stack.sessions() as sess:
        assert sess.get(OutboundMessage, third).status == "in_doubt"
    # The duplicate task queued long before has run by now: still each message once.
    assert len(wechat_stack.standin.inbox(openid)) == 2


def test_messages_written_in_a_callers_transaction_leave_only_after_it_commits(wechat_stack):
    """What the outbox's notice uses: the claim and the message are one transaction."""
    openid = new_openid()
    wechat_stack.rasa.behave(openid)
    wechat_stack.standin.send_text(openid, "你好")
    outbound = wechat_stack.outbound()
    with pytest.raises(RuntimeError), wechat_stack.sessions.begin() as sess:
        outbound.record(sess, openid, [BotMessage(text="这条不该发出去。")], reason="notification")
        raise RuntimeError("the caller's claim failed")
    assert outbound_rows(wechat_stack, openid) == []
    with wechat_stack.sessions.begin() as sess:
        recorded = outbound.record(
            sess, openid, [BotMessage(text="您的申请编号是 A1。")], reason="notification", ref="o-1"
        )
    assert [(r.status, r.ref) for r in outbound_rows(wechat_stack, openid)] == [
        ("queued", "o-1")
    ]  # not yet handed over
    assert outbound.dispatch(recorded) == recorded.ids
    assert wechat_stack.standin.wait_inbox(openid, 1)[0]["text"]["content"] == "您的申请编号是 A1。"
    assert [(r.status, r.attempts) for r in settled_rows(wechat_stack, openid, 1)] == [("sent", 1)]


def test_a_reply_longer_than_wechat_allows_is_split(wechat_stack):
    openid = new_openid()
    long_text = "低保申请需要提供家庭成员的收入和财产情况。" * 150  # ~9.5 KB
    wechat_stack.rasa.behave(openid, replies=[{"text": long_text}])
    assert wechat_stack.standin.send_text(openid, "低保怎么申请").raw == "success"  # no passive reply can hold it
    inbox = wechat_stack.standin.wait_inbox(openid, 5, timeout=20)
    pieces = [m["text"]["content"] for m in inbox]
    assert len(pieces) == 5 and all(len(p.encode()) <= 2048 for p in pieces) and "".join(pieces) == long_text


def test_wechat_retries_after_5s_get_success_and_the_bot_runs_once(wechat_stack):
    """WeChat's retry timing, scaled down: the stand-in gives up on an answer sooner than our budget."""
    impatient = WechatStandin(
        wechat_stack.url + "/wechat",
        TOKEN,
        APP_ID,
        APP_SECRET,
        AES_KEY,
        mode="safe",
        reply_timeout=BUDGET * 2 / 3,
        retries=3,
    )
    openid = new_openid()
    wechat_stack.standin.send_event(openid, "subscribe")  # the API side is the main stand-in: open its window
    wechat_stack.rasa.behave(openid, delay=BUDGET + 1.0, replies=[{"text": "慢慢来的回答"}])
    delivery = impatient.send_text(openid, "长护险怎么评估")
    assert delivery.attempts == 2 and delivery.reply is None and delivery.raw == "success"
    assert wechat_stack.rasa.messages_from(openid) == ["长护险怎么评估"]
    inbox = wechat_stack.standin.wait_inbox(openid, 1, timeout=20)
    assert [m["text"]["content"] for m in inbox] == ["慢慢来的回答"]


def test_buttons_are_numbered_and_a_number_picks_the_payload(wechat_stack):
    openid = new_openid()
    wechat_stack.rasa.behave(
        openid,
        replies=[
            {
                "text": "您要办哪种登记？",
                "buttons": [
                    {"title": "结婚登记", "payload": '/marriage_book{"marriage_type": "结婚"}'},
                    {"title": "离婚登记", "payload": '/marriage_book{"marriage_type": "离婚"}'},
                ],
            }
        ],
    )
    first = wechat_stack.standin.send_text(openid, "我要预约")
    assert "1. 结婚登记" in first.reply and "2. 离婚登记" in first.reply
    assert recorded(wechat_stack, openid, 1) == ["我要预约"]  # each line in before the next message: ids in order
    wechat_stack.rasa.behave(openid)
    wechat_stack.standin.send_text(openid, "２")
    assert wechat_stack.rasa.messages_from(openid)[-1] == '/marriage_book{"marriage_type": "离婚"}'
    assert recorded(wechat_stack, openid, 2) == ["我要预约", "２"]
    wechat_stack.standin.send_text(openid, "2")  # the last turn had no buttons: a number is just text
    assert wechat_stack.rasa.messages_from(openid)[-1] == "2"
    assert recorded(wechat_stack, openid, 3)[-1] == "2"
    # Intent syntax only comes from the server (choices, menus): typed, it is words for the NLU.
    wechat_stack.standin.send_text(openid, '/marriage_book{"marriage_type": "离婚", "date": "2026-01-01"}')
    assert (
        wechat_stack.rasa.messages_from(openid)[-1] == '／marriage_book{"marriage_type": "离婚", "date": "2026-01-01"}'
    )
    assert recorded(wechat_stack, openid, 4)[-1].startswith("/marriage_book")  # as typed


def test_the_web_chat_passes_button_payloads_but_never_an_intent_only_the_platform_sends(wechat_stack):
    sender = "web-" + uuid.uuid4().hex[:8]
    rasa_sender = "web:" + sender

    def say(message: str) -> str:
        wechat_stack.rasa.behave(rasa_sender)
        resp = requests.post(
            wechat_stack.url + "/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=15
        )
        assert resp.status_code == 200, resp.text
        return wechat_stack.rasa.messages_from(rasa_sender)[-1]

    tapped = '/feedback_answer{"feedback_level": "5"}'  # a rating button, as Rasa's widgets send it
    assert say(tapped) == tapped
    forged = '/feedback_request{"feedback_task": "marriage_booking"}'  # only the platform asks for a rating
    assert say(forged) == "／" + forged[1:]
    assert say(" /feedback_request @0.99 ") == "／feedback_request @0.99"
    with wechat_stack.sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == rasa_sender))
        assert [m.text for m in conv.messages if m.author == "resident"] == [tapped, forged, "/feedback_request @0.99"]


def test_the_web_chat_maps_a_typed_number_to_a_button_of_the_last_turn(wechat_stack):
    """As on WeChat: a bare number picks that button of the turn before (the transcript keeps the number); with no
    buttons offered a number is just text. Buttons delivered later through the mailbox (an agent's, a handback's)
    count as well."""
    sender = "web-" + uuid.uuid4().hex[:8]
    rasa_sender = "web:" + sender

    def say(message: str, replies: list[dict] | None = None) -> str:
        wechat_stack.rasa.behave(rasa_sender, replies=replies)
        resp = requests.post(
            wechat_stack.url + "/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=15
        )
        assert resp.status_code == 200, resp.text
        return wechat_stack.rasa.messages_from(rasa_sender)[-1]

    offices = {
        "text": "请问您想去哪个婚姻登记处办理？",
        "buttons": [
            {"title": "普陀区婚姻登记中心（曹杨路1040弄2号）", "payload": "普陀区婚姻登记中心"},
            {"title": "宝山区婚姻登记中心（友谊路1号）", "payload": "宝山区婚姻登记中心"},
        ],
    }
    assert say("2") == "2"  # nothing offered yet
    say("我想预约", replies=[offices])
    assert say("２", replies=[{"text": "好的"}]) == "宝山区婚姻登记中心"
    assert say("第二个") == "第二个"  # the last turn had no buttons
    say("我想预约", replies=[offices, {"text": "也可以直接说名字"}])  # the choices on screen are the last buttons
    assert say("第一个") == "普陀区婚姻登记中心"
    assert say("3") == "3"  # answered with the stand-in's echo, no buttons: nothing to pick from
    wechat_stack.outbound().deliver(
        rasa_sender,
        [BotMessage(text="请选一个时段", buttons=(Button("09:00-10:00", "09:00"), Button("10:00-11:00", "10:00")))],
        reason="agent",
    )
    assert say("2") == "10:00"
    with wechat_stack.sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == rasa_sender))
        assert [m.text for m in conv.messages if m.author == "resident"] == [
            "2",
            "我想预约",
            "２",
            "第二个",
            "我想预约",
            "第一个",
            "3",
            "2",
        ]


def test_voice_location_and_other_message_types(wechat_stack):
    standin, rasa = wechat_stack.standin, wechat_stack.rasa
    openid = new_openid()
    assert standin.send_voice(openid, "附近有没有长者食堂").reply == "收到：附近有没有长者食堂"
    assert rasa.requests_from(openid)[-1]["metadata"] == {"channel": "wechat", "input": "voice"}
    assert standin.send_voice(openid, "").reply == channel_text("no_recognition")
    standin.send_location(openid, 31.2494, 121.3975, "上海市普陀区长寿路")
    sent = rasa.requests_from(openid)[-1]
    assert sent["message"] == '/eldercare_find{"latitude": 31.2494, "longitude": 121.3975}'
    assert sent["metadata"]["location"] == {"latitude": 31.2494, "longitude": 121.3975, "label": "上海市普陀区长寿路"}
    # an image is a document for the resident's applications (web/documents; this stack has no back-office)
    assert standin.send_image(openid).reply == DOCUMENT_TEXTS["unavailable"]
    assert len(rasa.requests_from(openid)) == 2  # the empty voice and the image never reached the bot


def test_subscribe_welcomes_unsubscribe_withdraws_consent_and_menu_clicks_start_flows(wechat_stack):
    standin, rasa = wechat_stack.standin, wechat_stack.rasa
    openid = new_openid()
    assert standin.send_event(openid, "subscribe").reply == channel_text("welcome")
    standin.send_event(openid, "CLICK", key="MARRIAGE_BOOK")
    assert rasa.messages_from(openid) == ["/marriage_book"]
    standin.send_event(openid, "CLICK", key="NO_SUCH_KEY")
    standin.send_event(openid, "VIEW", key="https://example.gov.cn/")
    assert rasa.messages_from(openid) == ["/marriage_book"]
    with wechat_stack.sessions() as sess:
        assert sess.get(ResidentConsent, openid).push_allowed is True
    assert recorded(wechat_stack, openid, 1) == ["[菜单] 预约登记"]  # written just after the passive reply
    assert standin.send_event(openid, "unsubscribe").raw == "success"
    with wechat_stack.sessions() as sess:
        row = sess.get(ResidentConsent, openid)
        assert (row.subscribed, row.push_allowed, row.reason) == (False, False, "unsubscribe")
        assert row.withdrawn_at is not None


def test_per_resident_rate_limit_answers_politely(wechat_stack):
    openid, other = new_openid(), new_openid()
    if time.time() % 60 > 45:  # the limit counts per clock minute: start well inside one
        time.sleep(61 - time.time() % 60)
    replies = [wechat_stack.standin.send_text(openid, f"第{i}条").reply for i in range(22)]
    assert replies[:20] == [f"收到：第{i}条" for i in range(20)]
    assert replies[20:] == [channel_text("rate_limited")] * 2
    assert len(wechat_stack.rasa.messages_from(openid)) == 20
    assert wechat_stack.standin.send_text(other, "你好").reply == "收到：你好"  # others are not affected


def test_template_messages_get_their_delivery_receipt(wechat_stack):
    openid = new_openid()
    wechat_stack.standin.send_event(openid, "subscribe")
    row_id = wechat_stack.outbound().send_template(
        openid,
        Template("TPL_STATUS", {"thing1": "最低生活保障申请", "phrase2": "已受理"}),
        reason="status",
        ref="change-1",
    )
    row = wait_for(lambda: (rows := outbound_rows(wechat_stack, openid)) and rows[0].receipt_status and rows[0])
    assert row.id == row_id
    assert (row.status, row.receipt_status, row.ref) == ("sent", "success", "change-1")
    assert row.wechat_msgid == wechat_stack.standin.inbox(openid)[0]["msgid"]


def test_a_closed_window_is_recorded_and_the_fallback_template_sent(wechat_stack):
    openid = new_openid()
    wechat_stack.standin.send_event(openid, "subscribe")
    wechat_stack.standin.close_window(openid)
    wechat_stack.outbound().deliver(
        openid,
        [BotMessage(text="工作人员回复您：材料已收到。")],
        reason="agent",
        fallback=Template("TPL_REPLY_WAITING", {"thing1": "工作人员回复了您", "thing2": "请进入公众号查看"}),
    )
    rows = settled_rows(wechat_stack, openid, 2)
    assert [(r.kind, r.status, r.errcode) for r in rows] == [("text", "window_closed", 45015), ("template", "sent", 0)]
    assert rows[1].fallback_for == rows[0].id


def _worker_samples(wechat_stack) -> dict[tuple[str, frozenset], float]:
    """The worker's ``GET /metrics``, parsed."""
    return _samples(f"http://127.0.0.1:{wechat_stack.env['WORKER_METRICS_PORT']}/metrics")


def _samples(url: str) -> dict[tuple[str, frozenset], float]:
    """A ``GET /metrics``, parsed: (name, labels) -> value."""
    body = requests.get(url, timeout=5).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def test_the_worker_exposes_push_and_task_metrics(wechat_stack):
    def count(samples, name, **labels) -> float:
        return samples.get((name, frozenset(labels.items())), 0.0)

    before = _worker_samples(wechat_stack)
    sent, closed = new_openid(), new_openid()
    for openid in (sent, closed):
        wechat_stack.standin.send_event(openid, "subscribe")
    wechat_stack.standin.close_window(closed)
    parts = [f"第{i}部分：" + "请您带好户口本和身份证。" * 50 for i in (1, 2)]  # too long to share one message
    wechat_stack.outbound().deliver(sent, [BotMessage(text=p) for p in parts], reason="notification")
    wechat_stack.outbound().deliver(closed, [BotMessage(text="您好")], reason="notification")  # no fallback template
    assert len(settled_rows(wechat_stack, sent, 2)) == 2 and len(settled_rows(wechat_stack, closed, 1)) == 1
    after = wait_for(
        lambda: (
            (s := _worker_samples(wechat_stack))
            and count(s, "celery_tasks_total", task="wechat.send_texts", outcome="success")
            >= count(before, "celery_tasks_total", task="wechat.send_texts", outcome="success") + 2
            and s
        )
    )
    assert (
        count(after, "outbound_pushes_total", kind="kf", outcome="ok")
        - count(before, "outbound_pushes_total", kind="kf", outcome="ok")
        == 2
    )
    assert (
        count(after, "outbound_pushes_total", kind="kf", outcome="window_closed")
        - count(before, "outbound_pushes_total", kind="kf", outcome="window_closed")
        == 1
    )
    assert count(after, "celery_task_duration_seconds_count", task="wechat.send_texts") >= 2


def test_system_busy_is_retried_and_a_refused_token_refreshed(wechat_stack):
    openid = new_openid()
    wechat_stack.standin.send_text(openid, "你好")  # opens the 48-hour window
    wechat_stack.standin.inject(-1, -1)
    wechat_stack.standin.revoke_tokens()  # the stored token is now refused with 40001
    fetches = wechat_stack.standin.token_fetches
    wechat_stack.outbound().deliver(openid, [BotMessage(text="您的申请已受理。")], reason="notification")
    rows = settled_rows(wechat_stack, openid, 1)
    assert (rows[0].status, rows[0].errcode) == ("sent", 0)
    assert [m["text"]["content"] for m in wechat_stack.standin.inbox(openid)] == ["您的申请已受理。"]
    assert wechat_stack.standin.token_fetches == fetches + 1


def test_a_web_process_dying_mid_turn_leaves_no_resident_in_silence(wechat_stack, tmp_path):
    """The process that took a message is SIGKILLed while the bot thinks; WeChat's retry reaches a
    fresh process, which sees the claim's lease gone and asks the resident to send it again
    (instead of `success` and a reply that never comes). The bot is not asked twice."""
    port = stack.free_port()
    env = {**wechat_stack.env, "WEB_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    one_try = WechatStandin(
        url + "/wechat", TOKEN, APP_ID, APP_SECRET, AES_KEY, mode="safe", reply_timeout=10, retries=0
    )
    openid = new_openid()
    wechat_stack.rasa.behave(openid, delay=8, replies=[{"text": "永远到不了的回答"}])
    web = stack.start_process("web", env, tmp_path / "logs")
    try:
        stack.wait_http(url + "/readyz", 60, web)
        with ThreadPoolExecutor(1) as pool:
            sent_at = time.monotonic()
            first = pool.submit(one_try.send_text, openid, "高龄津贴怎么领", 777000001)
            assert wait_for(lambda: wechat_stack.rasa.messages_from(openid), timeout=10)  # the turn is in flight
            os.killpg(web.pid, signal.SIGKILL)
            web.wait(10)
            assert first.result(timeout=15).reply is None  # WeChat got no answer
        web = stack.start_process("web", env, tmp_path / "logs")
        stack.wait_http(url + "/readyz", 60, web)
        time.sleep(max(0.0, sent_at + 5 - time.monotonic()))  # WeChat retries 5 s after a message went unanswered
        retry = one_try.send_text(openid, "高龄津贴怎么领", 777000001)  # WeChat's retry: the same MsgId
        assert retry.reply == channel_text("interrupted")
        again = one_try.send_text(openid, "高龄津贴怎么领", 777000001)  # a later retry gets the same answer
        assert again.reply == channel_text("interrupted")
        assert wechat_stack.rasa.messages_from(openid) == ["高龄津贴怎么领"]  # never sent to the bot twice
    finally:
        stack.stop_process(web)
