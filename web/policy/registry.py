"""The resident registry as the campaign engine sees it: a read-only SQL source.

The registry belongs to the back-office (in production a read replica of the bureau's
registry, ``REGISTRY_DATABASE_URL``). The web and worker processes never import the
back-office's models; these Core tables name only the columns the engine reads, so
this module is the whole contract between the engine and the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    event,
    select,
)

from common.db import make_engine

metadata = MetaData()

resident = Table(
    "resident",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("id_number", String(18)),
    Column("name", String(20)),
    Column("gender", String(1)),
    Column("birth_date", Date),
    Column("phone", String(11)),
    Column("household_id", Integer),
    Column("hukou_district_code", String(12)),
    Column("hukou_community_code", String(16)),
    Column("disability_grade", Integer),
    Column("living_alone", Boolean),
    Column("benefits", JSON),
    Column("openid", String(64)),  # the least openid of its WeChat bindings, kept by the registry (bo_residents_0003)
)
household = Table(
    "household",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_code", String(16)),
    Column("address", String(120)),
    Column("monthly_income", Integer),
    Column("savings", Integer),
    Column("member_count", Integer),  # kept by the registry on every write to resident (bo_residents_0002)
)
resident_event = Table(
    "resident_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("resident_id", Integer),
    Column("kind", String(32)),
    Column("occurred_on", Date),
    Column("amount", Integer),
)
district = Table("district", metadata, Column("code", String(12), primary_key=True), Column("name", String(40)))
street = Table(
    "street",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("district_code", String(12)),
    Column("name", String(40)),
    Column("advisor_name", String(20)),
    Column("advisor_phone", String(20)),
)
community = Table(
    "community",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("street_code", String(12)),
    Column("name", String(40)),
)


def read_only_engine(url: str) -> Engine:
    """An engine whose transactions are read-only where the database can enforce it."""
    engine = make_engine(url, pool_size=4, max_overflow=4) if not url.startswith("sqlite") else make_engine(url)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "begin")
        def _read_only(conn: Connection) -> None:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    return engine


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    return read_only_engine(url)


@dataclass(frozen=True)
class Region:
    """District and community names and codes, to resolve what an administrator writes."""

    district_names: dict[str, str]  # code -> name
    communities: dict[str, tuple[str, str]]  # code -> (name, district code)

    def district_codes(self, value: str) -> set[str]:
        return {c for c, n in self.district_names.items() if value in (c, n)}

    def community_codes(self, value: str) -> set[str]:
        return {c for c, (n, _d) in self.communities.items() if value in (c, n)}


def load_region(conn: Connection) -> Region:
    districts = {code: name for code, name in conn.execute(select(district.c.code, district.c.name))}
    rows = conn.execute(
        select(community.c.code, community.c.name, street.c.district_code).join(
            street, street.c.code == community.c.street_code
        )
    )
    return Region(districts, {code: (name, d) for code, name, d in rows})
