"""Issue 22's conversation suite, second session (marriage and divorce): a day that cannot be booked is replaced by
the nearest free one, a name or an ID number sent while another question waits is kept, a re-issue for the resident
alone said in the first message, the divorce application handed in said in words, a yes typed in pinyin, a yes to
the earliest day offered, stopping a reschedule, and the cooling-off period asked about. The forms' actions against
the real back-office app in-process (no Rasa)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

import actions.marriage  # noqa: F401  (registers the actions)
from actions import executor, services
from actions.tracker import Tracker
from tests.marriage.conftest import AUTH, Backoffice
from tests.marriage.people import person
from tests.marriage.test_backoffice_calls import CountingBackoffice

FORM = "marriage_booking_form"


@pytest.fixture
def run(backoffice: Backoffice, monkeypatch):
    client = CountingBackoffice(backoffice.client)
    monkeypatch.setattr(services, "client", lambda: client)

    def _run(
        action: str,
        sender: str,
        text: str,
        slots: dict[str, Any],
        intent: str = "inform",
        events: list[dict] | None = None,
        form: str = FORM,
    ) -> tuple[dict, list[str]]:
        tracker = Tracker.from_dict(
            {
                "sender_id": sender,
                "slots": slots,
                "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
                "events": [*(events or []), {"event": "user", "text": text}],
                "active_loop": {"name": form},
            }
        )
        result = executor.run(action, tracker, {})
        said = [r.get("response") or r.get("text") for r in result["responses"]]
        return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}, said

    return _run


def _asked_for(slot: str, times: int) -> list[dict]:
    """Events of a question asked ``times`` times, each answer leaving it unanswered."""
    out: list[dict] = []
    for i in range(times):
        if i:
            out.append({"event": "user", "text": f"答非所问{i}"})
        out.append({"event": "slot", "name": "requested_slot", "value": slot})
    return out


def _resident(backoffice: Backoffice, sender: str, gender: str = "男") -> dict[str, Any]:
    someone = person(gender, 35, "宋建国" if gender == "男" else "宋丽娟")
    backoffice.verify(sender, someone)
    return {"marriage_type": "结婚", "marriage_party1_name": someone.name, "marriage_party1_id": someone.id_number}


def test_a_day_that_cannot_be_booked_is_replaced_by_the_nearest_free_day(backoffice, run):
    """ "下周一上午" on a Sunday after the cut-off was refused and asked again; the resident went on with the other
    party's name and ID number, and a person took over."""
    resp = backoffice.client.get("/offices/PT-MR-01/availability?days=30", headers=AUTH)
    days = resp.json["days"]
    free = [d["date"] for d in days if d["open"] and any(s["free"] for s in d["slots"])]
    closed, nearest = next(
        (d["date"], f)
        for d in days
        if not d["open"] and "范围" not in d["reason"]
        for f in free[:1] + [x for x in free if x > d["date"]][:1]
        if f > d["date"] and date.fromisoformat(f) - date.fromisoformat(d["date"]) <= timedelta(days=3)
    )
    asked = {**_resident(backoffice, "web:instead"), "marriage_office": "PT-MR-01", "requested_slot": "marriage_date"}
    slots, said = run("validate_" + FORM, "web:instead", f"{closed}上午", asked)
    assert slots["marriage_date"] == nearest and slots["marriage_slot"] < "12:00"
    assert said[:3] == ["utter_marriage_day_closed", "utter_marriage_day_instead", "utter_marriage_slot_auto"]
    assert said[-1] == "utter_marriage_ask_party2_name"


def test_the_other_partys_name_and_id_sent_while_the_day_waits_are_kept(backoffice, run):
    asked = {**_resident(backoffice, "web:ahead"), "marriage_office": "PT-MR-01", "requested_slot": "marriage_date"}
    slots, said = run("validate_" + FORM, "web:ahead", "姜天佑", asked, intent="nlu_fallback")
    assert slots["marriage_party2_name"] == "姜天佑"
    assert said == ["utter_marriage_kept_for_later", "utter_marriage_ask_date"]
    partner = person("女", 30, "姜天佑")
    held = {**asked, "marriage_party2_name": "姜天佑"}
    slots, said = run("validate_" + FORM, "web:ahead", partner.id_number, held, events=_asked_for("marriage_date", 1))
    assert slots["marriage_party2_id"] == partner.id_number and said[0] == "utter_marriage_kept_for_later"


@pytest.mark.parametrize("said", ["上午", "越早越好", "那就下周一吧", "好的好的", "第一个吧", "离我家近一点的"])
def test_words_for_the_question_asked_are_never_taken_for_a_name(backoffice, run, said):
    asked = {**_resident(backoffice, "web:noname"), "marriage_office": "PT-MR-01", "requested_slot": "marriage_date"}
    slots, _said = run("validate_" + FORM, "web:noname", said, asked)
    assert "marriage_party2_name" not in slots


def test_a_yes_to_the_earliest_day_offered_the_other_way_takes_it(backoffice, run):
    asked = {**_resident(backoffice, "web:earliest"), "marriage_office": "PT-MR-01", "requested_slot": "marriage_date"}
    slots, _said = run("validate_" + FORM, "web:earliest", "好", asked, "affirm", _asked_for("marriage_date", 3))
    assert slots["marriage_date"] == backoffice.open_days()[0]["date"]
    slots, _said = run("validate_" + FORM, "web:earliest", "好", asked, "affirm", _asked_for("marriage_date", 1))
    assert slots.get("marriage_date") is None  # asked the first way, a yes says no day


def test_a_reissue_for_the_resident_alone_said_first_is_not_asked_who_comes(backoffice, run):
    backoffice.verify("web:alone", person("男", 45, "潘志明"))
    said = "我的结婚证找不到了，想下周三上午去宝山区婚姻登记中心补领，就我一个人去"
    slots, _said = run("validate_" + FORM, "web:alone", said, {}, intent="marriage_book")
    assert slots["marriage_type"] == "补领" and slots["marriage_party2_name"] == slots["marriage_party2_id"] == "无"


@pytest.mark.parametrize("said", ["dui", "Hao", "dui de", "queren"])
def test_a_yes_typed_in_pinyin_confirms_the_identity(backoffice, run, said):
    someone = person("女", 30, "万晓燕")
    backoffice.verify("web:pinyin", someone)
    asked = {"marriage_type": "结婚", "requested_slot": "marriage_party1_name"}
    slots, said_back = run("validate_" + FORM, "web:pinyin", said, asked, intent="nlu_fallback")
    assert slots["marriage_party1_name"] == "万晓燕" and said_back == ["utter_marriage_ask_office"]


def test_the_divorce_application_handed_in_said_in_words_is_the_first_visit(backoffice, run):
    backoffice.verify("web:handin", person("女", 38, "徐慧"))
    said = "我们坐下来好好谈过，协议也写好了，现在就想去民政局把离婚申请交了，帮我约一下"
    slots, _said = run("validate_" + FORM, "web:handin", said, {}, intent="marriage_book")
    assert slots["marriage_type"] == "离婚" and slots["marriage_divorce_stage"] == "申请"


@pytest.mark.parametrize(
    ("form", "response"),
    [
        ("marriage_reschedule_form", "utter_marriage_reschedule_kept"),
        ("marriage_cancel_form", "utter_marriage_cancel_kept"),
        (FORM, "utter_marriage_stopped"),
    ],
)
def test_stopping_says_what_stays(backoffice, run, form, response):
    """ "不改了" at "确定吗？" (read as stop) was told the booking's "这次预约先不办了"."""
    _slots, said = run("action_marriage_stop", "web:stop", "不改了", {}, intent="stop", form=form)
    assert said == [response]


def test_the_cooling_off_period_asked_about_is_explained(backoffice, run):
    _slots, said = run("action_marriage_materials", "web:cool", "离婚冷静期怎么算", {}, intent="marriage_materials")
    assert said == ["utter_marriage_cooling_off"]
    _slots, said = run("action_marriage_materials", "web:cool", "离婚冷静期满了领证要带什么", {}, "marriage_materials")
    assert said == ["utter_marriage_materials"]


def test_a_slot_that_fills_up_while_the_resident_answers_is_replaced_by_the_nearest_free_one(backoffice, run):
    """The resident took 09:00, someone else booked its last place while they answered the next question, and the
    slot was asked again three times while they went on with the other party's name and ID number."""
    from sqlalchemy.orm import Session

    from backoffice.marriage.models import MarriageSlot

    day = backoffice.open_days(office="BS-MR-01")[2]
    first, second = day["slots"][0], day["slots"][1]
    with Session(backoffice.engine) as sess, sess.begin():
        sess.add(
            MarriageSlot(
                office_code="BS-MR-01",
                day=date.fromisoformat(day["date"]),
                start=first["start"],
                end=first["end"],
                capacity=0,
                booked=0,
            )
        )
    held = {
        **_resident(backoffice, "web:slotfull"),
        "marriage_office": "BS-MR-01",
        "marriage_date": day["date"],
        "marriage_slot": first["start"],
        "requested_slot": "marriage_party2_name",
    }
    slots, said = run("validate_" + FORM, "web:slotfull", "宋小红", held, intent="nlu_fallback")
    assert slots["marriage_slot"] == second["start"]  # the nearest free one, not the slot asked again
    assert any(f"换成了离它最近的 {second['start']}" in (line or "") for line in said)
    assert "utter_marriage_ask_slot" not in said
