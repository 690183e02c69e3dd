"""Made-up people with checksum-valid ID numbers, for the marriage tests; ``verified`` makes one a verified
resident for the back-office rule tests (the conversation tests verify through the provider instead)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backoffice.marriage import calendar
from backoffice.marriage.models import MarriageAppointment, MarriageParty
from backoffice.residents.models import Resident, WechatBinding
from backoffice.seed.people import make_id_number

_seq = itertools.count(100)


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str

    def as_party(self) -> dict[str, str]:
        return {"name": self.name, "id_number": self.id_number}


def person(gender: str, age: int, name: str | None = None, born_days_later: int = 0) -> Person:
    """A made-up resident with a checksum-valid ID, ``age`` years old today (plus ``born_days_later`` days younger)."""
    today, n = calendar.today(), next(_seq)
    # make_id_number's sequence repeats every 500 people: older by a day per 500 keeps every ID distinct
    birth = date(today.year - age, today.month, min(today.day, 28)) + timedelta(days=born_days_later - n // 500)
    return Person(name or ("张" + ("伟" if gender == "男" else "丽")), make_id_number("310107", birth, n, gender))


def couple() -> tuple[Person, Person]:
    return person("男", 30, "王建国"), person("女", 28, "李秀英")


def verified(engine: Engine, openid: str, someone: Person) -> None:
    """``openid`` bound to ``someone`` as a verified sign-in would leave it (``someone`` entered in the registry,
    in an existing household, when not there yet); binding again replaces, as a new sign-in does."""
    with Session(engine) as sess, sess.begin():
        resident = sess.scalar(select(Resident).where(Resident.id_number == someone.id_number))
        if resident is None:
            template = sess.scalar(select(Resident).order_by(Resident.id).limit(1))
            resident = Resident(
                id_number=someone.id_number,
                name=someone.name,
                gender="男" if int(someone.id_number[16]) % 2 else "女",
                birth_date=date(
                    int(someone.id_number[6:10]), int(someone.id_number[10:12]), int(someone.id_number[12:14])
                ),
                phone="",
                household_id=template.household_id,
                relation="其他",
                hukou_district_code=template.hukou_district_code,
                hukou_community_code=template.hukou_community_code,
            )
            sess.add(resident)
            sess.flush()
        sess.merge(WechatBinding(openid=openid, resident_id=resident.id))


def add_appointment(
    sess: Session,
    number: str,
    openid: str,
    day: date,
    people: list[Person],
    service: str = "补领",
    stage: str = "",
    active: bool = True,
    office: str = "PT-MR-01",
) -> None:
    """Test data the API cannot make (a day in the past, or in a year not yet open): a booked appointment of
    ``people`` at ``office`` (普陀区's), 09:00–10:00, added to ``sess``."""
    appointment = MarriageAppointment(
        number=number,
        openid=openid,
        office_code=office,
        service=service,
        stage=stage,
        day=day,
        start="09:00",
        end="10:00",
        phone="13912345678",
        status="booked",
    )
    key = service + stage if service == "离婚" else service
    appointment.parties = [
        MarriageParty(position=i, name=p.name, id_number=p.id_number, service_key=key, day=day, active=active)
        for i, p in enumerate(people, 1)
    ]
    sess.add(appointment)
