"""Imports between the packages of bnpl point one way: core <- features <- pages and commands.

The allowed directions are written down once, in the table of docs/architecture.md, and read
from there: a package may import any package of a lower tier, and in its own tier only the
packages of groups to its left. Every import counts, also one inside a function (that is how
an import circle hides). A new package fails here until it has its place in the table.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bnpl"
TIERS = ("core", "features", "pages")


def allowed_order(doc: str) -> dict[str, tuple[int, int]]:
    """Each package's place, (tier, group), from the table in the architecture document."""
    table = re.search(r"```text\n(core:.*?)```", doc, re.S)
    assert table, "docs/architecture.md lost its table (a ```text block starting with 'core:')"
    place: dict[str, tuple[int, int]] = {}
    for line in table.group(1).strip().splitlines():
        tier, _, groups = line.partition(":")
        for group_no, group in enumerate(groups.split("|")):
            for package in group.split():
                assert package not in place, f"{package} has two places in the table"
                place[package] = (TIERS.index(tier.strip()), group_no)
    return place


def _package_of(module: str) -> str | None:
    """bnpl.orders.service -> orders; bnpl.db -> db; bnpl -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "bnpl" else None


def _imported(node: ast.AST, module: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: resolved against the importing module's package
            base = ".".join(module.split(".")[:-node.level] + ([base] if base else []))
        # `from bnpl import calendar` names a module, `from bnpl.db import Base` does not.
        return [f"{base}.{alias.name}" for alias in node.names] if base == "bnpl" else [base]
    return []


def import_graph(package_dir: Path = PACKAGE) -> dict[str, dict[str, list[str]]]:
    """{importing package: {imported package: ["bnpl/x/y.py:12", ...]}} over every module."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir.parent)
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        source = _package_of(module)
        if source is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for name in _imported(node, module):
                target = _package_of(name)
                if target and target != source:
                    graph[source][target].append(f"{relative}:{node.lineno}")
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    done, path = set(), []

    def visit(node):
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph.get(node, {})):
            if cycle := visit(target):
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if cycle := visit(start):
            return cycle
    return None


def forbidden_edges(graph, place) -> list[str]:
    """Every import that goes up, sideways within a group, or involves a package not in the table."""
    problems = []
    for source, targets in sorted(graph.items()):
        for target, where in sorted(targets.items()):
            missing = [p for p in (source, target) if p not in place]
            if missing:
                problems.append(f"{', '.join(missing)} not in the table of docs/architecture.md ({where[0]})")
            elif place[target] >= place[source]:
                problems.append(f"{source} -> {target} goes against the table ({', '.join(where)})")
    return problems


@pytest.fixture(scope="module")
def graph():
    return import_graph()


@pytest.fixture(scope="module")
def place():
    return allowed_order((ROOT / "docs" / "architecture.md").read_text())


def test_no_import_circle_between_packages(graph):
    assert find_cycle(graph) is None


def test_every_import_goes_the_way_the_table_allows(graph, place):
    assert forbidden_edges(graph, place) == []


def test_every_package_has_its_place_in_the_table(place):
    packages = {path.stem if path.is_file() else path.name for path in PACKAGE.iterdir()
                if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
                or path.name == "migrations"}
    assert packages - set(place) == set()


# The checker itself must be able to say no.

def test_an_import_inside_a_function_counts(tmp_path):
    (tmp_path / "bnpl" / "events").mkdir(parents=True)
    (tmp_path / "bnpl" / "events" / "service.py").write_text(
        "def record():\n    from bnpl.notifications import service\n")
    assert import_graph(tmp_path / "bnpl") == {"events": {"notifications": ["bnpl/events/service.py:2"]}}


def test_a_circle_is_found():
    graph = {"events": {"notifications": []}, "notifications": {"invoices": []}, "invoices": {"events": []}}
    assert find_cycle(graph) == ["events", "notifications", "invoices", "events"]


def test_an_import_against_the_table_is_named():
    place = allowed_order("```text\ncore: db | events\nfeatures: merchants consumers | orders\npages: app\n```")
    graph = {"events": {"orders": ["bnpl/events/service.py:3"]}, "orders": {"merchants": ["x"], "db": ["y"]},
             "consumers": {"merchants": ["bnpl/consumers/service.py:5"]}, "db": {"events": ["bnpl/db.py:9"]},
             "app": {"orders": ["z"], "risk": ["bnpl/app.py:1"]}}
    assert forbidden_edges(graph, place) == [
        "risk not in the table of docs/architecture.md (bnpl/app.py:1)",
        "consumers -> merchants goes against the table (bnpl/consumers/service.py:5)",
        "db -> events goes against the table (bnpl/db.py:9)",
        "events -> orders goes against the table (bnpl/events/service.py:3)",
    ]
