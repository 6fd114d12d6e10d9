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

How these tests were seen to fail (each break undone after): an import of
``competency_kg.sparql.text`` from ``competency_kg/store/dataset.py`` swapped back for
``competency_kg.query_pool`` made a circle (query_pool -> query_sandbox -> store.dataset ->
query_pool) and an upward import (store -> core) fail; ``from competency_kg.store.embedded import
EmbeddedStore`` added to ``loaders/rdf_file.py`` failed the upward test (loaders -> store); a
changed word in the docs' layer list failed the docs test.
"""

from __future__ import annotations

import ast
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
