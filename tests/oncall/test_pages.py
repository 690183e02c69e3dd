"""The on-call route's pages: the rota at /admin/oncall (staff only, CSRF on every change), and
what the agent console shows of an alert on the queue and the conversation page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.oncall.conftest import ALL_DAYS, NIGHT, desk_closed, round_the_clock_rota, urgent_after_hours
from web.admin.audit import AuditEntry
from web.handoff.models import Agent
from web.oncall.models import OncallAlert, OncallCall, OncallShift, OncallWorker
from web.workdays import utcnow

pytestmark = pytest.mark.usefixtures("redis_client")
TARGETS = [
    {"name": "王芳", "phone": "13800000001", "role": "值班社工"},
    {"name": "陈静", "phone": "13800000005", "role": "值班科长"},
]


def test_staff_add_and_remove_workers_and_shifts_with_the_pages_token(app, sessions, signed_in):
    boss, token = signed_in("boss")
    page = boss.get("/admin/oncall/").get_data(as_text=True)
    assert '<nav aria-label="管理后台">' in page and "下班值班" in page and "现在没有人值班" in page
    worker = {"name": "王芳", "role": "值班社工", "phone": "138 0000 0001", "escalation_rank": ""}
    assert boss.post("/admin/oncall/workers", data=worker).status_code == 400  # no token: refused
    assert boss.post("/admin/oncall/workers", data={**worker, "csrf_token": "forged"}).status_code == 400
    assert boss.post("/admin/oncall/workers", data={**worker, "csrf_token": token}).status_code == 302
    refused = boss.post(
        "/admin/oncall/workers",
        data={"name": "李强", "phone": "021-1234567", "csrf_token": token},
        follow_redirects=True,
    )
    assert "11 位手机号码" in refused.get_data(as_text=True)
    with sessions() as sess:
        [added] = sess.scalars(select(OncallWorker)).all()
        assert (added.name, added.phone, added.role, added.escalation_rank) == ("王芳", "13800000001", "值班社工", None)
    shift = {"worker_id": str(added.id), "days": ["mon", "fri"], "starts": "17:00", "ends": "09:00"}
    assert boss.post("/admin/oncall/shifts", data=shift).status_code == 400
    done = boss.post("/admin/oncall/shifts", data={**shift, "csrf_token": token}, follow_redirects=True)
    assert "周一、周五 17:00–次日 09:00" in done.get_data(as_text=True)
    wrong = boss.post(
        "/admin/oncall/shifts", data={**shift, "ends": "9点", "csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "时间请按 17:00 这样填写" in wrong
    with sessions() as sess:
        [kept] = sess.scalars(select(OncallShift)).all()
        assert (kept.days, kept.starts, kept.ends) == ("mon,fri", "17:00", "09:00")
    assert boss.post(f"/admin/oncall/shifts/{kept.id}/delete").status_code == 400
    assert boss.post(f"/admin/oncall/shifts/{kept.id}/delete", data={"csrf_token": token}).status_code == 302
    with sessions.begin() as sess:
        assert sess.scalars(select(OncallShift)).all() == []
        sess.add(OncallShift(worker_id=added.id, days=ALL_DAYS, starts="00:00", ends="24:00"))
    page = boss.get("/admin/oncall/").get_data(as_text=True)
    assert "现在值班" in page and "王芳（值班社工） 13800000001" in page
    assert boss.post(f"/admin/oncall/workers/{added.id}/delete", data={"csrf_token": token}).status_code == 302
    with sessions() as sess:
        assert sess.scalars(select(OncallWorker)).all() == [] and sess.scalars(select(OncallShift)).all() == []


def test_every_change_of_the_rota_is_audited_with_who_made_it_and_the_phone_masked(app, sessions, signed_in):
    boss, token = signed_in("boss")
    worker = {"name": "陈静", "role": "值班科长", "phone": "13800000005", "escalation_rank": "1", "csrf_token": token}
    boss.post("/admin/oncall/workers", data=worker)
    boss.post("/admin/oncall/workers", data={**worker, "phone": "12345"})  # refused: nothing changed, no entry
    with sessions() as sess:
        added = sess.scalar(select(OncallWorker))
    shift = {"worker_id": str(added.id), "days": ["sat", "sun"], "starts": "09:00", "ends": "09:00"}
    boss.post("/admin/oncall/shifts", data={**shift, "csrf_token": token})
    with sessions() as sess:
        first = sess.scalar(select(OncallShift))
    boss.post(f"/admin/oncall/shifts/{first.id}/delete", data={"csrf_token": token})
    boss.post("/admin/oncall/shifts", data={**shift, "days": ["holiday"], "csrf_token": token})
    boss.post(f"/admin/oncall/workers/{added.id}/delete", data={"csrf_token": token})
    with sessions() as sess:
        entries = sess.scalars(
            select(AuditEntry).where(AuditEntry.action.startswith("oncall_")).order_by(AuditEntry.id)
        ).all()
        boss_id = sess.scalar(select(Agent.id).where(Agent.username == "boss"))
    assert [e.action for e in entries] == [
        "oncall_add_worker",
        "oncall_add_shift",
        "oncall_remove_shift",
        "oncall_add_shift",
        "oncall_remove_worker",
    ]
    assert {e.agent_id for e in entries} == {boss_id} and all(e.remote_addr for e in entries)
    person = {"worker": added.id, "name": "陈静", "role": "值班科长", "phone": "138****0005", "escalation_rank": 1}
    assert entries[0].detail == person
    assert entries[2].detail == {
        "shift": first.id,
        "worker": added.id,
        "days": "sat,sun",
        "starts": "09:00",
        "ends": "09:00",
        "name": "陈静",
    }
    holiday = {k: v for k, v in entries[3].detail.items() if k != "name"}  # the shift removed with its worker
    assert holiday["days"] == "holiday" and entries[4].detail == {**person, "shifts": [holiday]}
    assert all("13800000005" not in json.dumps(e.detail, ensure_ascii=False) for e in entries)


def test_an_agent_may_not_open_or_change_the_rota(app, signed_in):
    agent, token = signed_in("agent_a")
    assert agent.get("/admin/oncall/").status_code == 403
    assert agent.post("/admin/oncall/workers", data={"csrf_token": token, "name": "x"}).status_code == 403


def _alert(sess, sender: str, **fields) -> int:
    conv, ticket = urgent_after_hours(sess, sender, NIGHT)
    alert = OncallAlert(
        ticket_id=ticket.id, conversation_id=conv.id, kind="violence", summary="他打我", targets=TARGETS, **fields
    )
    sess.add(alert)
    sess.flush()
    return conv.id


def test_the_console_shows_whom_the_alert_reached_or_that_it_failed(app, sessions, signed_in):
    now = utcnow()
    with sessions.begin() as sess:
        desk_closed(sess)
        round_the_clock_rota(sess)
        reached = _alert(sess, "oShown1", status="sent", step=0, created_at=NIGHT, sent_at=NIGHT)
        escalated = _alert(
            sess, "oShown2", status="sent", step=1, created_at=NIGHT, sent_at=NIGHT + timedelta(minutes=1)
        )
        failed = _alert(sess, "oShown3", status="failed", step=1, created_at=NIGHT, failed_at=NIGHT)
        _alert(sess, "oShown4", status="pending", created_at=now, next_attempt_at=now)
        _alert(sess, "oShown5", status="escalated", step=1, created_at=now - timedelta(minutes=5))
        quiet, _ = urgent_after_hours(sess, "oShown6", NIGHT)  # nobody was on call: no alert
        alert_id = sess.scalar(select(OncallAlert.id).where(OncallAlert.conversation_id == failed))
        sess.add_all(
            [
                OncallCall(alert_id=alert_id, step=0, name="王芳", at=NIGHT, error="1001 invalid number"),
                OncallCall(alert_id=alert_id, step=1, name="陈静", at=NIGHT, error="1001 invalid number"),
            ]
        )
    boss, _ = signed_in("boss")
    rows = boss.get("/console/queue/rows").get_data(as_text=True)
    assert '<span class="oncall ok">已通知值班：王* 01:30</span>' in rows
    assert '<span class="oncall warn">通知失败，已转给 陈* 01:31</span>' in rows
    assert '<span class="oncall danger">通知失败，请立即电话联系</span>' in rows
    assert '<span class="oncall working">正在通知值班：王*</span>' in rows
    assert '<span class="oncall danger">还没通知到值班（已过 5 分钟），请立即电话联系</span>' in rows
    assert rows.count("oncall-failed") == 2 and "王芳" not in rows and "13800000001" not in rows
    page = boss.get(f"/console/conversations/{failed}").get_data(as_text=True)
    assert 'id="oncall-state" class="oncall danger"' in page and "通知失败，请立即电话联系" in page
    assert "王* 没发出去（1001 invalid number）" in page and "陈* 没发出去（1001 invalid number）" in page
    assert "已通知值班：王* 01:30" in boss.get(f"/console/conversations/{reached}").get_data(as_text=True)
    assert "通知失败，已转给 陈* 01:31" in boss.get(f"/console/conversations/{escalated}").get_data(as_text=True)
    assert "oncall-state" not in boss.get(f"/console/conversations/{quiet.id}").get_data(as_text=True)
    landing = boss.get("/admin/").get_data(as_text=True)
    assert "1 次通知值班失败" in landing
    rota = boss.get("/admin/oncall/").get_data(as_text=True)
    assert "暴力伤害" in rota and "通知失败，请立即电话联系" in rota
