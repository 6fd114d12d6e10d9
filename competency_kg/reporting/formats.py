"""A report as RDF: a ``sh:ValidationReport`` naming each result's source graphs and place."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF
from rdflib.term import Node

from competency_kg.namespaces import CKG, SH
from competency_kg.reporting.results import ResultKey, Triple, result_key
from competency_kg.validation import Report


def report_graph(report: Report, rdf: dict[ResultKey, list[Triple]] | None = None) -> Graph:
    """The report as a ``sh:ValidationReport``; each result also names its source graphs
    (``dcterms:source``) and its place in the source (``ckg:sourceLocation``)."""
    g = Graph()
    g.bind("sh", SH)
    g.bind("ckg", CKG)
    g.bind("dcterms", DCTERMS)
    root = BNode()
    g.add((root, RDF.type, SH.ValidationReport))
    g.add((root, SH.conforms, Literal(report.conforms)))
    for r in report.results:
        triples = (rdf or {}).get(result_key(r))
        node: Node
        if triples:
            node = triples[0][0]
            for t in triples:
                g.add(t)
        else:  # rebuilt from the result (a result whose report graph was not kept)
            node = BNode()
            g.add((node, RDF.type, SH.ValidationResult))
            g.add((node, SH.focusNode, _term(r.focus)))
            g.add((node, SH.resultSeverity, SH[r.severity]))
            g.add((node, SH.sourceShape, URIRef(r.source_shape)))
            g.add((node, SH.resultMessage, Literal(r.message)))
            if r.path and r.path != "(path)":
                g.add((node, SH.resultPath, URIRef(r.path)))
            if r.value is not None:
                g.add((node, SH.value, Literal(r.value)))
        g.add((root, SH.result, node))
        for source in (r.graph or "").split():
            g.add((node, DCTERMS.source, URIRef(source)))
        if r.location:
            g.add((node, CKG.sourceLocation, Literal(r.location)))
    return g


def _term(text: str) -> Node:
    return BNode(text[2:]) if text.startswith("_:") else URIRef(text)
