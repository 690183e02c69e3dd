"""Who the residents of the conversations are: people of the stack's registry, picked to fit each
conversation (gender, age, a spouse at home) and bound to the conversation's sender as a verified
sign-in leaves them (the binding row; the sign-in itself is tested in tests/identity).

Each person is handed out once while unused ones remain, so that no two conversations book or apply
for the same person, highest registry ids first: the other tests of a shared stack take the first
unbound residents by id, and a person this suite made a party to an appointment could not book there
again. Threads share one ``Registry``.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backoffice.region.models import Community, District, Street
from backoffice.residents.models import Household, Resident, WechatBinding
from tools.conversations.spec import Conversation

ELDERLY_AGE = 65
ADULT = (22, 60)  # both parties may marry (男 22, 女 20), and most residents who write are adults


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    id_number: str
    phone: str
    gender: str
    age: int
    household_id: int
    relation: str
    community: str
    street: str
    district: str


class NoOneFits(LookupError):
    """The registry has nobody left who fits a conversation (more conversations than people)."""


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class Registry:
    def __init__(self, engine: Engine, today: date | None = None) -> None:
        self.engine = engine
        today = today or date.today()
        self.lock = threading.Lock()
        self.used: Counter[int] = Counter()
        with Session(engine) as sess:
            taken = set(sess.scalars(select(WechatBinding.resident_id)))
            rows = sess.execute(
                select(Resident, Community.name, Street.name, District.name)
                .join(Household, Resident.household_id == Household.id)
                .join(Community, Household.community_code == Community.code)
                .join(Street, Community.street_code == Street.code)
                .join(District, Street.district_code == District.code)
                .where(Resident.phone != "")
                .order_by(Resident.id)
            ).all()
            self.people = [
                Person(
                    r.id,
                    r.name,
                    r.id_number,
                    r.phone,
                    r.gender,
                    _age(r.birth_date, today),
                    r.household_id,
                    r.relation,
                    community,
                    street,
                    district,
                )
                for r, community, street, district in rows
                if r.id not in taken  # bound by another test of the same stack: theirs
            ]
        spouses = Counter(p.household_id for p in self.people if p.relation == "配偶")
        self.with_spouse = {p.id for p in self.people if p.relation == "户主" and spouses[p.household_id]}

    def _fits(self, conv: Conversation, p: Person) -> bool:
        low, high = conv.age or ((ELDERLY_AGE, 120) if conv.elderly else ADULT)
        return (
            low <= p.age <= high
            and (conv.gender is None or p.gender == conv.gender)
            and (not conv.spouse or p.id in self.with_spouse)
        )

    def _take(self, candidates: list[Person], why: str) -> Person:
        if not candidates:
            raise NoOneFits(why)
        chosen = min(candidates, key=lambda p: (self.used[p.id], -p.id))
        self.used[chosen.id] += 1
        return chosen

    def resident_for(self, conv: Conversation) -> Person:
        with self.lock:
            return self._take([p for p in self.people if self._fits(conv, p)], f"{conv.id}: no resident fits")

    def partner_for(self, conv: Conversation, resident: Person) -> Person:
        other = "女" if resident.gender == "男" else "男"
        with self.lock:
            return self._take(
                [p for p in self.people if p.gender == other and ADULT[0] <= p.age <= ADULT[1] and p.id != resident.id],
                f"{conv.id}: no partner fits",
            )

    def bind(self, sender_id: str, person: Person) -> None:
        """``sender_id`` verified as ``person`` (what the identity provider's sign-in writes)."""
        with Session(self.engine) as sess, sess.begin():
            sess.merge(WechatBinding(openid=sender_id, resident_id=person.id))
