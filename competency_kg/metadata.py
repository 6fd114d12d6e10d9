"""The metadata graph (``{base}graph/metadata``), read one way: every named graph with what
each load recorded of it (title, file, checksum, loader, time, licence, attribution …).

The pages (home, VoID, a resource's footnotes), the command line's ``stats`` and the linker
all read it here, into one model of a source graph (:class:`SourceGraph`). Rows come as
engine terms (:func:`competency_kg.sparql.results.solution_rows`), from the pages' reader or
from a :class:`~competency_kg.store.GraphStore` (:func:`store_terms`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, VOID

from competency_kg.names import local_name
from competency_kg.namespaces import CC, CKG, SCHEMA
from competency_kg.sparql.formats import RESULTS_JSON
from competency_kg.sparql.results import Term, solution_rows

#: Runs a SELECT query and gives its rows as engine terms.
Select = Callable[[str], list[dict[str, Term]]]

#: Facts of one subject of the metadata graph: property IRI → its values.
Facts = dict[str, list[Term]]


@dataclass
class Cited:
    """A source a document names, with the licence the document states for it (not its own)."""

    iri: str
    title: str
    licences: list[str] = field(default_factory=list)
    url: str | None = None


@dataclass
class SourceGraph:
    """A named graph and where its facts came from, as the metadata graph records it."""

    graph: str  # IRI
    title: str | None = None
    file: str | None = None
    checksum: str | None = None
    loader: str | None = None
    generated: str | None = None
    triples: int | None = None
    licences: list[str] = field(default_factory=list)
    attribution: str | None = None
    publisher: str | None = None
    version: str | None = None
    description: str | None = None
    kind: str = "source"  # "source", "links", "entailed", "metadata", "curation", "other"
    document: str | None = None  # the source document's IRI
    number: int = 0  # its footnote number on a page
    cites: list[Cited] = field(default_factory=list)  # the sources the document names

    @property
    def name(self) -> str:
        return self.title or self.file or self.graph.rsplit("/", 1)[-1]

    @property
    def names(self) -> list[str]:
        """Every name a page shows for it: title, file name, graph IRI, graph local name."""
        out = [self.title, self.file, self.graph, self.graph.rstrip("/").rsplit("/", 1)[-1]]
        return list(dict.fromkeys(n for n in out if n))


def store_terms(store: object) -> Select:
    """A :class:`~competency_kg.store.GraphStore`'s SELECT answers as engine terms (through
    its own serialization, which embedded and remote stores write alike)."""

    def select(query: str) -> list[dict[str, Term]]:
        return solution_rows(store.query_raw(query, results_mime=RESULTS_JSON))[1]  # type: ignore[attr-defined]

    return select


def read_metadata(select: Select, base: str) -> dict[str, SourceGraph]:
    """Every named graph with what the metadata graph says about it, by graph IRI."""
    meta = base + "graph/metadata"
    facts: dict[str, Facts] = defaultdict(lambda: defaultdict(list))
    for r in select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {ox.NamedNode(meta)} {{ ?s ?p ?o }} }}"):
        facts[_key(r["s"])][r["p"].value].append(r["o"])
    names = {  # Virtuoso answers an empty store with one row that binds no ?g
        r["g"].value
        for r in select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        if isinstance(r.get("g"), ox.NamedNode)
    }
    typed = {s for s, f in facts.items() if _is_source_graph(f) and not s.startswith("_:")}
    out: dict[str, SourceGraph] = {}
    for g in sorted(names | typed):
        f = facts.get(g, {})
        src = SourceGraph(graph=g)
        src.title = _one(f, DCTERMS.title) or _one(f, RDFS.label)
        src.loader = _one(f, CKG.loader)
        src.generated = _one(f, PROV.generatedAtTime)
        n = _one(f, VOID.triples)
        src.triples = int(n) if n and n.isdigit() else None
        src.licences = _iris(f, DCTERMS.license)
        src.attribution = _one(f, CC.attributionName)
        src.publisher = _one(f, DCTERMS.publisher)
        src.version = _one(f, SCHEMA.version)
        src.description = _one(f, DCTERMS.description) or _one(f, RDFS.comment)
        doc = (f.get(str(DCTERMS.source)) or [None])[0]
        if isinstance(doc, ox.NamedNode):
            src.document = doc.value
        if doc is not None and _key(doc) in facts:
            df = facts[_key(doc)]
            # ckg:fileName; a store loaded before titles existed has the file name as title
            src.file = _one(df, CKG.fileName) or _one(df, DCTERMS.title)
            src.title = src.title or _one(df, DCTERMS.title)
            src.checksum = _one(df, CKG.checksum)
            cited = sorted(df.get(str(DCTERMS.source), []), key=_key)
            src.cites = [_cited(c, facts[_key(c)]) for c in cited if _key(c) in facts]
        if g == meta:
            src.kind, src.title = "metadata", src.title or "Metadata of the sources"
        elif g == base + "graph/links":
            src.kind = "links"
        elif g == base + "graph/entailed":
            src.kind = "entailed"  # competency_kg/entailment.py: derived, not a source
        elif g.startswith(base + "graph/curation/"):
            src.kind = "curation"
        elif not f:
            src.kind = "other"
        out[g] = src
    for src in out.values():  # corrections are named after the source they correct
        if src.kind == "curation" and not src.title:
            corrected = out.get(base + "graph/" + src.graph.rsplit("/", 1)[-1])
            src.title = f"Corrections to {corrected.name if corrected else src.name}"
            if corrected is not None and not src.licences:
                src.licences = corrected.licences
                src.attribution = src.attribution or corrected.attribution
    return out


def _key(term: Term) -> str:
    """A subject's key: an IRI as itself, a blank node as ``_:label``."""
    return str(term) if isinstance(term, ox.BlankNode) else term.value


def _one(facts: Facts, prop: object) -> str | None:
    """The English (or untagged) value of ``prop`` among literals, else the first value."""
    values = facts.get(str(prop))
    if not values:
        return None
    best: str | None = None
    for v in values:
        if not isinstance(v, ox.Literal):
            continue
        if v.language is None or v.language.lower().startswith("en"):
            return v.value
        if best is None:
            best = v.value
    return best if best is not None else values[0].value


def _iris(facts: Facts, prop: object) -> list[str]:
    return sorted({v.value for v in facts.get(str(prop), []) if isinstance(v, ox.NamedNode)})


def _cited(node: Term, f: Facts) -> Cited:
    return Cited(
        _key(node),
        _one(f, DCTERMS.title) or local_name(node.value),
        _iris(f, DCTERMS.license),
        _one(f, SCHEMA.url),
    )


def _is_source_graph(f: Facts) -> bool:
    return any(v.value == str(CKG.SourceGraph) for v in f.get(str(RDF.type), []))
