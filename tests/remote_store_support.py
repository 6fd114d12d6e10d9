"""Helpers of the remote-store tests (``test_remote_store_answers.py``, ``_writes.py``,
``_protocol.py``): what is loaded, the graphs the writes use, terms compared as data. Their
fixtures are in ``remote_store_fixture`` (a plugin module)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef

from competency_kg.store import GraphStore

from support import FIXTURES, SEEDS

SOURCES = [str(SEEDS), str(FIXTURES / "framework" / "nurse-framework.json")]
BACKENDS = ["virtuoso", "oxigraph"]  # each compared with the embedded reference
EX = "http://example.org/remote-test/"
T1, T2, TMETA = URIRef(EX + "g1"), URIRef(EX + "g2"), URIRef(EX + "meta")


@dataclass
class Backend:
    name: str
    url: str  # what --store gets
    store: GraphStore


# --------------------------------------------------------------------------- helpers
def norm(term: object) -> object:
    """A term as comparable data: blank nodes are all alike; language tags ignore case."""
    if isinstance(term, BNode):
        return "_:b"
    if isinstance(term, Literal):
        return ("literal", str(term), str(term.datatype or ""), (term.language or "").lower())
    return str(term)


def rows_of(store: GraphStore, query: str) -> Counter[frozenset]:
    return Counter(frozenset((k, norm(v)) for k, v in row.items()) for row in store.select(query))


def triples_of(graph: Graph) -> set[tuple[object, ...]]:
    return {tuple(norm(t) for t in triple) for triple in graph}


def graph(*triples: tuple[str, str, object]) -> Graph:
    g = Graph()
    for s, p, o in triples:
        g.add((URIRef(EX + s), URIRef(EX + p), o if isinstance(o, Literal) else URIRef(EX + o)))
    return g
