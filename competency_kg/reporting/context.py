"""A graph's context: what the other graphs say about its resources, two steps out, so
that a graph is checked as it stands in the union of all graphs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.term import Node

from competency_kg.reporting.results import Triple
from competency_kg.reporting.state import StoreState
from competency_kg.sparql.terms import to_rdflib
from competency_kg.store import GraphStore

#: Most context triples fetched for one graph (each of the two steps).
CONTEXT_LIMIT = 250_000


@dataclass
class Context:
    graph: Graph
    graphs_of: dict[str, set[str]]  # subject → the other graphs describing it
    digest: str
    truncated: bool


def iris_of(triples: Iterable[Triple]) -> set[str]:
    out: set[str] = set()
    for s, _, o in triples:
        if isinstance(s, URIRef):
            out.add(str(s))
        if isinstance(o, URIRef):
            out.add(str(o))
    return out


def _fetch(
    store: GraphStore, iris: Iterable[str], exclude: set[str], limit: int
) -> list[dict[str, Node]]:
    """The statements other graphs make about ``iris``, in batches."""
    rows: list[dict[str, Node]] = []
    todo = sorted(iris)
    not_in = ", ".join(f"<{g}>" for g in sorted(exclude))
    raw = getattr(store, "oxigraph", None)  # the embedded store: skip the row conversion
    for i in range(0, len(todo), 2000):
        values = " ".join(f"<{iri}>" for iri in todo[i : i + 2000])
        query = (
            f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
            f"FILTER (?g NOT IN ({not_in})) }} LIMIT {limit - len(rows) + 1}"
        )
        if raw is not None:
            for sol in raw.query(query):
                rows.append({k: to_rdflib(sol[k]) for k in ("g", "s", "p", "o")})
        else:
            rows.extend(store.select(query))
        if len(rows) > limit:
            break
    return rows


def fetch_context(
    store: GraphStore, state: StoreState, graph: str, nodes: Iterable[str]
) -> Context:
    """What the other graphs say about ``nodes`` and about what that points to."""
    exclude = {graph, state.metadata, *state.derived}
    if graph in state.curation_of:
        exclude.add(state.curation_of[graph])
    nodes = set(nodes)
    ctx = Graph()
    graphs_of: dict[str, set[str]] = {}
    truncated = False
    frontier = nodes
    for _step in range(2):
        if not frontier:
            break
        rows = _fetch(store, frontier, exclude, CONTEXT_LIMIT)
        if len(rows) > CONTEXT_LIMIT:
            rows, truncated = rows[:CONTEXT_LIMIT], True
        fresh: set[str] = set()
        for r in rows:
            s, p, o = r["s"], r["p"], r["o"]
            ctx.add((s, p, o))
            graphs_of.setdefault(str(s), set()).add(str(r["g"]))
            if isinstance(o, URIRef) and str(o) not in nodes:
                fresh.add(str(o))
        nodes |= fresh
        frontier = fresh
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in ctx)  # type: ignore[union-attr]
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    return Context(ctx, graphs_of, digest, truncated)
