"""The query workers' replies: one message per query, the same bytes as the query answered in
this process (``competency_kg.query_sandbox.send_reply``/``read_reply``).

One pool of one worker over a small store for the module (a few hundred ms to start); the
timeout, memory and refusal promises are held by ``test_sparql_endpoint.py``,
``test_hostile.py`` and ``test_load.py`` against a running server.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from competency_kg.query_pool import QueryPool
from competency_kg.query_sandbox import read_reply, send_reply
from competency_kg.query_workers import WRITTEN
from competency_kg.sparql.errors import QuerySyntaxError, ResultTooLarge
from competency_kg.sparql.execute import make_job, outcome
from competency_kg.store import GraphReplacement, open_store
from competency_kg.store.dataset import answer
from competency_kg.store.journal import readable_path

G = URIRef("urn:test:g")
TRIPLES = 6000  # their N-Triples are ~290 KB: more than the pipe (a socket pair) buffers
MAX_BYTES = 1 << 20


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("workers") / "store"
    graph = Graph()
    for i in range(TRIPLES):
        graph.add((URIRef(f"urn:test:s{i}"), URIRef("urn:test:p"), Literal(f"value {i} é")))
    store = open_store(path)
    store.replace_graphs([GraphReplacement(G, graph)])
    store.close()
    return path


@pytest.fixture(scope="module")
def pool(store_path: Path) -> Iterator[QueryPool]:
    # Nothing kept, nothing answered in this process: every query goes to the worker, which
    # reads the disk store as ``answer`` here does (an in-memory copy gives the same triples
    # in another order: tests/test_query_copy.py compares its answers as sets).
    with QueryPool(
        store_path,
        size=1,
        reserved=0,
        inline=False,
        answer_cache=0,
        max_result_bytes=MAX_BYTES,
        copy="off",
    ) as p:
        assert p.wait_ready()
        yield p


SELECT = "SELECT ?s ?o WHERE { ?s <urn:test:p> ?o FILTER(isLiteral(?o)) }"
ASK = "ASK { ?s <urn:test:p> ?o FILTER(?o = 'nothing') }"
CONSTRUCT = "CONSTRUCT { ?s <urn:test:q> ?o } WHERE { ?s <urn:test:p> ?o }"


@pytest.mark.parametrize(
    ("query", "results_mime", "graph_mime"),
    [
        (SELECT, "application/sparql-results+json", None),
        (SELECT, "text/csv", None),
        (ASK, "application/sparql-results+xml", None),
        (CONSTRUCT, None, "application/n-triples"),
    ],
)
def test_a_worker_answers_the_bytes_this_process_would(
    pool: QueryPool, store_path: Path, query: str, results_mime: str, graph_mime: str
) -> None:
    """The result read back from the worker is byte for byte the one ``answer`` gives here,
    for results smaller and larger (the CONSTRUCT, ~290 KB) than the pipe's buffer.
    Checked: with ``read_reply`` cutting the result one byte short this fails."""
    job = make_job(query, results_mime, graph_mime, None, None, None, None)
    mine = ox.Store.read_only(str(readable_path(store_path)))
    expected = outcome(*answer(mine, job, MAX_BYTES))
    got = pool.run(query, results_mime=results_mime, graph_mime=graph_mime, lane=WRITTEN)
    assert (got.kind, got.mime) == (expected.kind, expected.mime)
    assert got.data == expected.data
    if graph_mime:
        assert len(got.data) > 250_000


def test_failures_come_back_as_errors_and_the_worker_keeps_answering(pool: QueryPool) -> None:
    """A reply without a result (a syntax error, a result over the cap) is read whole too:
    the next query on the same worker gets its own answer, not the rest of the last one."""
    with pytest.raises(QuerySyntaxError):
        pool.run("SELECT * WHERE { ?s ?p }", lane=WRITTEN)
    huge = "SELECT * WHERE { ?a <urn:test:p> ?x . ?b <urn:test:p> ?y } LIMIT 100000"  # ~8 MB
    with pytest.raises(ResultTooLarge):
        pool.run(huge, lane=WRITTEN)
    reply = pool.run(ASK, lane=WRITTEN)
    assert reply.kind == "ask" and b"false" in reply.data


@pytest.mark.parametrize("size", [0, 10, 3 << 20])
def test_a_reply_is_one_message(size: int) -> None:
    """``send_reply`` writes the reply and its result as one message of the pipe, however
    large (3 MB: many writes' worth of the socket buffer, read meanwhile), so the reader
    wakes once and finds nothing left after it. Checked: sending the reply and the bytes as
    two messages (``conn.send`` then ``conn.send_bytes``, as before) fails here."""
    ours, theirs = multiprocessing.Pipe(duplex=True)
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    reply = ("ok", "select", "text/csv", "token")
    writer = threading.Thread(target=send_reply, args=(theirs, reply, memoryview(data)))
    writer.start()
    got, body = read_reply(ours)
    writer.join(10)
    assert got == reply
    assert body == data
    assert not ours.poll(0.05), "a second message followed the reply"
    send_reply(theirs, ("syntax", "no"))
    assert read_reply(ours) == (("syntax", "no"), None)
    ours.close()
    theirs.close()


def test_one_client_after_another_keeps_to_the_worker_it_warmed(store_path: Path) -> None:
    """Idle workers are handed out last in, first out: queries sent one after another go to
    the worker that answered the one before, whose figures counted on first use (pattern
    sizes, class counts, plans: kept per worker process) they then reuse. Checked by breaking
    it: with first-in-first-out queues the six queries went to all three workers in turn."""
    with QueryPool(
        store_path, size=3, reserved=0, inline=False, answer_cache=0, max_result_bytes=MAX_BYTES
    ) as p:
        assert p.wait_ready()
        for _ in range(600):  # every worker started and idle
            if p._idle[WRITTEN].qsize() == 3:
                break
            threading.Event().wait(0.05)
        assert p._idle[WRITTEN].qsize() == 3
        taken: list[int] = []
        take = p._take_idle

        def recorded(lane: str, timeout: float) -> object:
            worker = take(lane, timeout)
            taken.append(worker.process.pid)
            return worker

        p._take_idle = recorded  # type: ignore[method-assign]
        for i in range(6):
            p.run(f"# query {i}\n{SELECT}", lane=WRITTEN)
        assert len(taken) == 6 and len(set(taken)) == 1, taken
