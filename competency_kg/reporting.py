"""The SHACL report of what is in the store, whole or for one source graph."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.term import Node

from competency_kg.iris import Minter
from competency_kg.store import GraphStore, StoreError
from competency_kg.validation import Report, validate_graph


def resolve_source(store: GraphStore, minter: Minter, source: str) -> URIRef:
    """A source graph named by IRI or by source id (file name without extension)."""
    names = [g for g in store.graph_names() if g != minter.metadata_graph()]
    for candidate in (URIRef(source), minter.source_graph(source)):
        if candidate in names:
            return candidate
    known = ", ".join(str(n) for n in names) or "none"
    raise StoreError(f"no source graph {source!r} in the store (known: {known})")


def store_report(
    store: GraphStore, minter: Minter, source: str | None = None
) -> tuple[Report, Graph]:
    """Validate the union of the source graphs (or one of them) against the shapes."""
    if source is not None:
        names = [resolve_source(store, minter, source)]
    else:
        names = [g for g in store.graph_names() if g != minter.metadata_graph()]
    data = Graph()
    graph_of: dict[Node, str] = {}
    for name in names:
        part = store.graph(name)
        for s in set(part.subjects()):
            graph_of[s] = f"{graph_of[s]} {name}" if s in graph_of else str(name)
        data += part
    return validate_graph(data, graph_of)
