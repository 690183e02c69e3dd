"""The compiled SQL selects exactly the residents a brute-force Python evaluation of the rule selects.

Property-based (hypothesis): random registries (households, residents, bindings, events,
birthdays on 29 February, districts without a published standard) and random rules,
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.policy.conftest import COMMUNITIES, DISTRICTS, STANDARDS, People, load_people
from web.policy import audience, compiler, registry, rules

BENEFITS = ["低保", "高龄津贴", "残疾人两项补贴", "特困供养"]
KINDS = ["serious_illness_expense", "hospitalisation"]
COMMUNITY_CODES = sorted(COMMUNITIES)


# ---- the brute-force evaluator: the rule's meaning, written as plainly as possible ------------


def evaluate(node: rules.Node, r: dict, facts: dict, as_of: date) -> bool:
    if isinstance(node, rules.All):
        return all(evaluate(c, r, facts, as_of) for c in node.children)
    if isinstance(node, rules.AnyOf):
        return any(evaluate(c, r, facts, as_of) for c in node.children)
    if isinstance(node, rules.Not):
        return not evaluate(node.child, r, facts, as_of)
    if isinstance(node, rules.Benefit):
        held = any(b in r["benefits"] for b in node.names)
        return held if node.held else not held
    if isinstance(node, rules.Event):
        return any(
            e["kind"] == node.kind
            and as_of - timedelta(days=node.within_days) < e["occurred_on"] <= as_of
            and e["amount"] >= node.min_amount
            for e in facts["events"]
        )
    if isinstance(node, rules.IncomeVsStandard):
        std = STANDARDS.get(r["hukou_district_code"], {}).get(node.standard)
        if std is None:
            return False
        return compare(Fraction(facts["income"], facts["size"]), node.op, Fraction(node.percent * std, 100))
    f, op, v = node.field, node.op, node.value
    value = {
        "age": compiler.age_on(r["birth_date"], as_of),
        "disability_grade": r["disability_grade"],
        "household_size": facts["size"],
        "household_savings": facts["savings"],
        "per_capita_income": Fraction(facts["income"], facts["size"]),
        "gender": r["gender"],
        "living_alone": r["living_alone"],
    }.get(f)
    if f == "hukou_district":
        return r["hukou_district_code"] in v or DISTRICTS[r["hukou_district_code"]] in v
    if f == "hukou_community":
        return r["hukou_community_code"] in v or COMMUNITIES[r["hukou_community_code"]][0] in v
    if op == "in":
        return value in v
    return compare(value, op, v)


def compare(a, op: str, b) -> bool:
    return {"eq": a == b, "ne": a != b, "gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


# ---- random registries -------------------------------------------------------------------------

AS_OF_DAYS = st.sampled_from(
    [date(2026, 11, 23), date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1), date(2026, 1, 1)]
)


BOUNDARY_AGES = [60, 65, 80, 90]


@st.composite
def registries(draw, as_of: date) -> People:
    people = People()
    rid = 0
    for hid in range(1, draw(st.integers(1, 7)) + 1):
        people.households.append(
            {
                "id": hid,
                "community_code": draw(st.sampled_from(COMMUNITY_CODES)),
                "monthly_income": draw(st.sampled_from([0, 1399, 1400, 1510, 2265, 2800, 3020, 4530, 9000])),
                "savings": draw(st.sampled_from([0, 30000, 48000, 100000])),
            }
        )
        for _ in range(draw(st.integers(1, 4))):
            rid += 1
            community = draw(st.sampled_from(COMMUNITY_CODES))
            birth = draw(
                st.one_of(  # birthdays on and next to the day an age is reached, and 29 February
                    st.dates(date(1920, 1, 1), date(2025, 12, 31)),
                    st.builds(
                        lambda age, delta: compiler.years_before(as_of, age) + timedelta(days=delta),
                        st.sampled_from(BOUNDARY_AGES),
                        st.integers(-1, 1),
                    ),
                    st.sampled_from([date(1944, 2, 29), date(1964, 2, 29), date(1966, 3, 1)]),
                )
            )
            people.residents.append(
                {
                    "id": rid,
                    "id_number": f"3101071950{rid:08d}",
                    "name": f"居民{rid}",
                    "gender": draw(st.sampled_from("男女")),
                    "birth_date": birth,
                    "household_id": hid,
                    "hukou_district_code": COMMUNITIES[community][1],
                    "hukou_community_code": community,
                    "disability_grade": draw(st.integers(0, 4)),
                    "living_alone": draw(st.booleans()),
                    "benefits": draw(st.lists(st.sampled_from(BENEFITS), unique=True, max_size=3)),
                }
            )
            if draw(st.booleans()):
                people.bindings.append({"openid": f"o{rid}", "resident_id": rid})
            for _ in range(draw(st.integers(0, 2))):
                people.events.append(
                    {
                        "resident_id": rid,
                        "kind": draw(st.sampled_from(KINDS)),
                        "occurred_on": date(2026, 11, 23) - timedelta(days=draw(st.integers(-30, 800))),
                        "amount": draw(st.sampled_from([0, 5000, 10000, 50000])),
                    }
                )
    return people


NUMBER = {
    "age": st.sampled_from(BOUNDARY_AGES) | st.integers(0, 110),
    "disability_grade": st.integers(0, 4),
    "household_size": st.integers(1, 5),
    "household_savings": st.sampled_from([0, 30000, 48000, 60000]),
    "per_capita_income": st.sampled_from([0, 700, 1400, 1510, 2000]),
}
OPS = st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"])

leaf = st.one_of(
    st.sampled_from(sorted(NUMBER)).flatmap(lambda f: st.builds(lambda op, v: {f: {op: v}}, OPS, NUMBER[f])),
    st.builds(lambda pair: {"age": {"between": sorted(pair)}}, st.tuples(st.integers(50, 100), st.integers(50, 100))),
    st.builds(lambda ns: {"age": {"in": ns}}, st.lists(st.integers(60, 100), min_size=1, max_size=3)),
    st.builds(
        lambda op, k, s: {"per_capita_income": {op: k, "standard": s}},
        st.sampled_from(["lt_standard", "lte_standard", "gt_standard", "gte_standard"]),
        st.sampled_from([0.5, 1, 1.5, 2, 0.93, 3.02]),
        st.sampled_from(["低保", "特困供养"]),
    ),
    st.builds(lambda g: {"gender": g}, st.sampled_from(["男", "女"])),
    st.builds(
        lambda v, op: {"hukou_district": {op: v}},
        st.lists(st.sampled_from(["普陀区", "310113", "试点区"]), min_size=1, max_size=2),
        st.sampled_from(["in", "not_in"]),
    ),
    st.builds(lambda v: {"hukou_community": v}, st.sampled_from(["新村居委会", "310107005001", "试点居委会"])),
    st.builds(lambda b: {"living_alone": b}, st.booleans()),
    st.builds(
        lambda op, names: {"benefit": {op: names}},
        st.sampled_from(["held", "not_held"]),
        st.lists(st.sampled_from(BENEFITS), min_size=1, max_size=2, unique=True),
    ),
    st.builds(
        lambda k, d, a: {"event": {"kind": k, "within_days": d, "min_amount": a}},
        st.sampled_from(KINDS),
        st.sampled_from([1, 30, 90, 365]),
        st.sampled_from([0, 10000]),
    ),
)
rule_data = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=6,
)


def test_sql_equals_brute_force(registry_engine):
    dialect = registry_engine.dialect.name

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        world=AS_OF_DAYS.flatmap(lambda day: st.tuples(st.just(day), registries(day))),
        data=st.lists(leaf | rule_data, min_size=6, max_size=6),
        target=st.sampled_from([None, "高龄津贴", "低保"]),
    )
    def check(world: tuple[date, People], data: list, target: str | None) -> None:
        as_of, people = world
        load_people(registry_engine, people)
        sizes = {h["id"]: sum(1 for r in people.residents if r["household_id"] == h["id"]) for h in people.households}
        households = {h["id"]: h for h in people.households}
        bound = {}
        for b in people.bindings:
            bound[b["resident_id"]] = min(bound.get(b["resident_id"], b["openid"]), b["openid"])
        with registry_engine.connect() as conn:
            ctx_region = registry.load_region(conn)
            for rule_json in data:
                node = rules.parse(rule_json)
                ctx = compiler.Context(as_of, STANDARDS, ctx_region, dialect)
                aud = audience.Audience(node, target, ctx)
                got = {
                    r.id: (r.openid, bool(r.already_held))
                    for batch in audience.stream(conn, aud, batch=3)
                    for r in batch
                }
                expected = {}
                for r in people.residents:
                    h = households[r["household_id"]]
                    facts = {
                        "size": sizes[h["id"]],
                        "income": h["monthly_income"],
                        "savings": h["savings"],
                        "events": [e for e in people.events if e["resident_id"] == r["id"]],
                    }
                    if evaluate(node, r, facts, as_of):
                        expected[r["id"]] = (bound.get(r["id"]), bool(target and target in r["benefits"]))
                assert got == expected, rules.dumps(rule_json)
                assert conn.execute(compiler.count_query(node, ctx)).scalar() == len(expected)

    check()
