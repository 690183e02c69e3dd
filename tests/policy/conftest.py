"""Fixtures of the campaign tests: a registry database and a platform database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import Engine, delete, insert, text
from sqlalchemy.orm import sessionmaker

from backoffice.residents.events import ResidentEvent
from backoffice.residents.models import Household, Resident, WechatBinding
from common.db import make_engine
from common.migrate import upgrade

DISTRICTS = {"310107": "普陀区", "310113": "宝山区", "310999": "试点区"}  # 试点区 has no published standard
COMMUNITIES = {
    "310107005001": ("长寿居委会", "310107"),
    "310107005002": ("新村居委会", "310107"),
    "310113101001": ("友谊居委会", "310113"),
    "310113101002": ("新村居委会", "310113"),
    "310999001001": ("试点居委会", "310999"),
}
STANDARDS = {"310107": {"低保": 1510, "特困供养": 2265}, "310113": {"低保": 1400}}
AS_OF = date(2026, 11, 23)


def seed_region(engine: Engine) -> None:
    with engine.begin() as conn:
        for code, name in DISTRICTS.items():
            conn.execute(
                text("INSERT INTO district (code, name, aliases, lat, lng) VALUES (:c, :n, '[]', 31.2, 121.4)"),
                {"c": code, "n": name},
            )
        for code, district in {c[:9]: d for c, (_n, d) in COMMUNITIES.items()}.items():
            conn.execute(
                text(
                    "INSERT INTO street (code, district_code, name, kind, aliases, lat, lng, service_center, "
                    "advisor_name, advisor_phone) VALUES (:c, :d, :n, '街道', '[]', 31.2, 121.4, '{}', '', '')"
                ),
                {"c": code, "d": district, "n": "街道" + code},
            )
        for code, (name, _district) in COMMUNITIES.items():
            conn.execute(
                text(
                    "INSERT INTO community (code, street_code, name, aliases, lat, lng) "
                    "VALUES (:c, :s, :n, '[]', 31.2, 121.4)"
                ),
                {"c": code, "s": code[:9], "n": name},
            )


@dataclass
class People:
    """Rows to insert, as plain dicts, so a brute-force evaluator can read the very same values."""

    households: list[dict] = field(default_factory=list)
    residents: list[dict] = field(default_factory=list)
    bindings: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def load_people(engine: Engine, people: People) -> None:
    with engine.begin() as conn:
        for model in (ResidentEvent, WechatBinding, Resident, Household):
            conn.execute(delete(model.__table__))
        if people.households:
            conn.execute(
                insert(Household.__table__),
                [{"vehicles": 0, "homes": 1, "address": "测试路1号", **h} for h in people.households],
            )
        if people.residents:
            conn.execute(insert(Resident.__table__), [{"phone": "", "relation": "户主", **r} for r in people.residents])
        if people.bindings:
            conn.execute(insert(WechatBinding.__table__), people.bindings)
        if people.events:
            conn.execute(insert(ResidentEvent.__table__), [{"note": "", **e} for e in people.events])


def resident_row(rid: int, household_id: int, birth: date, community: str = "310107005001", **extra) -> dict:
    return {
        "id": rid,
        "id_number": f"31010719500101{rid:04d}",
        "name": f"居民{rid}",
        "gender": extra.pop("gender", "女"),
        "birth_date": birth,
        "household_id": household_id,
        "hukou_district_code": COMMUNITIES[community][1],
        "hukou_community_code": community,
        "disability_grade": 0,
        "living_alone": False,
        "benefits": [],
        **extra,
    }


@pytest.fixture
def registry_engine(db_url) -> Iterator[Engine]:
    """An empty registry (the back-office schema) with a small region."""
    upgrade("backoffice", db_url)
    engine = make_engine(db_url)
    seed_region(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def platform(request, db_url, tmp_path) -> Iterator[sessionmaker]:
    """A platform database of the same kind as ``db_url`` (SQLite or PostgreSQL)."""
    url = (
        f"sqlite:///{tmp_path / 'platform.db'}"
        if db_url.startswith("sqlite")
        else request.getfixturevalue("postgres").create("civic_pf")
    )
    upgrade("platform", url)
    engine = make_engine(url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()
