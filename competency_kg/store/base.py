"""The one store interface the CLI and the web application speak to.

Two implementations sit behind it: the embedded on-disk Oxigraph store (the default, no server
to run) and, for data that outgrows one machine, a remote SPARQL 1.1 Query/Update endpoint.
Everything above this module only uses :class:`GraphStore`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rdflib import Graph, URIRef
from rdflib.term import Node

from competency_kg.sparql.formats import RESULTS_JSON
from competency_kg.sparql.results import RawResult
from competency_kg.store.kept import Kept


class StoreError(Exception):
    """The store cannot do what was asked (locked, unreachable, read-only, out of space)."""


class StoreUnreachable(StoreError):
    """A remote store's SPARQL server cannot be reached: down, or silent past the timeout.

    Worth trying again later (a web client gets 503 with ``Retry-After``); the message names
    the server, so it belongs in logs, not in answers to the public.
    """


@dataclass(frozen=True)
class GraphReplacement:
    """Replace the named graph ``name`` by ``graph`` (``None`` drops it)."""

    name: URIRef
    graph: Graph | None


@dataclass(frozen=True)
class DescriptionReplacement:
    """Replace what the named graph ``name`` says about ``subjects`` by ``graph``'s triples.

    Used for the metadata graph, which holds one description per source.
    """

    name: URIRef
    subjects: tuple[URIRef, ...]
    graph: Graph


class GraphStore(ABC):
    """A quad store with named graphs, queried in SPARQL 1.1.

    In queries the default graph is the RDF merge of all named graphs (a set: each distinct
    triple once, see :mod:`competency_kg.store.merge`), so analysts need not know
    which source a fact came from; ``GRAPH`` still reaches each source's own graph.
    """

    @abstractmethod
    def replace_graphs(
        self,
        replacements: list[GraphReplacement],
        descriptions: list[DescriptionReplacement] | None = None,
    ) -> None:
        """Replace (or drop) named graphs and descriptions in one transaction: all or nothing."""

    @abstractmethod
    def bulk_replace(
        self,
        name: URIRef,
        ntriples: Path,
        descriptions: list[DescriptionReplacement] | None = None,
    ) -> None:
        """Replace one named graph by the triples of a (large) N-Triples file, streaming.

        For data too big for one in-memory transaction (a whole O*NET release). All or nothing
        like :meth:`replace_graphs`, even if the process is killed midway.
        """

    @abstractmethod
    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> list[dict[str, Node]]:
        """Run a SELECT; rows map variable names to rdflib terms (unbound variables absent).

        ``bindings`` pre-binds variables to terms (passed as data, never spliced into the text).
        """

    @abstractmethod
    def query_raw(
        self,
        query: str,
        results_mime: str = RESULTS_JSON,
        graph_mime: str = "text/turtle",
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> RawResult:
        """Run any query and return the engine's own serialization of its result.

        SELECT/ASK results come as ``results_mime``, CONSTRUCT/DESCRIBE as ``graph_mime``.
        ``default_graphs``/``named_graphs`` restrict the dataset as the SPARQL 1.1 Protocol's
        ``default-graph-uri``/``named-graph-uri`` do (section 2.1.4); without them the default
        graph is the merge of all named graphs.
        """

    @abstractmethod
    def ask(self, query: str) -> bool:
        """Run an ASK query."""

    @abstractmethod
    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query into an rdflib graph."""

    @abstractmethod
    def graph_names(self) -> list[URIRef]:
        """The named graphs in the store."""

    @abstractmethod
    def graph(self, name: URIRef) -> Graph:
        """A copy of one named graph."""

    @abstractmethod
    def dump(self, out: BinaryIO, mime: str) -> None:
        """Stream every quad to ``out`` as N-Quads or TriG (``mime``), or all triples as
        Turtle/N-Triples with the graphs merged."""

    @abstractmethod
    def close(self) -> None:
        """Release the store."""

    def optimize(self) -> None:
        """Reorganize the storage for reading, after a load (a no-op where the server does
        this on its own)."""
        return None

    def keep(self, kind: Kept, value: object, key: str = "") -> None:
        """Keep ``value`` (JSON data) as ``kind`` for the version this writer session
        publishes, written before readers are switched to it (:mod:`competency_kg.store.kept`:
        what a server would otherwise compute on its first pages). A store that publishes no
        versions (remote, in memory) keeps nothing: its servers compute the value."""
        return None

    def triple_count(self, name: URIRef | None = None) -> int:
        """Triples in one named graph, or quads in all of them."""
        where = "GRAPH ?g { ?s ?p ?o }" if name is None else f"GRAPH <{name}> {{ ?s ?p ?o }}"
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
        return int(rows[0]["n"]) if rows else 0

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def iter_rows(self, query: str) -> Iterator[dict[str, Node]]:
        yield from self.select(query)
