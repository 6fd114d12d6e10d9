"""Counts per class and per graph: what the store holds, at a glance."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import DCTERMS

from competency_kg.iris import Minter
from competency_kg.store import GraphStore
from competency_kg.validation import compact


def class_counts(store: GraphStore) -> list[tuple[str, int]]:
    """Distinct instances per class over all graphs, largest first."""
    rows = store.select(
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } "
        "GROUP BY ?class ORDER BY DESC(?n) ?class"
    )
    return [(str(r["class"]), int(r["n"])) for r in rows]


def graph_counts(store: GraphStore) -> list[tuple[URIRef, int]]:
    """Triples per named graph."""
    rows = store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    return [(r["g"], int(r["n"])) for r in rows]  # type: ignore[misc]


def graph_titles(store: GraphStore, minter: Minter) -> dict[str, str]:
    """Each described graph's title, as the metadata graph records it (the document's own)."""
    rows = store.select(
        f"SELECT ?g ?t WHERE {{ GRAPH <{minter.metadata_graph()}> {{ ?g <{DCTERMS.title}> ?t }} }}"
    )
    return {str(r["g"]): str(r["t"]) for r in rows}


def format_counts(counts: list[tuple[str, int]]) -> str:
    return "".join(f"{n:>8}  {compact(c)}\n" for c, n in counts)
