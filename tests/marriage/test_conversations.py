"""Marriage booking conversations through the real stack, as WeChat residents: WeChat → web → Rasa → actions →
back-office.

Residents are people of the registry who verified on WeChat through the real pages (tests/identity/wechat_signin:
the stand-in's web authorisation, the identity provider, the SMS demo page), never rows a test inserts; they type
what a resident types (intent syntax cannot be typed on WeChat). Test data (a full day, a past divorce
application, and the binding of the one web chat resident who books: the subject there is the choices, not the
sign-in) is put straight into the stack's back-office database. The takeover and the divorce-status leak of
issue 19 are reproduced and now get nothing.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backoffice.marriage.models import MarriageAppointment, MarriageParty, MarriageSlot
from backoffice.residents.models import Resident as RegistryResident
from backoffice.residents.models import WechatBinding
from common.db import make_engine
from common.masking import mask_id_number, mask_name, mask_phone
from tests.conftest import Stack
from tests.identity.wechat_signin import verify
from tests.marriage.people import Person, person, verified
from tools import stack as stack_tools

pytestmark = pytest.mark.stack
_n = itertools.count()


def registry_resident(live_stack: Stack, gender: str, ages: tuple[int, int] = (25, 55)):
    """A resident of the registry with a phone (to verify with), not bound to any WeChat yet, aged within ``ages``."""
    today = date.today()
    youngest, oldest = (today - timedelta(days=round(365.25 * a)) for a in ages)
    engine = make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(RegistryResident.id, RegistryResident.name, RegistryResident.id_number, RegistryResident.phone)
                .where(
                    RegistryResident.phone != "",
                    RegistryResident.gender == gender,
                    RegistryResident.birth_date.between(oldest, youngest),
                    RegistryResident.id.not_in(select(WechatBinding.resident_id)),
                )
                .order_by(RegistryResident.id)
                .limit(1)
            ).one()
    finally:
        engine.dispose()


class Resident:
    """One resident writing to the Official Account; verified (实名认证) as ``record`` when one is given."""

    def __init__(self, live_stack: Stack, tag: str, record=None) -> None:
        self.stack = live_stack
        self.openid = f"oMr{tag}{uuid.uuid4().hex[:8]}"
        self.record = record
        if record is not None:
            verify(live_stack, self.openid, record)

    @classmethod
    def verified(cls, live_stack: Stack, tag: str, gender: str = "男", ages: tuple[int, int] = (25, 55)) -> Resident:
        return cls(live_stack, tag, registry_resident(live_stack, gender, ages))

    def events(self) -> list[dict]:
        return self.tracker().get("events") or []

    def tracker(self) -> dict:
        return requests.get(
            f"{self.stack.url('rasa')}/conversations/{self.openid}/tracker",
            params={"token": self.stack.env["RASA_TOKEN"]},
            timeout=10,
        ).json()

    def say(self, message: str) -> str:
        """What the resident reads after ``message``: the passive reply (with what the platform adds, such as the
        verification link) and the bot's turn as Rasa recorded it (texts and choices; a long turn comes later
        through the customer-service API)."""
        sent = time.time() - 0.01  # Rasa stamps the resident's message when it reads it (same machine)
        delivery = self.stack.wechat.send_text(self.openid, message)
        assert delivery.status == 200, delivery
        deadline = time.monotonic() + 30
        while True:
            events = self.events()
            turn = next(
                (i for i in range(len(events) - 1, -1, -1) if events[i]["event"] == "user"),
                None,
            )
            if (
                turn is not None
                and events[turn]["timestamp"] >= sent
                and events[-1]["event"] == "action"
                and events[-1]["name"] == "action_listen"
            ):
                new = events[turn:]
                break
            assert time.monotonic() < deadline, f"no answer to {message!r} within 30 s: {delivery}"
            time.sleep(0.2)
        bot = [e for e in new if e["event"] == "bot"]
        said = [e.get("text") or "" for e in bot]
        said += [b["title"] for e in bot for b in (e.get("data") or {}).get("buttons") or []]
        return "\n".join([delivery.reply or "", *said])

    def choices(self) -> list[dict]:
        """The buttons of the bot's latest message that has any: the numbered choices WeChat showed."""
        for event in reversed(self.events()):
            buttons = (event.get("data") or {}).get("buttons") if event["event"] == "bot" else None
            if buttons:
                return buttons
        return []

    def confirm_self(self, first_message: str) -> str:
        """Start booking: the bot reads the resident's own name and ID number back masked; they say yes."""
        reply = self.say(first_message)
        name, id_number = self.record.name, self.record.id_number
        assert "本人" in reply and mask_name(name) in reply and mask_id_number(id_number) in reply, reply
        assert id_number not in reply and name not in reply
        return self.say("对")

    @property
    def person(self) -> Person:
        return Person(self.record.name, self.record.id_number)


class WebResident:
    """One resident on the web chat (REST): its sender is the page's, so never verified through the pages."""

    def __init__(self, live_stack: Stack, name: str = "") -> None:
        self.stack = live_stack
        self.sender = f"mr-{name or 'r'}-{uuid.uuid4().hex[:8]}"

    @property
    def openid(self) -> str:
        return "web:" + self.sender

    def turn(self, message: str, web: str | None = None) -> list[dict]:
        """The bot's messages in Rasa's REST format, as the chat page gets them (buttons with their payloads)."""
        resp = requests.post(
            (web or self.stack.url("web")) + "/webhooks/rest/webhook",
            json={"sender": self.sender, "message": message},
            timeout=60,
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    def say(self, message: str, web: str | None = None) -> str:
        messages = self.turn(message, web)
        return "\n".join([m.get("text", "") for m in messages] + [b["title"] for b in buttons(messages)])


def buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in m.get("buttons", [])]


def tap(resident: WebResident, messages: list[dict], title: str) -> list[dict]:
    """The resident taps the button ``title`` on the chat page: its payload is the message sent."""
    return resident.turn(next(b["payload"] for b in buttons(messages) if b["title"] == title))


def backoffice(live_stack: Stack, path: str, body: dict | None = None, **params) -> requests.Response:
    return requests.request(
        "POST" if body is not None else "GET",
        live_stack.url("backoffice") + path,
        params=params,
        json=body,
        timeout=10,
        headers={"Authorization": f"Bearer {live_stack.env['BACKOFFICE_TOKEN']}"},
    )


def days(live_stack: Stack, office: str = "PT-MR-01", first: str | None = None, count: int = 40) -> list[dict]:
    params = {"days": count, **({"from": first} if first else {})}
    return backoffice(live_stack, f"/offices/{office}/availability", **params).json()["days"]


def open_days(live_stack: Stack, office: str = "PT-MR-01") -> list[str]:
    return [d["date"] for d in days(live_stack, office) if d["open"] and not d["peak"]]


def mine(live_stack: Stack, resident: Resident) -> list[dict]:
    return backoffice(live_stack, "/marriage/appointments", openid=resident.openid).json()["appointments"]


def zh(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.month}月{d.day}日"


def typed(iso: str, half: str = "") -> str:
    """A day as a resident types it, with the year (the form reads 2026年12月9号 whatever the NLU makes of it)."""
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}号{half}"


def book_up_to_confirmation(
    r: Resident, day: str, partner: Person, office: str = "普陀区婚姻登记中心", half: str = "上午"
) -> str:
    assert "登记处" in r.confirm_self("你好，我想预约结婚登记")
    r.say(office)
    assert "另一方" in r.say(typed(day, half))
    r.say(partner.name)
    r.say(partner.id_number)
    return r.say("13812345678")


def past_divorce_application(bo_engine, openid: str, parties: tuple[Person, Person], days_ago: int) -> None:
    """A divorce application this couple handed in ``days_ago`` days ago (nobody books the past)."""
    applied = date.today() - timedelta(days=days_ago)
    with Session(bo_engine) as sess, sess.begin():
        appointment = MarriageAppointment(
            number=f"HYT{next(_n)}{uuid.uuid4().hex[:6]}",
            openid=openid,
            office_code="PT-MR-01",
            service="离婚",
            stage="申请",
            day=applied,
            start="09:00",
            end="10:00",
            phone="13912345678",
            status="booked",
        )
        appointment.parties = [
            MarriageParty(
                position=i, name=p.name, id_number=p.id_number, service_key="离婚申请", day=applied, active=False
            )
            for i, p in enumerate(parties, 1)
        ]
        sess.add(appointment)


@pytest.fixture(scope="module")
def bo_engine(live_stack):
    engine = make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"])
    yield engine
    engine.dispose()


# --- booking, as a verified resident -------------------------------------------------------------------------------


def test_happy_path_a_verified_resident_confirms_who_they_are_and_gives_only_the_other_party(live_stack):
    r = Resident.verified(live_stack, "happy", "男")
    day = open_days(live_stack)[2]
    woman = person("女", 27, "李娜")
    reply = r.confirm_self("你好，我想预约结婚登记")  # name and ID number from the registry, not typed
    assert "普陀区婚姻登记中心" in reply and "曹杨路1040弄2号" in reply  # offices read from the back-office
    reply = r.say("3")  # the third office listed: 普陀区婚姻登记中心
    assert "哪一天" in reply
    reply = r.say(typed(day, "上午"))
    assert "09:00" in reply and "另一方" in reply  # the first free morning slot, then only the other party
    r.say(woman.name)
    reply = r.say(woman.id_number)
    assert "手机" in reply and mask_phone(r.record.phone) in reply  # the registry's, offered masked for a yes
    summary = r.say("好")
    assert "请核对" in summary and zh(day) in summary and "普陀区婚姻登记中心" in summary
    assert r.record.id_number not in summary and mask_id_number(r.record.id_number) in summary
    assert woman.id_number not in summary and mask_phone(r.record.phone) in summary
    assert r.record.phone not in summary
    done = r.say("确认")
    assert "预约成功" in done and "HY" in done and "曹杨路1040弄2号" in done and "09:00" in done and "身份证" in done
    (appointment,) = mine(live_stack, r)
    assert appointment["number"] in done
    assert [p["name"] for p in appointment["parties"]] == [r.record.name, woman.name]
    assert appointment["phone"] == mask_phone(r.record.phone)
    # A second confirmation books nothing more.
    r.say("确认")
    assert [a["number"] for a in mine(live_stack, r)] == [appointment["number"]]
    assert appointment["number"] in r.say("我的预约还有效吗")
    stranger = Resident.verified(live_stack, "stranger", "女")
    assert "没有查到" in stranger.say("我的预约还有效吗")


def test_offices_days_and_time_slots_are_picked_by_number_on_wechat(live_stack):
    """The choices come as buttons: WeChat numbers them, and "2" / "第二个" is sent to the form as that button's
    payload (the office's name, the ISO day, the slot's start), which the form reads like a typed answer."""
    r = Resident.verified(live_stack, "bynumber", "男")
    woman = person("女", 26, "郑洁")
    r.confirm_self("你好，我想预约结婚登记")
    offices = r.choices()
    served = [o for o in backoffice(live_stack, "/offices").json()["offices"] if "结婚" in o["services"]]
    assert [(b["title"], b["payload"]) for b in offices] == [
        (f"{o['name']}（{o['address']}）", o["name"]) for o in served
    ]
    assert "哪一天" in r.say("2")
    offered_days = r.choices()
    assert len(offered_days) > 1 and all(date.fromisoformat(b["payload"]) for b in offered_days)
    assert "还能约的时段" in r.say("第二个")
    offered_slots = r.choices()
    assert "另一方" in r.say("2")
    r.say(woman.name)
    r.say(woman.id_number)
    summary = r.say("好")
    assert "请核对" in summary and offices[1]["payload"] in summary and offered_slots[1]["payload"] in summary
    assert "预约成功" in r.say("确认")
    (appointment,) = mine(live_stack, r)
    picked = (offices[1]["payload"], offered_days[1]["payload"], offered_slots[1]["payload"])
    assert (appointment["office"]["name"], appointment["date"], appointment["start"]) == picked


def test_a_web_chat_resident_taps_the_choices_or_types_their_number(live_stack, bo_engine):
    record = registry_resident(live_stack, "女")
    w = WebResident(live_stack, "tap")
    verified(bo_engine, w.openid, Person(record.name, record.id_number))  # the subject is the choices, not the sign-in
    asked = w.turn("我想预约结婚登记")
    assert mask_name(record.name) in asked[-1]["text"]
    asked = tap(w, asked, "对，是我本人")
    assert "登记处" in asked[-1]["text"]
    office = next(b for b in buttons(asked) if b["title"].startswith("普陀区婚姻登记中心（"))
    asked = tap(w, asked, office["title"])
    days_offered = buttons(asked)
    assert "哪一天" in asked[-1]["text"] and len(days_offered) > 1
    asked = tap(w, asked, days_offered[1]["title"])
    slots_offered = buttons(asked)
    assert "还能约的时段" in asked[-1]["text"] and len(slots_offered) > 1
    assert "另一方" in w.say("2")  # typed: the second time slot, as on WeChat
    man = person("男", 31, "冯涛")
    w.say(man.name)
    asked = w.turn(man.id_number)
    asked = tap(w, asked, "用这个号码")
    assert "请核对" in asked[-1]["text"]
    assert any("预约成功" in m.get("text", "") for m in tap(w, asked, "确认预约"))
    (appointment,) = mine(live_stack, w)
    picked = ("普陀区婚姻登记中心", days_offered[1]["payload"], slots_offered[1]["payload"])
    assert (appointment["office"]["name"], appointment["date"], appointment["start"]) == picked
    assert [p["name"] for p in appointment["parties"]] == [record.name, man.name]


def test_a_resident_who_is_not_who_the_wechat_was_verified_as_books_nothing(live_stack):
    r = Resident.verified(live_stack, "notme", "女")
    r.say("你好，我想预约结婚登记")
    reply = r.say("不是我")
    assert "本人" in reply and "实名认证" in reply
    assert not (r.tracker().get("active_loop") or {}).get("name") and mine(live_stack, r) == []


def test_an_unverified_resident_is_asked_to_verify_before_typing_anything(live_stack):
    r = Resident(live_stack, "new")
    reply = r.say("你好，我想预约结婚登记")
    assert "实名认证" in reply and "/identity/bind/" in reply and "登记处" not in reply
    assert not (r.tracker().get("active_loop") or {}).get("name")
    for asked in ("我的预约还有效吗", "帮我取消预约", "我想改约"):
        reply = r.say(asked)
        assert "实名认证" in reply and "/identity/bind/" in reply, (asked, reply)


# --- issue 19: the takeover and the divorce-status leak, reproduced ------------------------------------------------


def test_a_sender_naming_someone_elses_id_number_in_a_reissue_gets_nothing_of_theirs(live_stack):
    """Before: a sender with no binding booked a 补领 naming a verified resident's ID number, was bound to that
    number, then listed that resident's appointment (date, office, both names) and cancelled it."""
    victim = Resident.verified(live_stack, "victim", "男")
    partner = person("女", 29, "韩梅")
    book_up_to_confirmation(victim, open_days(live_stack)[3], partner)
    assert "预约成功" in victim.say("确认")
    (appointment,) = mine(live_stack, victim)
    secrets = (victim.record.name, partner.name, appointment["number"], zh(appointment["date"]))

    wechat_thief, web_thief = Resident(live_stack, "thief"), WebResident(live_stack, "thief")
    for thief in (wechat_thief, web_thief):
        for message in ("预约补领结婚证", "我的预约还有效吗", "帮我取消预约"):
            reply = thief.say(message)
            assert "实名认证" in reply and not any(s in reply for s in secrets), (message, reply)
    # What the actions would send for them, straight to the back-office: refused, nothing bound, nothing shown.
    refused = backoffice(
        live_stack,
        "/marriage/appointments",
        {
            "openid": web_thief.openid,
            "office_code": "PT-MR-01",
            "service": "补领",
            "date": open_days(live_stack)[4],
            "start": "10:00",
            "parties": [victim.person.as_party()],
            "phone": "13700000000",
        },
    )
    assert refused.status_code == 403 and refused.json()["error"] == "not_bound"
    for thief in (wechat_thief, web_thief):
        listed = backoffice(live_stack, "/marriage/appointments", openid=thief.openid)
        cancel = backoffice(
            live_stack, f"/marriage/appointments/{appointment['number']}/cancel", {"openid": thief.openid}
        )
        assert (listed.status_code, cancel.status_code) == (403, 403)
        assert not any(s in listed.text + cancel.text for s in secrets)
    assert [(a["number"], a["status"]) for a in mine(live_stack, victim)] == [(appointment["number"], "booked")]


def test_two_id_numbers_tell_nobody_whether_or_when_a_couple_applied_to_divorce(live_stack, bo_engine):
    """Before: 离婚领证 with two ID numbers told anyone whether and when that couple applied (PIPL art. 28)."""
    wife = registry_resident(live_stack, "女", (35, 60))
    husband = person("男", 45, "蒋文")
    couple = (Person(wife.name, wife.id_number), husband)
    past_divorce_application(bo_engine, "oSomeoneElse", couple, days_ago=40)
    applied = date.today() - timedelta(days=40)
    secrets = (zh(applied.isoformat()), zh((applied + timedelta(days=31)).isoformat()))

    nosy = WebResident(live_stack, "nosy")
    reply = nosy.say("预约离婚登记")
    assert "实名认证" in reply and not any(s in reply for s in secrets)
    # A verified neighbour cannot name two other people: party 1 is the neighbour, and the window is theirs only.
    neighbour = Resident.verified(live_stack, "neighbour", "男", (35, 60))
    assert "冷静期" in neighbour.say("预约离婚登记")
    assert "本人" in neighbour.say("2")  # 冷静期满领离婚证
    neighbour.say("对")
    neighbour.say(husband.name)
    reply = neighbour.say(husband.id_number)
    assert "没有查到" in reply and not any(s in reply for s in secrets)
    # What the actions would ask for them, straight to the back-office: the answer a couple that never applied gets.
    never = [person("男", 50, "甲大明").as_party(), person("女", 50, "乙小红").as_party()]
    reference = backoffice(live_stack, "/marriage/divorce-window", {"openid": neighbour.openid, "parties": never})
    assert reference.status_code == 422 and reference.json()["error"] == "no_divorce_application"
    for openid in (nosy.openid, neighbour.openid):
        asked = backoffice(
            live_stack, "/marriage/divorce-window", {"openid": openid, "parties": [p.as_party() for p in couple]}
        )
        assert (asked.status_code, asked.json()) == (reference.status_code, reference.json())


# --- the rest of booking -------------------------------------------------------------------------------------------


def test_a_full_day_is_refused_and_the_nearest_free_day_taken_or_the_next_offered(live_stack, bo_engine):
    r = Resident.verified(live_stack, "full", "男")
    full_day = open_days(live_stack, "BS-MR-02")[3]
    offices = backoffice(live_stack, "/offices").json()["offices"]
    timetable = next(o for o in offices if o["code"] == "BS-MR-02")
    with Session(bo_engine) as sess, sess.begin():
        for s in days(live_stack, "BS-MR-02", full_day, 1)[0]["slots"]:
            existing = sess.scalar(
                select(MarriageSlot).where(
                    MarriageSlot.office_code == "BS-MR-02",
                    MarriageSlot.day == date.fromisoformat(full_day),
                    MarriageSlot.start == s["start"],
                )
            )
            if existing:
                existing.capacity = existing.booked
            else:
                sess.add(
                    MarriageSlot(
                        office_code="BS-MR-02",
                        day=date.fromisoformat(full_day),
                        start=s["start"],
                        end=s["end"],
                        capacity=0,
                        booked=0,
                    )
                )
    assert timetable["name"] in r.confirm_self("你好，我想预约结婚登记")
    r.say("宝山区婚姻登记中心南部服务点")
    reply = r.say(typed(full_day))
    assert "约满" in reply
    after = next(  # peak days (12·12, 5·20) count: the bot offers them like any other day with room
        d["date"]
        for d in days(live_stack, "BS-MR-02")
        if d["open"] and d["date"] > full_day and any(s["free"] > 0 for s in d["slots"])
    )
    if date.fromisoformat(after) - date.fromisoformat(full_day) <= timedelta(days=3):  # the nearest day is taken
        assert f"最近能约的是{zh(after)}" in reply and "时段" in reply, reply
        return
    assert "哪一天" in reply
    offered = reply.split("最近能约的日子有")[-1]
    assert zh(full_day) not in offered and zh(after) in offered


def first_closed_day(live_stack: Stack) -> dict:
    """A public holiday in the booking window if there is one, else a weekend day."""
    window = [d for d in days(live_stack, first=(date.today() + timedelta(days=1)).isoformat(), count=60)]
    holidays = [d for d in window if "法定节假日" in d["reason"]]  # weekends say 周末, whatever year they are in
    return (holidays or [d for d in window if "周末" in d["reason"]])[0]


def test_a_holiday_or_weekend_is_explained_and_the_nearest_open_day_taken_or_offered(live_stack):
    r = Resident.verified(live_stack, "holiday", "女")
    closed = first_closed_day(live_stack)
    r.confirm_self("预约补领结婚证")
    r.say("普陀区婚姻登记中心")
    reply = r.say(typed(closed["date"]))
    assert closed["reason"] in reply
    after = next(d for d in open_days(live_stack) if d > closed["date"])
    if date.fromisoformat(after) - date.fromisoformat(closed["date"]) <= timedelta(days=3):  # the nearest day is taken
        assert f"最近能约的是{zh(after)}" in reply, reply
    else:
        assert "哪一天" in reply


def test_an_invalid_id_number_of_the_other_party_is_asked_again_masked(live_stack):
    r = Resident.verified(live_stack, "badid", "男")
    r.confirm_self("你好，我想预约结婚登记")
    r.say("普陀区婚姻登记中心")
    r.say(typed(open_days(live_stack)[4], "下午"))
    r.say("王芳")
    bad = "310107199001011234"
    reply = r.say(bad)
    assert "身份证号码不对" in reply and bad not in reply
    reply = r.say(person("女", 30).id_number)
    assert "手机" in reply


def test_an_under_age_party_is_told_when_they_may_marry(live_stack):
    r = Resident.verified(live_stack, "young", "男")
    r.confirm_self("你好，我想预约结婚登记")
    r.say("普陀区婚姻登记中心")
    r.say(typed(open_days(live_stack)[1], "上午"))
    r.say("刘洋")
    reply = r.say(person("女", 19).id_number)
    assert "20周岁" in reply and "才满" in reply


def test_divorce_explains_the_cooling_off_period_and_offers_only_days_31_to_60(live_stack, bo_engine):
    r = Resident.verified(live_stack, "divorce", "男", (35, 60))
    wife = person("女", 38, "周敏")
    applied = date.today() - timedelta(days=20)
    past_divorce_application(bo_engine, r.openid, (r.person, wife), days_ago=20)
    reply = r.say("预约离婚登记")
    assert "30天的冷静期" in reply and "第31天到第60天" in reply
    assert "本人" in r.say("领离婚证")
    assert "另一方" in r.say("对")
    r.say(wife.name)
    r.say(wife.id_number)
    reply = r.say("1")  # the first office
    first, last = applied + timedelta(days=31), applied + timedelta(days=60)
    assert f"{zh(first.isoformat())}" in reply and f"{zh(last.isoformat())}" in reply
    offered = reply.split("最近能约的日子有")[-1]
    too_early = [d for d in open_days(live_stack) if date.fromisoformat(d) < first]
    assert not any(zh(d) + "（" in offered for d in too_early)

    # A couple with no application on record is told so, and offered the application visit instead.
    other = Resident.verified(live_stack, "divorce2", "女", (35, 60))
    other.say("预约离婚登记")
    other.say("2")  # 冷静期满领离婚证
    other.say("对")
    husband = person("男", 45, "吴刚")
    other.say(husband.name)
    reply = other.say(husband.id_number)
    assert "没有查到" in reply and "提交离婚申请" in reply


def test_changing_the_date_and_phone_at_the_read_back(live_stack):
    r = Resident.verified(live_stack, "change", "女")
    first_day, other_day = open_days(live_stack)[5], open_days(live_stack)[6]
    summary = book_up_to_confirmation(r, first_day, person("男", 33, "孙立"))
    assert zh(first_day) in summary
    reply = r.say(f"日期改成{typed(other_day)}")
    assert "请核对" in reply and zh(other_day) in reply and zh(first_day) not in reply.split("请核对")[-1]
    reply = r.say("电话要改一下")
    assert "手机" in reply
    reply = r.say("13900001111")
    assert "139****1111" in reply
    assert "改哪一项" in r.say("不对")
    reply = r.say("改时间")
    assert "还能约的时段" in reply
    assert "请核对" in r.say("2")
    assert "预约成功" in r.say("确认")
    assert mine(live_stack, r)[0]["date"] == other_day


def test_stopping_in_the_middle_leaves_nothing_behind(live_stack):
    r = Resident.verified(live_stack, "stop", "男")
    r.confirm_self("你好，我想预约结婚登记")
    r.say("1")
    assert "不办了" in r.say("不预约了 太复杂")
    assert not (r.tracker().get("active_loop") or {}).get("name") and mine(live_stack, r) == []


def test_a_side_question_about_materials_mid_form_then_the_form_goes_on(live_stack):
    r = Resident.verified(live_stack, "side", "女")
    r.confirm_self("你好，我想预约结婚登记")
    reply = r.say("领证要带什么")
    assert "合影照片" in reply and "登记处" in reply  # materials for 结婚, then the office question again


# --- look up, cancel, reschedule: appointments in which the verified resident is a party ---------------------------


def test_cancel_own_appointment(live_stack):
    r = Resident.verified(live_stack, "cancel", "男")
    book_up_to_confirmation(r, open_days(live_stack)[7], person("女", 32, "林琳"))
    assert "预约成功" in r.say("确认")
    number = mine(live_stack, r)[0]["number"]
    stranger = Resident.verified(live_stack, "cancelstranger", "男")
    assert "没有查到" in stranger.say("帮我取消预约")
    reply = r.say("我的预约不要了")
    assert number in reply and "确定取消" in reply
    assert "已经帮您取消" in r.say("确认")
    assert mine(live_stack, r) == []


def test_reschedule_own_appointment(live_stack):
    r = Resident.verified(live_stack, "move", "女")
    days_open = open_days(live_stack)
    book_up_to_confirmation(r, days_open[8], person("男", 36, "黄磊"))
    assert "预约成功" in r.say("确认")
    reply = r.say("我想改约")
    assert "哪一天" in reply
    reply = r.say(typed(days_open[9]))
    assert "时段" in reply
    reply = r.say("1")
    assert "确定吗" in reply and zh(days_open[9]) in reply
    assert "改好了" in r.say("确认")
    assert mine(live_stack, r)[0]["date"] == days_open[9]


# --- the back-office is down ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def without_backoffice(live_stack, tmp_path_factory) -> Iterator[dict[str, str]]:
    """A second actions server whose back-office URL is a dead port, with its own Rasa and web in front
    (same model, Redis and platform database as the live stack)."""
    dead = stack_tools.free_port()
    ports = {
        "ACTIONS_PORT": stack_tools.free_port(),
        "RASA_PORT": stack_tools.free_port(),
        "WEB_PORT": stack_tools.free_port(),
    }
    urls = {name.split("_")[0].lower(): f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **live_stack.env,
        **{k: str(v) for k, v in ports.items()},
        "BACKOFFICE_URL": f"http://127.0.0.1:{dead}",
        "ACTIONS_URL": urls["actions"],
        "RASA_URL": urls["rasa"],
    }
    log_dir = tmp_path_factory.mktemp("down") / "logs"
    procs = {}
    try:
        for name in ("actions", "rasa", "web"):
            procs[name] = stack_tools.start_process(name, env, log_dir)
        stack_tools.wait_http(urls["actions"] + "/health", 60, procs["actions"])
        stack_tools.wait_http(urls["rasa"] + "/", 300, procs["rasa"])
        stack_tools.wait_http(urls["web"] + "/healthz", 60, procs["web"])
        yield urls
    finally:
        for proc in procs.values():
            stack_tools.stop_process(proc)


def test_backoffice_down_is_said_plainly_and_a_person_takes_over(live_stack, without_backoffice):
    r = WebResident(live_stack, "down")
    reply = r.say('/marriage_book{"marriage_type": "结婚"}', web=without_backoffice["web"])
    assert "连不上" in reply and "工作人员" in reply and "预约成功" not in reply
    # The conversation is now with the agents' queue: the bot does not carry on with the booking.
    engine = make_engine(live_stack.env["DATABASE_URL"])
    with engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM conversation WHERE sender_id = :s"), {"s": r.openid}).scalar()
    engine.dispose()
    assert state != "bot"
    assert "登记处" not in r.say("还在吗", web=without_backoffice["web"])


def test_a_booking_the_back_office_may_have_received_is_never_called_failed(without_backoffice, live_stack):
    """The submit step on the actions server whose back-office is unreachable (Rasa's action protocol, real HTTP):
    the request may have reached the back-office, so the resident is not told it failed, and a person takes over."""
    man, woman = person("男", 30, "何军"), person("女", 29, "许静")
    slots = {
        "marriage_type": "结婚",
        "marriage_office": "PT-MR-01",
        "marriage_date": "2026-12-09",
        "marriage_slot": "09:00",
        "marriage_party1_name": man.name,
        "marriage_party1_id": man.id_number,
        "marriage_party2_name": woman.name,
        "marriage_party2_id": woman.id_number,
        "marriage_phone": "13812345678",
        "marriage_confirmed": True,
    }
    payload = {
        "next_action": "action_marriage_submit",
        "domain": {},
        "tracker": {"sender_id": "web:down-submit", "slots": slots, "latest_message": {"text": "确认"}, "events": []},
    }
    resp = requests.post(
        without_backoffice["actions"] + "/webhook",
        json=payload,
        headers={"Authorization": f"Bearer {live_stack.env['ACTIONS_TOKEN']}"},  # as Rasa sends it (bot/endpoints.yml)
        timeout=60,
    )
    assert resp.status_code == 200
    responses = resp.json()["responses"]
    assert [m["response"] for m in responses] == ["utter_marriage_booking_unconfirmed", "utter_handoff"]
    assert responses[-1]["custom"]["handoff"]["reason"] == "backoffice_down"
    # What the resident gave is kept (only the confirmation is asked again), so nothing is lost or half-told.
    assert [e for e in resp.json()["events"] if e["event"] == "slot"] == [
        {
            "event": "slot",
            "name": "marriage_confirmed",
            "value": None,
            "timestamp": resp.json()["events"][0]["timestamp"],
        }
    ]
