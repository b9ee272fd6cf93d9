"""The layout holds: imports run one way, the numerical core stays pure, modules stay small.

Every module under patrol/, threats/ and config/ is parsed with `ast`; every import counts, at module
level or inside a function (a function-level import is still a dependency, only a later one).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("patrol", "threats", "config")
MAX_LINES = 600

# Arrays in, arrays out: testable and benchmarkable without a database or a web layer.
PURE = {
    "patrol.terrain.grid",
    "patrol.terrain.graph",
    "patrol.routing.planner",
    "patrol.routing.coverage",
    "patrol.routing.insertion",
    "patrol.routing.search",
    "patrol.routing.dijkstra",
    "patrol.routing.compiled",
    "patrol.routing.baseline",
    "patrol.patrols.footprint",
    "patrol.scheduling.autofill",
    "patrol.scheduling.conflicts",
    "patrol.routing.constraints",
    "patrol.terrain.naming",
    "threats.risk.data",
    "threats.risk.features",
    "threats.risk.effort",
    "threats.risk.glm",
    "threats.risk.activity",
    "threats.risk.presence",
    "threats.risk.model",
    "threats.risk.evaluation",
    "threats.reports.coverage",
    "threats.reports.periods",
}
FRAMEWORKS = ("django", "rest_framework", "drf_spectacular", "celery", "environ")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


SOURCES = _sources()


def _imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name the module imports (absolute), with `from a import b` giving `a.b` when
    `a.b` is a module of ours, else `a`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                names.add(candidate if candidate in SOURCES else target)
    return names


def _import_graph() -> tuple[nx.DiGraph, dict[str, set[str]]]:
    graph, external = nx.DiGraph(), {}
    for module, path in SOURCES.items():
        graph.add_node(module)
        names = _imported_names(module, path)
        external[module] = {n for n in names if n not in SOURCES}
        for name in names & SOURCES.keys():
            if name != module:
                graph.add_edge(module, name)
    return graph, external


GRAPH, EXTERNAL = _import_graph()


def test_the_layout_sees_the_modules():
    assert {"patrol.terrain.grid", "threats.risk.compute", "config.settings.base"} <= GRAPH.nodes
    assert PURE <= GRAPH.nodes, f"pure modules missing: {sorted(PURE - GRAPH.nodes)}"
    assert ("threats.risk.compute", "patrol.terrain.models") in GRAPH.edges


def test_no_import_cycles():
    cycles = []
    for component in nx.strongly_connected_components(GRAPH):
        if len(component) > 1:
            cycle = nx.find_cycle(GRAPH.subgraph(component))
            cycles.append(" -> ".join([a for a, _b in cycle] + [cycle[0][0]]))
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles))


def test_patrol_does_not_import_threats():
    """threats builds on patrol (the planner needs the risk surface: it is handed in, see
    IRBIS_RISK_SURFACE), never the other way round."""
    wrong = sorted(
        f"{a} -> {b}" for a, b in GRAPH.edges if a.split(".")[0] == "patrol" and b.split(".")[0] == "threats"
    )
    assert not wrong, "patrol imports threats:\n" + "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(PURE))
def test_pure_modules_import_no_framework_and_only_pure_modules(module):
    frameworks = sorted(n for n in EXTERNAL[module] if n.split(".")[0] in FRAMEWORKS)
    impure = sorted(set(GRAPH.successors(module)) - PURE)
    assert not frameworks, f"{module} imports {frameworks}"
    assert not impure, f"{module} imports project modules that are not pure: {impure}"


def test_modules_stay_small():
    long = sorted(
        f"{module}: {n} lines"
        for module, path in SOURCES.items()
        if ".migrations." not in f".{module}." and (n := len(path.read_text().splitlines())) > MAX_LINES
    )
    assert not long, f"modules over {MAX_LINES} lines:\n" + "\n".join(long)
