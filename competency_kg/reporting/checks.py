"""pySHACL on a graph and its context, keeping only the results about the graph's own
resources, with the RDF of each."""

from __future__ import annotations

import threading

from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from competency_kg.namespaces import SH
from competency_kg.reporting.results import ResultKey, Triple, result_key
from competency_kg.shacl_sparql import bnode_closure
from competency_kg.validation import SEVERITY_NAMES, Result, validate_graph

#: Held while pySHACL runs: one validation at a time per process (they share the shapes
#: graph, and are CPU-bound anyway).
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
    wanted = {result_key(r) for r in results}
    rdf: dict[ResultKey, list[Triple]] = {}
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        key = _rdf_key(report_graph, node)
        if key in wanted and key not in rdf:
            rdf[key] = bnode_closure(report_graph, node)
    return results, rdf


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
