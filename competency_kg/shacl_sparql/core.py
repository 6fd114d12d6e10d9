"""SHACL Core constraints (https://www.w3.org/TR/shacl/#core-components) as SPARQL on Oxigraph.

pySHACL checks each core constraint focus node by focus node with rdflib term comparisons:
hours for a whole O*NET release. Here each constraint of a shape becomes **one** query for all
its focus nodes (the shape's targets, SHACL §2.1.3, are a pattern inside the query), and each
solution one validation result with what pySHACL would put in it: focus node, value
(``?value``, none for the cardinality and language components), the shape's path, severity,
source shape, constraint component and the shape's ``sh:message``.

What is compiled (every component ``shapes/`` uses): ``sh:class``, ``sh:datatype``, ``sh:nodeKind``,
``sh:in``, ``sh:pattern`` (with ``sh:flags``), ``sh:minLength``, ``sh:maxLength``,
``sh:minInclusive``, ``sh:maxInclusive``, ``sh:minExclusive``, ``sh:maxExclusive``, ``sh:minCount``,
``sh:maxCount``, ``sh:uniqueLang``, ``sh:lessThanOrEquals``, and ``sh:or`` of shapes made of those
(a member may carry ``sh:path`` with ``sh:minCount``); paths made of IRIs, ``sh:inversePath``,
``sh:alternativePath``, ``sh:zeroOrMorePath``, ``sh:oneOrMorePath``, ``sh:zeroOrOnePath`` and
sequences; targets ``sh:targetClass``, ``sh:targetNode``, ``sh:targetSubjectsOf``,
``sh:targetObjectsOf`` (and a node shape that is a class).

Left to pySHACL (:func:`split_core` keeps the whole shape there): a shape with another
constraint parameter (``sh:node``, ``sh:and``, ``sh:not``, ``sh:xone``, ``sh:closed``,
``sh:qualifiedValueShape``, ``sh:equals``, ``sh:languageIn`` …), a shape without exactly one
``sh:message`` or with ``{…}`` in it (pySHACL's own wording would be needed), a property shape
nested in another property shape, and a shape or target term that cannot be written in a
query (a blank node as ``sh:in`` member or ``sh:targetNode``).

Where the two engines can differ, by the letter of their implementations: a literal is
well-formed for ``sh:datatype`` when SPARQL's cast of its text to that type succeeds (rdflib
has its own lexical rules; both agree on every literal the loaders write), and
``sh:lessThanOrEquals`` compares with SPARQL's ``<=`` (pySHACL with Python's, after turning
IRIs and strings into text, as here). ``tests/test_validation_engines.py`` checks the two give
identical reports on the seeds and on documents breaking each kind of constraint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from competency_kg.namespaces import SH
from competency_kg.shacl_sparql import bnode_closure

#: Constraint parameters this module turns into SPARQL, and the bookkeeping a shape may carry.
_VALUE_PARAMS = {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH["in"],
    SH.pattern,
    SH.minLength,
    SH.maxLength,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH["or"],
}
_FOCUS_PARAMS = {SH.minCount, SH.maxCount, SH.uniqueLang, SH.lessThanOrEquals}
_OTHER = {
    RDF.type,
    RDFS.label,
    RDFS.comment,
    SH.name,
    SH.description,
    SH.message,
    SH.severity,
    SH.path,
    SH.property,
    SH.flags,
    SH.order,
    SH.group,
    SH.deactivated,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
}
_COMPONENT = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
}
_COMPARE = {
    SH.minInclusive: ">=",
    SH.maxInclusive: "<=",
    SH.minExclusive: ">",
    SH.maxExclusive: "<",
}
#: Datatypes whose well-formedness SPARQL can test by a cast; others pass, as in pySHACL.
_CASTABLE = {
    XSD.integer,
    XSD.decimal,
    XSD.float,
    XSD.double,
    XSD.boolean,
    XSD.dateTime,
    XSD.date,
    XSD.time,
}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


class Unsupported(Exception):
    """A shape this module cannot run faithfully: it stays with pySHACL."""


@dataclass(frozen=True)
class CoreCheck:
    """One core constraint of a shape, as one query over all its focus nodes."""

    node_shape: Node
    shape: Node  # the source shape: the node shape or one of its property shapes
    component: URIRef
    query: str  # SELECT ?this [?value]
    message: Literal
    severity: URIRef
    path: Node | None
    path_triples: tuple[tuple[Node, Node, Node], ...]
    has_value: bool  # whether a result names a value node (not for the cardinality components)
    target: str = ""  # the focus-node sub-select inside ``query`` (see :func:`within`)
    constraint: None = None  # core components have no sh:sourceConstraint

    def query_within(self, focus_in: str | None) -> str:
        """The query, with its focus nodes kept to those matching ``focus_in``."""
        return (
            self.query
            if focus_in is None
            else self.query.replace(self.target, within(self.target, focus_in), 1)
        )


def term(node: Node) -> str:
    """A shapes-graph term written in a query (blank nodes cannot be)."""
    if isinstance(node, BNode):
        raise Unsupported(f"a blank node in a query: {node}")
    if isinstance(node, URIRef):
        return str(ox.NamedNode(str(node)))
    assert isinstance(node, Literal)
    if node.language:
        return str(ox.Literal(str(node), language=node.language))
    if node.datatype:
        return str(ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype))))
    return str(ox.Literal(str(node)))


def path_sparql(g: Graph, path: Node) -> str:
    """A SHACL path (§2.3.1) as a SPARQL property path."""
    if isinstance(path, URIRef):
        return term(path)
    if (path, RDF.first, None) in g:
        return "(" + "/".join(path_sparql(g, p) for p in g.items(path)) + ")"
    for p, fmt in (
        (SH.inversePath, "^({})"),
        (SH.zeroOrMorePath, "({})*"),
        (SH.oneOrMorePath, "({})+"),
        (SH.zeroOrOnePath, "({})?"),
    ):
        inner = g.value(path, p)
        if inner is not None:
            return fmt.format(path_sparql(g, inner))
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_sparql(g, p) for p in g.items(alternatives)) + ")"
    raise Unsupported(f"a path this module cannot write: {path}")


def _bounded(g: Graph, path: Node | None) -> bool:
    """Whether a SHACL path has no ``sh:zeroOrMorePath``, ``sh:oneOrMorePath`` or
    ``sh:zeroOrOnePath`` in it (its pattern is cheap to evaluate with both ends unbound)."""
    closures = (SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath)
    nodes = [path] if isinstance(path, BNode) else []
    nodes += [t[0] for t in bnode_closure(g, path)] if isinstance(path, BNode) else []
    return not any((n, p, None) in g for n in nodes for p in closures)


def _target_pattern(g: Graph, node_shape: Node) -> str:
    """The focus nodes of a node shape (SHACL §2.1.3) as a sub-select binding ``?this``."""
    parts = []
    for pred in _TARGETS:
        for o in g.objects(node_shape, pred):
            t = term(o)
            parts.append(
                {
                    SH.targetClass: f"?this {term(RDF.type)}/{term(RDFS.subClassOf)}* {t}",
                    SH.targetNode: f"VALUES ?this {{ {t} }}",
                    SH.targetSubjectsOf: f"?this {t} ?_t",
                    SH.targetObjectsOf: f"?_t {t} ?this",
                }[pred]
            )
    if (node_shape, RDF.type, RDFS.Class) in g:  # implicit class target (§2.1.3.3)
        parts.append(f"?this {term(RDF.type)}/{term(RDFS.subClassOf)}* {term(node_shape)}")
    union = " UNION ".join("{ " + p + " }" for p in parts)
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def within(target: str, focus_in: str) -> str:
    """A focus-node sub-select (:func:`_target_pattern`) kept to the nodes for which the
    group pattern ``focus_in`` (about ``?this``) matches: a graph's own resources when the
    data is the whole store (``GRAPH <g> { ?this ?p ?o }``). ``FILTER EXISTS`` inside the
    sub-select prunes before any constraint is evaluated; it is one index look-up per node."""
    assert target.endswith(" } }")
    return target[: -len(" } }")] + f" FILTER EXISTS {{ {focus_in} }} }} }}"


def _datatype(v: str, dt: Node) -> str:
    if dt == RDF.langString:
        return f'(isLiteral({v}) && LANG({v}) != "")'
    t = term(dt)
    plain = f'isLiteral({v}) && LANG({v}) = "" && DATATYPE({v}) = {t}'
    if dt in _CASTABLE:
        return f"({plain} && COALESCE(isLiteral({t}(STR({v}))), false))"
    return f"({plain})"


def _pattern(g: Graph, shape: Node, v: str) -> str:
    pattern = g.value(shape, SH.pattern)
    flags = g.value(shape, SH.flags)
    args = term(Literal(str(pattern))) + (f", {term(Literal(str(flags)))}" if flags else "")
    return f"(!isBlank({v}) && REGEX(STR({v}), {args}))"


def conforms(
    g: Graph, shape: Node, v: str, depth: int = 0, only: tuple[Node, Node] | None = None
) -> str:
    """A SPARQL expression true when the value ``v`` conforms to the value-type constraints of
    ``shape`` (§4.1–4.6 and an ``sh:or`` member's), for ``FILTER (!…)``; ``only``: one of them."""
    parts: list[str] = []
    found = [only] if only else sorted(g.predicate_objects(shape), key=lambda t: tuple(map(str, t)))
    for p, o in found:
        if p == SH["class"]:
            parts.append(f"EXISTS {{ {v} {term(RDF.type)}/{term(RDFS.subClassOf)}* {term(o)} }}")
        elif p == SH.datatype:
            parts.append(_datatype(v, o))
        elif p == SH.nodeKind:
            if o not in _NODE_KINDS:
                raise Unsupported(f"sh:nodeKind {o}")
            parts.append(_NODE_KINDS[o].format(v=v))
        elif p == SH["in"]:
            members = [f"sameTerm({v}, {term(m)})" for m in g.items(o)]
            parts.append("(" + (" || ".join(members) or "false") + ")")
        elif p == SH.pattern:
            parts.append(_pattern(g, shape, v))
        elif p in (SH.minLength, SH.maxLength):  # §4.4.2-3: a blank node never conforms
            op = ">=" if p == SH.minLength else "<="
            parts.append(f"(!isBlank({v}) && STRLEN(STR({v})) {op} {int(o)})")
        elif p in _COMPARE:
            parts.append(f"COALESCE({v} {_COMPARE[p]} {term(o)}, false)")
        elif p == SH["or"]:
            members = [_member(g, m, v, depth + 1) for m in g.items(o)]
            parts.append("(" + (" || ".join(members) or "false") + ")")
        elif p in _FOCUS_PARAMS or p in (SH.path, SH.property):
            if depth == 0:
                continue  # checked per focus node by the caller
            raise Unsupported(f"{p} in an sh:or member")
        elif p not in _OTHER:
            raise Unsupported(f"the constraint parameter {p}")
    return "(" + (" && ".join(parts) or "true") + ")"


def _member(g: Graph, member: Node, v: str, depth: int) -> str:
    """Whether ``v`` conforms to one member shape of an ``sh:or`` list."""
    if depth > 3:
        raise Unsupported("sh:or nested too deep")
    path = g.value(member, SH.path)
    if path is None:
        return conforms(g, member, v, depth)
    allowed = {SH.path, SH.minCount}
    if set(g.predicates(member)) - allowed - {RDF.type}:
        raise Unsupported("an sh:or member with a path and more than sh:minCount")
    n = int(g.value(member, SH.minCount) or 0)  # type: ignore[arg-type]
    if n == 0:
        return "true"
    if n != 1:
        raise Unsupported("sh:minCount above 1 in an sh:or member")
    return f"EXISTS {{ {v} {path_sparql(g, path)} ?_m{depth} }}"


def _query(
    g: Graph,
    param: URIRef,
    obj: Node,
    shape: Node,
    target: str,
    path: str | None,
    bounded: bool = True,
) -> str:
    """The query listing the results of one constraint of ``shape`` for all focus nodes.

    ``sh:class`` and ``sh:minCount 1`` are written with ``MINUS`` rather than ``FILTER NOT
    EXISTS``: the same solutions here (the right side shares ``?value``, resp. ``?this``,
    always bound on the left: SPARQL 1.1 §8.3), but Oxigraph evaluates ``MINUS`` as one hash
    anti-join where it probes ``NOT EXISTS`` once per row in every graph of the default graph
    — on a whole O*NET release 36 s of CPU against 0.8 s for one ``sh:class``. Not for a
    path with ``*``, ``+`` or ``?`` (``bounded`` false): unbound, it would walk every node.
    """
    # a node shape: the focus node is the value node (§2.1.4)
    reach = "BIND (?this AS ?value)" if path is None else f"?this {path} ?value ."
    if param == SH.minCount:
        n = int(obj)  # type: ignore[call-overload]
        if n <= 0 or path is None:
            raise Unsupported("sh:minCount without a path")
        if n == 1 and bounded:  # MINUS: one anti-join, see _query's doc
            return f"SELECT ?this WHERE {{ {target} MINUS {{ ?this {path} ?_v }} }}"
        if n == 1:
            return f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {path} ?_v }} }}"
        return (
            f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {path} ?_v }} }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_v) < {n})"
        )
    if param == SH.maxCount:
        if path is None:
            raise Unsupported("sh:maxCount without a path")
        return (
            f"SELECT ?this WHERE {{ {target} ?this {path} ?_v }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_v) > {int(obj)})"  # type: ignore[call-overload]
        )
    if param == SH.uniqueLang:
        if obj != Literal(True) or path is None:
            raise Unsupported("sh:uniqueLang other than true, or without a path")
        return (
            f"SELECT ?this WHERE {{ {target} ?this {path} ?_v "
            f'FILTER (isLiteral(?_v) && LANG(?_v) != "") }} '
            f"GROUP BY ?this (LCASE(LANG(?_v)) AS ?_lang) HAVING (COUNT(DISTINCT ?_v) > 1)"
        )
    if param == SH.lessThanOrEquals:
        if path is None:
            raise Unsupported("sh:lessThanOrEquals without a path")

        def text(x: str) -> str:
            string = f'LANG({x}) != "" || DATATYPE({x}) = {term(XSD.string)}'
            return f"(isIRI({x}) || (isLiteral({x}) && ({string})))"

        compare = (
            f"IF({text('?value')} && {text('?_o')}, STR(?value) <= STR(?_o), "
            f"IF({text('?value')} || {text('?_o')}, false, ?value <= ?_o))"
        )
        return (
            f"SELECT ?this ?value ?_o WHERE {{ {target} {reach} ?this {term(obj)} ?_o "
            f"FILTER (!COALESCE({compare}, false)) }}"
        )
    if param == SH["class"]:
        instance = f"?value {term(RDF.type)}/{term(RDFS.subClassOf)}* {term(obj)}"
        return f"SELECT DISTINCT ?this ?value WHERE {{ {target} {reach} MINUS {{ {instance} }} }}"
    expression = conforms(g, shape, "?value", only=(param, obj))
    return f"SELECT DISTINCT ?this ?value WHERE {{ {target} {reach} FILTER (!{expression}) }}"


def _checks_of(g: Graph, node_shape: Node, shape: Node, target: str) -> list[CoreCheck]:
    """The checks of one shape (a node shape, or one of its property shapes)."""
    if not any(p in _VALUE_PARAMS or p in _FOCUS_PARAMS for p in g.predicates(shape)):
        unknown = set(g.predicates(shape)) - _OTHER
        if unknown:
            raise Unsupported(f"the constraint parameters {sorted(unknown)}")
        return []  # nothing to check here (its sh:sparql constraints run apart)
    messages = list(g.objects(shape, SH.message))
    if len(messages) != 1 or "{" in str(messages[0]):
        raise Unsupported("a message pySHACL would word or fill in itself")
    path_node = g.value(shape, SH.path) if shape != node_shape else None
    if shape != node_shape and path_node is None:
        raise Unsupported("a property shape without sh:path")
    path = path_sparql(g, path_node) if path_node is not None else None
    checks = []
    for p, o in g.predicate_objects(shape):
        if p == SH.property and shape != node_shape:
            raise Unsupported("a property shape with property shapes")
        if p not in _VALUE_PARAMS and p not in _FOCUS_PARAMS:
            if p not in _OTHER:
                raise Unsupported(f"the constraint parameter {p}")
            continue
        if p == SH.flags:
            continue
        checks.append(
            CoreCheck(
                node_shape=node_shape,
                shape=shape,
                component=_COMPONENT[p],
                query=_query(g, p, o, shape, target, path, _bounded(g, path_node)),
                message=messages[0],  # type: ignore[arg-type]
                severity=g.value(shape, SH.severity) or SH.Violation,  # type: ignore[arg-type]
                path=path_node,
                path_triples=tuple(bnode_closure(g, path_node))
                if isinstance(path_node, BNode)
                else (),
                has_value=p not in (SH.minCount, SH.maxCount, SH.uniqueLang),
                target=target,
            )
        )
    return checks


def split_core(shapes: Graph) -> tuple[Graph, list[CoreCheck], list[Node]]:
    """The shapes pySHACL must still run, the core checks run here, and the shapes left to
    pySHACL because this module cannot run them faithfully (their node shapes)."""
    checks: list[CoreCheck] = []
    taken: set[Node] = set()
    left: list[Node] = []
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    for node_shape in sorted(node_shapes, key=str):
        if shapes.value(node_shape, SH.deactivated) == Literal(True):
            continue
        try:
            target = _target_pattern(shapes, node_shape)
            found = _checks_of(shapes, node_shape, node_shape, target)
            for ps in shapes.objects(node_shape, SH.property):
                if shapes.value(ps, SH.deactivated) != Literal(True):
                    found += _checks_of(shapes, node_shape, ps, target)
        except Unsupported:
            left.append(node_shape)
            continue
        checks += found
        taken.add(node_shape)
    rest = Graph()
    rest += shapes
    for node_shape in taken:  # pySHACL keeps only their sh:sparql constraints, if any
        for pred in (*_TARGETS,):
            for o in list(shapes.objects(node_shape, pred)):
                rest.remove((node_shape, pred, o))
    return rest, checks, left


@dataclass(frozen=True)
class CoreResult:
    check: CoreCheck
    focus: Node
    value: Node | None

    @property
    def path(self) -> Node | None:
        return self.check.path

    @property
    def message(self) -> Literal:
        return self.check.message


def run_core(
    checks: list[CoreCheck],
    store: ox.Store,
    convert: Callable[[ox.NamedNode | ox.BlankNode | ox.Literal], Node],
    focus_in: str | None = None,
    default_graph: list[ox.NamedNode] | None = None,
) -> list[CoreResult]:
    """Every check over ``store``'s default graph (or the graphs ``default_graph`` names):
    one query each; ``focus_in``, a group pattern about ``?this``, keeps the focus nodes to
    those it matches (:func:`within`). Results come once each, also where several graphs
    state a triple (pyoxigraph 0.5 reads a default graph of several graphs as a bag)."""
    out: list[CoreResult] = []
    dataset = {} if default_graph is None else {"default_graph": default_graph}
    for check in checks:
        seen: set[tuple[object, ...]] = set()
        for row in store.query(check.query_within(focus_in), **dataset):  # type: ignore[union-attr,arg-type]
            if default_graph is not None:  # a bag: the same solution once per graph stating it
                key = tuple(row)  # type: ignore[arg-type]
                if key in seen:
                    continue
                seen.add(key)
            value = row["value"] if check.has_value else None
            out.append(
                CoreResult(check, convert(row["this"]), None if value is None else convert(value))
            )
    return out
