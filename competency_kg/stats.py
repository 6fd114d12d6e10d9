"""What the store holds, counted: each figure by one function here, so that the command line
(``competency-kg stats``), the home page and the VoID description show the same numbers.

- **statements**: the distinct triples of the RDF merge of all named graphs — the SPARQL
  default graph, a set: a triple two sources state is one statement. The merged dumps (Turtle,
  N-Triples) hold exactly these, one per line in N-Triples.
- **quads per graph**: the triples each named graph holds. They add up to the lines of the
  N-Quads dump, which is more than the statements whenever graphs share a triple, so wherever
  they are shown they are called quads.
- **instances per class**: distinct subjects typed with the class, over all graphs; and per
  named graph (VoID class partitions, `VoID §4.6 <https://www.w3.org/TR/void/#class-property-partitions>`_).

Counting takes seconds on a big store (about 9 s for the whole O*NET release), so every load
counts once, at its end, and keeps the figures in the metadata graph
(:func:`record_statistics`), in the load's own writer session: readers see the data and its
figures published together, and a failed load leaves the old ones. The readers
(:func:`statistics`) take the kept figures, or count when there are none (a store loaded by an
older version) or they do not name the store's graphs. The figures are kept as VoID::

    <{meta}/statistics/{h}> ckg:statisticsOf <graph> ; void:triples 1234 ;
        void:classPartition <{meta}/statistics/{h}/class/{k}> .
    <{meta}/statistics/{h}/class/{k}> void:class <C> ; void:entities 56 .

with the dataset (the merge) as ``ckg:statisticsOf <{base}>``. These triples are counted too:
each is a new triple of the metadata graph and of the merge (its subject is a statistics node),
none types anything, so the figures written include themselves exactly.

Each reader takes anything with a ``select(query)`` method: a
:class:`~competency_kg.store.GraphStore` (rows of rdflib terms) or the web pages' reader
(rows of N-Triples terms); both kinds of row are read here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, VOID, XSD

from competency_kg.iris import Minter
from competency_kg.metadata import read_metadata, store_terms
from competency_kg.namespaces import CKG
from competency_kg.store import DescriptionReplacement, GraphStore
from competency_kg.validation import compact

#: Distinct triples: the default graph is the merge of the named graphs, a set.
STATEMENTS_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: Quads per named graph.
GRAPH_QUADS_QUERY = (
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
)
#: Distinct instances per class (the merge is a set: each subject is typed once per class).
CLASS_QUERY = (
    "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class FILTER(isIRI(?class)) } "
    "GROUP BY ?class"
)
#: Distinct instances per class in each named graph.
GRAPH_CLASS_QUERY = (
    "SELECT ?g ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?class } "
    "FILTER(isIRI(?class)) } GROUP BY ?g ?class"
)
#: The graphs of the store.
GRAPH_NAMES_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"


class Selects(Protocol):
    def select(self, query: str) -> Sequence[Mapping[str, Any]]: ...


@dataclass
class Statistics:
    """Every figure of :mod:`competency_kg.stats`, kept or counted."""

    statements: int = 0
    graph_quads: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    graph_classes: dict[tuple[str, str], int] = field(default_factory=dict)
    kept: bool = False  # read from the metadata graph (else counted now)

    def largest_classes(self) -> list[tuple[str, int]]:
        """Instances per class, largest first (then by IRI)."""
        return sorted(self.classes.items(), key=lambda x: (-x[1], x[0]))


# --------------------------------------------------------------------------- one per count
def statement_count(store: Selects, base: str) -> int:
    """Statements: distinct triples in the merge of all named graphs."""
    return statistics(store, base).statements


def graph_counts(store: Selects, base: str) -> list[tuple[str, int]]:
    """Quads per named graph (graph IRI, count), by graph IRI."""
    return sorted(statistics(store, base).graph_quads.items())


def class_counts(store: Selects, base: str) -> list[tuple[str, int]]:
    """Distinct instances per class over all graphs, largest first."""
    return statistics(store, base).largest_classes()


def graph_class_counts(store: Selects, base: str) -> dict[tuple[str, str], int]:
    """Distinct instances per class in each named graph, by (graph IRI, class IRI)."""
    return statistics(store, base).graph_classes


def statistics(store: Selects, base: str) -> Statistics:
    """The figures the last load kept, or counted now when none cover the store's graphs."""
    kept = kept_statistics(store, base)
    if kept is not None:
        names = {_iri(r["g"]) for r in store.select(GRAPH_NAMES_QUERY)}
        if set(kept.graph_quads) == names:
            return kept
    return count_statistics(store)


def count_statistics(store: Selects) -> Statistics:
    """Every figure counted from the data (seconds on a big store)."""
    rows = store.select(STATEMENTS_QUERY)
    return Statistics(
        statements=_number(rows[0]["n"]) if rows else 0,
        graph_quads={_iri(r["g"]): _number(r["n"]) for r in store.select(GRAPH_QUADS_QUERY)},
        classes={_iri(r["class"]): _number(r["n"]) for r in store.select(CLASS_QUERY)},
        graph_classes={
            (_iri(r["g"]), _iri(r["class"])): _number(r["n"])
            for r in store.select(GRAPH_CLASS_QUERY)
        },
    )


# --------------------------------------------------------------------------- kept at load
def _node(meta: str, of: str) -> str:
    return f"{meta}/statistics/{hashlib.sha1(of.encode('utf-8')).hexdigest()[:16]}"


def kept_statistics(store: Selects, base: str) -> Statistics | None:
    """The figures in the metadata graph, or None when it keeps none."""
    meta = base + "graph/metadata"
    rows = store.select(
        f"SELECT ?of ?n ?class ?e WHERE {{ GRAPH <{meta}> {{ "
        f"?node <{CKG.statisticsOf}> ?of ; <{VOID.triples}> ?n . "
        f"OPTIONAL {{ ?node <{VOID.classPartition}> ?part . "
        f"?part <{VOID['class']}> ?class ; <{VOID.entities}> ?e }} }} }}"
    )
    if not rows:
        return None
    out = Statistics(kept=True)
    for r in rows:
        of = _iri(r["of"])
        whole = of == base
        if whole:
            out.statements = _number(r["n"])
        else:
            out.graph_quads[of] = _number(r["n"])
        if r.get("class") is not None:
            cls, n = _iri(r["class"]), _number(r["e"])
            if whole:
                out.classes[cls] = n
            else:
                out.graph_classes[(of, cls)] = n
    return out


def record_statistics(store: GraphStore, minter: Minter) -> Statistics:
    """Count every figure and keep it in the metadata graph (two writes of the caller's writer
    session, so published with the data): the old figures removed, the store counted, the new
    figures written, each figure including the triples that state the figures."""
    meta = str(minter.metadata_graph())
    old = [
        str(r["x"])
        for r in store.select(
            f"SELECT DISTINCT ?x WHERE {{ GRAPH <{meta}> {{ "
            f"{{ ?x <{CKG.statisticsOf}> ?of }} UNION "
            f"{{ ?node <{CKG.statisticsOf}> ?of ; <{VOID.classPartition}> ?x }} }} }}"
        )
    ]
    if old:
        gone = DescriptionReplacement(URIRef(meta), tuple(map(URIRef, old)), Graph())
        store.replace_graphs([], [gone])
    counted = count_statistics(store)
    titles = graph_titles(store, minter)
    figures = _figures(counted, minter.base, meta, added=0, titles=titles)
    # every triple written is new to the metadata graph and to the merge (see the docstring)
    added = len(figures)
    counted.statements += added
    counted.graph_quads[meta] = counted.graph_quads.get(meta, 0) + added
    figures = _figures(counted, minter.base, meta, added, titles=titles)
    assert len(figures) == added
    subjects = tuple({s for s in figures.subjects()})
    store.replace_graphs([], [DescriptionReplacement(URIRef(meta), subjects, figures)])  # type: ignore[arg-type]
    return counted


def _figures(
    s: Statistics, base: str, meta: str, added: int, titles: dict[str, str] | None = None
) -> Graph:
    """The figures as VoID triples (see the module's docstring), each node labelled for the
    pages that link it (by the graph's title where the metadata gives one)."""
    titles = titles or {}
    g = Graph()
    per_graph: dict[str, dict[str, int]] = {of: {} for of in s.graph_quads}
    for (of, cls), n in s.graph_classes.items():
        per_graph.setdefault(of, {})[cls] = n
    if added == 0 and meta not in per_graph:
        per_graph[meta] = {}  # the metadata graph is about to hold the figures
    wholes = [(base, s.statements, s.classes)]
    wholes += [(of, s.graph_quads.get(of, 0), per_graph[of]) for of in sorted(per_graph)]
    for of, n, classes in wholes:
        node = URIRef(_node(meta, of))
        name = (
            "the whole store"
            if of == base
            else "the metadata graph"
            if of == meta
            else f"“{titles[of]}”"
            if of in titles
            else "a graph"
        )
        g.add((node, RDFS.label, Literal(f"Figures of {name}, kept at load", lang="en")))
        g.add((node, CKG.statisticsOf, URIRef(of)))
        g.add((node, VOID.triples, Literal(n, datatype=XSD.integer)))
        for cls, e in classes.items():
            part = URIRef(f"{node}/class/{hashlib.sha1(cls.encode('utf-8')).hexdigest()[:16]}")
            label = f"Instances of {compact(cls)} in {name}"
            g.add((part, RDFS.label, Literal(label, lang="en")))
            g.add((node, VOID.classPartition, part))
            g.add((part, VOID["class"], URIRef(cls)))
            g.add((part, VOID.entities, Literal(e, datatype=XSD.integer)))
    return g


# --------------------------------------------------------------------------- shown
def graph_titles(store: GraphStore, minter: Minter) -> dict[str, str]:
    """Each source graph's title, as the metadata graph records it (the document's own)."""
    graphs = read_metadata(store_terms(store), minter.base)
    return {g: s.title for g, s in graphs.items() if s.kind == "source" and s.title}


def format_counts(counts: list[tuple[str, int]]) -> str:
    return "".join(f"{n:>8}  {compact(c)}\n" for c, n in counts)


def _number(term: object) -> int:
    """An integer from an rdflib literal (``5``) or an N-Triples one (``"5"^^<…integer>``)."""
    text = str(term)
    if text.startswith('"'):
        text = text[1 : text.index('"', 1)]
    return int(text)


def _iri(term: object) -> str:
    """An IRI from an rdflib term or an N-Triples one (``<…>``)."""
    text = str(term)
    return text[1:-1] if text.startswith("<") and text.endswith(">") else text
