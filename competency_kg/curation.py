"""Curators' corrections: what a source got wrong or left ambiguous, fixed in files that
survive every reload.

A correction file is TriG (``seeds/curation/*.trig``). Each correction is a ``ckg:Correction``
in the default graph, saying who made it (``dcterms:creator``), when (``dcterms:created``) and
why (``rdfs:comment``), and naming two graphs in the same file: ``ckg:retractions`` (triples
the source states wrongly) and ``ckg:additions`` (what it should state). Data IRIs are written
relative to the data base (``<occupation/15-1299.00>``), so corrections follow a configured
base IRI.

At every load, after a source is read, each correction is tried against that source's graph:
it *applies* when all its retractions are in the graph (or, with no retractions, when every
subject it adds to is described there). The retractions are then removed from the source's
graph, and the additions, the correction's description and the retracted triples (reified, so
they stay on record without being asserted) go to the source's curation graph
``{base}graph/curation/{source}``. A correction that applies to no source is *stale*: the source
has changed, or the correction is wrong; load and the report say so, naming the retracted
statements no source states any more (:func:`missing_retractions`, ``ckg:missingRetraction``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS
from rdflib.term import Node

from competency_kg.iris import Minter
from competency_kg.loaders.errors import SourceError
from competency_kg.namespaces import CKG
from competency_kg.sparql.terms import to_rdflib
from competency_kg.store import GraphStore

Triple = tuple[Node, Node, Node]


@dataclass
class Correction:
    iri: URIRef
    path: Path
    description: Graph
    additions: Graph
    retractions: Graph

    @property
    def reason(self) -> str:
        return str(self.description.value(self.iri, RDFS.comment) or "")

    def matches(self, graph: Graph) -> bool:
        """Whether the correction applies to ``graph`` (see the module docstring)."""
        if len(self.retractions):
            return all(t in graph for t in self.retractions)
        subjects = set(self.additions.subjects())
        return bool(subjects) and all((s, None, None) in graph for s in subjects)


@dataclass
class Applied:
    """The corrections applied to one source graph, and what they did."""

    graph_iri: URIRef
    corrections: list[Correction] = field(default_factory=list)


def read_corrections(folder: Path, minter: Minter) -> list[Correction]:
    """Every correction in ``folder/*.trig``, in file-name order then IRI order."""
    out: list[Correction] = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.trig")):
        out.extend(_read_file(path, minter))
    return out


def _read_file(path: Path, minter: Minter) -> list[Correction]:
    try:
        data = path.read_bytes()
        quads = list(ox.parse(data, ox.RdfFormat.TRIG, base_iri=minter.base))
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else None
        raise SourceError(path, where, f"not valid TriG: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise SourceError(path, None, f"cannot read: {exc}") from exc
    graphs: dict[object, Graph] = {}
    for q in quads:
        key = None if isinstance(q.graph_name, ox.DefaultGraph) else to_rdflib(q.graph_name)
        graphs.setdefault(key, Graph()).add(
            (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
        )
    default = graphs.get(None, Graph())
    corrections = sorted(set(default.subjects(RDF.type, CKG.Correction)))
    if not corrections:
        raise SourceError(path, None, "no ckg:Correction in the file's default graph")
    out = []
    for iri in corrections:
        if not isinstance(iri, URIRef):
            raise SourceError(path, None, "a correction must have an IRI, not a blank node")
        for required in (DCTERMS.creator, RDFS.comment):
            if default.value(iri, required) is None:
                raise SourceError(
                    path,
                    f"correction <{iri}>",
                    f"says nothing for {required.n3()}: every correction says who made it and why",
                )
        description = Graph()
        for t in default.triples((iri, None, None)):
            description.add(t)
        additions, retractions = Graph(), Graph()
        for prop, target in ((CKG.additions, additions), (CKG.retractions, retractions)):
            for name in default.objects(iri, prop):
                target += graphs.get(name, Graph())
        if not len(additions) and not len(retractions):
            raise SourceError(path, f"correction <{iri}>", "adds and retracts nothing")
        out.append(Correction(iri, path, description, additions, retractions))
    return out


def apply_corrections(
    graph: Graph, graph_iri: URIRef, corrections: list[Correction]
) -> tuple[Graph, Applied]:
    """Remove the retractions of every correction that applies; return the graph and record."""
    applied = Applied(graph_iri)
    for c in corrections:
        if c.matches(graph):
            for t in c.retractions:
                graph.remove(t)
            applied.corrections.append(c)
    return graph, applied


def curation_graph(applied: Applied) -> Graph:
    """What the source's curation graph holds: additions, descriptions, retracted statements."""
    g = Graph()
    for c in applied.corrections:
        g += c.additions
        g += c.description
        g.add((c.iri, CKG.appliedTo, applied.graph_iri))
        g.add((c.iri, DCTERMS.source, Literal(c.path.name)))
        # each statement it retracts or adds, reified so the report can credit each correction
        # with exactly what it changed (the additions of all corrections share one graph)
        for prop, triples, word in (
            (CKG.retracted, c.retractions, "retracted"),
            (CKG.added, c.additions, "added"),
        ):
            for s, p, o in triples:
                # a stable IRI per triple, so loading twice gives the same triples
                digest = hashlib.sha1(f"{s.n3()} {p.n3()} {o.n3()}".encode()).hexdigest()[:16]
                st = URIRef(f"{c.iri}-{word}-{digest}")
                g.add((c.iri, prop, st))
                g.add((st, RDF.type, RDF.Statement))
                g.add((st, RDF.subject, s))
                g.add((st, RDF.predicate, p))
                g.add((st, RDF.object, o))
    return g


def missing_retractions(c: Correction, stated: Callable[[Triple], bool]) -> list[str]:
    """The statements a correction retracts that ``stated`` says no source states, as
    N-Triples lines: why a stale correction matches no source (the source changed)."""
    lines = [f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in c.retractions if not stated((s, p, o))]
    return sorted(lines)


def stored_corrections(store: GraphStore) -> list[Correction]:
    """The corrections the store's curation graphs record, as the load applied them: what
    the upload check applies to a document so its report is the one the load would give."""
    rows = store.select(
        f"""SELECT ?c ?p ?o ?s2 ?p2 ?o2 WHERE {{ GRAPH ?cg {{
          ?c a <{CKG.Correction}> ; ?p ?o .
          OPTIONAL {{ FILTER (?p IN (<{CKG.retracted}>, <{CKG.added}>))
                     ?o <{RDF.subject}> ?s2 ; <{RDF.predicate}> ?p2 ; <{RDF.object}> ?o2 }} }} }}"""
    )
    found: dict[URIRef, Correction] = {}
    for r in rows:
        iri = r["c"]
        c = found.get(iri)  # type: ignore[arg-type]
        if c is None:
            c = found[iri] = Correction(iri, Path("store"), Graph(), Graph(), Graph())  # type: ignore[index,arg-type]
        p, o = r["p"], r["o"]
        if p in (CKG.retracted, CKG.added):
            if r.get("s2") is not None:
                target = c.retractions if p == CKG.retracted else c.additions
                target.add((r["s2"], r["p2"], r["o2"]))  # type: ignore[arg-type]
        elif p not in (CKG.appliedTo,):
            c.description.add((iri, p, o))  # type: ignore[arg-type]
            if p == DCTERMS.source:
                c.path = Path(str(o))
    return [found[k] for k in sorted(found)]
