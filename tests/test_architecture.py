"""The package's import graph has no circle and no import that runs up the layers.

Layers, lowest first; a module may import modules of its own layer and of the layers below
it, never above. A module is in the layer whose prefix is the longest that names it (a
layer's prefixes may run over several lines):

    sparql   competency_kg.sparql
    model    competency_kg.namespaces competency_kg.names competency_kg.iris
    model    competency_kg.safe_text competency_kg.labels
    model    competency_kg.shacl_sparql competency_kg.validation
    loaders  competency_kg.loaders
    store    competency_kg.store
    core     competency_kg
    web      competency_kg.web
    cli      competency_kg.cli

So the loaders import neither the store nor the web application, the core does not import
the web application, and the SPARQL layer imports nothing else of the project.

The graph is read with ``ast`` from the source folders that ``[tool.setuptools.package-dir]``
in ``pyproject.toml`` maps to the package (``loaders/`` is ``competency_kg.loaders``,
``web/`` is ``competency_kg.web``); every import counts, at module top, in a function or
under ``TYPE_CHECKING``. ``docs/architecture.md`` shows the same layer list, and a test here
keeps the two identical.

Two more promises of issue 17 are kept here. **Sizes**: no module over :data:`MAX_MODULE_LINES`
lines and no function over :data:`MAX_FUNCTION_LINES` unless it states why at its top, in a
comment line ``# size: <reason>`` (a module: before its first statement after the docstring; a
function: before the first statement of its body after the docstring). **Imports** stand at
the top of a module:
every import inside a function is listed in :data:`FUNCTION_IMPORTS` with its reason, and a new
one fails until it is moved to the top or listed.

How these tests were seen to fail (each break undone after): an import of
``competency_kg.sparql.text`` from ``competency_kg/store/dataset.py`` swapped back for
``competency_kg.query_pool`` made a circle (query_pool -> query_sandbox -> store.dataset ->
query_pool) and an upward import (store -> core) fail; ``from competency_kg.store.embedded import
EmbeddedStore`` added to ``loaders/rdf_file.py`` failed the upward test (loaders -> store); a
changed word in the docs' layer list failed the docs test. The size test failed on the
``# size:`` line of ``cli.build_parser`` made a plain comment ("competency_kg/cli.py: function
build_parser is 107 lines") and on 100 blank lines added to ``cli.py`` ("608 lines"); the
imports test failed on ``import json`` put in ``web/resources.py``'s ``plain``
("web/resources.py:plain:json").
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "competency_kg"


def layer_lines() -> list[str]:
    """The layer list of this module's docstring: its indented lines, as written."""
    return [line for line in (__doc__ or "").splitlines() if line.startswith("    ")]


def layers() -> list[tuple[str, list[str]]]:
    """(name, module prefixes) per layer, lowest first."""
    found: list[tuple[str, list[str]]] = []
    for name, *prefixes in (line.split() for line in layer_lines()):
        if found and found[-1][0] == name:
            found[-1][1].extend(prefixes)
        else:
            found.append((name, prefixes))
    return found


def package_folders() -> dict[str, Path]:
    """Package name -> its folder, as setuptools installs them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    return {name: ROOT / folder for name, folder in mapping.items() if name.startswith(PACKAGE)}


def modules() -> dict[str, Path]:
    """Every module of the package -> its file. A folder that is a package of its own in the
    mapping (``loaders/`` inside the tree of ``competency_kg``) is read under that name only."""
    folders = package_folders()
    found: dict[str, Path] = {}
    for package, folder in folders.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join([package, *parts])
            owner = max((p for p in folders if (name + ".").startswith(p + ".")), key=len)
            if owner == package:
                found[name] = path
    return found


def imported(path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """The package's modules ``path`` imports, with the line of each import."""

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == PACKAGE and (target := resolve(name)) is not None:
                yield target, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {module it imports: line of the first such import}."""
    known = modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        edges: dict[str, int] = {}
        for target, line in imported(path, known):
            if target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(layers()):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank >= 0, f"{module} is in no layer: name it in the layer list"
    return rank


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_from_every_source_folder() -> None:
    """The mapping is followed: the loaders and the web application are in the graph, and
    known imports are seen (guards the tests below against reading an empty graph)."""
    graph = import_graph()
    assert "competency_kg.loaders.rdf_file" in graph
    assert "competency_kg.web.app" in graph
    assert "competency_kg.sparql.text" in graph["competency_kg.store.dataset"]
    assert "competency_kg.web.sparql" in graph["competency_kg.web.app"]


def test_no_import_circles() -> None:
    graph = import_graph()
    found = circles(graph)
    detail = [
        " -> ".join(f"{m} (line {graph[m].get(c[(i + 1) % len(c)], '?')})" for i, m in enumerate(c))
        for c in found
    ]
    assert not found, "modules that import each other in a circle:\n" + "\n".join(detail)


def test_no_upward_imports() -> None:
    names = [name for name, _ in layers()]
    upward = [
        f"{module} ({names[layer_of(module)]}) imports {target} ({names[layer_of(target)]}), "
        f"line {line}"
        for module, edges in sorted(import_graph().items())
        for target, line in edges.items()
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "imports that run up the layers:\n" + "\n".join(upward)


@pytest.mark.parametrize("line", layer_lines())
def test_the_docs_show_the_same_layers(line: str) -> None:
    docs = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert line in docs.splitlines(), f"docs/architecture.md lacks the layer line {line!r}"


# --------------------------------------------------------------------------- sizes
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: A comment line stating why a module or function is over the limit.
SIZE_MARKER = re.compile(r"^\s*# size: \S")


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _marked(lines: list[str], start: int, end: int) -> bool:
    """Whether a ``# size:`` line stands in ``lines[start:end]`` (0-based)."""
    return any(SIZE_MARKER.match(line) for line in lines[start:end])


def _first_statement(body: list[ast.stmt]) -> ast.stmt | None:
    """The first statement after a docstring, if any."""
    rest = (
        body[1:]
        if body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
        else body
    )
    return rest[0] if rest else None


def oversized() -> list[str]:
    """Modules and functions over the limits that state no reason and are not pending."""
    found = []
    for path in sorted(set(modules().values())):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text)
        name = _relative(path)
        first = _first_statement(tree.body)
        top = first.lineno - 1 if first else len(lines)
        if len(lines) > MAX_MODULE_LINES and not _marked(lines, 0, top):
            found.append(f"{name}: {len(lines)} lines")
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if size <= MAX_FUNCTION_LINES:
                continue
            body = _first_statement(node.body)
            if not _marked(lines, node.lineno, (body.lineno - 1) if body else node.lineno):
                found.append(f"{name}: function {node.name} is {size} lines")
    return found


def test_no_module_or_function_over_the_limits_without_a_reason() -> None:
    found = oversized()
    assert not found, (
        f"over {MAX_MODULE_LINES} lines (module) or {MAX_FUNCTION_LINES} (function), with no "
        "'# size: <reason>' line at its top: split it, or say why not\n" + "\n".join(found)
    )


# --------------------------------------------------------------------------- imports
DISPATCH = "the loaders' dispatch: a format's reader is imported when a file of it is read"
CLI = "the CLI's dispatch: the comparison and careers (0.2 s) only for their commands"
#: Every import inside a function, as "file:function:module", with its reason.
FUNCTION_IMPORTS: dict[str, str] = {
    "competency_kg/cli.py:cmd_compare:competency_kg.compare.comparison": CLI,
    "competency_kg/cli.py:cmd_compare:competency_kg.compare.formats": CLI,
    "competency_kg/cli.py:cmd_compare:competency_kg.compare.queries": CLI,
    "competency_kg/cli.py:cmd_compare:competency_kg.compare.resolution": CLI,
    "competency_kg/cli.py:cmd_match:competency_kg": CLI,
    "competency_kg/cli.py:cmd_match:competency_kg.compare.queries": CLI,
    "competency_kg/cli.py:cmd_match:competency_kg.compare.resolution": CLI,
    "competency_kg/cli.py:cmd_pathway:competency_kg": CLI,
    "competency_kg/cli.py:cmd_pathway:competency_kg.compare.queries": CLI,
    "competency_kg/cli.py:cmd_pathway:competency_kg.compare.resolution": CLI,
    "competency_kg/cli.py:cmd_serve:competency_kg.web.server": (
        "the CLI's dispatch: Flask and gunicorn (1.5 s) only for the command that serves"
    ),
    "competency_kg/sparql/text.py:_parser_finds_service:pyparsing": (
        "rdflib's SPARQL parser (0.3 s) stays out of the query workers"
    ),
    "competency_kg/sparql/text.py:_parser_finds_service:rdflib.plugins.sparql.parser": (
        "rdflib's SPARQL parser (0.3 s) stays out of the query workers"
    ),
    "competency_kg/sparql/text.py:_parser_finds_service:rdflib.plugins.sparql.parserutils": (
        "rdflib's SPARQL parser (0.3 s) stays out of the query workers"
    ),
    "competency_kg/store/dataset.py:query_dataset:rdflib.plugins.sparql.algebra": (
        "rdflib's SPARQL parser (0.3 s) stays out of the query workers"
    ),
    "competency_kg/store/dataset.py:query_dataset:rdflib.plugins.sparql.parser": (
        "rdflib's SPARQL parser (0.3 s) stays out of the query workers"
    ),
    "competency_kg/store/__init__.py:__getattr__:competency_kg.store": (
        "PEP 562: the query workers import store.journal without rdflib"
    ),
    "competency_kg/store/__init__.py:open_store:competency_kg.store.embedded": (
        "importing the store package loads neither rdflib nor pyoxigraph's store"
    ),
    "competency_kg/store/__init__.py:open_store:competency_kg.store.remote": (
        "SPARQLWrapper only for a remote store"
    ),
    "loaders/__init__.py:is_source_folder:competency_kg.loaders.onet.files": DISPATCH,
    "loaders/__init__.py:_refuse_deep_json:competency_kg.loaders.rdf_file": DISPATCH,
    "loaders/__init__.py:read_source:competency_kg.loaders.onet.release": DISPATCH,
    "loaders/__init__.py:_framework_source:competency_kg.loaders.framework_json": DISPATCH,
    "loaders/__init__.py:_framework_source:competency_kg.loaders.mapping": DISPATCH,
    "loaders/__init__.py:_overview_source:competency_kg.loaders.mapping": DISPATCH,
    "loaders/__init__.py:_overview_source:competency_kg.loaders.overview": DISPATCH,
    "loaders/__init__.py:_read_document:competency_kg.loaders.ctdl": DISPATCH,
    "loaders/__init__.py:_read_document:competency_kg.loaders.framework_json": DISPATCH,
    "loaders/__init__.py:_read_document:competency_kg.loaders.overview": DISPATCH,
    "loaders/__init__.py:_read_rdf:competency_kg.loaders.ctdl": DISPATCH,
    "loaders/__init__.py:_read_rdf:competency_kg.loaders.rdf_file": DISPATCH,
    "loaders/onet/release.py:validate:competency_kg.validation": (
        "pySHACL only when a release is validated"
    ),
    "loaders/onet/files.py:__iter__:competency_kg.loaders.onet_excel": (
        "openpyxl only for a release in Excel files"
    ),
    "loaders/onet_excel.py:iter_xlsx_rows:openpyxl": "openpyxl (heavy) only for .xlsx files",
}


def function_imports() -> dict[str, int]:
    """Every import inside a function, as "file:function:module" -> its line (the innermost
    function that holds it)."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, name: str, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, name, child.name)
                continue
            if function is not None and isinstance(child, ast.Import | ast.ImportFrom):
                targets = (
                    [a.name for a in child.names]
                    if isinstance(child, ast.Import)
                    else ["." * child.level + (child.module or "")]
                )
                for target in targets:
                    found.setdefault(f"{name}:{function}:{target}", child.lineno)
            visit(child, name, function)

    for path in sorted(set(modules().values())):
        visit(ast.parse(path.read_text(encoding="utf-8")), _relative(path), None)
    return found


def test_imports_inside_functions_are_the_listed_ones() -> None:
    found = function_imports()
    assert len(found) >= 20, found  # the walk reads the package (guards an empty result)
    new = [
        f"{key} (line {line})" for key, line in sorted(found.items()) if key not in FUNCTION_IMPORTS
    ]
    assert not new, (
        "imports inside functions: move them to the top of the module, or list them in "
        "FUNCTION_IMPORTS with the reason (a circle, a heavy import a process avoids)\n"
        + "\n".join(new)
    )
