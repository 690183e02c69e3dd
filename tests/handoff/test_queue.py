"""The queue itself: ordering, what the resident is told, claim, transfer, close, working hours, rules."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.handoff.conftest import PASSWORD, open_all_day
from web.console import accounts
from web.conversations.models import Conversation, Message
from web.handoff import config, queue, rules
from web.handoff.models import Agent, AgentGroup, HandoffRule, Ticket, WorkingHours

MONDAY_10_LOCAL = datetime(2026, 11, 23, 2, 0)  # 10:00 in Shanghai, a working Monday
MONDAY_20_LOCAL = datetime(2026, 11, 23, 12, 0)  # 20:00 in Shanghai


def conv(sess, sender: str, channel: str = "wechat") -> Conversation:
    c = Conversation(sender_id=sender, channel=channel, state="bot")
    sess.add(c)
    sess.flush()
    return c


def test_the_queue_is_ordered_by_priority_then_waiting_time(sessions):
    with sessions.begin() as sess:
        open_all_day(sess)
        first, second, urgent = conv(sess, "o1"), conv(sess, "o2"), conv(sess, "o3")
        queue.enqueue(sess, first, "resident_request", "normal", MONDAY_10_LOCAL)
        queue.enqueue(sess, second, "complaint", "normal", MONDAY_10_LOCAL + timedelta(minutes=1))
        queue.enqueue(sess, urgent, "sensitive", "urgent", MONDAY_10_LOCAL + timedelta(minutes=2))
        boss = accounts.create(sess, "boss", PASSWORD, "supervisor")
        order = [t.conversation_id for t in queue.waiting(sess, boss)]
        assert order == [urgent.id, first.id, second.id]
        assert [queue.position(sess, queue.open_ticket(sess, c.id)) for c in (urgent, first, second)] == [1, 2, 3]
        assert (second.state, second.handoff_reason, second.handoff_priority) == ("queued", "complaint", "normal")


def test_the_resident_is_told_the_place_in_the_queue_and_a_rough_wait(sessions):
    with sessions.begin() as sess:
        open_all_day(sess)
        texts = config.desk().texts
        assert (
            queue.enqueue(sess, conv(sess, "o1"), "resident_request", "normal", MONDAY_10_LOCAL)
            == texts["next_in_line"]
        )
        notice = queue.enqueue(sess, conv(sess, "o2"), "resident_request", "normal", MONDAY_10_LOCAL)
        minutes = 2 * config.desk().minutes_per_resident  # nobody online: one agent assumed
        assert notice == texts["waiting"].format(ahead=1, minutes=minutes)


def test_asking_twice_keeps_one_ticket_and_raises_the_priority(sessions):
    with sessions.begin() as sess:
        open_all_day(sess)
        c = conv(sess, "o1")
        queue.enqueue(sess, c, "resident_request", "normal", MONDAY_10_LOCAL)
        queue.enqueue(sess, c, "sensitive", "urgent", MONDAY_10_LOCAL + timedelta(minutes=5))
        tickets = sess.scalars(select(Ticket)).all()
        assert len(tickets) == 1 and tickets[0].priority == "urgent"
        assert tickets[0].sla_due_at == MONDAY_10_LOCAL + timedelta(minutes=5 + config.desk().sla_minutes["urgent"])


def test_outside_working_hours_a_message_and_a_callback_number_are_taken(sessions):
    with sessions.begin() as sess:  # the migration's default hours: Mon-Fri 09:00-17:00
        c = conv(sess, "oNight")
        notice = queue.enqueue(sess, c, "resident_request", "normal", MONDAY_20_LOCAL)
        assert "下班时间" in notice and "周一至周五 09:00-17:00" in notice and "手机号码" in notice
        said = Message(conversation_id=c.id, author="resident", text="我想问低保的事，电话13912345678")
        sess.add(said)
        sess.flush()
        answer = queue.resident_message(sess, c, said, MONDAY_20_LOCAL)
        assert answer and "139****5678" in answer[0] and "13912345678" not in answer[0]
        ticket = queue.open_ticket(sess, c.id)
        assert ticket.after_hours and ticket.callback_phone == "13912345678"


def _writes(sess, c: Conversation, text: str, at: datetime, resume: queue.Resume | None = None) -> list[str]:
    said = Message(conversation_id=c.id, author="resident", text=text)
    sess.add(said)
    sess.flush()
    return queue.resident_message(sess, c, said, at, resume)


def test_a_waiting_resident_who_writes_later_is_told_they_are_heard_and_their_place_once_per_burst(sessions):
    remind = timedelta(minutes=config.desk().remind_after_minutes)
    with sessions.begin() as sess:
        open_all_day(sess)
        first, second = conv(sess, "oAhead"), conv(sess, "oWaits")
        queue.enqueue(sess, first, "resident_request", "normal", MONDAY_10_LOCAL)
        queue.enqueue(sess, second, "resident_request", "normal", MONDAY_10_LOCAL)
        assert _writes(sess, second, "我想问低保的事", MONDAY_10_LOCAL + timedelta(minutes=1)) == []  # just told
        later = MONDAY_10_LOCAL + remind + timedelta(seconds=1)
        [reminder] = _writes(sess, second, "在吗", later)
        texts = config.desk().texts
        minutes = 2 * config.desk().minutes_per_resident
        assert reminder == texts["still_waiting"] + texts["waiting"].format(ahead=1, minutes=minutes)
        assert _writes(sess, second, "有人吗", later + timedelta(seconds=20)) == []  # the same burst
        boss = accounts.create(sess, "boss", PASSWORD, "supervisor")
        queue.claim(sess, queue.open_ticket(sess, first.id), boss, later)  # the one ahead is taken
        [reminder] = _writes(sess, second, "还要等多久", later + remind)
        assert reminder == texts["still_waiting"] + texts["next_in_line"]
        queue.claim(sess, queue.open_ticket(sess, second.id), boss, later + remind)
        assert _writes(sess, second, "您好", later + 3 * remind) == []  # with an agent: the agent answers
        lines = sess.scalars(
            select(Message.text).where(Message.conversation_id == second.id, Message.author == "system")
        ).all()
        assert lines[-2:] == [
            texts["still_waiting"] + texts["waiting"].format(ahead=1, minutes=minutes),
            texts["still_waiting"] + texts["next_in_line"],
        ]  # in the transcript, for the agent


def test_after_hours_a_resident_who_writes_again_is_asked_for_a_number_until_one_is_left(sessions):
    remind = timedelta(minutes=config.desk().remind_after_minutes)
    with sessions.begin() as sess:
        c = conv(sess, "oLate")
        notice = queue.enqueue(sess, c, "resident_request", "normal", MONDAY_20_LOCAL)
        assert _writes(sess, c, "我家老人走丢了怎么办", MONDAY_20_LOCAL + timedelta(seconds=30)) == []
        assert _writes(sess, c, "有人吗", MONDAY_20_LOCAL + remind + timedelta(seconds=30)) == [notice]
        [noted] = _writes(sess, c, "13912345678", MONDAY_20_LOCAL + remind + timedelta(minutes=1))
        assert "139****5678" in noted
        assert _writes(sess, c, "麻烦了", MONDAY_20_LOCAL + 10 * remind) == []  # the number is noted: nothing to ask


@pytest.mark.parametrize(
    "moment, expected",
    [
        (datetime(2026, 11, 23, 2, 0), True),  # Monday 10:00
        (datetime(2026, 11, 23, 0, 30), False),  # Monday 08:30
        (datetime(2026, 11, 28, 2, 0), False),  # Saturday
        (datetime(2025, 10, 1, 2, 0), False),  # National Day (a statutory holiday on a Wednesday)
        (datetime(2025, 10, 11, 2, 0), True),  # Saturday worked instead (调休): Monday's hours
    ],
)
def test_working_hours_follow_the_table_and_the_public_holiday_calendar(sessions, moment, expected):
    with sessions.begin() as sess:
        assert config.is_open(sess, moment) is expected


def test_claim_once_transfer_to_a_group_and_close(sessions):
    now = MONDAY_10_LOCAL
    with sessions.begin() as sess:
        open_all_day(sess)
        a = accounts.create(sess, "a", PASSWORD, "agent", group="救助组")
        b = accounts.create(sess, "b", PASSWORD, "agent", group="婚姻组")
        c = conv(sess, "o1")
        queue.enqueue(sess, c, "resident_request", "normal", now)
        ticket = queue.open_ticket(sess, c.id)
        queue.claim(sess, ticket, a, now + timedelta(minutes=1))
        assert (ticket.status, ticket.agent_id, c.state) == ("active", a.id, "agent")
        with pytest.raises(queue.QueueError):
            queue.claim(sess, ticket, b, now + timedelta(minutes=1))
        marriage = sess.scalar(select(AgentGroup).where(AgentGroup.name == "婚姻组"))
        queue.transfer(sess, ticket, a, now, to_group_id=marriage.id)
        assert (ticket.status, ticket.agent_id, ticket.group_id, c.state) == ("waiting", None, marriage.id, "queued")
        assert queue.can_view(sess, b, c.id) and not queue.can_view(sess, a, c.id)
        queue.claim(sess, ticket, b, now + timedelta(minutes=2))
        with pytest.raises(queue.QueueError):
            queue.close(sess, ticket, a, "resolved", now)  # not a's any more
        with pytest.raises(queue.QueueError):
            queue.close(sess, ticket, b, "no-such-outcome", now)
        queue.close(sess, ticket, b, "resolved", now + timedelta(minutes=9))
        assert (ticket.status, ticket.outcome, c.state, c.handoff_reason) == (
            "closed",
            "resolved",
            "bot",
            "resident_request",
        )
        assert queue.open_ticket(sess, c.id) is None


def test_transfer_to_an_agent_hands_it_over_at_once(sessions):
    with sessions.begin() as sess:
        open_all_day(sess)
        a, b = accounts.create(sess, "a", PASSWORD), accounts.create(sess, "b", PASSWORD)
        c = conv(sess, "o1")
        queue.enqueue(sess, c, "complaint", "normal", MONDAY_10_LOCAL)
        ticket = queue.open_ticket(sess, c.id)
        queue.claim(sess, ticket, a, MONDAY_10_LOCAL)
        queue.transfer(sess, ticket, a, MONDAY_10_LOCAL, to_agent=b)
        assert (ticket.status, ticket.agent_id) == ("active", b.id)
        assert queue.active(sess, b) == [ticket] and queue.active(sess, a) == []


def test_groups_limit_what_an_agent_sees(sessions):
    with sessions.begin() as sess:
        open_all_day(sess)
        a = accounts.create(sess, "a", PASSWORD, group="救助组")
        loner = accounts.create(sess, "loner", PASSWORD)
        boss = accounts.create(sess, "boss", PASSWORD, "supervisor")
        marriage = accounts.group_named(sess, "婚姻组")
        for_all, for_marriage = conv(sess, "o1"), conv(sess, "o2")
        queue.enqueue(sess, for_all, "resident_request", "normal", MONDAY_10_LOCAL)
        queue.enqueue(sess, for_marriage, "resident_request", "normal", MONDAY_10_LOCAL, group_id=marriage.id)
        assert [t.conversation_id for t in queue.waiting(sess, a)] == [for_all.id]
        assert [t.conversation_id for t in queue.waiting(sess, loner)] == [for_all.id]
        assert len(queue.waiting(sess, boss)) == 2
        assert not queue.can_view(sess, a, for_marriage.id) and queue.can_view(sess, boss, for_marriage.id)


def test_sla_is_breached_when_nobody_claims_in_time(sessions):
    with sessions.begin() as sess:
        open_all_day(sess)
        c = conv(sess, "o1")
        queue.enqueue(sess, c, "sensitive", "urgent", MONDAY_10_LOCAL)
        ticket = queue.open_ticket(sess, c.id)
        limit = config.desk().sla_minutes["urgent"]
        assert not queue.sla_breached(ticket, MONDAY_10_LOCAL + timedelta(minutes=limit - 1))
        assert queue.sla_breached(ticket, MONDAY_10_LOCAL + timedelta(minutes=limit + 1))


def _routing_read(sessions):
    """A connection to read the rules with, as the routing point does (one engine: one snapshot)."""
    return sessions.kw["bind"].connect()


def test_an_administrators_rule_matches_keywords_once_committed(sessions):
    with sessions.begin() as sess, _routing_read(sessions) as conn:
        sess.add(HandoffRule(name="殡葬投诉", keywords="乱收费，天价墓", priority="normal"))
        sess.add(HandoffRule(name="家暴", keywords="打我,家暴", priority="urgent"))
        sess.add(HandoffRule(name="停用", keywords="低保", priority="urgent", active=False))
        sess.flush()
        assert rules.matching(conn, "他天天打我") is None  # not committed: nobody's yet (and now in memory)
    with _routing_read(sessions) as conn:  # the commit applies at once in this process, TTL or not
        assert rules.matching(conn, "墓地乱收费怎么办").name == "殡葬投诉"
        assert rules.matching(conn, "他天天打我").name == "家暴"
        assert rules.matching(conn, "低保标准多少") is None


def test_the_hours_are_described_for_the_resident(sessions):
    with sessions.begin() as sess:
        assert config.describe_hours(sess) == "周一至周五 09:00-17:00，法定节假日休息"
        sess.add(WorkingHours(day="sat", opens="09:00", closes="12:00"))
        sess.flush()
        assert config.describe_hours(sess) == "周一至周五 09:00-17:00，周六 09:00-12:00，法定节假日休息"


def test_the_command_line_creates_an_account(platform_url, monkeypatch, capsys):
    import io

    from sqlalchemy.orm import sessionmaker

    from common.db import make_engine

    monkeypatch.setenv("DATABASE_URL", platform_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert (
        accounts.main(
            ["create", "wangfang", "--role", "agent", "--name", "王芳", "--group", "救助组", "--password-stdin"]
        )
        == 0
    )
    assert "created agent 'wangfang'" in capsys.readouterr().out
    with sessionmaker(make_engine(platform_url))() as sess:
        agent = sess.scalar(select(Agent).where(Agent.username == "wangfang"))
        assert agent.group.name == "救助组" and agent.password_hash != "a-long-password"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert accounts.main(["create", "weak", "--password-stdin"]) == 1


def test_rules_are_kept_in_memory_a_change_here_applies_at_once_one_elsewhere_within_the_ttl(sessions, monkeypatch):
    monkeypatch.setattr(rules, "TTL", 0.5)
    with _routing_read(sessions) as conn:
        assert rules.matching(conn, "我要信访") is None  # loaded (no rules) and kept
    with sessions.begin() as sess:  # the console's way: an ORM commit in this process
        sess.add(HandoffRule(name="信访", keywords="信访", priority="urgent"))
    with _routing_read(sessions) as conn:
        assert rules.matching(conn, "我要信访").name == "信访"
    # another process's change (no ORM event here): seen once the snapshot is TTL old
    with sessions.begin() as sess:
        sess.execute(update(HandoffRule).where(HandoffRule.name == "信访").values(active=False))
    with _routing_read(sessions) as conn:
        assert rules.matching(conn, "我要信访").name == "信访"  # still the snapshot
        time.sleep(0.6)
        assert rules.matching(conn, "我要信访") is None


@pytest.mark.parametrize("words", ["不等了", "算了不等了", "不用人工了，我自己弄", "回到小助手"])
def test_a_waiting_resident_who_will_not_wait_is_the_bots_again(sessions, words):
    with sessions.begin() as sess:
        c = conv(sess, "oLeaves")
        queue.enqueue(sess, c, "fallback", "normal", MONDAY_20_LOCAL)  # after hours: nobody comes until morning
        assert "不等了" in config.desk().texts["after_hours"]  # the notice says how to leave
        resumed: list[str] = []
        answer = _writes(sess, c, words, MONDAY_20_LOCAL + timedelta(minutes=1), lambda s: resumed.append(s) or True)
        assert answer == [config.desk().texts["left_queue"]]
        ticket = sess.scalar(select(Ticket).where(Ticket.conversation_id == c.id))
        assert (ticket.status, ticket.outcome, c.state) == ("closed", "resident_left", "bot")
        assert resumed == ["oLeaves"]  # Rasa's tracker resumed before the conversation is the bot's


@pytest.mark.parametrize(
    "priority, claimed, words",
    [
        ("urgent", False, "不等了"),  # a person in danger stays with the desk and the on-call worker
        ("normal", True, "不等了"),  # an agent has it: the agent answers
        ("normal", False, "我不等了，我就想问问低保到底什么时候能批下来"),  # a message for the agent
        ("normal", False, "我等着"),
    ],
)
def test_who_stays_in_the_queue(sessions, priority, claimed, words):
    with sessions.begin() as sess:
        open_all_day(sess)
        c = conv(sess, "oStays")
        queue.enqueue(sess, c, "resident_request", priority, MONDAY_10_LOCAL)
        ticket = queue.open_ticket(sess, c.id)
        if claimed:
            queue.claim(sess, ticket, accounts.create(sess, "boss", PASSWORD, "supervisor"), MONDAY_10_LOCAL)
        answer = _writes(sess, c, words, MONDAY_10_LOCAL + timedelta(minutes=1), lambda _sender: True)
        assert config.desk().texts["left_queue"] not in answer
        assert (ticket.status, c.state) == ("active", "agent") if claimed else ("waiting", "queued")


def test_after_hours_a_person_in_danger_with_nobody_on_call_is_not_offered_to_leave(sessions):
    """An empty rota after hours (no on-call promise): the urgent ticket's notice says to call 110 / 120
    now and that the case comes first; never "不等了" (leaving is refused for urgent tickets)."""
    with sessions.begin() as sess:
        notice = queue.enqueue(
            sess, conv(sess, "oDanger"), "danger:fall_or_collapse/elderly", "urgent", MONDAY_20_LOCAL
        )
        ordinary = queue.enqueue(sess, conv(sess, "oOrdinary"), "fallback", "normal", MONDAY_20_LOCAL)
    assert notice == config.desk().texts["after_hours_urgent"] and "110" in notice and "不等了" not in notice
    assert "不等了" in ordinary
