"""The policy rule language: declarative JSON/YAML, parsed and validated into a small typed tree.

A rule is data an administrator edits in the admin pages. Parsing never evaluates
anything; every mistake is reported with where it is and what to write instead,
in Chinese and English. The grammar is documented in docs/campaigns.md:

    node      := {"all": [node, ...]} | {"any": [node, ...]} | {"not": node} | condition
    condition := {field: {op: value, ...}} | {field: value}        (shorthand for eq / in)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MAX_DEPTH = 8
MAX_CONDITIONS = 100
MAX_LIST = 500
MAX_TEXT = 20_000  # characters of a rule as typed (a long real one is a few hundred)
MAX_YAML_DEPTH = 3 * MAX_DEPTH + 4  # YAML's levels: a rule level is a mapping and a list; a condition 3 more

CMP_OPS = ("eq", "ne", "gt", "gte", "lt", "lte")
STANDARD_OPS = ("lt_standard", "lte_standard", "gt_standard", "gte_standard")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent / "vocabulary.yaml").read_text(encoding="utf-8"))


# ---- the typed tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Compare:
    """``field op value`` for a number (age, disability_grade, household_size, household_savings,
    per_capita_income in yuan) or ``field in values`` / ``field eq value`` for the rest."""

    field: str
    op: str  # eq ne gt gte lt lte in
    value: Any


@dataclass(frozen=True)
class IncomeVsStandard:
    """Household monthly income per member ``op`` ``percent``% of the hukou district's ``standard``."""

    op: str  # lt lte gt gte
    percent: int
    standard: str


@dataclass(frozen=True)
class Benefit:
    held: bool  # True: holds at least one of names; False: holds none of them
    names: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    kind: str
    within_days: int
    min_amount: int


Node = All | AnyOf | Not | Compare | IncomeVsStandard | Benefit | Event


# ---- errors --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleError:
    path: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.path}: {self.zh} / {self.en}"


class RuleInvalid(ValueError):
    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


# ---- fields ----------------------------------------------------------------------------------

NUMBER_FIELDS = {  # field -> (min, max, Chinese name)
    "age": (0, 150, "年龄"),
    "disability_grade": (0, 4, "残疾等级"),
    "household_size": (1, 50, "户内人数"),
    "household_savings": (0, 10**10, "家庭存款"),
    "per_capita_savings": (0, 10**10, "家庭人均存款"),
    "per_capita_income": (0, 10**8, "家庭人均月收入"),
}
TEXT_FIELDS = {"gender": "性别", "hukou_district": "户籍区", "hukou_community": "户籍居委/村委"}
BOOL_FIELDS = {"living_alone": "独居"}
SPECIAL_FIELDS = {"benefit": "享受的待遇", "event": "近期发生的事"}
ALL_FIELDS = sorted([*NUMBER_FIELDS, *TEXT_FIELDS, *BOOL_FIELDS, *SPECIAL_FIELDS])


class _AliasFound(yaml.YAMLError):
    pass


class _TooDeep(yaml.YAMLError):
    pass


class _Reader(yaml.SafeLoader):
    """YAML's safe reader without anchors and aliases (``&a`` / ``*a``): a rule never needs them,
    and nested aliases ("billion laughs") make a 1 KB text hundreds of millions of nodes for
    whatever walks it. The event is refused before its node is built."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _AliasFound(event.start_mark)
        if self.depth >= MAX_YAML_DEPTH:
            raise _TooDeep(event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def decode(text: str) -> Any:
    """A rule's text (JSON or YAML: JSON is YAML) as data, bounded before it is read: at most
    :data:`MAX_TEXT` characters, no anchors or aliases, no nesting deeper than YAML's reader copes with."""
    if len(text) > MAX_TEXT:
        raise RuleInvalid(
            [
                RuleError(
                    "rule", f"规则太长（{len(text)} 个字），最多 {MAX_TEXT} 个字", f"longer than {MAX_TEXT} characters"
                )
            ]
        )
    try:
        return yaml.load(text, Loader=_Reader)  # noqa: S506 - _Reader is yaml.SafeLoader, narrowed
    except _AliasFound as exc:
        raise RuleInvalid(
            [
                RuleError(
                    "rule",
                    "规则里不能用 YAML 的锚点和别名（& 和 *），请把每个条件直接写出来",
                    "YAML anchors and aliases (& and *) are not allowed in a rule: write each condition out",
                )
            ]
        ) from exc
    except _TooDeep as exc:
        raise RuleInvalid(
            [RuleError("rule", f"嵌套太深，最多 {MAX_DEPTH} 层", f"nested too deeply (at most {MAX_DEPTH} levels)")]
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        where_en = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RuleInvalid(
            [RuleError("rule", f"规则写法有误{where}，不是有效的 JSON/YAML", f"not valid JSON/YAML{where_en}")]
        ) from exc
    except ValueError as exc:  # a number of thousands of digits
        raise RuleInvalid([RuleError("rule", "规则里的数字太长", "a number in the rule is too long")]) from exc


def load(text: str) -> Node:
    """Parse a rule written as JSON or YAML and validate it."""
    return parse(decode(text))


def parse(data: Any) -> Node:
    """Validate a decoded rule; raise :class:`RuleInvalid` listing every problem found."""
    errors: list[RuleError] = []
    counter = [0]
    node = _node(data, "rule", 1, errors, counter)
    if counter[0] > MAX_CONDITIONS:
        errors.append(
            RuleError(
                "rule",
                f"条件太多（{counter[0]} 个），最多 {MAX_CONDITIONS} 个",
                f"too many conditions ({counter[0]}), at most {MAX_CONDITIONS}",
            )
        )
    if errors:
        raise RuleInvalid(errors)
    assert node is not None
    return node


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _node(data: Any, path: str, depth: int, errors: list[RuleError], counter: list[int]) -> Node | None:
    if depth > MAX_DEPTH:
        errors.append(
            RuleError(path, f"嵌套太深，最多 {MAX_DEPTH} 层", f"nested too deeply (at most {MAX_DEPTH} levels)")
        )
        return None
    if not isinstance(data, dict) or len(data) != 1:
        errors.append(
            RuleError(
                path,
                '每个条件必须是只有一个键的对象，例如 {"age": {"gte": 80}} 或 {"all": [...]}',
                'each condition must be an object with exactly one key, e.g. {"age": {"gte": 80}} or {"all": [...]}',
            )
        )
        return None
    ((key, value),) = data.items()
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            errors.append(
                RuleError(
                    f"{path}.{key}",
                    f"“{key}” 后面要跟一个非空的条件列表",
                    f'"{key}" takes a non-empty list of conditions',
                )
            )
            return None
        children = [_node(v, f"{path}.{key}[{i}]", depth + 1, errors, counter) for i, v in enumerate(value)]
        if any(c is None for c in children):
            return None
        return All(tuple(children)) if key == "all" else AnyOf(tuple(children))  # type: ignore[arg-type]
    if key == "not":
        child = _node(value, f"{path}.not", depth + 1, errors, counter)
        return Not(child) if child is not None else None
    counter[0] += 1
    where = f"{path}.{key}"
    if key in NUMBER_FIELDS:
        return _number(key, value, where, errors)
    if key in TEXT_FIELDS:
        return _text(key, value, where, errors)
    if key in BOOL_FIELDS:
        if not isinstance(value, bool):
            errors.append(
                RuleError(where, f"“{BOOL_FIELDS[key]}”只能是 true 或 false", f'"{key}" must be true or false')
            )
            return None
        return Compare(key, "eq", value)
    if key == "benefit":
        return _benefit(value, where, errors)
    if key == "event":
        return _event(value, where, errors)
    errors.append(
        RuleError(
            where,
            f"不认识的字段“{key}”，可用的字段：{', '.join(ALL_FIELDS)}，或 all / any / not",
            f'unknown field "{key}"; fields: {", ".join(ALL_FIELDS)}, or all / any / not',
        )
    )
    return None


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(field: str, value: Any, where: str, errors: list[RuleError]) -> Node | None:
    lo, hi, zh_name = NUMBER_FIELDS[field]
    if _is_int(value):
        value = {"eq": value}
    if not isinstance(value, dict) or not value:
        errors.append(
            RuleError(
                where, f'“{zh_name}”要写成比较，例如 {{"gte": 80}}', f'"{field}" takes comparisons, e.g. {{"gte": 80}}'
            )
        )
        return None
    ops_allowed = CMP_OPS + ("in", "between") + (STANDARD_OPS + ("standard",) if field == "per_capita_income" else ())
    standard = value.get("standard", "低保") if field == "per_capita_income" else None
    if standard is not None and standard not in vocabulary()["standards"]:
        errors.append(
            RuleError(
                f"{where}.standard",
                f"不认识的标准“{standard}”，可用：{'、'.join(vocabulary()['standards'])}",
                f'unknown standard "{standard}"; known: {", ".join(vocabulary()["standards"])}',
            )
        )
        return None
    parts: list[Node] = []
    for op, arg in value.items():
        at = f"{where}.{op}"
        if op not in ops_allowed:
            errors.append(
                RuleError(
                    at,
                    f"不认识的比较方式“{op}”，可用：{', '.join(o for o in ops_allowed if o != 'standard')}",
                    f'unknown operator "{op}"; use one of {", ".join(o for o in ops_allowed if o != "standard")}',
                )
            )
            continue
        if op == "standard":
            continue
        if op in STANDARD_OPS:
            percent = _percent(arg)
            if percent is None:
                errors.append(
                    RuleError(
                        at,
                        "要写标准的倍数，大于 0、不超过 10、最多两位小数，例如 1.5",
                        "takes a multiple of the standard: > 0, at most 10, at most two decimals, e.g. 1.5",
                    )
                )
                continue
            parts.append(IncomeVsStandard(op.removesuffix("_standard"), percent, standard))
            continue
        args = arg if op in ("in", "between") else [arg]
        if (
            not isinstance(args, list)
            or not args
            or len(args) > MAX_LIST
            or not all(_is_int(a) and lo <= a <= hi for a in args)
        ):
            errors.append(
                RuleError(
                    at,
                    f"“{zh_name}”的值要是 {lo} 到 {hi} 之间的整数" + ("（列表）" if op in ("in", "between") else ""),
                    f'"{field}" values must be integers from {lo} to {hi}'
                    + (" (a list)" if op in ("in", "between") else ""),
                )
            )
            continue
        if op == "between":
            if len(args) != 2 or args[0] > args[1]:
                errors.append(
                    RuleError(at, "between 要写成 [下限, 上限]，两头都包含", "between takes [low, high], both included")
                )
                continue
            parts += [Compare(field, "gte", args[0]), Compare(field, "lte", args[1])]
        elif op == "in":
            parts.append(Compare(field, "in", tuple(sorted(set(args)))))
        else:
            parts.append(Compare(field, op, args[0]))
    if not parts:
        if not any(e.path.startswith(where) for e in errors):
            errors.append(
                RuleError(where, '缺少比较，例如 {"lte_standard": 1}', 'no comparison given, e.g. {"lte_standard": 1}')
            )
        return None
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _percent(arg: Any) -> int | None:
    if isinstance(arg, bool) or not isinstance(arg, (int, float, str)):
        return None
    try:
        d = Decimal(str(arg))
    except InvalidOperation:
        return None
    scaled = d * 100
    if scaled != scaled.to_integral_value() or not 0 < d <= 10:
        return None
    return int(scaled)


def _text(field: str, value: Any, where: str, errors: list[RuleError]) -> Node | None:
    zh_name = TEXT_FIELDS[field]
    if isinstance(value, (str, list)):
        value = {"in": value if isinstance(value, list) else [value]}
    if not isinstance(value, dict) or len(value) != 1:
        errors.append(
            RuleError(
                where,
                f'“{zh_name}”要写成一个值、一个列表，或 {{"in": [...]}} / {{"not_in": [...]}}',
                f'"{field}" takes a value, a list, or {{"in": [...]}} / {{"not_in": [...]}}',
            )
        )
        return None
    ((op, arg),) = value.items()
    if op not in ("eq", "ne", "in", "not_in"):
        errors.append(
            RuleError(
                f"{where}.{op}",
                f"不认识的比较方式“{op}”，可用：eq, ne, in, not_in",
                f'unknown operator "{op}"; use one of eq, ne, in, not_in',
            )
        )
        return None
    args = arg if isinstance(arg, list) else [arg]
    if not args or len(args) > MAX_LIST or not all(isinstance(a, str) and a.strip() for a in args):
        errors.append(
            RuleError(f"{where}.{op}", f"“{zh_name}”的值要是非空的文字", f'"{field}" values must be non-empty strings')
        )
        return None
    args = [a.strip() for a in args]
    if field == "gender" and not set(args) <= {"男", "女"}:
        errors.append(RuleError(f"{where}.{op}", "性别只能是“男”或“女”", 'gender is "男" or "女"'))
        return None
    node: Node = Compare(field, "in", tuple(sorted(set(args))))
    return Not(node) if op in ("ne", "not_in") else node


def _names(value: Any, known: list[str]) -> tuple[str, ...] | None:
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(n, str) and n in known for n in names):
        return None
    return tuple(sorted(set(names)))


def _benefit(value: Any, where: str, errors: list[RuleError]) -> Node | None:
    known = vocabulary()["benefits"]
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("held", "not_held"):
        errors.append(
            RuleError(
                where,
                '“享受的待遇”要写成 {"held": "低保"} 或 {"not_held": ["高龄津贴"]}',
                'benefit takes {"held": "低保"} or {"not_held": ["高龄津贴"]}',
            )
        )
        return None
    ((op, arg),) = value.items()
    names = _names(arg, known)
    if names is None:
        errors.append(
            RuleError(
                f"{where}.{op}",
                f"不认识的待遇名称 {arg!r}，可用：{'、'.join(known)}",
                f"unknown benefit {arg!r}; known: {', '.join(known)}",
            )
        )
        return None
    return Benefit(op == "held", names)


def _event(value: Any, where: str, errors: list[RuleError]) -> Node | None:
    kinds = vocabulary()["event_kinds"]
    if not isinstance(value, dict):
        errors.append(
            RuleError(
                where,
                '“近期发生的事”要写成 {"kind": "serious_illness_expense", "within_days": 90}',
                'event takes {"kind": "serious_illness_expense", "within_days": 90}',
            )
        )
        return None
    unknown = set(value) - {"kind", "within_days", "min_amount"}
    if unknown:
        errors.append(
            RuleError(
                where,
                f"不认识的键 {sorted(unknown)}，可用：kind, within_days, min_amount",
                f"unknown keys {sorted(unknown)}; use kind, within_days, min_amount",
            )
        )
        return None
    kind, days, amount = value.get("kind"), value.get("within_days"), value.get("min_amount", 0)
    ok = True
    if kind not in kinds:
        errors.append(
            RuleError(
                f"{where}.kind",
                f"不认识的事件类型 {kind!r}，可用：{', '.join(f'{k}（{v}）' for k, v in kinds.items())}",
                f"unknown event kind {kind!r}; known: {', '.join(kinds)}",
            )
        )
        ok = False
    if not (_is_int(days) and 1 <= days <= 3650):
        errors.append(
            RuleError(
                f"{where}.within_days",
                "within_days 要写 1 到 3650 之间的天数",
                "within_days must be a number of days from 1 to 3650",
            )
        )
        ok = False
    if not (_is_int(amount) and 0 <= amount <= 10**9):
        errors.append(
            RuleError(
                f"{where}.min_amount",
                "min_amount 要写不小于 0 的整数（元）",
                "min_amount must be a whole number of yuan, 0 or more",
            )
        )
        ok = False
    return Event(kind, days, amount) if ok else None


def fields_used(node: Node) -> set[str]:
    """The registry fields a rule needs (the compiler joins only what is used)."""
    if isinstance(node, (All, AnyOf)):
        return set().union(*(fields_used(c) for c in node.children))
    if isinstance(node, Not):
        return fields_used(node.child)
    if isinstance(node, Compare):
        return {node.field}
    if isinstance(node, IncomeVsStandard):
        return {"per_capita_income"}
    return {"benefit"} if isinstance(node, Benefit) else {"event"}
