"""What the store holds, counted: each figure by one function here, so that the command line
(``competency-kg stats``), the home page and the VoID description show the same numbers.

- **statements**: the distinct triples of the RDF merge of all named graphs — the SPARQL
  default graph, a set: a triple two sources state is one statement. The merged dumps (Turtle,
  N-Triples) hold exactly these, one per line in N-Triples.
- **quads per graph**: the triples each named graph holds. They add up to the lines of the
  N-Quads dump, which is more than the statements whenever graphs share a triple, so wherever
  they are shown they are called quads.
- **instances per class**: distinct subjects typed with the class, over all graphs.

Each function takes anything with a ``select(query)`` method: a
:class:`~competency_kg.store.GraphStore` (rows of rdflib terms) or the web pages' reader
(rows of N-Triples terms); both kinds of row are read here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from competency_kg.iris import Minter
from competency_kg.metadata import read_metadata, store_terms
from competency_kg.store import GraphStore
from competency_kg.validation import compact

#: Distinct triples: the default graph is the merge of the named graphs, a set.
STATEMENTS_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: Quads per named graph.
GRAPH_QUADS_QUERY = (
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
)
#: Distinct instances per class.
CLASS_QUERY = (
    "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } "
    "GROUP BY ?class ORDER BY DESC(?n) ?class"
)


class Selects(Protocol):
    def select(self, query: str) -> Sequence[Mapping[str, Any]]: ...


def statement_count(store: Selects) -> int:
    """Statements: distinct triples in the merge of all named graphs."""
    rows = store.select(STATEMENTS_QUERY)
    return _number(rows[0]["n"]) if rows else 0


def graph_counts(store: Selects) -> list[tuple[str, int]]:
    """Quads per named graph (graph IRI, count), by graph IRI."""
    return [(_iri(r["g"]), _number(r["n"])) for r in store.select(GRAPH_QUADS_QUERY)]


def class_counts(store: Selects) -> list[tuple[str, int]]:
    """Distinct instances per class over all graphs, largest first."""
    return [(_iri(r["class"]), _number(r["n"])) for r in store.select(CLASS_QUERY)]


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
