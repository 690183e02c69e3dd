"""What the assistance actions share: slot names, and the forms' guard around every answer."""

from __future__ import annotations

from typing import Any, ClassVar

from actions.assistance import parsing
from actions.forms import FormCall, FormValidation, reset
from actions.handoff import REASONS, request_handoff
from actions.tracker import Tracker

CHECK_SLOTS = (
    "assistance_household_size",
    "assistance_monthly_income",
    "assistance_savings",
    "assistance_vehicles",
    "assistance_circumstances",
    "assistance_medical_expenses",
)
APPLY_SLOTS = (
    "assistance_type",
    "assistance_applicant",
    "assistance_relation",
    "assistance_member",
    "assistance_id_number",
    "assistance_phone",
    "assistance_community",
    "assistance_hardship",
    "assistance_consent",
    "assistance_confirmed",
)
ASKS_FOR_A_PERSON = ("human_handoff", "complain")  # answers the NLU did not understand are not among them


class AssistanceForm(FormValidation):
    """An assistance form reads the answer to the question it asked (``extract_<slot>``: the slots read, None for
    an answer it could not read, after saying so) and asks its questions itself, in the order of ``questions``:
    ``ask_<slot>`` where the question needs working out, else the response ``utter_assistance_ask_<name>``
    (the slot's name without ``assistance_``). After two answers that changed nothing a question is put
    another way (``another_ways``, actions/forms.py).

    (A resident in danger never reaches the form: the web router hands that message to a person first,
    web/handoff/intake.py.) "stop" (the intent, or words such as 不问了) or asking for a person ends it —
    unless the message reads as a clear answer to a structured question (the NLU can take 两口人 for a
    request for a person; a number is still a number); at a free-text question only the words stop it (a
    hardship told can read as stopping to the NLU). A resident who says again what started the form
    (``started_by``: "低保怎么申请" while being asked who it is for) is told it is under way, not that
    they were misunderstood, and the question comes again.
    """

    asks_itself = True
    slots: ClassVar[tuple[str, ...]]  # what ending the form forgets
    questions: ClassVar[tuple[str, ...]]  # the required slots, in the order asked
    free_text: ClassVar[frozenset[str]] = frozenset()  # any words fill them: "stop" still stops
    started_by: ClassVar[str | None] = None

    def end_form(self) -> list[dict[str, Any]]:
        """Stop the active form now; the slots it collected are forgotten."""
        return reset(self.slots, end_form=True)

    def required_slots(self, call: FormCall) -> list[str]:
        return list(self.questions)

    def ask(self, call: FormCall, slot: str) -> list[dict] | None:
        own = getattr(self, f"ask_{slot}", None)
        if own is not None:
            return own(call)
        return call.ask(slot, "utter_assistance_ask_" + slot.removeprefix("assistance_"))

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        requested, intent = call.requested, call.tracker.latest_intent
        if requested is None or not call.fresh:
            return None  # the form is starting (with what the triage filled), or coming back after a side answer
        if call.get(requested) is not None and requested not in self.free_text:
            return None  # a clear answer, whatever the NLU thought
        says_stop = parsing.says_stop(call.text)  # 不问了: the words win over the intent either way
        if requested in self.free_text and intent == "stop" and not says_stop:
            return None  # a hardship the NLU took for stopping ("…三个月上不了班，这个月房贷还不上") is the answer
        if (intent == "stop" or says_stop) and not parsing.not_understood(call.text):
            call.drop_replies()
            call.say("utter_assistance_stopped")
            return self.end_form()
        if intent in ASKS_FOR_A_PERSON:
            call.drop_replies()
            request_handoff(call.dispatcher, REASONS.get(intent, "resident_request"))
            return self.end_form()
        if self.started_by is not None and intent == self.started_by and requested not in self.free_text:
            call.drop_replies()
            call.say("utter_assistance_under_way")
        return None


def entity(tracker: Tracker, name: str) -> Any:
    return next(iter(tracker.entity_values(name)), None)
