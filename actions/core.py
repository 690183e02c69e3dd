"""Small talk that ends the conversation: a goodbye is said only to a message that is one; and the "didn't
understand" that no policy was sure enough to avoid.

The NLU can take a message made mostly of digits for "goodbye" (nlu_data/core.yml: 88 and 886 are
goodbyes, and a phone number's or an ID number's characters look like them). A resident who sends
their phone or ID number with no errand under way is told what the bot can do with it, not goodbye; the
same action answers a bare answer (intent ``inform``: a name, a day, a count) that no form took.
"""

from __future__ import annotations

from typing import Any

from actions.dispatcher import Dispatcher
from actions.events import rewind
from actions.executor import action
from actions.handoff import request_handoff
from actions.tracker import Tracker
from common.masking import find_personal_numbers, mask_id_number, mask_phone

SAID = {"phone": ("手机号", mask_phone), "id_number": ("身份证号", mask_id_number)}


@action("action_goodbye")
def goodbye(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    number = next(iter(find_personal_numbers(tracker.latest_text)), None)
    if number is None:
        # rule "a bare answer with no errand under way" (intent inform): a name or a day on its own is no goodbye
        dispatcher.utter(response="utter_goodbye" if tracker.latest_intent == "goodbye" else "utter_default")
        return []
    what, mask = SAID[number.kind]
    dispatcher.utter(response="utter_details_without_errand", what=what, masked=mask(number.value))
    return []


@action("action_default_fallback")
def not_understood(dispatcher: Dispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
    """Rasa's fallback when no policy is sure what to do (``core_fallback_action_name`` in bot/config.yml), in place of
    its own: "didn't understand", and the message forgotten (rewound) as Rasa's does. When the bot's last reply was
    "didn't understand" already, a person takes over instead, as the rule "two misunderstandings in a row" does for
    messages the NLU did not understand (a voice message of fillers, 嗯啊那个那个呃, can read as a yes to nothing)."""
    if _last_reply(tracker) in _texts(domain, "utter_default"):
        request_handoff(dispatcher, "fallback", response="utter_handoff_fallback")
        return [rewind()]  # forgotten here too: kept, Rasa stays unsure and ran this action ten times in one turn
    dispatcher.utter(response="utter_default")
    return [rewind()]


def _last_reply(tracker: Tracker) -> str | None:
    """The bot's last message before the resident's latest one."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "bot":
            return str(event.get("text") or "").strip()
    return None


def _texts(domain: dict[str, Any], response: str) -> set[str]:
    return {str(v.get("text") or "").strip() for v in (domain.get("responses") or {}).get(response, [])}
