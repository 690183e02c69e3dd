"""The registry keeps each household's number of members (``household.member_count``) on every write to
``resident``, and the campaign rules compare per person with it instead of counting members per query
(the count that made the builder's audience count take seconds at 1,000,000 residents)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from backoffice.residents.models import Household, Resident
from tests.policy.conftest import AS_OF, People, load_people, resident_row
from web.policy import compiler, registry, rules


def sizes(engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Household.id, Household.member_count).order_by(Household.id)).all())


def counted(engine) -> dict[int, int]:
    """What the members are, counted: what the kept figure must always be."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Household.id, func.count(Resident.id))
            .outerjoin(Resident, Resident.household_id == Household.id)
            .group_by(Household.id)
            .order_by(Household.id)
        )
        return dict(rows.all())


def test_the_member_count_follows_every_write_to_the_residents(registry_engine):
    crowd = People(
        households=[{"id": h, "community_code": "310107005001", "monthly_income": 0, "savings": 0} for h in (1, 2, 3)]
    )
    crowd.residents = [resident_row(r, h, date(1950, 1, r)) for r, h in ((1, 1), (2, 1), (3, 1), (4, 2))]
    load_people(registry_engine, crowd)  # one INSERT of several rows
    assert sizes(registry_engine) == {1: 3, 2: 1, 3: 0}
    with Session(registry_engine) as sess, sess.begin():  # the back-office's own way: the ORM
        sess.add(Resident(**resident_row(5, 3, date(1990, 5, 5)), phone="", relation="子女"))
    assert sizes(registry_engine) == {1: 3, 2: 1, 3: 1}
    with registry_engine.begin() as conn:
        conn.execute(update(Resident).where(Resident.id.in_([1, 2])).values(household_id=2))  # two move out
        conn.execute(update(Resident).where(Resident.id == 4).values(benefits=["低保"]))  # nobody moves
    assert sizes(registry_engine) == {1: 1, 2: 3, 3: 1}
    with registry_engine.begin() as conn:
        conn.execute(delete(Resident).where(Resident.id.in_([3, 5])))
        conn.execute(insert(Resident), [{**resident_row(6, 1, date(2020, 6, 6)), "phone": "", "relation": "子女"}])
    assert sizes(registry_engine) == {1: 1, 2: 3, 3: 0} == counted(registry_engine)


def test_a_per_person_rule_reads_the_kept_count_and_counts_no_members(registry_engine):
    rule = rules.parse(
        {
            "all": [
                {"per_capita_income": {"lte_standard": 1}},
                {"per_capita_savings": {"lte": 20000}},
                {"household_size": {"gte": 2}},
            ]
        }
    )
    with registry_engine.connect() as conn:
        ctx = compiler.Context(AS_OF, {"310107": {"低保": 1510}}, registry.load_region(conn), conn.dialect.name)
    sql = str(compiler.audience_query(rule, ctx).compile(registry_engine))
    assert "household.member_count" in sql
    assert "count(" not in sql.lower()  # no aggregate over the residents of every household
