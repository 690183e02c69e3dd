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

Never the same question a third time the same way (docs/nlu.md, "Conversations that never loop"):
before a question is put, :func:`answers_not_taken` counts the resident's latest messages in a row after
which it was still unanswered. After two, the form asks :meth:`FormValidation.another_way` instead: the slot's
:class:`AnotherWay` (declared in the form's ``another_ways``, a default otherwise) says why and offers
choices, an example of a good answer, "跳过" for an optional slot, and a person. When that way has failed
twice too, a person takes over (:meth:`FormValidation.hand_over`). A step that has already put a question in this call (a
"which one?" of its own) sets ``call.question_open`` and the form waits for the answer.

Messages go through ``call.say`` and reach the resident only when the call ends without dropping
them (``call.drop_replies``). :func:`reset` is the one way to forget a flow's slots.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from actions.dispatcher import Dispatcher
from actions.events import active_loop, slot_set
from actions.executor import action
from actions.handoff import request_handoff
from actions.tracker import Tracker
from common.backoffice_client import BackofficeUnavailable

REQUESTED_SLOT = "requested_slot"
CHOICE = re.compile(r"^\s*(?:第\s*)?([1-9一二三四五六七八九])\s*(?:个|项|号|种)?\s*[。.！!]?\s*$")
CN_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", 1)}
SAME_WAY = 2  # a question is put at most this many times the same way, then another way (at most as often)
SKIP = "跳过"
SKIP_WORDS = re.compile(r"^\s*(跳过|略过|先跳过|不填了?|不知道|不清楚|不晓得|记不(得|清)了?)\s*[。.！!吧]*\s*$")
PERSON = {"title": "找工作人员帮忙", "payload": "/human_handoff"}


@dataclass(frozen=True)
class AnotherWay:
    """How a form asks for a slot once two messages in a row left it unanswered. ``response`` says why, plainly, and
    asks another way (an example of a good answer; fixed choices as the response's own buttons);
    ``choices`` names the form's method ``(call) -> list[button]`` for choices worked out from the
    conversation; ``skip`` is the value "跳过" leaves in an optional slot (None: the slot is not optional).
    A person is always offered as the last button."""

    response: str = "utter_form_another_way"
    choices: str | None = None
    skip: Any = None


def answers_not_taken(events: Iterable[dict], slot: str) -> int:
    """How many of the resident's latest messages in a row left the question for ``slot`` unanswered, the one
    being read included (the form is about to ask ``slot`` again): it was asked before the message and again
    after it, whatever else the message gave. A side question the rules answered counts too: a message the
    NLU takes for one every time ("用这个号码" for bot_capabilities) must not keep the question coming."""
    requested: Any = None
    asked_before: list[Any] = []  # the slot asked for as each of the resident's messages came in
    for event in events:
        if event.get("event") == "user":
            asked_before.append(requested)
        elif event.get("event") == "slot" and event.get("name") == REQUESTED_SLOT:
            requested = event.get("value")
    if not asked_before:
        return 0
    asked_after = asked_before[1:] + [slot]  # a turn ends where the next one starts
    count = 0
    for before, after in reversed(list(zip(asked_before, asked_after, strict=True))):
        if not before == after == slot:
            break
        count += 1
    return count


def reset(slots: tuple[str, ...] | list[str], requested: bool = True, end_form: bool = False) -> list[dict[str, Any]]:
    """Forget ``slots`` (and which slot was asked for); ``end_form`` also stops the active form."""
    out = [slot_set(name, None) for name in slots]
    if requested or end_form:
        out.append(slot_set(REQUESTED_SLOT, None))
    if end_form:
        out.append(active_loop(None))
    return out


def confirmed_item(dispatcher: Dispatcher, tracker: Tracker, item: str, confirmed: str, kept: str) -> str | None:
    """What a confirmed errand's submit works on (slot ``item``, e.g. a booking's number), or None when it has nothing
    to do: nothing picked or no answer to ``confirmed``, or a no (then ``kept`` says the booking stays); the caller
    forgets the form's slots on None."""
    value, answer = tracker.get_slot(item), tracker.get_slot(confirmed)
    if not value or answer is None:
        return None
    if answer is False:
        dispatcher.utter(response=kept)
        return None
    return value


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
    another_ways: ClassVar[Mapping[str, AnotherWay]] = {}  # how a slot is asked after two messages left it empty

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
        if call.fresh and self._skipped(call):
            pass
        elif call.fresh:
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
                asked = self._ask(call, slot)
                if asked is not None:
                    return asked
        return call.finish(None) if self.asks_itself else call.events

    def _ask(self, call: FormCall, slot: str) -> list[dict] | None:
        """The question for ``slot``: as the form asks it; another way after two messages in a row left it
        unanswered; a person after four (the other way failed twice too); nothing more when a step of this call
        has put a question of its own."""
        if call.question_open:
            return call.finish(slot)
        not_taken = answers_not_taken(call.tracker.events, slot)
        if not_taken >= 2 * SAME_WAY:
            return self.hand_over(call, slot)
        if not_taken >= SAME_WAY:
            return self.another_way(call, slot)
        return self.ask(call, slot)

    def ask(self, call: FormCall, slot: str) -> list[dict] | None:
        """Put the question for ``slot`` (``ask_<slot>``)."""
        return getattr(self, f"ask_{slot}")(call)

    def another_way(self, call: FormCall, slot: str) -> list[dict]:
        """Two messages in a row left the slot unanswered: say why and ask another way (the slot's
        :class:`AnotherWay`), with its choices, "跳过" when the slot is optional, and a person."""
        way = self.another_ways.get(slot, AnotherWay())
        buttons = list(getattr(self, way.choices)(call)) if way.choices else []
        if way.skip is not None:
            buttons.append({"title": SKIP, "payload": SKIP})
        call.say(way.response, buttons=[*buttons, PERSON])
        return call.finish(slot)

    def hand_over(self, call: FormCall, slot: str) -> list[dict]:
        """Asked another way twice and still stuck: a person takes over. The form ends and forgets its answers, as
        stopping does (the person sees the whole conversation)."""
        request_handoff(call.dispatcher, "form_stuck", response="utter_form_hand_over")
        return call.events + reset(self.required_slots(call), end_form=True)

    def _skipped(self, call: FormCall) -> bool:
        """ "跳过" (or "不知道") for an optional slot (one whose :class:`AnotherWay` has a ``skip`` value) fills
        it with that value."""
        way = self.another_ways.get(call.requested or "")
        if way is None or way.skip is None or not SKIP_WORDS.match(call.text):
            return False
        call.set(call.requested, way.skip, announce=True)
        call.extracted.add(call.requested)
        return True

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
