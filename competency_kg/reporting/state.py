"""The store's state: its named graphs, what the metadata graph says of them, and their
fingerprints (what the cache keys on); a source graph named by any name a page shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef
from rdflib.term import Node

from competency_kg.iris import Minter
from competency_kg.metadata import SourceGraph, read_metadata, store_terms
from competency_kg.namespaces import CKG
from competency_kg.store import GraphStore, StoreError
from competency_kg.store.versions import store_of

#: A graph with more triples than this is checked in place in the store, not copied.
BULK_TRIPLES = 200_000


@dataclass(frozen=True)
class GraphInfo:
    """One named graph to check: the metadata graph's record of it (read by the one reader,
    :func:`competency_kg.metadata.read_metadata`; for a graph it does not describe, a record
    of its kind and size only) and how it is checked."""

    record: SourceGraph  # kind: "source", "links" or "other"

    @property
    def iri(self) -> str:
        return self.record.graph

    @property
    def kind(self) -> str:
        return self.record.kind

    @property
    def names(self) -> list[str]:
        """Every name a page or report shows for it: each one picks it out for ``--source``."""
        return self.record.names

    @property
    def bulk(self) -> bool:
        """Checked in place in the store, not copied: only its size counts (an O*NET extract
        is copied and checked like any document)."""
        return (self.record.triples or 0) > BULK_TRIPLES

    @property
    def label(self) -> str:
        if self.record.title:
            return self.record.title
        if self.kind == "links":
            return "Links across sources"
        return self.iri.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class StoreState:
    """The named graphs of the store and their fingerprints, read for each report."""

    metadata: str
    graphs: dict[str, GraphInfo]  # every graph to check: not metadata, not curation
    curation_of: dict[str, str]  # source graph → its curation graph
    fingerprints: dict[str, tuple[object, ...]]  # every named graph but the metadata graph
    last_load: str | None = None
    #: graphs neither checked nor read as context (the entailed graph)
    derived: frozenset[str] = frozenset()


def store_id(store: GraphStore) -> str:
    """A name for the store the cache can key on: its folder (the same for all its published
    versions) or its URL."""
    path = getattr(store, "path", None)
    if path is not None:
        return str(store_of(Path(path)))
    location = getattr(store, "location", None)
    return str(location) if location else f"memory:{id(store)}"


def read_state(store: GraphStore, minter: Minter) -> StoreState:
    """The graphs in the store, what the metadata graph says of them (read by the one reader
    of it, :func:`competency_kg.metadata.read_metadata`), their fingerprints."""
    meta = str(minter.metadata_graph())
    derived = frozenset({str(minter.entailed_graph())})
    names = [str(n) for n in store.graph_names() if str(n) != meta and str(n) not in derived]
    described = read_metadata(store_terms(store), minter.base)
    curation_rows = store.select(
        f"SELECT DISTINCT ?cg ?g WHERE {{ GRAPH ?cg {{ ?c <{CKG.appliedTo}> ?g }} }}"
    )
    curation_of = {str(r["g"]): str(r["cg"]) for r in curation_rows if str(r["cg"]) in names}
    curation_prefix = str(minter.curation_graph("x"))[:-1]
    curation = set(curation_of.values()) | {n for n in names if n.startswith(curation_prefix)}
    sources = [d for d in described.values() if d.kind == "source"]
    last_load = max((d.generated for d in sources if d.generated), default=None)

    graphs: dict[str, GraphInfo] = {}
    fingerprints: dict[str, tuple[object, ...]] = {}
    for name in names:
        d = described.get(name)
        if name in curation:
            fingerprints[name] = ("curation", _bounded_count(store, name))
            continue
        if d is not None and d.kind == "source":
            info = GraphInfo(d)
            fingerprints[name] = (d.triples, d.generated, d.checksum)
        elif d is not None and d.kind == "links":  # recomputed at every load
            info = GraphInfo(SourceGraph(name, kind="links", triples=d.triples))
            fingerprints[name] = (d.triples, last_load)
        else:
            n = _bounded_count(store, name)
            info = GraphInfo(SourceGraph(name, kind="other", triples=n))
            fingerprints[name] = (n,)
        graphs[name] = info
    return StoreState(meta, graphs, curation_of, fingerprints, last_load, derived)


def _bounded_count(store: GraphStore, name: str) -> int:
    """Triples in a graph, counted up to just over :data:`BULK_TRIPLES`."""
    rows = store.select(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT ?s WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }} "
        f"LIMIT {BULK_TRIPLES + 1} }}"
    )
    return int(rows[0]["n"]) if rows else 0


def node_text(node: Node | None) -> str | None:
    return None if node is None else str(node)


def resolve_source(
    store: GraphStore, minter: Minter, source: str, state: StoreState | None = None
) -> URIRef:
    """A source graph named by any name a page shows for it: its title, its file name, its
    graph IRI or the graph's local name (the source id); also its document's IRI.

    Raises :class:`StoreError` listing the accepted names when none matches.
    """
    state = state or read_state(store, minter)
    names = {str(g) for g in store.graph_names() if g != minter.metadata_graph()}
    wanted = source.strip()
    for candidate in (wanted, str(minter.source_graph(wanted))):  # strings: a title is no IRI
        if candidate in names:
            return URIRef(candidate)
    for exact in (True, False):  # names as given first, then ignoring case
        for info in state.graphs.values():
            if any(
                n == wanted if exact else n.casefold() == wanted.casefold()
                for n in (*info.names, info.record.document or "")
            ):
                return URIRef(info.iri)
    accepted = [
        " | ".join(repr(n) for n in info.names)
        for info in sorted(state.graphs.values(), key=lambda i: (i.kind != "source", i.iri))
    ]
    raise StoreError(
        f"no source graph {source!r} in the store; name one by its title, file name, graph "
        f"IRI or graph name: {'; '.join(accepted) or 'none (the store holds no sources)'}"
    )
