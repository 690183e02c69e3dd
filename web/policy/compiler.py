"""Compiling a validated rule to SQLAlchemy Core over the registry tables.

Every condition compiles to an expression that is never NULL, so ``not`` means what
an administrator expects (SQL's three-valued logic would otherwise drop residents
whose district has no published standard). Ages become birth-date bounds (an index
can serve them); per-capita income is compared in whole numbers
(``income × 100 ≤ percent × standard × members``), so SQL and Python agree exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, Text, and_, cast, false, func, literal, not_, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB

from web.policy import registry as reg
from web.policy.rules import (
    All,
    AnyOf,
    Benefit,
    Compare,
    Event,
    IncomeVsStandard,
    Node,
    Not,
    RuleError,
    RuleInvalid,
    fields_used,
)

R, H = reg.resident, reg.household


@dataclass(frozen=True)
class Context:
    """What a compilation needs besides the rule: the day ages are counted on, the district
    standards (district code -> standard name -> yuan per person per month), the region
    for resolving names, and the SQL dialect of the registry."""

    as_of: date
    standards: dict[str, dict[str, int]]
    region: reg.Region
    dialect: str = "postgresql"
    unknown: list[RuleError] = field(default_factory=list)


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _age(op: str, n: int, as_of: date) -> ColumnElement[bool]:
    b = R.c.birth_date
    # age >= n  <=>  born on or before the day n years ago
    if op == "gte":
        return b <= years_before(as_of, n)
    if op == "gt":
        return b <= years_before(as_of, n + 1)
    if op == "lt":
        return b > years_before(as_of, n)
    if op == "lte":
        return b > years_before(as_of, n + 1)
    if op == "eq":
        return and_(b <= years_before(as_of, n), b > years_before(as_of, n + 1))
    return not_(_age("eq", n, as_of))  # ne


def _cmp(col: ColumnElement, op: str, value: int | ColumnElement) -> ColumnElement[bool]:
    return {
        "eq": col == value,
        "ne": col != value,
        "gt": col > value,
        "gte": col >= value,
        "lt": col < value,
        "lte": col <= value,
    }[op]


def _benefit_any(names: tuple[str, ...], dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # The column is json (text): the cast to jsonb parses it, for every resident a count reads (about 0.2 s
        # of CPU at 1,000,000). Most residents hold nothing: their '[]' is told by the text, only the rest parsed.
        as_jsonb = cast(R.c.benefits, JSONB)
        return and_(cast(R.c.benefits, Text) != "[]", or_(*(as_jsonb.contains([n]) for n in names)))
    items = func.json_each(R.c.benefits).table_valued("value")
    return select(literal(1)).select_from(items).where(items.c.value.in_(names)).exists()


def _resolve(node: Compare, ctx: Context) -> set[str]:
    lookup = ctx.region.district_codes if node.field == "hukou_district" else ctx.region.community_codes
    codes: set[str] = set()
    for value in node.value:
        found = lookup(value)
        if not found:
            zh = "区" if node.field == "hukou_district" else "居委/村委"
            ctx.unknown.append(
                RuleError(
                    f"rule.{node.field}",
                    f"找不到{zh}“{value}”（写名称或代码）",
                    f'no {node.field.removeprefix("hukou_")} named or coded "{value}"',
                )
            )
        codes |= found
    return codes


def condition(node: Node, ctx: Context) -> ColumnElement[bool]:
    size = H.c.member_count  # members of the household, kept by the registry on write (bo_residents_0002)
    if isinstance(node, All):
        return and_(*(condition(c, ctx) for c in node.children))
    if isinstance(node, AnyOf):
        return or_(*(condition(c, ctx) for c in node.children))
    if isinstance(node, Not):
        return not_(condition(node.child, ctx))
    if isinstance(node, Benefit):
        held = _benefit_any(node.names, ctx.dialect)
        return held if node.held else not_(held)
    if isinstance(node, Event):  # uncorrelated: PostgreSQL reads the events once and hashes them
        e = reg.resident_event  # (a correlated EXISTS ran once per resident: 7 s for 临时救助 at 1,000,000)
        return R.c.id.in_(
            select(e.c.resident_id).where(
                e.c.kind == node.kind,
                e.c.occurred_on > ctx.as_of - timedelta(days=node.within_days),
                e.c.occurred_on <= ctx.as_of,
                e.c.amount >= node.min_amount,
            )
        )
    if isinstance(node, IncomeVsStandard):  # income / members op percent% × standard, in whole numbers
        parts = [
            and_(
                R.c.hukou_district_code == code,
                _cmp(H.c.monthly_income * 100, node.op, node.percent * figures[node.standard] * size),
            )
            for code, figures in sorted(ctx.standards.items())
            if node.standard in figures
        ]
        return or_(*parts) if parts else false()
    assert isinstance(node, Compare)
    f, op, v = node.field, node.op, node.value
    if f == "age":
        if op == "in":
            return or_(*(_age("eq", n, ctx.as_of) for n in v))
        return _age(op, v, ctx.as_of)
    if f in ("hukou_district", "hukou_community"):
        codes = _resolve(node, ctx)
        col = R.c.hukou_district_code if f == "hukou_district" else R.c.hukou_community_code
        return col.in_(sorted(codes)) if codes else false()
    if f == "gender":
        return R.c.gender.in_(v)
    if f == "living_alone":
        return R.c.living_alone.is_(true()) if v else R.c.living_alone.is_(false())
    col = {"disability_grade": R.c.disability_grade, "household_size": size, "household_savings": H.c.savings}.get(f)
    if f in ("per_capita_income", "per_capita_savings"):  # total / members op v  <=>  total op v × members
        total = H.c.monthly_income if f == "per_capita_income" else H.c.savings
        if op == "in":
            return or_(*(total == n * size for n in v))
        return _cmp(total, op, v * size)
    assert col is not None
    return col.in_(v) if op == "in" else _cmp(col, op, v)


def audience_query(rule: Node, ctx: Context, target_benefit: str | None = None, detail: bool = False) -> Select:
    """Residents matching ``rule``: id, name, openid (or NULL), whether they already hold the
    target benefit, their community; with ``detail`` what an advisor needs to visit them."""
    used = fields_used(rule)
    where = condition(rule, ctx)
    if ctx.unknown:
        raise RuleInvalid(list(ctx.unknown))
    held = _benefit_any((target_benefit,), ctx.dialect) if target_benefit else false()
    # resident.openid: the least openid of the resident's WeChat bindings (a web chat sign-in cannot be pushed
    # to), kept by the registry on every write to wechat_binding (bo_residents_0003): no grouping of the bindings
    cols = [R.c.id, R.c.name, R.c.openid, held.label("already_held"), R.c.hukou_community_code]
    if detail:
        cols += [R.c.id_number, R.c.phone, H.c.address]
    frm = R
    if used & {"household_size", "household_savings", "per_capita_income", "per_capita_savings"} or detail:
        frm = frm.join(H, H.c.id == R.c.household_id)
    return select(*cols).select_from(frm).where(where).order_by(R.c.id)


def count_query(rule: Node, ctx: Context) -> Select:
    q = audience_query(rule, ctx).order_by(None).subquery()
    return select(func.count()).select_from(q)
