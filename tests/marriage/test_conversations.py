"""Marriage booking conversations through the real stack: web → Rasa → actions → back-office.

Most turns use Rasa's intent syntax (``/marriage_book{...}``) where the NLU is not what the
test is about; a few are free text. Test data (a full day, a past divorce application) is put
straight into the stack's back-office database; everything else goes through the conversation.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import chinese_calendar
import pytest
import requests
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backoffice.marriage.models import MarriageAppointment, MarriageParty, MarriageSlot
from common.db import make_engine
from tests.conftest import Stack
from tests.marriage.people import Person, person
from tools import stack as stack_tools

pytestmark = pytest.mark.stack
_n = itertools.count()


class Resident:
    """One resident chatting through the web app's REST channel."""

    def __init__(self, live_stack: Stack, name: str = "") -> None:
        self.stack = live_stack
        self.sender = f"mr-{name or 'r'}-{uuid.uuid4().hex[:8]}"

    @property
    def openid(self) -> str:
        return "web:" + self.sender

    def say(self, message: str, web: str | None = None) -> str:
        resp = requests.post(
            (web or self.stack.url("web")) + "/webhooks/rest/webhook",
            json={"sender": self.sender, "message": message},
            timeout=60,
        )
        assert resp.status_code == 200, resp.text
        self.last = resp.json()
        return "\n".join(
            [m.get("text", "") for m in self.last] + [b["title"] for m in self.last for b in m.get("buttons", [])]
        )

    def tracker(self) -> dict:
        return requests.get(
            f"{self.stack.url('rasa')}/conversations/{self.openid}/tracker",
            params={"token": self.stack.env["RASA_TOKEN"]},
            timeout=10,
        ).json()


def backoffice(live_stack: Stack, path: str, **params) -> dict:
    return requests.get(
        live_stack.url("backoffice") + path,
        params=params,
        timeout=10,
        headers={"Authorization": f"Bearer {live_stack.env['BACKOFFICE_TOKEN']}"},
    ).json()


def days(live_stack: Stack, office: str = "PT-MR-01", first: str | None = None, count: int = 40) -> list[dict]:
    params = {"days": count, **({"from": first} if first else {})}
    return backoffice(live_stack, f"/offices/{office}/availability", **params)["days"]


def open_days(live_stack: Stack, office: str = "PT-MR-01") -> list[str]:
    return [d["date"] for d in days(live_stack, office) if d["open"] and not d["peak"]]


def mine(live_stack: Stack, resident: Resident) -> list[dict]:
    return backoffice(live_stack, "/marriage/appointments", openid=resident.openid)["appointments"]


def zh(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.month}月{d.day}日"


def book_up_to_confirmation(
    r: Resident, live_stack: Stack, day: str, man: Person, woman: Person, office: str = "普陀区婚姻登记中心"
) -> str:
    r.say('/marriage_book{"marriage_type": "结婚"}')
    r.say(office)
    r.say(f'/marriage_book{{"date": "{day}", "time_of_day": "上午"}}')
    r.say(man.name)
    r.say(man.id_number)
    r.say(woman.name)
    r.say(woman.id_number)
    return r.say("13812345678")


@pytest.fixture(scope="module")
def bo_engine(live_stack):
    engine = make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"])
    yield engine
    engine.dispose()


# --- booking -------------------------------------------------------------------------------------------------------


def test_happy_path_with_free_text_gives_number_address_time_and_materials(live_stack):
    r = Resident(live_stack, "happy")
    day = open_days(live_stack)[2]
    man, woman = person("男", 30, "张伟"), person("女", 27, "李娜")
    reply = r.say("你好，我想预约结婚登记")
    assert "普陀区婚姻登记中心" in reply and "曹杨路1040弄2号" in reply  # offices read from the back-office
    reply = r.say("3")  # the third office listed: 普陀区婚姻登记中心
    assert "哪一天" in reply
    d = date.fromisoformat(day)
    reply = r.say(f"{d.month}月{d.day}号上午")
    assert "09:00" in reply and man.name not in reply  # the first free morning slot, then the names
    assert "姓名" in reply
    r.say(f"我叫{man.name}")
    reply = r.say(f"我的身份证号是{man.id_number}")
    assert "另一方" in reply
    r.say(woman.name)
    r.say(woman.id_number)
    summary = r.say("13812345678")
    assert "请核对" in summary and zh(day) in summary and "普陀区婚姻登记中心" in summary
    assert man.id_number not in summary and man.id_number[-4:] in summary and "138****5678" in summary
    done = r.say("确认")
    assert "预约成功" in done and "HY" in done and "曹杨路1040弄2号" in done and "09:00" in done and "身份证" in done
    number = next(a["number"] for a in mine(live_stack, r))
    assert number in done
    # A second confirmation (or a retried request) books nothing more.
    r.say("/affirm")
    assert [a["number"] for a in mine(live_stack, r)] == [number]
    assert number in r.say("/marriage_my_booking")
    stranger = Resident(live_stack, "stranger")
    assert "没有查到" in stranger.say("/marriage_my_booking")


def test_a_full_day_is_refused_and_the_next_free_days_are_offered(live_stack, bo_engine):
    r = Resident(live_stack, "full")
    full_day = open_days(live_stack, "BS-MR-02")[3]
    office = backoffice(live_stack, "/offices")["offices"]
    timetable = next(o for o in office if o["code"] == "BS-MR-02")
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
    assert timetable["name"] in r.say('/marriage_book{"marriage_type": "结婚"}')
    r.say("宝山区婚姻登记中心南部服务点")
    reply = r.say(f'/marriage_book{{"date": "{full_day}"}}')
    assert "约满" in reply and "哪一天" in reply
    offered = reply.split("最近能约的日子有")[-1]
    assert zh(full_day) not in offered and any(
        zh(d) in offered for d in open_days(live_stack, "BS-MR-02") if d > full_day
    )


def first_closed_day(live_stack: Stack) -> dict:
    """A public holiday in the booking window if there is one, else a weekend day."""
    window = [d for d in days(live_stack, first=(date.today() + timedelta(days=1)).isoformat(), count=60)]
    holidays = [
        d
        for d in window
        if "法定节假日" in d["reason"] and chinese_calendar.get_holiday_detail(date.fromisoformat(d["date"]))[1]
    ]
    return (holidays or [d for d in window if "周末" in d["reason"]])[0]


def test_a_holiday_or_weekend_is_explained_and_open_days_offered(live_stack):
    r = Resident(live_stack, "holiday")
    closed = first_closed_day(live_stack)
    r.say('/marriage_book{"marriage_type": "补领"}')
    r.say("普陀区婚姻登记中心")
    reply = r.say(f'/marriage_book{{"date": "{closed["date"]}"}}')
    assert closed["reason"] in reply and "哪一天" in reply


def test_an_invalid_id_number_is_asked_again_masked(live_stack):
    r = Resident(live_stack, "badid")
    r.say('/marriage_book{"marriage_type": "结婚"}')
    r.say("普陀区婚姻登记中心")
    r.say(f'/marriage_book{{"date": "{open_days(live_stack)[4]}", "time_of_day": "下午"}}')
    r.say("王强")
    bad = "310107199001011234"
    reply = r.say(bad)
    assert "身份证号码不对" in reply and bad not in reply
    reply = r.say(person("男", 30).id_number)
    assert "另一方" in reply


def test_an_under_age_party_is_told_when_they_may_marry(live_stack):
    r = Resident(live_stack, "young")
    r.say('/marriage_book{"marriage_type": "结婚"}')
    r.say("普陀区婚姻登记中心")
    r.say(f'/marriage_book{{"date": "{open_days(live_stack)[1]}", "time_of_day": "上午"}}')
    r.say("刘洋")
    reply = r.say(person("男", 21).id_number)
    assert "22周岁" in reply and "才满" in reply


def test_divorce_explains_the_cooling_off_period_and_offers_only_days_31_to_60(live_stack, bo_engine):
    r = Resident(live_stack, "divorce")
    man, woman = person("男", 40, "陈明"), person("女", 38, "周敏")
    applied = date.today() - timedelta(days=20)
    with Session(bo_engine) as sess, sess.begin():
        appointment = MarriageAppointment(
            number=f"HYT{next(_n)}{uuid.uuid4().hex[:6]}",
            openid=r.openid,
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
            for i, p in enumerate((man, woman), 1)
        ]
        sess.add(appointment)
    reply = r.say('/marriage_book{"marriage_type": "离婚"}')
    assert "30天的冷静期" in reply and "第31天到第60天" in reply
    r.say("领离婚证")
    r.say(man.name)
    r.say(man.id_number)
    r.say(woman.name)
    r.say(woman.id_number)
    reply = r.say("1")  # the first office
    first, last = applied + timedelta(days=31), applied + timedelta(days=60)
    assert f"{zh(first.isoformat())}" in reply and f"{zh(last.isoformat())}" in reply
    offered = reply.split("最近能约的日子有")[-1]
    too_early = [d for d in open_days(live_stack) if date.fromisoformat(d) < first]
    assert not any(zh(d) + "（" in offered for d in too_early)

    # A couple with no application on record is told so, and offered the application visit instead.
    other = Resident(live_stack, "divorce2")
    other.say('/marriage_book{"marriage_type": "离婚"}')
    other.say("2")  # 冷静期满领离婚证
    a, b = person("男", 45, "吴刚"), person("女", 44, "郑红")
    for answer in (a.name, a.id_number, b.name):
        other.say(answer)
    reply = other.say(b.id_number)
    assert "没有查到" in reply and "提交离婚申请" in reply


def test_changing_the_date_and_phone_at_the_read_back(live_stack):
    r = Resident(live_stack, "change")
    first_day, other_day = open_days(live_stack)[5], open_days(live_stack)[6]
    summary = book_up_to_confirmation(r, live_stack, first_day, person("男", 33, "孙立"), person("女", 31, "钱芳"))
    assert zh(first_day) in summary
    d = date.fromisoformat(other_day)
    reply = r.say(f"日期改成{d.month}月{d.day}号")
    assert "请核对" in reply and zh(other_day) in reply and zh(first_day) not in reply.split("请核对")[-1]
    reply = r.say("电话要改一下")
    assert "手机号码" in reply
    reply = r.say("13900001111")
    assert "139****1111" in reply
    assert "改哪一项" in r.say("/deny")
    reply = r.say("改时间")
    assert "还能约的时段" in reply
    assert "请核对" in r.say("2")
    assert "预约成功" in r.say("/affirm")
    assert mine(live_stack, r)[0]["date"] == other_day


def test_stopping_in_the_middle_leaves_nothing_behind(live_stack):
    r = Resident(live_stack, "stop")
    r.say('/marriage_book{"marriage_type": "结婚"}')
    r.say("1")
    assert "不办了" in r.say("/stop")
    assert r.tracker()["active_loop"] in ({}, None, {"name": None}) and mine(live_stack, r) == []


def test_a_side_question_about_materials_mid_form_then_the_form_goes_on(live_stack):
    r = Resident(live_stack, "side")
    r.say('/marriage_book{"marriage_type": "结婚"}')
    reply = r.say("/marriage_materials")
    assert "合影照片" in reply and "登记处" in reply  # materials, then the office question again


def test_cancel_own_appointment(live_stack):
    r = Resident(live_stack, "cancel")
    book_up_to_confirmation(r, live_stack, open_days(live_stack)[7], person("男", 35, "马超"), person("女", 32, "林琳"))
    assert "预约成功" in r.say("/affirm")
    number = mine(live_stack, r)[0]["number"]
    stranger = Resident(live_stack, "cancel-stranger")
    assert "没有查到" in stranger.say("/marriage_cancel")
    reply = r.say("我的预约不要了")
    assert number in reply and "确定取消" in reply
    assert "已经帮您取消" in r.say("/affirm")
    assert mine(live_stack, r) == []


def test_reschedule_own_appointment(live_stack):
    r = Resident(live_stack, "move")
    days_open = open_days(live_stack)
    book_up_to_confirmation(r, live_stack, days_open[8], person("男", 36, "黄磊"), person("女", 34, "杨柳"))
    assert "预约成功" in r.say("/affirm")
    reply = r.say("/marriage_reschedule")
    assert "哪一天" in reply
    reply = r.say(f'/marriage_reschedule{{"date": "{days_open[9]}"}}')
    assert "时段" in reply
    reply = r.say("1")
    assert "确定吗" in reply and zh(days_open[9]) in reply
    assert "改好了" in r.say("/affirm")
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
    r = Resident(live_stack, "down")
    reply = r.say('/marriage_book{"marriage_type": "结婚"}', web=without_backoffice["web"])
    assert "连不上" in reply and "工作人员" in reply and "预约成功" not in reply
    # The conversation is now with the agents' queue: the bot does not carry on with the booking.
    engine = make_engine(live_stack.env["DATABASE_URL"])
    with engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM conversation WHERE sender_id = :s"), {"s": r.openid}).scalar()
    engine.dispose()
    assert state != "bot"
    assert "登记处" not in r.say("还在吗", web=without_backoffice["web"])


def test_a_booking_the_back_office_may_have_received_is_never_called_failed(without_backoffice):
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
    resp = requests.post(without_backoffice["actions"] + "/webhook", json=payload, timeout=60)
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
