"""The shapes on a graph and its context, keeping only the results about the graph's own
resources, with the RDF of each: on a copy of the graph and its context (a document-sized
graph), or in place in the on-disk store (a bulk source, :func:`validate_in_place`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from competency_kg.namespaces import CKG, SH
from competency_kg.reporting.results import ResultKey, Triple, result_key
from competency_kg.shacl_sparql import bnode_closure
from competency_kg.sparql.terms import to_oxigraph, to_rdflib
from competency_kg.validation import (
    SEVERITY_NAMES,
    Result,
    results_of,
    validate_graph,
    validate_in_store,
)

#: Held while a validation runs: one at a time per process (they share the shapes graph,
#: and are CPU-bound anyway).
VALIDATION_LOCK = threading.RLock()


def validate_subjects(
    data: Graph, subjects: set[str], graphs_of: dict[str, set[str]], graph: str
) -> tuple[list[Result], dict[ResultKey, list[Triple]]]:
    """Validate ``data``; keep the results about ``subjects`` and their RDF."""
    graph_of: dict[Node, str] = {}
    focus: set[URIRef] = set()
    blank = False
    for s in set(data.subjects()):
        if str(s) in subjects:
            graph_of[s] = " ".join([graph, *sorted(graphs_of.get(str(s), set()) - {graph})])
            if isinstance(s, URIRef):
                focus.add(s)
            else:
                blank = True
    if not graph_of:
        return [], {}
    # pySHACL can limit a check to given focus nodes, but only to IRIs
    with VALIDATION_LOCK:
        report, report_graph = validate_graph(data, graph_of, None if blank else focus)
    results = [r for r in report.results if r.focus in subjects]
    return results, _rdf_of(report_graph, results)


def _rdf_of(report_graph: Graph, results: list[Result]) -> dict[ResultKey, list[Triple]]:
    """The RDF of each of ``results`` in ``report_graph``."""
    wanted = {result_key(r) for r in results}
    rdf: dict[ResultKey, list[Triple]] = {}
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        key = _rdf_key(report_graph, node)
        if key in wanted and key not in rdf:
            rdf[key] = bnode_closure(report_graph, node)
    return rdf


#: Most triples read about the nodes of a bulk source's results, for labels and places.
NEIGHBOURHOOD_LIMIT = 50_000


@dataclass
class InPlace:
    """The results about the bulk sources' resources, from one run of every query."""

    results: list[Result]  # ``graph`` unset: see ``graphs_of``
    rdf: dict[ResultKey, list[Triple]]
    left: list[Node]  # node shapes only pySHACL runs: not checked in place
    graphs_of: dict[str, set[str]]  # focus node → the named graphs stating something of it


def validate_in_place(raw: ox.Store, graphs: list[str], world: list[str]) -> InPlace:
    """The results about the resources of ``graphs`` (the bulk sources and their curation
    graphs, all at once: each query runs once for them all), checked in place in the store,
    the data being the union of the ``world`` graphs (every graph but the metadata and the
    entailed one, as a copied graph's context excludes them): nothing is copied, the whole
    store is the context. The queries run over every focus node (keeping them to the graphs'
    own inside the queries cost more than it saved: 96 s against 71 s of CPU on a whole O*NET
    release); a result is kept when one of ``graphs`` states something of its focus node.
    Labels, places and the graphs of each focus node are read for the results' nodes only."""
    with VALIDATION_LOCK:
        report_graph, left = validate_in_store(raw, None, world)
    mine = set(graphs)
    kept = Graph()
    graphs_of: dict[str, set[str]] = {}
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        focus = report_graph.value(node, SH.focusNode)
        if focus is None or isinstance(focus, Literal):
            continue
        if str(focus) not in graphs_of:
            quads = raw.quads_for_pattern(to_oxigraph(focus), None, None)  # type: ignore[arg-type]
            graphs_of[str(focus)] = {
                q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)
            }
        if graphs_of[str(focus)] & mine:
            for t in bnode_closure(report_graph, node):
                kept.add(t)
    nodes = {
        n
        for r in kept.subjects(RDF.type, SH.ValidationResult)
        for n in (kept.value(r, SH.focusNode), kept.value(r, SH.value))
        if isinstance(n, URIRef)
    }
    report = results_of(kept, _neighbourhood(raw, nodes), None)
    return InPlace(report.results, _rdf_of(kept, report.results), left, graphs_of)


def _neighbourhood(raw: ox.Store, nodes: Iterable[URIRef]) -> Graph:
    """What the store's default graph says about ``nodes``, about what they point to, and
    who points at them (with where those are): enough for labels and places."""
    g = Graph()
    todo = sorted(str(n) for n in nodes)
    place = ox.NamedNode(str(CKG.sourceLocation))
    for i in range(0, len(todo), 500):
        values = " ".join(str(ox.NamedNode(n)) for n in todo[i : i + 500])
        for query in (
            f"CONSTRUCT {{ ?s ?p ?o . ?o ?p2 ?o2 }} WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o "
            f"OPTIONAL {{ FILTER (!isLiteral(?o)) ?o ?p2 ?o2 }} }} LIMIT {NEIGHBOURHOOD_LIMIT}",
            f"CONSTRUCT {{ ?r ?p ?s . ?r {place} ?where }} WHERE {{ VALUES ?s {{ {values} }} "
            f"?r ?p ?s OPTIONAL {{ ?r {place} ?where }} }} LIMIT {NEIGHBOURHOOD_LIMIT}",
        ):
            for t in raw.query(query):  # type: ignore[union-attr]
                g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))  # type: ignore[arg-type]
    return g


def _rdf_key(g: Graph, node: Node) -> ResultKey:
    """:func:`result_key` of a result node of a report graph (as ``validate_graph`` reads it)."""
    severity = g.value(node, SH.resultSeverity)
    path = g.value(node, SH.resultPath)
    value = g.value(node, SH.value)
    messages = [str(m) for m in g.objects(node, SH.resultMessage)]
    return (
        SEVERITY_NAMES.get(str(severity), str(severity)),
        str(g.value(node, SH.sourceShape)),
        str(g.value(node, SH.focusNode)),
        str(path) if isinstance(path, URIRef) else (None if path is None else "(path)"),
        None if value is None else str(value),
        messages[0] if messages else "",
    )
