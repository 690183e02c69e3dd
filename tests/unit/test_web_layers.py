"""web's subpackages depend on each other one way only (docs/architecture.md, "Wiring").

Every import of every module under web/ counts, at module level or inside a function:
``import web.x``, ``from web.x import …``, ``from web import x`` and relative imports. The
graph is between top-level subpackages (web/conversations, web/admin, web/policy …); an
import inside one subpackage is its own business.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
# The wiring: what builds the process's services and plugs the features together. A
# subpackage never imports it, except its Celery task modules (``<package>/tasks.py``),
# whose tasks belong to the worker's Celery app and take their services from it.
WIRING = {"app", "services", "worker", "worker_main", "tasks"}


def _subpackages() -> set[str]:
    return {p.name for p in WEB.iterdir() if (p / "__init__.py").is_file() and p.name != "migrations"}


def _imported(source: str, module: list[str], is_package: bool = False) -> set[tuple[str, ...]]:
    """The web modules (as name parts below ``web``) the module's source imports, anywhere in it."""
    package = module if is_package else module[:-1]
    found: set[tuple[str, ...]] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name.split(".") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = (package[: len(package) - node.level + 1] if node.level else []) + (node.module or "").split(".")
            base = [part for part in base if part]
            # `from web import admin` imports web.admin; `from web.admin import guard` at least web.admin
            names = [base + [alias.name] for alias in node.names] if base == ["web"] else [base]
        else:
            continue
        found |= {tuple(name[1:]) for name in names if len(name) > 1 and name[0] == "web"}
    return found


def _graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], set[str]]]:
    """Subpackage → the subpackages it imports, and which files import the wiring."""
    subpackages = _subpackages()
    edges: dict[str, set[str]] = defaultdict(set)
    wiring: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in sorted(WEB.rglob("*.py")):
        parts = path.relative_to(WEB).parts
        if len(parts) < 2 or parts[0] not in subpackages:
            continue
        source = parts[0]
        module = ["web", *path.relative_to(WEB).with_suffix("").parts]
        for target in _imported(path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"):
            if target[0] in subpackages and target[0] != source:
                edges[source].add(target[0])
            elif target[0] in WIRING and path.name != "tasks.py":
                wiring[(source, target[0])].add(str(path.relative_to(WEB.parent)))
    return edges, wiring


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (its nodes, the first repeated at the end), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for target in sorted(edges.get(node, ())):
            cycle = visit(target, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(edges):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"x": {"y"}, "y": {"y"}}) == ["y", "y"]


def test_imports_are_read_wherever_they_are():
    source = (
        "import web.policy.models\nfrom web import admin, console\nfrom . import guard\nfrom ..handoff import queue\n"
        "def later():\n    from web.review.models import ReviewItem\n"
    )
    assert _imported(source, ["web", "admin", "views"]) == {
        ("policy", "models"),
        ("admin",),
        ("console",),
        ("handoff",),
        ("review", "models"),
    }


def test_web_subpackages_import_each_other_one_way_only():
    edges, _ = _graph()
    assert "admin" in edges["policy"] and "conversations" in edges["handoff"], "the walk found no imports"
    cycle = _cycle(edges)
    assert cycle is None, f"import cycle between web subpackages: {' → '.join(cycle)}"


def test_the_floor_and_the_admin_package_import_no_feature():
    edges, _ = _graph()
    assert not edges["conversations"], f"web/conversations imports {sorted(edges['conversations'])}"
    assert not edges["admin"], f"web/admin imports {sorted(edges['admin'])}; features register with it instead"


def test_no_subpackage_imports_the_wiring():
    _, wiring = _graph()
    assert not wiring, f"web subpackages import the wiring (web/services.py gives them what they need): {dict(wiring)}"
