"""The eldercare and handbook actions against the real back-office app in-process (no Rasa): origins, paging,
offers, idempotent applying, handbook answers and the retrieval intent read from the tracker."""

from __future__ import annotations

import pytest

from actions import eldercare, executor, handbook, services  # noqa: F401  (registers the actions)
from actions.tracker import Tracker
from tests.eldercare.conftest import AUTH
from tests.in_process_backoffice import InProcessBackoffice


@pytest.fixture
def run(client, monkeypatch):
    monkeypatch.setattr(services, "backoffice", lambda: InProcessBackoffice(client, AUTH))

    def _run(
        name: str,
        sender: str = "web:t",
        text: str = "",
        intent: str | None = None,
        entities: dict | None = None,
        slots: dict | None = None,
        events: list | None = None,
        response_selector: dict | None = None,
    ):
        tracker = Tracker.from_dict(
            {
                "sender_id": sender,
                "slots": slots or {},
                "events": events or [{"event": "user", "message_id": "m1"}],
                "latest_message": {
                    "text": text,
                    "intent": {"name": intent},
                    "response_selector": response_selector or {},
                    "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
                },
            }
        )
        result = executor.run(name, tracker, {})
        texts = "\n".join(m["text"] or m["response"] or "" for m in result["responses"])
        return texts, result["responses"], {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}

    return _run


def test_find_prefers_a_location_sent_now_and_pages_on(run):
    text, msgs, slots = run(
        "action_eldercare_find",
        text="/eldercare_find",
        entities={"service_type": "助餐", "latitude": 31.244, "longitude": 121.4125},
    )
    assert "您发的位置" in text and text.count("电话") == 3 and msgs[0]["buttons"][0]["payload"] == "/eldercare_more"
    more, _m, slots2 = run("action_eldercare_more", slots={"eldercare_search": slots["eldercare_search"]})
    assert "4." in more and "1." not in more.split("\n")[0]
    assert slots2["eldercare_search"]["next_offset"] == 6


def test_find_by_place_text_then_keeps_the_place(run):
    text, _m, slots = run("action_eldercare_find", text="长风公园附近的养老院", entities={"service_type": "养老院"})
    assert "离长风公园最近的养老院" in text and "空床" in text
    again, _m, _s = run(
        "action_eldercare_find",
        text="/eldercare_find",
        entities={"service_type": "助餐"},
        slots={"eldercare_search": slots["eldercare_search"]},
    )
    assert "离长风公园最近的长者食堂" in again


def test_find_asks_for_type_then_place(run):
    _t, msgs, _s = run("action_eldercare_find", text="/eldercare_find")
    assert msgs[0]["response"] == "utter_eldercare_ask_type" and len(msgs[0]["buttons"]) == 5
    _t, msgs, slots = run("action_eldercare_find", text="/eldercare_find", entities={"service_type": "日间照料"})
    assert msgs[0]["response"] == "utter_eldercare_ask_place" and slots["service_type"] == "日间照料"
    # the place in words the NLU did not understand (rule: nlu_fallback right after the search) is read
    text, _m, _s = run("action_eldercare_find", text="就在长风公园边上", intent="nlu_fallback", slots=slots)
    assert "离长风公园最近的日间照料中心" in text


def test_the_kind_of_place_is_never_asked_a_third_time(run):
    """Answers about something else (a marriage office, a day, a name) after the question was asked twice get
    what the bot can do instead (the conversation suite's remarriage story was asked it five times)."""
    asked = {"event": "bot", "text": "您想找哪一类地方？", "metadata": {"utter_action": "utter_eldercare_ask_type"}}
    _t, msgs, _s = run("action_eldercare_find", text="普陀区婚姻登记中心", intent="inform", events=[asked])
    assert msgs[0]["response"] == "utter_eldercare_ask_type"  # asked once: once more is fair
    _t, msgs, _s = run("action_eldercare_find", text="下个礼拜一上午", intent="inform", events=[asked, asked])
    assert [m["response"] for m in msgs] == ["utter_default"]
    default = {"event": "bot", "text": "不好意思，这句话我没太明白。", "metadata": {"utter_action": "utter_default"}}
    _t, msgs, _s = run("action_eldercare_find", text="她叫王秀英", intent="inform", events=[asked, asked, default])
    assert [m["response"] for m in msgs] == ["utter_default"]  # nor after the bot said it did not understand


def test_a_message_not_understood_after_places_were_shown_is_not_a_place(run):
    _t, _m, slots = run("action_eldercare_find", text="长风公园附近的养老院", entities={"service_type": "养老院"})
    _t, msgs, found = run("action_eldercare_find", text="阿斯顿发个", intent="nlu_fallback", slots=slots)
    assert [m["response"] for m in msgs] == ["utter_default"] and found == {}


def test_offer_reply_applies_once_and_only_right_after_the_offer(run):
    _t, _m, slots = run("action_eldercare_ltc", sender="oDEMO_resident_0003", text="/eldercare_ltc")
    assert slots["eldercare_offer"] == "ltc_assessment"
    turn = [
        {"event": "action", "name": "action_eldercare_ltc"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "message_id": "m-yes"},
    ]
    first, msgs, _s = run(
        "action_eldercare_offer_reply",
        sender="oDEMO_resident_0003",
        intent="affirm",
        slots={"eldercare_offer": "ltc_assessment"},
        events=turn,
    )
    assert msgs[0]["response"] == "utter_eldercare_applied" and msgs[0]["reference"].startswith("CH")
    retry, msgs2, _s = run(
        "action_eldercare_offer_reply",
        sender="oDEMO_resident_0003",
        intent="affirm",
        slots={"eldercare_offer": "ltc_assessment"},
        events=turn,
    )
    assert msgs2[0]["reference"] == msgs[0]["reference"]  # the same turn retried: the same application
    stale = [{"event": "action", "name": "utter_greet"}, {"event": "user", "message_id": "m-later"}]
    _t, msgs3, slots3 = run(
        "action_eldercare_offer_reply",
        sender="oDEMO_resident_0003",
        intent="affirm",
        slots={"eldercare_offer": "ltc_assessment"},
        events=stale,
    )
    assert msgs3[0]["response"] == "utter_default" and slots3["eldercare_offer"] is None


def test_handbook_topic_from_the_response_selector(run):
    selector = {
        "all_retrieval_intents": ["faq"],
        "faq": {"response": {"intent_response_key": "faq/funeral", "confidence": 0.9}},
    }
    text, _m, slots = run(
        "action_answer_handbook",
        text="海葬有补贴吗",
        intent="faq",
        response_selector=selector,
        slots={"district": "普陀区"},
    )
    assert text.startswith("【普陀区生态安葬补贴") and "出处：" in text and "起施行" in text and slots["handbook_entry"]
    unknown, msgs, slots = run(
        "action_answer_handbook", text="墓地能不能分期付款", intent="faq", response_selector=selector
    )
    assert msgs[0]["response"] == "utter_handbook_unknown" and slots["handbook_offer"] == "human"
    _t, msgs, _s = run("action_handbook_offer_reply", intent="affirm")
    assert msgs[0]["custom"]["handoff"]["reason"] == "handbook_unknown"


def test_tracker_exposes_the_retrieval_intent():
    selector = {
        "all_retrieval_intents": ["faq"],
        "faq": {"response": {"intent_response_key": "faq/adoption", "confidence": 0.71}},
    }
    tracker = Tracker.from_dict({"latest_message": {"intent": {"name": "faq"}, "response_selector": selector}})
    assert tracker.retrieval_intent == "faq/adoption" and tracker.retrieval_confidence == pytest.approx(0.71)
    other = Tracker.from_dict({"latest_message": {"intent": {"name": "greet"}, "response_selector": selector}})
    assert other.retrieval_intent is None


@pytest.mark.parametrize(
    ("text", "intent", "applied"),
    [
        ("要的帮我申请", "assistance_apply", True),  # the NLU reads it as applying for assistance
        ("好的，帮我申请", "assistance_apply", True),
        ("好额，侬帮我申请", "nlu_fallback", True),
        ("好的，幫我申請", "nlu_fallback", True),
        ("先不用了", "nlu_fallback", False),
        ("帮我申请低保", "assistance_apply", None),  # another errand: not a yes to this offer
        ("阿斯顿发个", "nlu_fallback", "open"),  # neither: asked once more as a plain yes or no
    ],
)
def test_offer_reply_reads_the_words_whatever_the_intent(run, text, intent, applied):
    turn = [
        {"event": "action", "name": "action_eldercare_retrofit"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "message_id": f"m-{text}"},
    ]
    _t, msgs, slots = run(
        "action_eldercare_offer_reply",
        sender="oDEMO_resident_0002",
        text=text,
        intent=intent,
        slots={"eldercare_offer": "home_retrofit"},
        events=turn,
    )
    if applied == "open":
        assert [m["response"] for m in msgs] == ["utter_eldercare_offer_unclear"] and "eldercare_offer" not in slots
        return
    assert slots["eldercare_offer"] is None
    if applied:  # applied now, or by an earlier case of this test (the back-office keeps one open application)
        said = msgs[0]["response"] or msgs[0]["text"]
        assert said == "utter_eldercare_applied" or "已经有一份申请在办理中" in said
    else:
        assert msgs[0]["response"] == ("utter_eldercare_offer_declined" if applied is False else "utter_default")


def test_a_place_described_not_named_is_searched_for(run):
    """Issue 22: "长风公园旁边有没有老年人吃饭的地方" (no type the NLU names) was asked which kind of place."""
    text, _m, slots = run("action_eldercare_find", text="长风公园旁边有没有老年人吃饭的地方")
    assert "离长风公园最近的长者食堂" in text and slots["service_type"] == "助餐"
    _t, msgs, _s = run("action_eldercare_find", text="帮我找找附近的养老服务")
    assert msgs[0]["response"] == "utter_eldercare_ask_type"  # nothing described: which kind, as before


def _after(action: str, message_id: str) -> list[dict]:
    return [
        {"event": "action", "name": action},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "message_id": message_id},
    ]


def test_a_question_about_the_cost_keeps_the_offer_open_and_the_yes_after_it_applies(run):
    """Issue 22: "评上了自己要付多少钱" right after the 长护险 offer was "not understood" and the offer lost, so the
    "好的，帮我申请" after it was not understood either."""
    offer = {"eldercare_offer": "ltc_assessment"}
    text, msgs, slots = run(
        "action_eldercare_offer_reply",
        sender="oDEMO_resident_0003",
        text="评上了自己要付多少钱",
        intent="nlu_fallback",
        slots=offer,
        events=_after("action_eldercare_ltc", "m-cost"),
    )
    assert "自己付 10%" in text and msgs[-1]["text"] == "要我现在帮您申请长护险评估吗？"
    assert slots["eldercare_offer"] == "ltc_assessment"
    _t, msgs, slots = run(
        "action_eldercare_offer_reply",
        sender="oDEMO_resident_0003",
        text="好的，帮我申请",
        intent="affirm",
        slots=offer,
        events=_after("action_eldercare_offer_reply", "m-yes-after-cost"),
    )
    said = msgs[0]["response"] or msgs[0]["text"]
    assert said == "utter_eldercare_applied" or "已经有一份申请在办理中" in said
    assert slots["eldercare_offer"] is None


def test_a_wait_is_waited_for_once_then_the_offer_is_let_go(run):
    offer = {"eldercare_offer": "ltc_assessment"}
    _t, msgs, slots = run(
        "action_eldercare_offer_reply",
        text="等等，我问一下我女儿",
        intent="inform",
        slots=offer,
        events=_after("action_eldercare_ltc", "m-wait"),
    )
    assert [m["response"] for m in msgs] == ["utter_eldercare_offer_wait"] and slots == {}
    _t, msgs, slots = run(
        "action_eldercare_offer_reply",
        text="阿斯顿发个",
        intent="nlu_fallback",
        slots=offer,
        events=_after("action_eldercare_offer_reply", "m-unclear"),
    )
    assert [m["response"] for m in msgs] == ["utter_eldercare_offer_let_go"] and slots["eldercare_offer"] is None


def test_a_place_in_traditional_characters_is_found(run):
    text, _m, _s = run("action_eldercare_find", text="請問長壽路附近有沒有長者食堂", entities={"service_type": "助餐"})
    assert "离长寿路" in text


def test_a_place_the_nlu_took_for_a_handbook_question_is_searched_and_a_handbook_question_answered(run):
    _t, _m, slots = run("action_eldercare_find", text="/eldercare_find", entities={"service_type": "助餐"})
    text, _m, _s = run(
        "action_eldercare_find", text="我不知道这里叫什么街道，就在曹杨路地铁站边上", intent="faq", slots=slots
    )
    assert "离曹杨路地铁站最近的长者食堂" in text
