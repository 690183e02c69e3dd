"""``oncall.alert`` as the desk calls it: an urgent ticket opened after hours, in the desk's own
transaction, the sending task queued only once that transaction commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.oncall.conftest import ACCOUNT, NIGHT, desk_closed, round_the_clock_rota, urgent_after_hours
from web import oncall
from web.conversations.models import Conversation
from web.handoff import queue
from web.handoff.models import WorkingHours
from web.oncall import sweep
from web.oncall.models import OncallAlert


@pytest.fixture
def queued(sessions) -> list[tuple[str, list]]:
    """The tasks the web process would queue (``services.celery_enqueue``), installed on the desk's
    sessions as create_app installs ``services.alert_queue``."""
    sent: list[tuple[str, list]] = []
    oncall.AlertQueue(lambda task, args: sent.append((task, args))).install(sessions)
    return sent


def test_an_urgent_case_after_hours_alerts_whoever_is_on_call_and_tells_the_resident_who_calls(sessions, queued):
    with sessions.begin() as sess:
        desk_closed(sess)
        round_the_clock_rota(sess)
        conv, ticket = urgent_after_hours(sess, "oAlertResident1", NIGHT)
        told = oncall.alert(sess, conv, ticket, "violence", ACCOUNT, NIGHT)
        assert queued == []  # nothing leaves before the desk's transaction commits
    assert told.startswith("现在是下班时间，我已经马上通知了值班的王老师，15 分钟内给您打电话")
    assert "上班后" not in told and "明天" not in told
    assert "王芳" not in told and "13800000001" not in told
    with sessions() as sess:
        alert = sess.scalar(select(OncallAlert))
        assert queued == [("oncall.deliver", [alert.id])]
        assert (alert.ticket_id, alert.conversation_id, alert.kind) == (ticket.id, conv.id, "violence")
        assert alert.status == "pending" and alert.attempts == 0 and alert.created_at == NIGHT
        assert [t["name"] for t in alert.targets] == ["王芳", "陈静", "刘建国"]
        assert "310107198001011234" not in alert.summary and "13912345678" not in alert.summary
        assert "310***********1234" in alert.summary and "139****5678" in alert.summary


def test_a_second_danger_message_on_the_same_ticket_hears_the_same_promise_and_alerts_nobody_again(sessions, queued):
    with sessions.begin() as sess:
        desk_closed(sess)
        round_the_clock_rota(sess)
        conv, ticket = urgent_after_hours(sess, "oAlertResident2", NIGHT)
        first = oncall.alert(sess, conv, ticket, "violence", ACCOUNT, NIGHT)
    with sessions.begin() as sess:
        ticket = queue.open_ticket(sess, conv.id)
        again = oncall.alert(sess, sess.merge(conv), ticket, "violence", "他在砸门", NIGHT)
    assert again == first
    with sessions() as sess:
        assert len(sess.scalars(select(OncallAlert)).all()) == 1 and len(queued) == 1


def test_nobody_on_call_gives_none_and_the_desk_keeps_its_own_text(sessions, queued):
    with sessions.begin() as sess:
        desk_closed(sess)
        conv, ticket = urgent_after_hours(sess, "oAlertResident3", NIGHT)
        assert oncall.alert(sess, conv, ticket, "suicidal", "不想活了", NIGHT) is None
    with sessions() as sess:
        assert sess.scalars(select(OncallAlert)).all() == [] and queued == []


def test_a_ticket_opened_in_working_hours_is_not_sent_to_the_on_call_worker(sessions, queued):
    with sessions.begin() as sess:
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"):
            sess.merge(WorkingHours(day=day, opens="00:00", closes="24:00"))
        round_the_clock_rota(sess)
        conv = Conversation(sender_id="oAlertResident4", channel="wechat")
        sess.add(conv)
        sess.flush()
        queue.enqueue(sess, conv, "danger:violence/self", "urgent", NIGHT)
        ticket = queue.open_ticket(sess, conv.id)
        assert not ticket.after_hours
        assert oncall.alert(sess, conv, ticket, "violence", ACCOUNT, NIGHT) is None
    assert queued == []


def test_a_rolled_back_turn_alerts_nobody(sessions, queued):
    with sessions() as sess:
        desk_closed(sess)
        round_the_clock_rota(sess)
        conv, ticket = urgent_after_hours(sess, "oAlertResident5", NIGHT)
        assert oncall.alert(sess, conv, ticket, "violence", ACCOUNT, NIGHT) is not None
        sess.rollback()
    with sessions() as sess:
        assert sess.scalars(select(OncallAlert)).all() == [] and queued == []


def test_the_broker_down_loses_nothing_the_sweep_queues_the_alert(sessions):
    def broker_down(task, args):
        raise ConnectionError("redis is down")

    oncall.AlertQueue(broker_down).install(sessions)
    with sessions.begin() as sess:
        desk_closed(sess)
        round_the_clock_rota(sess)
        conv, ticket = urgent_after_hours(sess, "oAlertResident6", NIGHT)
        assert oncall.alert(sess, conv, ticket, "violence", ACCOUNT, NIGHT) is not None  # the resident is still told
    later: list[tuple[str, list]] = []
    assert sweep.requeue_overdue(sessions, lambda t, a: later.append((t, a)), NIGHT + timedelta(seconds=5)) == 0
    assert sweep.requeue_overdue(sessions, lambda t, a: later.append((t, a)), NIGHT + timedelta(seconds=30)) == 1
    assert later and later[0][0] == "oncall.deliver"
