"""One way to write a form's validation action, in the shape of rasa_sdk's ``FormValidationAction``.

The project does not depend on rasa_sdk (docs/architecture.md says why); this keeps its shape,
synchronously. A subclass names its Rasa form (``form = "…"``) and is registered as the action
``validate_<form>``. One call of it (a :class:`FormCall`) goes through these steps:

1. ``interrupt(call)``: a message the form must not read as an answer (a sensitive story, a side
   question the rules answer) can end the call here: it returns the events, or None to go on.
2. Extraction, only for a message the form has not read yet: ``extract_<slot>(call)`` for each slot
   of ``slots_to_extract(call)`` (by default the slot the form asked for). It returns the slots it
   read, ``{slot: value}``, and may say that the answer was not understood.
3. ``after_extraction(call)``: a second chance to end the call, knowing what was read.
4. Validation, then the next question. For each of ``required_slots(call)`` in order, a filled slot
   named by ``slots_to_validate(call)`` (by default the ones extracted in this call) goes through
   ``validate_<slot>(call, value)``, which returns the slots to set (the value, or None after saying
   why). The first required slot still empty is the next question. A form that asks its own
   questions (``asks_itself``) calls ``ask_<slot>(call)`` — which returns the call's events, or
   None when it filled the slot without asking — and sets ``requested_slot``; otherwise Rasa asks
   (``utter_ask_<slot>``), as it does for rasa_sdk's forms whose required slots are the domain's.

Messages go through ``call.say`` and reach the resident only when the call ends without dropping
them (``call.drop_replies``). :func:`reset` is the one way to forget a flow's slots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from actions.dispatcher import Dispatcher
from actions.events import active_loop, slot_set
from actions.executor import action
from actions.tracker import Tracker
from common.backoffice_client import BackofficeUnavailable

REQUESTED_SLOT = "requested_slot"
CHOICE = re.compile(r"^\s*(?:第\s*)?([1-9一二三四五六七八九])\s*(?:个|项|号|种)?\s*[。.！!]?\s*$")
CN_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", 1)}


def reset(slots: tuple[str, ...] | list[str], requested: bool = True, end_form: bool = False) -> list[dict[str, Any]]:
    """Forget ``slots`` (and which slot was asked for); ``end_form`` also stops the active form."""
    out = [slot_set(name, None) for name in slots]
    if requested or end_form:
        out.append(slot_set(REQUESTED_SLOT, None))
    if end_form:
        out.append(active_loop(None))
    return out


@dataclass
class FormCall:
    """One call of a form's validation action: the slots as they stand, the message to read (only
    when it is new), the events and the messages to send back."""

    form: FormValidation
    tracker: Tracker
    slots: dict[str, Any]
    fresh: bool  # the latest user message has not been read by the form yet
    dispatcher: Dispatcher = field(default_factory=Dispatcher)  # this call's replies, sent when it ends
    events: list[dict] = field(default_factory=list)
    extracted: set[str] = field(default_factory=set)
    notes: dict[str, Any] = field(default_factory=dict)  # what one step leaves for a later one in this call
    question_open: bool = False  # a question was already put in this call (e.g. "what to change?")

    @property
    def text(self) -> str:
        return self.tracker.latest_text.strip() if self.fresh else ""

    @property
    def intent(self) -> str:
        return (self.tracker.latest_intent or "") if self.fresh else ""

    @property
    def requested(self) -> str | None:
        return self.slots.get(REQUESTED_SLOT)

    def entity(self, name: str) -> Any:
        values = self.tracker.entity_values(name) if self.fresh else []
        return values[0] if values else None

    def get(self, name: str) -> Any:
        return self.slots.get(name)

    def set(self, name: str, value: Any, announce: bool = False) -> None:
        """Set a slot; the event is sent when the value changes (always with ``announce``)."""
        if announce or self.slots.get(name) != value:
            self.slots[name] = value
            self.events.append(slot_set(name, value))

    def clear(self, *names: str) -> None:
        for name in names:
            self.set(name, None)

    def say(self, response: str | None = None, text: str | None = None, **kwargs: Any) -> None:
        self.dispatcher.utter(text, response=response, **kwargs)

    def drop_replies(self) -> None:
        self.dispatcher.messages.clear()

    def ask(self, slot: str, response: str, **kwargs: Any) -> list[dict]:
        """Ask for ``slot`` with ``response`` (its variables, and ``buttons`` for the choices offered: the
        channel shows them, and maps a resident's "2" to the second one's payload)."""
        self.say(response, **kwargs)
        return self.finish(slot)

    def finish(self, requested: str | None, consumed: bool = True) -> list[dict]:
        """The events to return, asking for ``requested`` next (None: the form is complete). A new message
        the form has used must come back with a slot event other than requested_slot, or Rasa takes it
        as no answer to the slot it asked for and lets other policies reply to it; so when nothing was
        set, the slot asked for is set again to the value it holds. ``consumed=False`` leaves the
        message to the other policies."""
        asked = self.requested
        marker = [slot_set(asked, self.get(asked))] if asked and self.fresh and consumed and not self.events else []
        return self.events + marker + [slot_set(REQUESTED_SLOT, requested)]


class FormValidation:
    """The validation action of one Rasa form (see the module's docstring for the steps)."""

    form: ClassVar[str]
    asks_itself: ClassVar[bool] = False  # asks its questions (``ask_<slot>``) instead of Rasa
    own_actions: ClassVar[tuple[str, ...]] = ()  # actions besides the form after which a message is still unread

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "form" in cls.__dict__:
            action(f"validate_{cls.form}")(cls().run)

    # --- the steps a form may change -----------------------------------------------------------------------------

    def required_slots(self, call: FormCall) -> list[str]:
        return []

    def interrupt(self, call: FormCall) -> list[dict] | None:
        return None

    def slots_to_extract(self, call: FormCall) -> list[str]:
        requested = call.requested
        return [requested] if requested and hasattr(self, f"extract_{requested}") else []

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        return None

    def slots_to_validate(self, call: FormCall) -> set[str]:
        return call.extracted

    def backoffice_down(self, call: FormCall, exc: BackofficeUnavailable) -> list[dict]:
        raise exc

    # --- the call ------------------------------------------------------------------------------------------------

    def run(self, dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
        call = FormCall(self, tracker, dict(tracker.slots), self.message_is_new(tracker))
        try:
            events = self._steps(call)
        except BackofficeUnavailable as exc:
            events = self.backoffice_down(call, exc)
        dispatcher.messages.extend(call.dispatcher.messages)
        return events

    def _steps(self, call: FormCall) -> list[dict]:
        done = self.interrupt(call)
        if done is not None:
            return done
        if call.fresh:
            for slot in self.slots_to_extract(call):
                read = getattr(self, f"extract_{slot}")(call) or {}
                for name, value in read.items():
                    call.set(name, value, announce=True)
                call.extracted.update(read)
        done = self.after_extraction(call)
        if done is not None:
            return done
        to_validate = self.slots_to_validate(call)
        for slot in self.required_slots(call):
            check = getattr(self, f"validate_{slot}", None)
            if call.get(slot) is not None and slot in to_validate and check is not None:
                for name, value in (check(call, call.get(slot)) or {}).items():
                    call.set(name, value, announce=True)
            if call.get(slot) is None:
                if not self.asks_itself:
                    return call.events
                asked = getattr(self, f"ask_{slot}")(call)
                if asked is not None:
                    return asked
        return call.finish(None) if self.asks_itself else call.events

    def message_is_new(self, tracker: Tracker) -> bool:
        """True when nothing but this form (or ``own_actions``) ran since the resident's latest message (a
        side question's answer, or a submit action that started the form again, has already used it)."""
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                return True
            if event.get("event") == "action" and event.get("name") not in (
                "action_listen",
                self.form,
                *self.own_actions,
            ):
                return False
        return True
