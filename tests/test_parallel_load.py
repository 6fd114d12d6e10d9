"""Bulk loads cut into parts loaded side by side: same graph as one piece, or refused cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from competency_kg.store import GraphReplacement, StoreError, open_store
from competency_kg.store import parallel_load as pl

EX = "http://example.org/"
G = URIRef(EX + "g")


def _write(path: Path, n: int, *, blank: bool = False, tail: str = "") -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            subject = f"_:b{i % 7}" if blank else f"<{EX}s{i}>"
            f.write(f'{subject} <{EX}p> "value {i} with \\n an escaped newline" .\n')
        f.write(tail)
    return path


@pytest.mark.parametrize("parts", [2, 3, 7])
def test_parts_are_whole_lines_and_add_up_to_the_file(tmp_path: Path, parts: int) -> None:
    src = _write(tmp_path / "a.nt", 1001)
    out = tmp_path / "parts"
    out.mkdir()
    files = pl.split(src, parts, out)
    assert len(files) == parts
    assert b"".join(f.read_bytes() for f in files) == src.read_bytes()
    for f in files:
        assert f.read_bytes().endswith(b" .\n")


def test_blank_nodes_are_detected(tmp_path: Path) -> None:
    assert pl.has_blank_nodes(_write(tmp_path / "b.nt", 10, blank=True))
    assert not pl.has_blank_nodes(_write(tmp_path / "i.nt", 10))
    assert not pl.has_blank_nodes(_write(tmp_path / "e.nt", 0))


def _count(path: Path, monkeypatch: pytest.MonkeyPatch, parts: int) -> tuple[int, int]:
    """Load ``path`` through ``bulk_replace`` with splitting forced; (parts used, triples)."""
    used: list[int] = []
    real = pl.load_in_parallel

    def spy(p: Path, load, n: int | None = None) -> int:  # type: ignore[no-untyped-def]
        used.append(real(p, load, parts))
        return used[-1]

    monkeypatch.setattr(pl, "MIN_SPLIT_BYTES", 0)
    monkeypatch.setattr("competency_kg.store.embedded.load_in_parallel", spy)
    store = open_store(path.parent / f"store-{path.stem}")
    try:
        store.bulk_replace(G, path)
        return used[0], store.triple_count(G)
    finally:
        store.close()


def test_split_load_gives_the_same_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _count(_write(tmp_path / "iri.nt", 5000), monkeypatch, 3) == (3, 5000)


def test_blank_nodes_keep_the_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven blank nodes, each with many values: split, a parser would make up to 21 nodes."""
    src = _write(tmp_path / "blank.nt", 700, blank=True)
    parts, triples = _count(src, monkeypatch, 3)
    assert (parts, triples) == (1, 700)
    store = open_store(tmp_path / "store-blank", read_only=True)
    rows = store.select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}")
    store.close()
    assert int(rows[0]["n"]) == 7


def test_a_bad_part_restores_the_old_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pl, "MIN_SPLIT_BYTES", 0)
    monkeypatch.setattr(pl, "cores", lambda: 4)
    from rdflib import Graph, Literal

    old = Graph()
    old.add((URIRef(EX + "old"), URIRef(EX + "p"), Literal("x")))
    with open_store(tmp_path / "s") as first:  # the old data, published by an earlier load
        first.replace_graphs([GraphReplacement(G, old)])
    store = open_store(tmp_path / "s")
    bad = _write(tmp_path / "bad.nt", 4000, tail="<broken\n")
    with pytest.raises(StoreError, match="store restored"):
        store.bulk_replace(G, bad)
    assert set(store.graph(G)) == set(old)
    store.close()
    assert not (tmp_path / "s.loading").exists()
    assert not any(p.name.startswith("parts-") for p in tmp_path.iterdir())
