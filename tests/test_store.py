"""The embedded store: atomic graph replacement, union default graph, dumps."""

from __future__ import annotations

import io
import shutil
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


def _nt(path: Path, n: int, tail: str = "") -> Path:
    with path.open("w") as f:
        for i in range(n):
            f.write(f'<{EX}s{i}> <{EX}p> "value {i}" .\n')
        f.write(tail)
    return path


def test_bulk_replace_swaps_one_graph(store: GraphStore, tmp_path: Path) -> None:
    store.replace_graphs(
        [
            GraphReplacement(G1, graph(("old", "p", "x"))),
            GraphReplacement(G2, graph(("keep", "p", "x"))),
        ]
    )
    meta = DescriptionReplacement(META, (G1,), graph(("g1", "p", "described")))
    store.bulk_replace(G1, _nt(tmp_path / "big.nt", 5000), [meta])
    assert store.triple_count(G1) == 5000 and store.triple_count(G2) == 1
    assert store.triple_count(META) == 1


def test_failed_bulk_replace_restores_old_data(tmp_path: Path) -> None:
    """The old data is what the last session published: a failed bulk load rolls back all
    that its own session wrote (a load is one unit)."""
    with open_store(tmp_path / "s") as first:
        first.replace_graphs([GraphReplacement(G1, graph(("old", "p", "x")))])
    s = open_store(tmp_path / "s")
    s.replace_graphs([GraphReplacement(G2, graph(("same", "session", "x")))])
    bad = _nt(tmp_path / "bad.nt", 3000, tail="<broken\n")
    with pytest.raises(StoreError, match="store restored"):
        s.bulk_replace(G1, bad)
    assert set(s.graph(G1)) == set(graph(("old", "p", "x")))
    assert s.graph_names() == [G1]
    s.close()
    assert not (tmp_path / "s.loading").exists() and not (tmp_path / "s.checkpoint").exists()


def test_killed_bulk_load_leaves_the_old_data(tmp_path: Path) -> None:
    """SIGKILL in the middle of a large load: the store reopens with exactly the old data."""
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "s"
    s = open_store(path)
    s.replace_graphs([GraphReplacement(G1, graph(("old", "p", "x")))])
    s.close()
    big = _nt(tmp_path / "big.nt", 1_500_000)
    code = (
        "import sys; from pathlib import Path; from rdflib import URIRef\n"
        "from competency_kg.store import open_store\n"
        "s = open_store(sys.argv[1]); print('started', flush=True)\n"
        "s.bulk_replace(URIRef(sys.argv[2]), Path(sys.argv[3])); print('done', flush=True)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(G1), str(big)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 30
    while not (tmp_path / "s.loading").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read()
    proc.stdout.close()
    assert rest == "", "the load finished before it could be killed"
    again = open_store(path)
    assert set(again.graph(G1)) == set(graph(("old", "p", "x")))
    again.close()


def test_a_query_naming_its_dataset_is_not_widened_to_the_union(store: GraphStore) -> None:
    store.replace_graphs(
        [
            GraphReplacement(G1, graph(("a", "p", Literal("one")))),
            GraphReplacement(G2, graph(("a", "p", Literal("two")))),
        ]
    )
    rows = store.select(f"SELECT ?o FROM <{G1}> WHERE {{ ?s ?p ?o }}")
    assert [r["o"] for r in rows] == [Literal("one")]
    raw = store.query_raw(f"SELECT ?o FROM <{G2}> WHERE {{ ?s ?p ?o }}", "text/csv")
    assert raw.data.decode().split() == ["o", "two"]


# --------------------------------------------------------------------------- published versions
def _count(path: Path) -> int:
    with open_store(path, read_only=True) as reader:
        return reader.triple_count()


def test_readers_open_the_published_version_never_the_folder_being_written(
    tmp_path: Path,
) -> None:
    """RocksDB: opening read-only a folder another process writes is undefined behaviour (a
    query worker looped forever). Readers open what the last writer published on close."""
    from competency_kg.store.journal import readable_path
    from competency_kg.store.versions import current_version, state_token

    path = tmp_path / "store"
    with open_store(path) as writer:
        writer.replace_graphs([GraphReplacement(G1, graph(("a", "p", "b")))])
    first, token = current_version(path), state_token(path)
    assert first is not None and token is not None
    assert readable_path(path) == first != path
    assert _count(path) == 1

    writer = open_store(path)
    writer.replace_graphs([GraphReplacement(G2, graph(("c", "p", "d"), ("e", "p", "f")))])
    assert _count(path) == 1, "a reader saw the data of a writer that has not finished"
    assert state_token(path) == token
    writer.close()
    assert _count(path) == 3
    assert state_token(path) != token and current_version(path) != first


def test_old_versions_are_pruned_and_a_read_only_open_publishes_nothing(tmp_path: Path) -> None:
    from competency_kg.store.versions import KEEP, state_token, versions_dir

    path = tmp_path / "store"
    for i in range(KEEP + 3):
        with open_store(path) as writer:
            writer.replace_graphs([GraphReplacement(G1, graph(("a", "p", Literal(str(i)))))])
    folders = [p for p in versions_dir(path).iterdir() if p.is_dir()]
    assert len(folders) == KEEP, folders
    token = state_token(path)
    with open_store(path) as writer:  # opened for writing, nothing written
        assert writer.triple_count() == 1
    assert state_token(path) == token


def test_a_store_from_before_versions_is_published_when_a_writer_opens_it(tmp_path: Path) -> None:
    """Readers of an older store read its folder; the first writer publishes it at once, so
    that nobody reads the folder while that writer changes it."""
    from competency_kg.store.journal import readable_path
    from competency_kg.store.versions import current_version, versions_dir

    path = tmp_path / "store"
    with open_store(path) as writer:
        writer.replace_graphs([GraphReplacement(G1, graph(("a", "p", "b")))])
    shutil.rmtree(versions_dir(path))  # as written before versions existed
    assert readable_path(path) == path and _count(path) == 1

    writer = open_store(path)
    assert current_version(path) is not None, "the older store was not published on open"
    writer.replace_graphs([GraphReplacement(G2, graph(("c", "p", "d")))])
    assert _count(path) == 1
    writer.close()
    assert _count(path) == 2

    empty = tmp_path / "new"
    open_store(empty).close()
    assert current_version(empty) is None, "an empty store was published"
