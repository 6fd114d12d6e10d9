"""Query workers that answer from an in-memory copy of the published version
(``competency_kg/store/memory_copy.py``, ``competency_kg/query_copy.py``): the same answers as
the disk store, the copy shared by the workers forked from its server, never a new version
answered from an old copy, and the memory ceiling still on what a worker allocates itself.

Two small pools of one worker each (a copy's server beside each), started once per module.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from competency_kg.iris import Minter
from competency_kg.loading import load_paths
from competency_kg.query_pool import QueryPool
from competency_kg.query_sandbox import read_reply
from competency_kg.query_workers import WRITTEN
from competency_kg.sparql.class_counts import open_read_only
from competency_kg.sparql.errors import QueryMemoryExceeded
from competency_kg.sparql.execute import make_job, outcome
from competency_kg.store import GraphReplacement, open_store
from competency_kg.store.dataset import answer
from competency_kg.store.journal import readable_path
from competency_kg.versioned_cache import store_version

from support import ROOT, SEEDS

QUERIES = sorted((ROOT / "queries").glob("*.rq"))
JSON = "application/sparql-results+json"
NT = "application/n-triples"
CSV = "text/csv"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CLASSES = "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class"


def _copied(pool: QueryPool, timeout: float = 60.0) -> str:
    """Wait until every worker of ``pool`` answers from the copy of the current version."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        token = store_version(pool.store_path)
        live = list(pool._live)
        if live and len(live) == pool.size and all(w.copy == token for w in live):
            return token  # type: ignore[return-value]
        time.sleep(0.05)
    raise AssertionError("the workers never moved to the copy")


def _rows(data: bytes, mime: str, query: str = "") -> Counter[object]:
    """An answer as a multiset (a copy iterates in another order than RocksDB), each value's
    words sorted, ``SAMPLE``'s values left out and decimals to 9 digits: the order
    ``GROUP_CONCAT`` joins them in, the value ``SAMPLE`` picks (SPARQL 1.1 §18.5.1.7-8) and
    the order a ``SUM`` of doubles adds in (its last digit) follow the store's order."""
    sampled = set(re.findall(r"SAMPLE\s*\([^)]*\)\s+AS\s+[?$](\w+)", query, re.IGNORECASE))
    if mime == NT:
        return Counter(line for line in data.decode().splitlines() if line.strip())
    parsed = json.loads(data)
    if "boolean" in parsed:
        return Counter([parsed["boolean"]])
    return Counter(
        json.dumps(
            {
                k: sorted(map(_digits, re.split(r"[\s;,]+", v["value"])))
                for k, v in b.items()
                if k not in sampled
            },
            sort_keys=True,
        )
        for b in parsed["results"]["bindings"]
    )


def _digits(word: str) -> str:
    return f"{float(word):.9g}" if re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", word) else word


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("copy") / "store"
    s = open_store(path)
    load_paths(s, [SEEDS], Minter())
    s.close()
    return path


@pytest.fixture(scope="module")
def pool(seeds: Path) -> Iterator[QueryPool]:
    with QueryPool(seeds, size=1, reserved=0, inline=False, answer_cache=0, copy="auto") as p:
        assert p.wait_ready()
        _copied(p)
        yield p


def _queries() -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    from bench.queries import all_queries

    found = [(p.stem, p.read_text(encoding="utf-8")) for p in QUERIES]
    return found + [(q.name, q.text) for q in all_queries()] + [("classes", CLASSES)]


def test_every_example_and_benchmark_query_answers_the_same_from_the_copy(
    pool: QueryPool, seeds: Path
) -> None:
    """Every example and benchmark query, through the server's rewrites (class counts among
    them, kept on the copy too), gives the rows the disk store gives. (Checked by breaking it:
    a copy that left the default graph out answered every query with no rows.)"""
    token = _copied(pool)
    disk = open_read_only(str(readable_path(seeds)))
    answered = 0
    for name, text in _queries():
        job = make_job(text, JSON, NT, None, None, None, None)
        expected = outcome(*answer(disk, job, 1 << 26))
        got = pool.run(text, results_mime=JSON, graph_mime=NT)
        mime = NT if got.kind == "graph" else JSON
        assert _rows(got.data, mime, text) == _rows(expected.data, mime, text), name
        answered += bool(_rows(expected.data, mime))
    assert answered > 20, "too few queries have rows on the seeds: a weak check"
    (worker,) = pool._live
    assert worker.copy == token


def test_the_workers_are_forked_by_the_copys_server_and_share_its_pages(pool: QueryPool) -> None:
    """The worker is a child of the copy's fork server, and the copy's pages are shared: its
    private memory is a fraction of what it has resident. (Checked by breaking it: with every
    worker started by the disk store's fork server, the pool never moved to the copy.)"""
    _copied(pool)
    pool.run(COUNT)
    (worker,) = pool._live
    assert pool._copy is not None and _parent(worker.process.pid) == pool._copy.pid
    rollup = dict(
        (k, int(v.split()[0]))
        for k, _, v in (
            line.partition(":")
            for line in Path(f"/proc/{worker.process.pid}/smaps_rollup").read_text().splitlines()
        )
        if v.strip().endswith("kB")
    )
    private = rollup["Private_Clean"] + rollup["Private_Dirty"]
    assert private < rollup["Rss"] / 2, rollup


def test_a_copy_too_large_leaves_the_workers_on_the_disk_store(seeds: Path) -> None:
    """``copy`` set below the store's size: no copy, the workers answer from the disk store.
    (Checked by breaking it: with the bound ignored, a copy was built and nothing refused.)"""
    with QueryPool(seeds, size=1, reserved=0, inline=False, answer_cache=0, copy="10") as p:
        assert p.wait_ready()
        end = time.monotonic() + 60
        while p.copy_refused is None and p._copy is None and time.monotonic() < end:
            time.sleep(0.05)
        assert "more than 10 quads" in (p.copy_refused or "")
        rows = _rows(p.run(COUNT).data, JSON)
        assert rows and [w.copy for w in p._live] == [None]
        assert p._copy is None


def test_a_new_version_is_never_answered_from_the_old_copy(pool: QueryPool, seeds: Path) -> None:
    """A load publishes a new version: the very next query sees it (from the disk store while
    its copy is built, then from the new copy), and the old copy's server goes away. (Checked
    by breaking it: with the worker's staleness check removed, the next query counted the old
    version's triples.)"""
    old = _copied(pool)
    old_server = pool._copy
    assert old_server is not None
    before = json.loads(pool.run(COUNT).data)["results"]["bindings"][0]["n"]["value"]
    extra = Graph()
    for i in range(7):
        extra.add((URIRef(f"urn:test:new{i}"), URIRef("urn:test:p"), Literal(i)))
    s = open_store(seeds)
    s.replace_graphs([GraphReplacement(URIRef("urn:test:extra"), extra)])
    s.close()
    assert store_version(str(seeds)) != old
    after = json.loads(pool.run(COUNT).data)["results"]["bindings"][0]["n"]["value"]
    assert int(after) == int(before) + 7
    new = _copied(pool)
    assert new != old and pool._copy is not old_server
    assert json.loads(pool.run(COUNT).data)["results"]["bindings"][0]["n"]["value"] == after
    old_server._process.wait(10)  # its last worker gone, the old copy's server exits


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QueryPool]:
    """A pool whose memory ceiling is below what a worker holds at rest (the interpreter and
    the copy's shared pages): only what a query allocates may count."""
    path = tmp_path_factory.mktemp("tight") / "store"
    graph = Graph()
    for i in range(3000):
        graph.add((URIRef(f"urn:test:s{i}"), URIRef("urn:test:p"), Literal(f"value {i}")))
    s = open_store(path)
    s.replace_graphs([GraphReplacement(URIRef("urn:test:g"), graph)])
    s.close()
    with QueryPool(
        path, size=1, reserved=0, inline=False, answer_cache=0, copy="auto",
        memory_limit=16 << 20, timeout=20,
    ) as p:  # fmt: skip
        assert p.wait_ready()
        _copied(p)
        yield p


def test_the_ceiling_does_not_count_the_copys_shared_pages(tight: QueryPool) -> None:
    """A worker at rest holds more than the 16 MB ceiling; a small query still answers and
    the worker lives on. (Checked by breaking it: with the ceiling counted on the whole
    resident memory, the worker was killed and the query got QueryMemoryExceeded.)"""
    (worker,) = tight._live
    assert worker.at_start > tight.memory_limit
    # 9 M rows counted as they stream: a second of work (the watch looks every 20 ms), in
    # little memory
    pairs = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
    assert json.loads(tight.run(pairs).data)["results"]["bindings"][0]["n"]["value"] == "9000000"
    assert tight._live == {worker} and tight.killed == 0


def test_a_greedy_query_on_the_copy_is_stopped_at_the_ceiling(tight: QueryPool) -> None:
    """A sorted three-way cartesian product on the copy is stopped at the ceiling; the worker
    is replaced (from the copy) and the next query answers. (Checked by breaking it: with the
    watch's kill removed and no address-space backstop, the query ran to its 5 s timeout.)"""
    greedy = (ROOT / "tests" / "hostile" / "sparql" / "memory-greedy.rq").read_text()
    with pytest.raises(QueryMemoryExceeded):
        tight.run(greedy, timeout=5)
    assert _rows(tight.run(COUNT).data, JSON)
    _copied(tight)


def test_workers_forked_from_one_copy_draw_their_own_random_numbers(pool: QueryPool) -> None:
    """``STRUUID()`` and ``RAND()`` differ between two workers of one copy: the engine's
    random generator is per thread and not reseeded on fork, so the copy's server builds the
    copy in a thread of its own. (Checked by breaking it: built in the server's main thread,
    every worker gave the same UUID and number.)"""
    _copied(pool)
    (first,) = pool._live
    second, error = pool._start_worker(WRITTEN)
    assert second is not None and second.copy == first.copy, error
    job = make_job("SELECT (STRUUID() AS ?u) (RAND() AS ?r) {}", CSV, None, None, None, None, None)
    drawn = []
    try:
        pool._idle[first.lane].get(timeout=10)  # it is ours while we ask it
        for w in (first, second):
            w.conn.send(job)
            drawn.append(bytes(read_reply(w.conn)[1] or b""))
    finally:
        pool._idle[first.lane].put(first)
        pool._stop(second)
    assert len(set(drawn)) == 2 and all(b"-" in d for d in drawn), drawn
