"""One alert through the gateway stand-in, attempt by attempt (what the Celery task does, called
here in-process): the text the on-call worker gets, retries of a failure that may pass, the next
person after a wrong number or the last retry, failure when nobody is left, a bad token."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.oncall.conftest import ACCOUNT, GATEWAY_TOKEN, NIGHT, desk_closed, round_the_clock_rota, urgent_after_hours
from web import oncall
from web.oncall import status, sweep
from web.oncall.delivery import CLAIM, Delivery
from web.oncall.gateway import AlertGateway, Fault, GatewayError
from web.oncall.models import OncallAlert

CONSOLE = "https://hotline.example.gov.cn"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def raised(sessions) -> int:
    """An alert raised by the desk at NIGHT (王芳 on call; 陈静, 刘建国 behind); its id."""
    with sessions.begin() as sess:
        desk_closed(sess)
        round_the_clock_rota(sess)
        conv, ticket = urgent_after_hours(sess, "oDeliveryResident", NIGHT)
        oncall.alert(sess, conv, ticket, "violence", ACCOUNT, NIGHT)
        return sess.scalar(select(OncallAlert.id))


def delivery(sessions, gateway, clock: Clock, token: str = GATEWAY_TOKEN, announced: list | None = None) -> Delivery:
    announce = (
        (lambda conversation_id, **data: announced.append((conversation_id, data))) if announced is not None else None
    )
    return Delivery(sessions, AlertGateway(gateway.url, token), CONSOLE, announce=announce, clock=clock)


def the_alert(sessions, alert_id: int) -> OncallAlert:
    with sessions() as sess:
        alert = sess.get(OncallAlert, alert_id)
        alert.calls  # noqa: B018  (loaded while the session is open)
        return alert


def test_the_on_call_worker_gets_the_kind_a_masked_summary_and_the_console_link(sessions, gateway, raised):
    announced: list = []
    assert delivery(sessions, gateway, Clock(NIGHT), announced=announced).attempt(raised) is None
    [sent] = gateway.standin.received()
    alert = the_alert(sessions, raised)
    assert sent["to"] == "13800000001" and sent["voice"] is True and sent["reference"] == f"oncall-{raised}-0"
    assert sent["text"].startswith("【民政热线紧急值班】暴力伤害：他又喝醉了打我")
    assert f"{CONSOLE}/console/conversations/{alert.conversation_id}" in sent["text"]
    assert "310107198001011234" not in sent["text"] and "13912345678" not in sent["text"]  # never in full
    assert (alert.status, alert.step, alert.attempts, alert.gateway_id) == ("sent", 0, 1, sent["id"])
    assert [(c.name, c.ok) for c in alert.calls] == [("王芳", True)]
    assert announced == [
        (alert.conversation_id, {"ticket_id": alert.ticket_id, "oncall": "已通知值班：王* 01:30", "oncall_tone": "ok"})
    ]


def test_a_failure_that_may_pass_is_tried_again_after_the_next_delay(sessions, gateway, raised):
    clock = Clock(NIGHT)
    deliver = delivery(sessions, gateway, clock)
    gateway.standin.fail_next(1, 5000)
    assert deliver.attempt(raised) == 5  # oncall.yml: 0, 5, 15
    assert deliver.attempt(raised) is None  # not due yet: a duplicate task leaves it alone
    assert gateway.standin.received() == []
    clock.now += timedelta(seconds=5)
    assert deliver.attempt(raised) is None
    alert = the_alert(sessions, raised)
    assert (alert.status, alert.step, alert.attempts) == ("sent", 0, 2)
    assert alert.last_error == "5000 internal error"
    assert [c.ok for c in alert.calls] == [False, True]
    assert len(gateway.standin.received("13800000001")) == 1


def test_after_the_last_retry_the_next_person_on_the_escalation_list(sessions, gateway, raised):
    clock = Clock(NIGHT)
    deliver = delivery(sessions, gateway, clock)
    gateway.standin.fail_number("13800000001", 1002)  # rate limited, every time
    assert deliver.attempt(raised) == 5
    clock.now += timedelta(seconds=5)
    assert deliver.attempt(raised) == 15
    clock.now += timedelta(seconds=15)
    assert deliver.attempt(raised) == 0  # three tries in 20 s: the next person, at once
    alert = the_alert(sessions, raised)
    assert (alert.status, alert.step) == ("escalated", 1)
    assert deliver.attempt(raised) is None
    [sent] = gateway.standin.received()
    assert sent["to"] == "13800000005" and sent["reference"] == f"oncall-{raised}-1"
    alert = the_alert(sessions, raised)
    assert (alert.status, alert.step, alert.attempts) == ("sent", 1, 4)
    assert status.state(alert, clock.now).text == "通知失败，已转给 陈* 01:30"


def test_a_wrong_number_goes_to_the_next_person_at_once(sessions, gateway, raised):
    gateway.standin.fail_number("13800000001", 1001)
    deliver = delivery(sessions, gateway, Clock(NIGHT))
    assert deliver.attempt(raised) == 0
    assert deliver.attempt(raised) is None
    assert [a["to"] for a in gateway.standin.received()] == ["13800000005"]


def test_when_nobody_can_be_reached_the_alert_fails_loudly(sessions, gateway, raised, caplog):
    for phone in ("13800000001", "13800000005", "13800000006"):
        gateway.standin.fail_number(phone, 1001)
    announced: list = []
    deliver = delivery(sessions, gateway, Clock(NIGHT), announced=announced)
    assert [deliver.attempt(raised) for _ in range(3)] == [0, 0, None]
    alert = the_alert(sessions, raised)
    assert (alert.status, alert.step, alert.attempts) == ("failed", 2, 3) and alert.failed_at == NIGHT
    assert [c.name for c in alert.calls] == ["王芳", "陈静", "刘建国"]
    assert announced[-1][1]["oncall"] == "通知失败，请立即电话联系" and announced[-1][1]["oncall_tone"] == "danger"
    assert "nobody on call could be reached" in caplog.text
    assert deliver.attempt(raised) is None  # a failed alert is not sent again


def test_a_bad_token_fails_at_once_no_one_can_be_reached_that_way(sessions, gateway, raised):
    deliver = delivery(sessions, gateway, Clock(NIGHT), token="wrong-token")
    assert deliver.attempt(raised) is None
    alert = the_alert(sessions, raised)
    assert (alert.status, alert.attempts) == ("failed", 1) and alert.last_error.startswith("4001")


def test_a_worker_that_died_mid_call_leaves_a_claim_the_sweep_takes_back(sessions, gateway, raised):
    clock = Clock(NIGHT)
    deliver = delivery(sessions, gateway, clock)
    assert deliver._claim(raised, clock.now) is not None  # claimed, then the worker died
    assert deliver.attempt(raised) is None  # another task: claimed, not due
    queued: list = []
    assert sweep.requeue_overdue(sessions, lambda t, a: queued.append(a), clock.now + CLAIM) == 0
    clock.now += CLAIM + timedelta(seconds=21)
    assert sweep.requeue_overdue(sessions, lambda t, a: queued.append(a), clock.now) == 1
    assert deliver.attempt(raised) is None
    assert len(gateway.standin.received()) == 1 and the_alert(sessions, raised).status == "sent"


@pytest.mark.parametrize(
    "code,fault",
    [
        (1001, Fault.PERSON),
        (1002, Fault.TRANSIENT),
        (1003, Fault.GATEWAY),
        (5000, Fault.TRANSIENT),
        (503, Fault.TRANSIENT),
    ],
)
def test_the_gateways_answers_and_what_each_means(gateway, code, fault):
    client = AlertGateway(gateway.url, GATEWAY_TOKEN)
    gateway.standin.fail_next(1, code)
    with pytest.raises(GatewayError) as refused:
        client.send("13800000001", "测试", True, "ref-1")
    assert refused.value.fault is fault
    first = client.send("13800000001", "测试", True, "ref-1")
    again = client.send("13800000001", "测试", True, "ref-1")  # a repeated reference is not sent twice
    assert first.status == "accepted" and again == type(first)(first.id, "duplicate")
    assert len(gateway.standin.received()) == 1


def test_an_unreachable_gateway_is_a_failure_that_may_pass():
    with pytest.raises(GatewayError) as refused:
        AlertGateway("http://127.0.0.1:9", GATEWAY_TOKEN).send("13800000001", "测试", True, "ref-2")
    assert refused.value.fault is Fault.TRANSIENT and refused.value.code == "unreachable"
