"""The layout holds: one folder per concept, imports flowing one way (ARCHITECTURE.md).

Every import in cs/ and jobs/ is read from the code itself (an AST scan, imports inside functions
included): a package may import only the packages below it, nothing but the CLI and `__main__`
imports `cs.cli`, the domain never imports the output module, and no module takes part in an import
cycle, not even one closed by an import inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# What each part may import besides itself. Read it bottom-up: core stands on nothing, store on core,
# the desk on both; scoring and exchange on the desk; reports on scoring and exchange (workbooks);
# the demo builds a centre from all of them; the CLI and the jobs sit on top.
ALLOWED = {
    "cs": set(),
    "cs.core": set(),
    "cs.store": {"cs.core"},
    "cs.desk": {"cs.core", "cs.store"},
    "cs.scoring": {"cs.core", "cs.store", "cs.desk"},
    "cs.exchange": {"cs.core", "cs.store", "cs.desk"},
    "cs.calls": {"cs.core", "cs.store", "cs.desk"},
    "cs.reports": {"cs.core", "cs.store", "cs.desk", "cs.scoring", "cs.exchange", "cs.calls"},
    "cs.demo": {"cs.core", "cs.store", "cs.desk", "cs.scoring", "cs.exchange", "cs.reports", "cs.calls"},
    "cs.output": {"cs.core"},
    "jobs": {"cs.core", "cs.store", "cs.desk", "cs.scoring", "cs.exchange", "cs.reports", "cs.calls"},
    "cs.cli": {"cs", "cs.core", "cs.store", "cs.desk", "cs.scoring", "cs.exchange", "cs.reports", "cs.demo", "cs.calls",
               "cs.output", "jobs"},
    "cs.__main__": {"cs.cli"},
}
TOP_LEVEL_LIMIT = 8


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, str]:
    found = {}
    for root in ("cs", "jobs"):
        for path in sorted((REPO / root).rglob("*.py")):
            found[module_name(path)] = path.read_text(encoding="utf-8")
    return found


def imports_of(name: str, source: str, known: set[str]) -> set[str]:
    """The project modules `name` imports anywhere in its code (top level or inside functions)."""
    package = name if name + ".__init__" in known or _is_package(name, known) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from cs.desk import tickets` imports the module cs.desk.tickets, not just the package.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _is_package(name: str, known: set[str]) -> bool:
    return any(other.startswith(name + ".") for other in known)


def part_of(module: str) -> str:
    """The part of the layout a module belongs to: the longest key of ALLOWED it falls under."""
    best = ""
    for part in ALLOWED:
        if (module == part or module.startswith(part + ".")) and len(part) > len(best):
            best = part
    return best or module


def graph(modules: dict[str, str]) -> dict[str, set[str]]:
    known = set(modules)
    return {name: imports_of(name, source, known) for name, source in modules.items()}


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(edges.items()):
        mine = part_of(module)
        for target in sorted(targets):
            theirs = part_of(target)
            if theirs != mine and theirs not in ALLOWED.get(mine, set()):
                problems.append(f"{module} imports {target} ({mine} may not import {theirs})")
    return problems


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a cycle of imports."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


# --------------------------------------------------------------------------------------- the rules


def test_imports_flow_one_way():
    assert upward_imports(graph(sources())) == []


def test_no_module_takes_part_in_an_import_cycle():
    assert cycles(graph(sources())) == []


def test_every_module_belongs_to_a_known_part():
    assert sorted(m for m in sources() if part_of(m) not in ALLOWED) == []


def test_only_the_cli_and_main_import_the_cli():
    edges = graph(sources())
    importers = sorted(m for m, targets in edges.items()
                       if any(t == "cs.cli" or t.startswith("cs.cli.") for t in targets) and part_of(m) != "cs.cli")
    assert importers == ["cs.__main__"]


def test_cs_top_level_keeps_at_most_eight_modules():
    top = sorted(p.name for p in (REPO / "cs").glob("*.py"))
    assert len(top) <= TOP_LEVEL_LIMIT, top


# --------------------------------------------------------------------------------------- the checker


def test_the_check_fails_on_an_upward_import_added_inside_a_function():
    modules = sources()
    modules["cs.desk.tickets"] += "\n\ndef _sneaky():\n    from cs.reports import figures\n"
    assert upward_imports(graph(modules)) == [
        "cs.desk.tickets imports cs.reports.figures (cs.desk may not import cs.reports)"]


def test_the_check_fails_when_the_domain_imports_the_cli_or_the_output_module():
    modules = sources()
    modules["cs.scoring.deductions"] += "\nfrom cs.cli.common import emit_list\nfrom cs import output\n"
    assert upward_imports(graph(modules)) == [
        "cs.scoring.deductions imports cs.cli.common (cs.scoring may not import cs.cli)",
        "cs.scoring.deductions imports cs.output (cs.scoring may not import cs.output)",
    ]


def test_the_check_finds_a_cycle_closed_by_an_import_inside_a_function():
    modules = sources()
    modules["cs.desk.callbacks"] += "\n\ndef _back():\n    from cs.desk import tickets\n"
    modules["cs.desk.tickets"] += "\n\ndef _forth():\n    from cs.desk.callbacks import query\n"
    assert ["cs.desk.callbacks", "cs.desk.tickets"] in cycles(graph(modules))


@pytest.mark.parametrize("statement, target", [
    ("from cs.desk import tickets", "cs.desk.tickets"),
    ("from cs.desk.tickets import query", "cs.desk.tickets"),
    ("import cs.desk.tickets", "cs.desk.tickets"),
    ("from . import customers", "cs.desk.customers"),
    ("from .customers import normalise_phone", "cs.desk.customers"),
])
def test_every_spelling_of_an_import_is_seen(statement, target):
    modules = sources()
    assert target in imports_of("cs.desk.callbacks", statement, set(modules))
