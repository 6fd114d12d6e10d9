"""The default graph as the RDF merge of the named graphs, kept materialised by every write.

SPARQL 1.1 Query §13.1 (https://www.w3.org/TR/sparql11-query/#rdfDataset) defines the default
graph as an RDF graph, that is a *set* of triples: a triple that two sources state matches once.
pyoxigraph 0.5 evaluates its union default graph, and a default graph made of several graphs
(``FROM <g1> FROM <g2>``), as a bag: once per graph that states the triple (Oxigraph issue
#1919, fixed only in the unreleased 0.6 line); Virtuoso does the same (its issue #1406). So
each store keeps the merge as data: the embedded store in its own default graph, which no
source writes to; a remote store in the named graph :data:`MERGED_GRAPH`. Queries without a
dataset read it (see :mod:`competency_kg.store.dataset`).

Every write keeps it in step, in the same SPARQL Update request (one transaction) as the
change itself:

1. :func:`before_ops` copies the triples about to go (the replaced graphs, the replaced
   descriptions) into a scratch graph;
2. the write drops and inserts as before;
3. :func:`after_ops` removes from the merge the scratch triples that no graph states any more,
   adds the new triples, and drops the scratch graph.

So the work is proportional to what changes, not to the store. Blank nodes keep their
identity (they are copied by the engine, never re-parsed). Graphs under ``urn:x-competency-kg:``
(scratch, staging, the merge itself) never count as stating a triple.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Where the triples being replaced wait during a write.
SCRATCH_GRAPH = "urn:x-competency-kg:merge-scratch"
#: The merge, on a remote store (the embedded store keeps it in its own default graph).
MERGED_GRAPH = "urn:x-competency-kg:merged"
#: A remote store's write stamp: a new value after every write (readers cache on it).
STATE_GRAPH = "urn:x-competency-kg:state"
#: Graphs with this prefix are the project's own bookkeeping, never a source.
INTERNAL_PREFIX = "urn:x-competency-kg:"

_TRIPLE = "?s ?p ?o"


def _in(target: str | None, pattern: str = _TRIPLE) -> str:
    """``pattern`` in the merge: the default graph (``target`` None) or a named graph."""
    return pattern if target is None else f"GRAPH <{target}> {{ {pattern} }}"


def _stated_elsewhere(exclude: Sequence[str] = ()) -> str:
    """A filter true when some source graph (not bookkeeping, not ``exclude``) states ?s ?p ?o."""
    others = "".join(f" && ?h != <{g}>" for g in exclude)
    return (
        f"EXISTS {{ GRAPH ?h {{ {_TRIPLE} }} "
        f'FILTER(!STRSTARTS(STR(?h), "{INTERNAL_PREFIX}"){others}) }}'
    )


def before_ops(graphs: Sequence[str], subjects: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Copy what is about to be replaced into the scratch graph: whole ``graphs``, and the
    triples of ``subjects`` (``(graph, subject)`` pairs) that a description replacement deletes."""
    ops = [f"DROP SILENT GRAPH <{SCRATCH_GRAPH}>"]
    ops += [
        f"INSERT {{ GRAPH <{SCRATCH_GRAPH}> {{ {_TRIPLE} }} }} "
        f"WHERE {{ GRAPH <{g}> {{ {_TRIPLE} }} }}"
        for g in graphs
    ]
    ops += [
        f"INSERT {{ GRAPH <{SCRATCH_GRAPH}> {{ <{s}> ?p ?o }} }} "
        f"WHERE {{ GRAPH <{g}> {{ <{s}> ?p ?o }} }}"
        for g, s in subjects
    ]
    return ops


def after_ops(graphs: Sequence[str], target: str | None = None) -> list[str]:
    """Bring the merge up to date once the write is done: drop the scratch triples no graph
    states any more, add the triples of ``graphs`` (the graphs just written), drop the scratch."""
    return [
        f"DELETE {{ {_in(target)} }} WHERE {{ GRAPH <{SCRATCH_GRAPH}> {{ {_TRIPLE} }} "
        f"FILTER NOT {_stated_elsewhere()} }}",
        *(add_op(g, target) for g in graphs),
        f"DROP SILENT GRAPH <{SCRATCH_GRAPH}>",
    ]


def add_op(graph: str, target: str | None = None) -> str:
    """Add every triple of ``graph`` to the merge (a set: those already there stay once)."""
    return f"INSERT {{ {_in(target)} }} WHERE {{ GRAPH <{graph}> {{ {_TRIPLE} }} }}"


def forget_graph_op(graph: str, target: str | None = None) -> str:
    """Remove from the merge what only ``graph`` states (run while ``graph`` still exists):
    the first step of replacing a graph too big for a scratch copy (a bulk load)."""
    return (
        f"DELETE {{ {_in(target)} }} WHERE {{ GRAPH <{graph}> {{ {_TRIPLE} }} "
        f"FILTER NOT {_stated_elsewhere([graph])} }}"
    )


def rebuild_ops(target: str | None = None) -> list[str]:
    """Compute the merge from scratch (a store written before the merge existed)."""
    clear = "DROP SILENT DEFAULT" if target is None else f"DROP SILENT GRAPH <{target}>"
    return [
        clear,
        f"INSERT {{ {_in(target)} }} WHERE {{ GRAPH ?h {{ {_TRIPLE} }} "
        f'FILTER(!STRSTARTS(STR(?h), "{INTERNAL_PREFIX}")) }}',
    ]
