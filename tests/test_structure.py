"""The package's shape, checked: short modules and functions, public imports only, layers that do not
reach upward, no import cycles between subsystems, and one table of trace kinds.

These are the measures a reviewer applies by eye; a test keeps them from drifting back.
"""

from __future__ import annotations

import ast
import collections
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "microscopy_builder"
MODULE_LINES = 400
SESSION_LINES = 260
FUNCTION_LINES = 60

# subsystem -> subsystems it must never import at module level (a lower layer reaching upward)
FORBIDDEN = {
    "specs": {"builders", "emit", "io", "writing", "description", "session", "reading"},
    "builders": {"emit", "io", "writing", "description", "session", "reading"},
    "io": {"builders", "emit", "writing", "description", "session", "reading"},
    "emit": {"builders", "writing", "description", "session", "reading"},
    "rules": {"writing", "session", "reading"},
    "description": {"writing", "session"},
    "writing": {"session", "reading"},
    "session": {"reading", "cli"},
}


def _modules() -> list[tuple[str, Path, ast.Module]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        found.append((name, path, ast.parse(path.read_text())))
    return found


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    nodes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            nodes.update(id(inner) for inner in ast.walk(node))
    return nodes


def _imports(name: str, path: Path, tree: ast.Module, module_level_only: bool) -> list[tuple[str, list[str]]]:
    """(imported module, imported names) of the package's own imports, relative ones resolved."""
    skipped = _type_checking_nodes(tree)
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if id(node) in skipped or not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        if target.startswith("microscopy_builder"):
            found.append((target, [alias.name for alias in node.names]))
    return found


def _subsystem(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


MODULES = _modules()


def test_modules_are_short():
    long = {name: len(path.read_text().splitlines()) for name, path, _ in MODULES}
    limits = {name: SESSION_LINES if name == "microscopy_builder.session" else MODULE_LINES for name in long}
    assert {name: n for name, n in long.items() if n > limits[name]} == {}


def test_functions_are_short():
    long = []
    for name, _, tree in MODULES:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert long == []


def test_no_module_imports_another_modules_private_names():
    private = []
    for name, path, tree in MODULES:
        for target, names in _imports(name, path, tree, module_level_only=False):
            parts = target.split(".")
            for i, part in enumerate(parts):
                inside = (name + ".").startswith(".".join(parts[:i]) + ".")
                if part.startswith("_") and not part.startswith("__") and not inside:
                    private.append(f"{name} imports private module {target}")
            private += [f"{name} imports {target}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert private == []


def test_lower_layers_do_not_import_upper_ones():
    reaching = []
    for name, path, tree in MODULES:
        mine = _subsystem(name)
        for target, _ in _imports(name, path, tree, module_level_only=True):
            if _subsystem(target) in FORBIDDEN.get(mine, set()):
                reaching.append(f"{name} imports {target}")
    assert reaching == []


def test_subsystems_import_each_other_without_cycles():
    graph: dict[str, set[str]] = collections.defaultdict(set)
    for name, path, tree in MODULES:
        for target, _ in _imports(name, path, tree, module_level_only=True):
            a, b = _subsystem(name), _subsystem(target)
            if a and b and a != b:
                graph[a].add(b)
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in stack:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif len(stack) < len(graph) + 1:
                visit(nxt, stack + [nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert cycles == []


def test_the_checks_see_the_package():
    # guards the checks above against passing on an empty walk
    names = {name for name, _, _ in MODULES}
    assert {"microscopy_builder.session", "microscopy_builder.emit.base", "microscopy_builder.specs"} <= names
    assert sum(len(_imports(n, p, t, True)) for n, p, t in MODULES) > 100


@pytest.mark.parametrize("layout", ["microscopy", "legacy"])
def test_every_trace_kind_has_one_row_naming_it_in_both_layouts(layout):
    from microscopy_builder.emit.traces import TRACES
    from microscopy_builder.specs import TRACE_KINDS

    assert tuple(TRACES) == TRACE_KINDS
    names = {kind: (row.microscopy_name if layout == "microscopy" else (row.legacy_container, row.legacy_name))
             for kind, row in TRACES.items()}
    # two kinds in one place would overwrite each other in the file
    assert len(set(names.values())) == len(names)
    assert all(row.description for row in TRACES.values())


def test_importing_the_package_loads_no_extension_namespace():
    # a legacy-only process must be able to write and append core-only files without ndx-microscopy loaded
    import subprocess
    import sys

    code = "import sys, microscopy_builder as mb; mb.Session; print(sorted(m for m in sys.modules if m.startswith('ndx_')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
