"""The links graph: links, their annotations, and the report per kind with its candidates."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from competency_kg.iris import Minter
from competency_kg.linking.model import KINDS, LinkReport
from competency_kg.namespaces import CKG


def _decimal(x: float) -> Literal:
    return Literal(Decimal(f"{x:.3f}"), datatype=XSD.decimal)


def _digest(*parts: object) -> str:
    return hashlib.sha1(" ".join(map(str, parts)).encode()).hexdigest()[:16]


def links_graph(report: LinkReport, minter: Minter) -> Graph:
    """The links, their annotations and the report of what matched and what did not, as RDF."""
    out = Graph()
    base = str(minter.links_graph())
    for k in report.links:
        out.add((k.subject, k.predicate, k.target))
        ax = URIRef(f"{base}/link/{_digest(k.subject, k.predicate, k.target)}")
        out.add((ax, RDF.type, OWL.Axiom))
        out.add((ax, OWL.annotatedSource, k.subject))
        out.add((ax, OWL.annotatedProperty, k.predicate))
        out.add((ax, OWL.annotatedTarget, k.target))
        out.add((ax, CKG.matchMethod, Literal(k.method)))
        out.add((ax, CKG.evidence, Literal(k.evidence, lang="en")))
        out.add((ax, CKG.confidence, _decimal(k.confidence)))
        if k.score is not None:
            out.add((ax, CKG.matchScore, _decimal(k.score)))
        for label in k.labels:
            if label:
                out.add((ax, CKG.matchedLabel, Literal(label)))
    rep = URIRef(f"{base}/report")
    out.add((rep, RDF.type, CKG.LinkReport))
    out.add((rep, RDFS.label, Literal("Links across sources", lang="en")))
    out.add((rep, RDFS.comment, Literal(report.summary(), lang="en")))
    unmatched = report.unmatched
    done = report.linked()
    for kind in [k for k in KINDS if k in report.looked]:
        part = URIRef(f"{rep}/{kind}")
        items = report.looked[kind]
        alone = unmatched.get(kind, [])
        out.add((rep, DCTERMS.hasPart, part))
        out.add((part, RDF.type, CKG.LinkKindReport))
        out.add((part, CKG.linkKind, Literal(kind)))
        out.add(
            (
                part,
                RDFS.label,
                Literal(
                    f"{kind.capitalize()}: {len(items) - len(alone)} of {len(items)} matched",
                    lang="en",
                ),
            )
        )
        for resource in items:
            if resource in done:
                out.add((part, CKG.matchedResource, resource))
        for resource, name in alone:
            out.add((rep, CKG.unmatched, resource))
            out.add((part, CKG.unmatched, resource))
            for c in report.candidates.get(resource, []):
                node = URIRef(f"{base}/candidate/{_digest(resource, c.target)}")
                out.add((part, CKG.nearCandidate, node))
                out.add((node, RDF.type, CKG.LinkCandidate))
                out.add((node, CKG.candidateSource, resource))
                out.add((node, CKG.candidateTarget, c.target))
                out.add((node, CKG.matchScore, _decimal(c.score)))
                out.add(
                    (
                        node,
                        RDFS.label,
                        Literal(f"'{name}' → '{c.label}' (score {c.score:.2f})", lang="en"),
                    )
                )
    return out
