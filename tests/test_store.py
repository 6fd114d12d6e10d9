"""The embedded store: atomic graph replacement, union default graph, dumps."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from competency_kg.store import (
    DescriptionReplacement,
    GraphReplacement,
    GraphStore,
    StoreError,
    open_store,
)

EX = "http://example.org/"
G1, G2, META = URIRef(EX + "g1"), URIRef(EX + "g2"), URIRef(EX + "meta")


def graph(*triples: tuple[str, str, object]) -> Graph:
    g = Graph()
    for s, p, o in triples:
        g.add((URIRef(EX + s), URIRef(EX + p), o if isinstance(o, Literal) else URIRef(EX + o)))
    return g


def test_replace_is_whole_graph(store: GraphStore) -> None:
    store.replace_graphs([GraphReplacement(G1, graph(("a", "p", "b"), ("a", "p", "c")))])
    store.replace_graphs([GraphReplacement(G1, graph(("x", "p", "y")))])
    assert set(store.graph(G1)) == set(graph(("x", "p", "y")))


def test_union_default_graph_and_named_graphs(store: GraphStore) -> None:
    store.replace_graphs(
        [
            GraphReplacement(G1, graph(("a", "p", Literal("one")))),
            GraphReplacement(G2, graph(("a", "p", Literal("two", lang="en")))),
        ]
    )
    rows = store.select(f"SELECT ?o WHERE {{ <{EX}a> <{EX}p> ?o }} ORDER BY ?o")
    assert [r["o"] for r in rows] == [Literal("one"), Literal("two", lang="en")]
    assert store.graph_names() == [G1, G2]
    assert store.triple_count() == 2 and store.triple_count(G2) == 1


def test_bindings_are_data_not_query_text(store: GraphStore) -> None:
    store.replace_graphs([GraphReplacement(G1, graph(("a", "p", Literal("x"))))])
    hostile = Literal('x" } ; DROP ALL ; #')
    assert store.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": hostile}) == []
    assert len(store.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": Literal("x")})) == 1


def test_descriptions_replace_only_their_subjects(store: GraphStore) -> None:
    store.replace_graphs(
        [], [DescriptionReplacement(META, (URIRef(EX + "a"),), graph(("a", "p", "1")))]
    )
    store.replace_graphs(
        [], [DescriptionReplacement(META, (URIRef(EX + "b"),), graph(("b", "p", "2")))]
    )
    store.replace_graphs(
        [], [DescriptionReplacement(META, (URIRef(EX + "a"),), graph(("a", "p", "3")))]
    )
    assert set(store.graph(META)) == set(graph(("a", "p", "3"), ("b", "p", "2")))


def test_failed_replacement_changes_nothing(store: GraphStore) -> None:
    store.replace_graphs([GraphReplacement(G1, graph(("a", "p", "b")))])
    before = set(store.graph(G1))
    bad = Graph()
    bad.add((URIRef(EX + "s"), URIRef(EX + "p"), URIRef("http://exa mple.org/bad iri")))
    with pytest.raises((StoreError, SyntaxError, ValueError)):
        store.replace_graphs([GraphReplacement(G1, Graph()), GraphReplacement(G2, bad)])
    assert set(store.graph(G1)) == before
    assert G2 not in store.graph_names()


def test_dump_reloads_to_same_quads(store: GraphStore, tmp_path: Path) -> None:
    store.replace_graphs(
        [
            GraphReplacement(G1, graph(("a", "p", Literal('é\n"q"')))),
            GraphReplacement(G2, graph(("b", "p", "c"))),
        ]
    )
    buf = io.BytesIO()
    store.dump(buf, "application/n-quads")
    other = open_store(tmp_path / "other")
    other.oxigraph.load(buf.getvalue(), ox.RdfFormat.N_QUADS)  # type: ignore[attr-defined]
    assert other.graph_names() == [G1, G2]
    assert set(other.graph(G1)) == set(store.graph(G1))
    other.close()


def test_data_survives_reopening(tmp_path: Path) -> None:
    s = open_store(tmp_path / "s")
    s.replace_graphs([GraphReplacement(G1, graph(("a", "p", "b")))])
    s.close()
    again = open_store(tmp_path / "s", read_only=True)
    assert again.triple_count(G1) == 1
    again.close()


def test_second_writer_gets_clear_error(tmp_path: Path) -> None:
    first = open_store(tmp_path / "s")
    with pytest.raises(StoreError, match="in use by another process"):
        open_store(tmp_path / "s")
    first.close()
