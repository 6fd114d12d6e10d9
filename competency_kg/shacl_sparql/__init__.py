"""SHACL-SPARQL constraints (https://www.w3.org/TR/shacl/#sparql-constraints) run on Oxigraph.

pySHACL evaluates each ``sh:sparql`` constraint with rdflib's engine, re-parsing the query for
every focus node: on the seeds that is 95 % of a report's time. Here each constraint is run once
for all its focus nodes: ``$this`` becomes ``?this``, bound by a ``VALUES`` block placed first in
the outermost ``WHERE`` group (so every pattern and ``FILTER`` of the group sees it, as
pre-binding requires, SHACL §5.3.1), and each solution becomes a validation result as §5.3.2
says: focus node ``?this``, value ``?value`` (else the focus node, for a node shape), path the
shape's ``sh:path`` (else ``?path``), message from ``sh:message`` with ``{?var}`` substituted.

Only constraints this module can run faithfully are taken out of pySHACL's hands: queries using
``$PATH``, ``$currentShape`` or ``$shapesGraph``, or without a ``WHERE {`` group, stay with pySHACL.
``tests/test_validation.py`` checks the two give identical reports.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

from competency_kg.namespaces import SH
from competency_kg.sparql.terms import to_rdflib

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_UNSUPPORTED = ("$PATH", "$currentShape", "$shapesGraph")
_MESSAGE_VAR = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class SparqlCheck:
    """One ``sh:sparql`` constraint of a shape, ready to run for all its focus nodes."""

    node_shape: Node  # the shape whose targets give the focus nodes
    shape: Node  # the shape holding sh:sparql (the node shape or one of its property shapes)
    constraint: Node
    query: str  # with PREFIX lines, ?this bound by a VALUES block placeholder
    messages: tuple[Literal, ...]
    severity: URIRef
    path: Node | None  # an IRI, or a blank node heading a SHACL path expression
    path_triples: tuple[tuple[Node, Node, Node], ...]  # the path expression, when complex
    targets: tuple[tuple[URIRef, Node], ...]  # (target predicate, object)
    component: URIRef = SH.SPARQLConstraintComponent


@dataclass(frozen=True)
class SparqlResult:
    check: SparqlCheck
    focus: Node
    value: Node | None
    path: Node | None
    message: Literal | None


def _prefixes(shapes: Graph, constraint: Node) -> str:
    lines = []
    for decl_owner in shapes.objects(constraint, SH.prefixes):
        for decl in shapes.objects(decl_owner, SH.declare):
            prefix = shapes.value(decl, SH.prefix)
            ns = shapes.value(decl, SH.namespace)
            if prefix is not None and ns is not None:
                lines.append(f"PREFIX {prefix}: <{ns}>")
    return "\n".join(lines) + "\n"


def split_shapes(shapes: Graph) -> tuple[Graph, list[SparqlCheck]]:
    """The shapes pySHACL should still run, and the SPARQL checks run here instead."""
    checks: list[SparqlCheck] = []
    taken: list[tuple[Node, Node]] = []
    target_preds = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    for node_shape in set(shapes.subjects(RDF.type, SH.NodeShape)):
        targets = tuple((p, o) for p in target_preds for o in shapes.objects(node_shape, p))
        if not targets or shapes.value(node_shape, SH.deactivated) == Literal(True):
            continue
        holders = [node_shape, *shapes.objects(node_shape, SH.property)]
        for shape in holders:
            if shapes.value(shape, SH.deactivated) == Literal(True):
                continue
            for constraint in shapes.objects(shape, SH.sparql):
                select = shapes.value(constraint, SH.select)
                if select is None or any(u in str(select) for u in _UNSUPPORTED):
                    continue
                text = str(select)
                if not _WHERE.search(text):
                    continue
                path = shapes.value(shape, SH.path)
                messages = tuple(shapes.objects(constraint, SH.message)) or tuple(
                    shapes.objects(shape, SH.message)
                )
                checks.append(
                    SparqlCheck(
                        node_shape=node_shape,
                        shape=shape,
                        constraint=constraint,
                        query=_prefixes(shapes, constraint) + text.replace("$this", "?this"),
                        messages=messages,  # type: ignore[arg-type]
                        severity=shapes.value(shape, SH.severity) or SH.Violation,  # type: ignore[arg-type]
                        path=path,
                        path_triples=tuple(bnode_closure(shapes, path))
                        if isinstance(path, BNode)
                        else (),
                        targets=targets,
                    )
                )
                taken.append((shape, constraint))
    core = Graph()
    core += shapes
    for shape, constraint in taken:
        core.remove((shape, SH.sparql, constraint))
    return core, checks


def bnode_closure(g: Graph, node: Node) -> list[tuple[Node, Node, Node]]:
    """The triples describing a blank node, recursively (a SHACL path expression, a list)."""
    out: list[tuple[Node, Node, Node]] = []
    todo, seen = [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for t in g.triples((n, None, None)):
            out.append(t)
            if isinstance(t[2], BNode):
                todo.append(t[2])
    return out


def _focus_nodes(
    store: ox.Store,
    targets: tuple[tuple[URIRef, Node], ...],
    focus_in: str | None = None,
    dataset: dict[str, object] | None = None,
) -> list[str]:
    """The focus nodes of a shape's targets (SHACL §2.1.3), as N-Triples terms; with
    ``focus_in`` (a group pattern about ``?this``), only those it matches."""
    out: set[str] = set()
    keep = f" FILTER EXISTS {{ {focus_in} }}" if focus_in else ""
    for pred, obj in targets:
        o = f"<{obj}>"
        if pred == SH.targetNode:
            node = o if isinstance(obj, URIRef) else str(ox.Literal(str(obj)))
            if not focus_in or store.query(
                f"ASK {{ VALUES ?this {{ {node} }}{keep} }}",
                **(dataset or {}),  # type: ignore[arg-type]
            ):
                out.add(node)
            continue
        pattern = {
            SH.targetClass: f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {o}",
            SH.targetSubjectsOf: f"?this {o} ?any",
            SH.targetObjectsOf: f"?any {o} ?this",
        }[pred]
        query = f"SELECT DISTINCT ?this WHERE {{ {pattern}{keep} }}"
        for row in store.query(query, **(dataset or {})):  # type: ignore[union-attr,arg-type]
            term = row["this"]
            if isinstance(term, ox.NamedNode | ox.Literal):
                out.add(str(term))
            else:  # blank nodes cannot be written into a query; see run_checks
                out.add("_:" + term.value)
    return sorted(out)


def run_checks(
    checks: list[SparqlCheck],
    store: ox.Store,
    focus_in: str | None = None,
    default_graph: list[ox.NamedNode] | None = None,
) -> list[SparqlResult]:
    """Run every check over the default graph of ``store`` (the data, see :func:`store_for`),
    or over the graphs ``default_graph`` names; ``focus_in`` keeps the focus nodes to those
    a group pattern about ``?this`` matches. Each result comes once (several graphs are a
    bag to pyoxigraph 0.5; the project's ``sh:sparql`` constraints count nothing)."""
    if not checks:
        return []
    dataset: dict[str, object] = {} if default_graph is None else {"default_graph": default_graph}
    results: list[SparqlResult] = []
    for check in checks:
        foci = _focus_nodes(store, check.targets, focus_in, dataset)
        named = [f for f in foci if not f.startswith("_:")]
        blank = {f[2:] for f in foci if f.startswith("_:")}
        m = _WHERE.search(check.query)
        assert m is not None
        if named:
            values = "VALUES ?this { " + " ".join(named) + " }\n"
            query = check.query[: m.end()] + "\n" + values + check.query[m.end() :]
            for row in store.query(query, **dataset):  # type: ignore[union-attr,arg-type]
                results.append(_result(check, row))
        if blank:
            # Blank nodes cannot be named in a query: run it unbound and keep their rows.
            for row in store.query(check.query, **dataset):  # type: ignore[union-attr,arg-type]
                this = row["this"]
                if isinstance(this, ox.BlankNode) and this.value in blank:
                    results.append(_result(check, row))
    if default_graph is None:
        return results
    return list(dict.fromkeys(results))  # SparqlResult is a frozen dataclass: hashable


def _result(check: SparqlCheck, row: ox.QuerySolution) -> SparqlResult:
    def get(name: str) -> Node | None:
        try:
            v = row[name]
        except (KeyError, IndexError):
            return None
        return to_rdflib(v) if v is not None else None

    focus = get("this")
    value = get("value")
    if value is None and check.shape == check.node_shape:
        value = focus
    path = check.path
    if path is None:
        p = get("path")
        path = p if isinstance(p, URIRef) else None
    message = None
    if check.messages:
        template = check.messages[0]

        def sub(m: re.Match[str]) -> str:
            v = get(m.group(1))
            return str(v) if v is not None else m.group(0)

        message = Literal(_MESSAGE_VAR.sub(sub, str(template)), lang=template.language)
    return SparqlResult(check, focus, value, path, message)  # type: ignore[arg-type]


def store_for(data: Graph) -> ox.Store:
    """An in-memory Oxigraph store whose default graph holds ``data``."""
    store = ox.Store()
    buf = data.serialize(format="nt", encoding="utf-8")
    if buf.strip():
        store.load(io.BytesIO(buf), ox.RdfFormat.N_TRIPLES)
    return store


class Found(Protocol):
    """A result of a check run here: a SPARQL constraint's, or a core constraint's (``core``)."""

    @property
    def check(self) -> SparqlCheck | Any: ...
    @property
    def focus(self) -> Node: ...
    @property
    def value(self) -> Node | None: ...
    @property
    def path(self) -> Node | None: ...
    @property
    def message(self) -> Literal | None: ...


def add_to_report(report: Graph, results: Sequence[Found]) -> None:
    """Add the results to a ``sh:ValidationReport`` graph as ``sh:ValidationResult`` nodes,
    as pySHACL writes them (``sh:sourceConstraint`` only for a SPARQL constraint)."""
    root = report.value(predicate=RDF.type, object=SH.ValidationReport)
    for r in results:
        node = BNode()
        report.add((root, SH.result, node))  # type: ignore[arg-type]
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.focusNode, r.focus))
        report.add((node, SH.resultSeverity, r.check.severity))
        report.add((node, SH.sourceShape, r.check.shape))
        if r.check.constraint is not None:
            report.add((node, SH.sourceConstraint, r.check.constraint))
        report.add((node, SH.sourceConstraintComponent, r.check.component))
        if r.value is not None:
            report.add((node, SH.value, r.value))
        if r.path is not None:
            report.add((node, SH.resultPath, r.path))
            for t in r.check.path_triples:
                report.add(t)
        if r.message is not None:
            report.add((node, SH.resultMessage, r.message))
    if any(r.check.severity == SH.Violation for r in results):
        report.set((root, SH.conforms, Literal(False)))  # type: ignore[arg-type]
