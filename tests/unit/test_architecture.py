"""The package's import graph: no cycles, and nothing below the facade imports ``db``.

Every module is parsed (not imported), so the graph holds every import the code can run:
module level, under ``if TYPE_CHECKING:`` and inside functions. Importing ``a.b.c`` also
imports the packages ``a.b`` and ``a`` (their ``__init__`` runs first), so those count as
edges too, except the importer's own parent packages, which are already loading.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

PACKAGE = "dynamorm_async"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE

# Cycles being worked off: each entry is the set of modules of one cycle (a strongly
# connected component of the graph), with a comment saying why it is there and who removes
# it. An entry must shrink or go as those modules stop importing each other; every other
# cycle fails. Empty since the middle floor takes a Session (issue 8, item 1).
KNOWN_CYCLES: tuple[frozenset[str], ...] = ()

# Modules below the facade that still import db, likewise (empty since issue 8, item 1).
KNOWN_DB_IMPORTERS: frozenset[str] = frozenset()

# Who may import db: the package's __init__ (the facade's export), the multi-account facade
# over DBs and the adapters on top.
ABOVE_THE_FACADE = (
    "",
    "__main__",
    "partners",
    "idempotency",
    "aws_lambda",
    "testing",
    "cli",
    "deploy",
)

# The rows of docs/architecture.md, lowest first: a module imports only from its own row and
# the rows below. A module is named here by itself or by its package (codec, expr...).
LAYERS: tuple[tuple[str, ...], ...] = (
    # base
    (
        "errors",
        "config",
        "environment",
        "_deadline",
        "_instrument",
        "_fanout",
        "_delivery",
        "progress",
    ),
    ("_annotations", "table_options", "_schema"),  # schema
    ("model",),
    ("codec",),
    ("expr", "conditions", "updates"),  # expressions
    # planning (reads, writes, batches, lifecycle; a table's definition and drift)
    ("planning", "pagination", "_retry", "_table_definition", "_table_drift"),
    ("transport", "_logging"),  # transport and the loggers
    ("engine", "metrics", "tracing", "capacity"),  # engine and observers
    ("session",),
    ("_items", "query", "update_builder", "transaction", "batch", "_tables"),  # executors
    ("db",),  # facade
    ("partners", "idempotency"),  # built on the facade: partner DBs, idempotent calls
    ("", "__main__", "aws_lambda", "testing", "cli", "deploy", "mypy"),  # exports, adapters, tools
)


def _module_names() -> dict[str, Path]:
    """Module name (relative to the package, "" for its __init__) -> file."""
    names: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _packages_of(name: str) -> Iterator[str]:
    """The packages whose __init__ runs before ``name`` does, outermost first."""
    parts = name.split(".") if name else []
    for end in range(len(parts)):
        yield ".".join(parts[:end])


def _resolve(importer: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The package modules an import statement in ``importer`` loads."""
    is_package = MODULES[importer].name == "__init__.py"
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                yield alias.name.removeprefix(PACKAGE).removeprefix(".")
        return
    if node.level == 0:
        if node.module is None or not (
            node.module == PACKAGE or node.module.startswith(PACKAGE + ".")
        ):
            return
        base = node.module.removeprefix(PACKAGE).removeprefix(".")
    else:
        here = importer.split(".") if importer else []
        if not is_package:
            here = here[:-1]
        here = here[: len(here) - (node.level - 1)]
        base = ".".join([*here, *([node.module] if node.module else [])])
    yield base
    for alias in node.names:
        sub = f"{base}.{alias.name}" if base else alias.name
        if sub in MODULES:  # `from . import x` where x is a module
            yield sub


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for importer, path in MODULES.items():
        own_packages = {*_packages_of(importer), importer}
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _resolve(importer, node):
                assert target in MODULES, f"{importer} imports unknown module {target!r}"
                for loaded in (*_packages_of(target), target):
                    if loaded not in own_packages:
                        graph[importer].add(loaded)
    return graph


def _cycles(graph: Mapping[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _label(modules: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(m or "__init__" for m in modules)) + "}"


GRAPH = _graph()


def test_no_import_cycles() -> None:
    unexpected = [c for c in _cycles(GRAPH) if not any(c <= known for known in KNOWN_CYCLES)]
    assert not unexpected, "import cycles: " + "; ".join(_label(c) for c in unexpected)


def test_known_cycles_still_exist() -> None:
    # A cycle that went away must leave the allowlist, so that it cannot come back unnoticed.
    cycles = _cycles(GRAPH)
    gone = [known for known in KNOWN_CYCLES if not any(c <= known for c in cycles)]
    assert not gone, "gone, remove from KNOWN_CYCLES: " + "; ".join(map(_label, gone))


def _row(module: str) -> int:
    for row, names in enumerate(LAYERS):
        if module in names or module.split(".")[0] in names:
            return row
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and docs/architecture.md")


def test_each_module_imports_only_its_row_and_below() -> None:
    upward = {
        f"{importer} -> {target}"
        for importer, targets in GRAPH.items()
        for target in targets
        if _row(target) > _row(importer) and not (target == "db" and importer in KNOWN_DB_IMPORTERS)
    }
    assert not upward, f"imports of a higher layer: {sorted(upward)}"


def test_nothing_below_the_facade_imports_db() -> None:
    importers = {
        name
        for name, targets in GRAPH.items()
        if "db" in targets and name.split(".")[0] not in ABOVE_THE_FACADE
    }
    assert importers - KNOWN_DB_IMPORTERS == set()
    assert importers >= KNOWN_DB_IMPORTERS, "stale KNOWN_DB_IMPORTERS entries: remove them"


def test_the_graph_sees_every_kind_of_import() -> None:
    # Guards the parser above with imports the package really has.
    assert "errors" in GRAPH["config"]  # module level, relative
    assert "tracing" in GRAPH["engine"]  # `from . import module`
    # Inside a function (and under TYPE_CHECKING): a submodule and the package it loads.
    assert {"transport", "transport.aiobotocore"} <= GRAPH["engine"]
    assert {"db", "testing.local"} <= GRAPH["testing.plugin"]  # only in functions / TYPE_CHECKING
    assert "codec" not in GRAPH["codec._hooks"]  # its own package is already loading
