"""Staff changing when booking a 祭扫 day opens (/admin/cemetery/ → ``PUT /cemetery/openings/{day}``) tell each resident
already booked that day, once, by the best channel they allow: the new time, that their booking stands (with the gate
link), and how to move or cancel it. The back-office publishes it on its change feed in the changing transaction
(backoffice/cemetery/plan.py) and the platform's reader tells it (web/status_updates/), as the waiting list's push.

Real PostgreSQL for both databases, the back-office over HTTP, real Redis (tests/status_updates/conftest.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backoffice.cemetery.schedule import moment_label
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

GATE, START = "CEM-PT-01-M", "10:00"
WEB, WECHAT, GONE, CANCELLED = "web:page-open1", "o-open-booked", "o-open-unbound", "o-open-cancelled"


def test_a_changed_opening_is_told_once_to_each_resident_booked_that_day(backoffice, told):
    platform, notifier, queued = told
    engine = backoffice.sessions.kw["bind"]
    day, other_day = season_days()[0], season_days()[1]
    bo = backoffice.client
    for d in (day, other_day):
        bo.put(f"/cemetery/openings/{d}", {"opens_at": "2020-01-01T10:00"})
    booked = {}
    for i, sender in enumerate((WEB, WECHAT, GONE, CANCELLED)):
        verified(engine, sender, person("女", 60 + i))
        visit = {"cemetery_code": "CEM-PT-01", "date": day.isoformat(), "gate_code": GATE, "start": START}
        booked[sender] = bo.post("/cemetery/bookings", {**visit, "openid": sender}, f"open-{i}")
    verified(engine, "o-open-other-day", person("男", 70))
    other = {"cemetery_code": "CEM-PT-01", "date": other_day.isoformat(), "gate_code": GATE, "start": START}
    bo.post("/cemetery/bookings", {**other, "openid": "o-open-other-day"}, "open-other")
    bo.post(f"/cemetery/bookings/{booked[CANCELLED]['number']}/cancel", {"openid": CANCELLED})
    with Session(engine) as sess, sess.begin():  # unbound (解除绑定) before the change: nobody's booking told on it
        sess.execute(delete(WechatBinding).where(WechatBinding.openid == GONE))
    assert read(platform, backoffice, notifier) == 0  # booking is answered in the chat: nothing in the feed

    moment = datetime.combine(day - timedelta(days=2), time(9, 30))
    bo.put(f"/cemetery/openings/{day}", {"opens_at": moment.isoformat(timespec="minutes")})
    bo.put(f"/cemetery/openings/{day}", {"opens_at": moment.isoformat(timespec="minutes")})  # saved again: no change

    assert read(platform, backoffice, notifier) == 2
    assert read(platform, backoffice, notifier) == 0  # told once
    with Session(engine) as sess:
        changes = sess.scalars(select(Change).order_by(Change.id)).all()
    assert [(c.domain, c.kind, c.recipient, c.ref) for c in changes] == [
        ("cemetery", "opening_moved", WEB, booked[WEB]["number"]),
        ("cemetery", "opening_moved", WECHAT, booked[WECHAT]["number"]),
    ]  # not the cancelled booking, not the unbound WeChat, not a booking of another day

    [(_, body)] = Mailbox(platform).after(WEB, None)  # the web chat: the full text in the chat page's mailbox
    said = body["text"]
    assert f"{chinese_date(day)}的祭扫预约，开始预约的时间改成了{moment_label(moment)}" in said
    assert "您已经约好的不受影响，照常有效" in said
    assert (
        f"{chinese_date(day)} {START}—12:00，从普陀区长风骨灰堂正门进，一共1个人，预约号 {booked[WEB]['number']}"
        in said
    )
    assert changes[0].data["gate_url"] in said and "/cemetery/gate/" in changes[0].data["gate_url"]
    assert "回复“改扫墓预约”" in said and "回复“取消扫墓预约”" in said

    [template] = rows(platform, OutboundMessage, OutboundMessage.recipient == WECHAT)  # window closed, no consent
    assert template.kind == "template" and template.body["template_id"] == "TPL_appointment_reminder"
    assert template.body["url"] == changes[1].data["gate_url"]  # tapped, it opens the gate-check page
    data = template.body["data"]
    assert (data["thing1"]["value"], data["character_string2"]["value"], data["thing4"]["value"]) == (
        "祭扫预约（开放时间改了）",
        booked[WECHAT]["number"],
        "普陀区长风骨灰堂正门",
    )
    assert data["time3"]["value"] == f"{day.year}年{day.month}月{day.day}日 {START}"
    assert not template_problems(data)
    assert ("wechat.send_template", [template.id]) in queued.tasks
    assert sorted((u.domain, u.channel) for u in rows(platform, StatusUpdate)) == [
        ("cemetery", "template"),
        ("cemetery", "web"),
    ]
