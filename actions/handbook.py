"""Answering handbook (faq/*) questions from the back-office's entries, citing each entry's source."""

from __future__ import annotations

from typing import Any

from actions import events, services
from actions.benefits.funeral import asks_to_work_out, tells_a_death
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.feedback import offer_rating
from actions.handoff import request_handoff
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.dates import full_date

MIN_TOPIC_CONFIDENCE = 0.3  # below this the response selector's topic is only a guess: search every topic


def _topic(tracker: Tracker) -> str | None:
    """The handbook topic: a button's handbook_topic entity, else the retrieval intent ("faq/funeral" → funeral)."""
    values = tracker.entity_values("handbook_topic")
    if values:
        return str(values[-1])
    if tracker.retrieval_intent and tracker.retrieval_confidence >= MIN_TOPIC_CONFIDENCE:
        return tracker.retrieval_intent.split("/", 1)[1]
    return None


def _question(tracker: Tracker) -> str:
    values = tracker.entity_values("handbook_query")
    if values:
        return str(values[-1])
    return "" if tracker.latest_text.startswith("/") else tracker.latest_text


def _find(tracker: Tracker, topic: str | None, question: str) -> list[dict]:
    client = services.backoffice()
    params: dict[str, Any] = {"openid": tracker.sender_id}
    if district := tracker.get_slot("district"):
        params["district"] = district
    if question:
        try:
            return client.get("/handbook/search", q=question, topic=topic or "", limit=2, **params)["results"]
        except BackofficeError:  # an unknown district name: search without it
            return client.get("/handbook/search", q=question, topic=topic or "", limit=2, openid=tracker.sender_id)[
                "results"
            ]
    if topic:  # a button with only a topic: the topic's first (overview) entry
        return client.get("/handbook/entries", topic=topic)["entries"][:1]
    return []


def answer_text(entry: dict, related: dict | None) -> str:
    lines = [f"【{entry['title']}】", entry["body"]]
    if entry["how_to_apply"]:
        lines.append(f"怎么办：{entry['how_to_apply']}")
    if entry["documents"]:
        lines.append(f"要带：{'、'.join(entry['documents'])}")
    if entry["contact"]:
        lines.append(f"咨询：{entry['contact']}")
    since = f"，{full_date(entry['effective_date'])}起施行" if entry["effective_date"] else ""
    lines.append(f"（出处：{entry['source']}{since}）")
    if entry["next_step"]:
        lines.append(entry["next_step"])
    if related:
        lines.append(f"您可能还想问：{related['title']}")
    return "\n".join(lines)


@action("action_answer_handbook")
def answer(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    topic, question = _topic(tracker), _question(tracker)
    if topic == "funeral" and asks_to_work_out(question):  # 帮我算算丧葬费能减多少: the family's own figures
        return [events.followup("funeral_check_form")]
    try:
        results = _find(tracker, topic, question)
        if not results and topic == "funeral" and tells_a_death(question):
            # a death told, then a question too broad to search (我妈昨天走了政府有什么补贴吗): the topic's overview
            results = _find(tracker, topic, "")
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    if not results:
        dispatcher.utter(
            response="utter_handbook_unknown",
            buttons=[{"title": "转人工", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"}],
        )
        return [events.slot_set("handbook_offer", "human")]
    related = results[1] if len(results) > 1 and results[1]["topic"] == results[0]["topic"] else None
    if results[0]["topic"] == "funeral" and tells_a_death(question):
        dispatcher.utter(response="utter_funeral_sorry")  # 我老伴走了 殡葬费用能减免吗: condolence before the policy
    dispatcher.utter(answer_text(results[0], related))
    return [
        events.slot_set("handbook_offer", None),
        events.slot_set("handbook_entry", results[0]["id"]),
        *offer_rating("handbook_answer"),
    ]


@action("action_handbook_offer_reply")
def offer_reply(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """The resident answers "要不要转人工？" after a question the handbook could not answer."""
    if tracker.latest_intent == "affirm":
        request_handoff(dispatcher, "handbook_unknown")
    else:
        dispatcher.utter(response="utter_handbook_offer_declined")
    return [events.slot_set("handbook_offer", None)]
