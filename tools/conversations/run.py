"""Runs the conversations against a live stack, several residents at once, and judges each one.

``run(stack, conversations, workers)`` returns one ``Result`` per conversation, in the given order.
Each conversation has its own sender (a new WeChat openid or web chat page), so they never share a
Rasa conversation; a verified resident is a registry person bound to that sender just before.
"""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

import requests
from sqlalchemy import Engine, select, update

from backoffice.residents.models import Resident, WechatBinding
from common.db import make_engine
from tools.conversations.judge import Verdict, asked_slots, facts, fallback_replies, judge
from tools.conversations.people import Person, Registry
from tools.conversations.spec import Conversation
from tools.conversations.talk import StackLike, Talker, Turn

GIVEN_OFFICE = "PT-MR-01"


@dataclass
class Result:
    conv: Conversation
    verdict: Verdict
    turns: list[Turn] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""  # the runner itself failed (the stack refused a set-up step): counts as a failure
    misunderstood: int = 0  # the bot's "didn't understand" replies

    @property
    def ok(self) -> bool:
        return self.verdict.ok and not self.error

    @property
    def fallbacks(self) -> int:
        """Turns the NLU did not understand (nlu_fallback), whether or not a form read them anyway."""
        return sum(t.fallback for t in self.turns)


def fill(text: str, resident: Person | None, partner: Person | None) -> str:
    values: dict[str, str] = {}
    if resident is not None:
        values |= {
            "name": resident.name,
            "id_number": resident.id_number,
            "phone": resident.phone,
            "community": resident.community,
            "street": resident.street,
            "district": resident.district,
        }
    if partner is not None:
        values |= {"partner_name": partner.name, "partner_id_number": partner.id_number}
    try:
        return text.format_map(values)
    except KeyError as exc:
        raise ValueError(f"placeholder {exc} has no value (resident: verified? partner: true?)") from None


class Runner:
    def __init__(self, stack: StackLike) -> None:
        self.stack = stack
        self.backoffice: Engine = make_engine(stack.env["BACKOFFICE_DATABASE_URL"])
        self.platform: Engine = make_engine(stack.env["DATABASE_URL"])
        self.registry = Registry(self.backoffice)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {stack.env['BACKOFFICE_TOKEN']}"

    def close(self) -> None:
        self.backoffice.dispose()
        self.platform.dispose()

    def _given_booking(self, sender_id: str, resident: Person, partner: Person) -> None:
        """An appointment this resident booked earlier (a conversation about cancelling it)."""
        base = self.stack.url("backoffice")
        first = (date.today() + timedelta(days=7)).isoformat()
        days = self.http.get(
            f"{base}/offices/{GIVEN_OFFICE}/availability", params={"from": first, "days": 30}, timeout=30
        ).json()["days"]
        for day in (d["date"] for d in days if d["open"] and not d.get("peak")):
            for start in ("09:00", "10:00", "13:30", "14:30"):
                resp = self.http.post(
                    f"{base}/marriage/appointments",
                    json={
                        "openid": sender_id,
                        "office_code": GIVEN_OFFICE,
                        "service": "结婚",
                        "date": day,
                        "start": start,
                        "parties": [
                            {"name": resident.name, "id_number": resident.id_number},
                            {"name": partner.name, "id_number": partner.id_number},
                        ],
                        "phone": resident.phone,
                    },
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                    timeout=30,
                )
                if resp.status_code == 201:
                    return
                if resp.json().get("error") not in ("slot_full", "office_closed", "date_out_of_range"):
                    raise RuntimeError(f"the given booking was refused: {resp.json().get('error')}")
        raise RuntimeError("no place for the given booking")

    def _given_disability_record(self, resident: Person) -> None:
        """The registry holds a certificate for this resident (肢体二级) in a 低保 household (两项补贴), and for no
        one else in the household (the seeded registry gives some members a grade)."""
        with self.backoffice.begin() as conn:
            household = select(Resident.household_id).where(Resident.id_number == resident.id_number)
            conn.execute(  # not a member another conversation speaks as (it may have been given a record)
                update(Resident)
                .where(
                    Resident.household_id == household.scalar_subquery(),
                    Resident.id.not_in(select(WechatBinding.resident_id)),
                )
                .values(disability_grade=0, disability_category="")
            )
            conn.execute(
                update(Resident)
                .where(Resident.id_number == resident.id_number)
                .values(disability_grade=2, disability_category="肢体", benefits=["低保"])
            )

    def one(self, conv: Conversation) -> Result:
        started = time.monotonic()
        talker = Talker(self.stack, self.platform, conv.channel, conv.id)
        turns: list[Turn] = []
        try:
            resident = partner = None
            if conv.resident == "verified" or any("{" in t for t in conv.turns):
                resident = self.registry.resident_for(conv)
            if conv.partner or "booking" in conv.given:
                partner = self.registry.partner_for(conv, resident)
            if conv.resident == "verified":
                self.registry.bind(talker.sender_id, resident)
            if "booking" in conv.given:
                self._given_booking(talker.sender_id, resident, partner)
            if "disability_record" in conv.given:
                self._given_disability_record(resident)
            messages = [fill(t, resident, partner) for t in conv.turns]
            before = facts(self.backoffice, self.platform, talker.sender_id)
            for message in messages:
                turns.append(talker.say(message))
            after = facts(self.backoffice, self.platform, talker.sender_id)
            events = talker.tracker_events()
            verdict = judge(conv, before, after, turns, asked_slots(events))
            return Result(conv, verdict, turns, time.monotonic() - started, misunderstood=fallback_replies(events))
        except Exception as exc:  # one broken conversation must not stop the others; it fails and says why
            error = f"{type(exc).__name__}: {exc}"
            return Result(conv, Verdict(False, [error]), turns, time.monotonic() - started, traceback.format_exc())


def run(
    stack: StackLike,
    conversations: list[Conversation],
    workers: int = 8,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    runner = Runner(stack)
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="resident") as pool:
            futures = [pool.submit(runner.one, conv) for conv in conversations]
            results = []
            for future in futures:
                results.append(future.result())
                if progress is not None:
                    progress(results[-1])
            return results
    finally:
        runner.close()
