"""Small talk that ends the conversation: a goodbye is said only to a message that is one.

The NLU can take a message made mostly of digits for "goodbye" (nlu_data/core.yml: 88 and 886 are
goodbyes, and a phone number's or an ID number's characters look like them). A resident who sends
their phone or ID number with no errand under way is told what the bot can do with it, not goodbye; the
same action answers a bare answer (intent ``inform``: a name, a day, a count) that no form took.
"""

from __future__ import annotations

from typing import Any

from actions.dispatcher import Dispatcher
from actions.executor import action
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
