"""Writes to a remote store, on Virtuoso and the Oxigraph server (and the embedded store):
whole graphs replaced at once, terms that survive the trip, big replacements staged then
swapped, a file streamed, and what one update request guarantees on each server."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from remote_store_support import EX, T1, T2, TMETA, graph, norm, triples_of

from competency_kg.store import DescriptionReplacement, GraphReplacement, GraphStore, StoreError
from competency_kg.store.remote import STAGING_PREFIX, RemoteStore

pytest_plugins = ["remote_store_fixture"]


# --------------------------------------------------------------------------- writes
def test_replace_is_whole_graph_and_atomic_on_bad_data(any_store: GraphStore) -> None:
    store = any_store
    try:
        store.replace_graphs([GraphReplacement(T1, graph(("a", "p", "b"), ("a", "p", "c")))])
        store.replace_graphs([GraphReplacement(T1, graph(("x", "p", "y")))])
        assert triples_of(store.graph(T1)) == triples_of(graph(("x", "p", "y")))
        bad = Graph()
        bad.add((URIRef(EX + "s"), URIRef(EX + "p"), URIRef("http://exa mple.org/bad iri")))
        with pytest.raises((StoreError, SyntaxError, ValueError)):
            store.replace_graphs([GraphReplacement(T1, Graph()), GraphReplacement(T2, bad)])
        assert triples_of(store.graph(T1)) == triples_of(graph(("x", "p", "y")))
        assert T2 not in store.graph_names()
        d = lambda s, o: DescriptionReplacement(TMETA, (URIRef(EX + s),), graph((s, "p", o)))  # noqa: E731
        store.replace_graphs([], [d("a", "1")])
        store.replace_graphs([], [d("b", "2")])
        store.replace_graphs([], [d("a", "3")])
        assert triples_of(store.graph(TMETA)) == triples_of(graph(("a", "p", "3"), ("b", "p", "2")))
    finally:
        store.replace_graphs([GraphReplacement(g, None) for g in (T1, T2, TMETA)])
    assert not any(g.startswith(EX) for g in store.graph_names())


def _tricky() -> Graph:
    g = graph(("a", "p", Literal('é\n"q" \\ tab\t 𝄞 <>{}', lang="en-GB")))
    g.add(
        (
            URIRef(EX + "a"),
            URIRef(EX + "p"),
            Literal(
                "2026-01-02T03:04:05+00:00",
                datatype=URIRef("http://www.w3.org/2001/XMLSchema#dateTime"),
            ),
        )
    )
    g.add((URIRef(EX + "a"), URIRef(EX + "p"), Literal(42)))
    g.add((URIRef(EX + "a"), URIRef(EX + "p"), Literal("x" * 5000)))
    b = BNode()
    g.add((URIRef(EX + "a"), URIRef(EX + "q"), b))
    g.add((b, URIRef(EX + "p"), Literal("inside a blank node")))
    return g


def test_terms_survive_the_trip(remote: RemoteStore) -> None:
    remote.replace_graphs([GraphReplacement(T1, _tricky())])
    assert triples_of(remote.graph(T1)) == triples_of(_tricky())
    got = remote.select(f"SELECT ?o WHERE {{ <{EX}a> <{EX}p> ?o }}")
    assert {norm(r["o"]) for r in got} == {
        norm(o) for o in _tricky().objects(URIRef(EX + "a"), URIRef(EX + "p"))
    }


def test_big_replacement_is_staged_and_swapped(remote: RemoteStore, remote_url: str) -> None:
    """Past max_request_bytes the triples go to staging graphs first, then one swap."""
    small = RemoteStore(remote_url, max_request_bytes=30_000, block_triples=200)
    remote.replace_graphs([GraphReplacement(T1, graph(("old", "p", "x")))])
    g = Graph()
    for i in range(1200):
        g.add((URIRef(f"{EX}s{i}"), URIRef(EX + "p"), Literal(f"value {i}")))
        b = BNode()
        g.add((URIRef(f"{EX}s{i}"), URIRef(EX + "b"), b))
        g.add((b, URIRef(EX + "n"), Literal(i)))
    meta = DescriptionReplacement(TMETA, (T1,), graph(("g1", "count", Literal(len(g)))))
    small.replace_graphs([GraphReplacement(T1, g), GraphReplacement(T2, None)], [meta])
    assert small.triple_count(T1) == 3600
    blank = small.select(
        "SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE "
        f"{{ GRAPH <{T1}> {{ ?s <{EX}b> ?b . ?b <{EX}n> ?i }} }}"
    )
    assert int(blank[0]["n"]) == 1200
    assert triples_of(small.graph(TMETA)) == triples_of(meta.graph)
    assert not [g for g in small._all_graphs() if g.startswith(STAGING_PREFIX)]


def test_bulk_replace_streams_a_file(remote: RemoteStore, tmp_path: Path) -> None:
    remote.replace_graphs([GraphReplacement(T1, graph(("old", "p", "x")))])
    big = tmp_path / "big.nt"
    with big.open("w") as f:
        for i in range(10_500):  # past Virtuoso's result cap: graph() reads it in pages
            f.write(f'<{EX}s{i}> <{EX}p> "value {i}" .\n')
        f.write(f'<{EX}s> <{EX}p> _:x .\n_:x <{EX}p> "blank" .\n')
    meta = DescriptionReplacement(TMETA, (T1,), graph(("g1", "p", "described")))
    remote.bulk_replace(T1, big, [meta])
    assert remote.triple_count(T1) == 10_502 and remote.triple_count(TMETA) == 1
    assert len(remote.graph(T1)) == 10_502
    bad = tmp_path / "bad.nt"
    lines = big.read_text().splitlines(keepends=True)
    bad.write_text("".join(lines[:2500]) + "<broken\n")  # fails after a block was staged
    with pytest.raises(StoreError, match="store unchanged"):
        remote.bulk_replace(T1, bad)
    assert remote.triple_count(T1) == 10_502
    assert not [g for g in remote._all_graphs() if g.startswith(STAGING_PREFIX)]


def test_what_one_update_request_guarantees(remote: RemoteStore) -> None:
    """What the module doc promises per server, shown on the servers themselves."""
    old = triples_of(graph(("old", "p", "x")))
    new = triples_of(graph(("new", "p", "x")))
    remote.replace_graphs([GraphReplacement(T1, graph(("old", "p", "x")))])
    swap = (
        f"DROP SILENT GRAPH <{T1}> ;\n"
        f"INSERT DATA {{ GRAPH <{T1}> {{ <{EX}new> <{EX}p> <{EX}x> }} }} ;\n"
    )
    # Malformed: refused before anything runs, on every server.
    with pytest.raises(StoreError):
        remote._send(swap + "INSERT DATA { <broken ", update=True)
    assert triples_of(remote.graph(T1)) == old
    # An operation that fails at run time, after the drop and the insert.
    with pytest.raises(StoreError, match="HTTP 500"):
        remote._send(swap + f"CREATE GRAPH <{T1}>", update=True)
    if remote.server() == "virtuoso":
        assert triples_of(remote.graph(T1)) == new  # Virtuoso keeps what ran before
    else:
        assert triples_of(remote.graph(T1)) == old  # one transaction: nothing changed
