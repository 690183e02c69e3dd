"""A waiting-list place that becomes a 祭扫 booking is told to the resident once, by the best channel they allow, with
the day, gate, time, people, the booking number and the gate link: the back-office publishes it on its change feed in
the cancelling transaction (backoffice/cemetery/booking.py) and the platform's reader tells it (web/status_updates/).

Real PostgreSQL for both databases, the back-office over HTTP, real Redis (tests/status_updates/conftest.py)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backoffice.changes.models import Change
from backoffice.marriage.calendar import chinese_date
from backoffice.residents.models import WechatBinding
from tests.cemetery.conftest import season_days
from tests.marriage.people import person, verified
from tests.status_updates.conftest import rows
from tests.status_updates.test_reader import read
from web.outbound.mailbox import Mailbox
from web.outbound.models import OutboundMessage
from web.status_updates.models import StatusUpdate
from web.wechat_api.rules import template_problems

GATE, STARTS = "CEM-PT-01-M", ["08:00", "10:00", "12:00", "14:00"]
WEB, WECHAT, GONE = "web:page-cem1", "o-cem-waiting", "o-cem-unbound"


def test_a_waiting_list_place_that_becomes_a_booking_is_told_once_with_the_gate_link(backoffice, told):
    platform, notifier, queued = told
    engine = backoffice.sessions.kw["bind"]
    day = season_days()[0]
    bo = backoffice.client
    bo.put(f"/cemetery/openings/{day}", {"opens_at": "2020-01-01T10:00"})
    for start in STARTS:  # one place a slot, so the day fills with four residents
        bo.put(f"/cemetery/gates/{GATE}/capacity", {"start": start, "capacity": 1, "dates": [day.isoformat()]})
    holders = []
    for i, start in enumerate(STARTS):
        verified(engine, f"o-cem-holder-{i}", person("男", 50 + i))
        visit = {"cemetery_code": "CEM-PT-01", "date": day.isoformat(), "gate_code": GATE, "start": start}
        holders.append(bo.post("/cemetery/bookings", {**visit, "openid": f"o-cem-holder-{i}"}, f"cem-{i}"))
    for sender in (WEB, WECHAT, GONE):
        verified(engine, sender, person("女", 70, "王秀兰"))
        bo.post("/cemetery/waitlist", {"openid": sender, "cemetery_code": "CEM-PT-01", "date": day.isoformat()})
    with Session(engine) as sess, sess.begin():  # the third one unbinds (解除绑定) before a place is freed for them
        sess.execute(delete(WechatBinding).where(WechatBinding.openid == GONE))
    assert read(platform, backoffice, notifier) == 0  # joining is answered in the chat: nothing in the feed
    for i in range(3):
        bo.post(f"/cemetery/bookings/{holders[i]['number']}/cancel", {"openid": f"o-cem-holder-{i}"})

    assert read(platform, backoffice, notifier) == 2
    assert read(platform, backoffice, notifier) == 0  # told once
    with Session(engine) as sess:
        changes = sess.scalars(select(Change).order_by(Change.id)).all()
    assert [(c.domain, c.kind, c.recipient) for c in changes] == [
        ("cemetery", "waitlist_booked", WEB),
        ("cemetery", "waitlist_booked", WECHAT),
    ]  # the unbound sender's place became a booking too, but nobody is told about it on that WeChat
    web_booking, wechat_booking = (c.data for c in changes)

    [(_, body)] = Mailbox(platform).after(WEB, None)  # the web chat: the full text in the chat page's mailbox
    said = body["text"]
    assert said.startswith("您好，好消息！您排的祭扫候补有名额了，已经帮您约好：")
    assert (
        f"{chinese_date(day)} {STARTS[0]}—10:00，从普陀区长风骨灰堂正门进，一共1个人，预约号 {changes[0].ref}" in said
    )
    assert web_booking["gate_url"] in said and "/cemetery/gate/" in web_booking["gate_url"]
    assert "取消扫墓预约" in said

    [template] = rows(platform, OutboundMessage, OutboundMessage.recipient == WECHAT)  # window closed, no consent
    assert template.kind == "template" and template.body["template_id"] == "TPL_appointment_reminder"
    assert template.body["url"] == wechat_booking["gate_url"]  # tapped, it opens the gate-check page
    data = template.body["data"]
    assert (data["thing1"]["value"], data["character_string2"]["value"], data["thing4"]["value"]) == (
        "祭扫预约（候补约上了）",
        changes[1].ref,
        "普陀区长风骨灰堂正门",
    )
    assert data["time3"]["value"] == f"{day.year}年{day.month}月{day.day}日 {STARTS[1]}"  # the start: 20 at most
    assert not template_problems(data)
    assert ("wechat.send_template", [template.id]) in queued.tasks
    assert sorted((u.domain, u.channel) for u in rows(platform, StatusUpdate)) == [
        ("cemetery", "template"),
        ("cemetery", "web"),
    ]
