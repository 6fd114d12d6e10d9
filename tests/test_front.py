"""Kept answers given by the server's event loop (``competency_kg.web.front``), over raw
sockets against the session's real server (``sparql_server``): the same bytes and log line
as a request thread's, no thread taken, no stale answer after a load, keep-alive and
pipelining, HTTP/1.0 and ``Connection: close``, a send the socket takes only in part.

A request with a header field the loop does not take (``X-Via``) is answered by a thread, as
every request was before: the tests compare the two."""

from __future__ import annotations

import hashlib
import re
import socket
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from sparql_support import Server, cli

pytest_plugins = ["server_fixture"]

DATA1 = "http://kasei.us/2009/09/sparql/data/data1.rdf"
OCCUPATION = "https://w3id.org/competency-kg/occupation/15-1232.00"
THREAD = b"X-Via: thread\r\n"  # a field the loop leaves to a thread


def _lookup() -> str:
    """A one-triple look-up never asked before (its own comment), so the first asking is a
    miss and every later one a hit of the kept answer."""
    return f"SELECT ?l WHERE {{ <{OCCUPATION}> ?p ?l }} LIMIT 3 # {uuid.uuid4()}"


def _request(
    query: str,
    *,
    method: str = "GET",
    accept: str = "application/sparql-results+json",
    body_type: str = "form",
    extra: bytes = b"",
    version: bytes = b"HTTP/1.1",
) -> bytes:
    head = f"Host: 127.0.0.1\r\nAccept: {accept}\r\n".encode() + extra
    if method == "GET":
        target = "/sparql?" + urllib.parse.urlencode({"query": query})
        return f"GET {target} ".encode() + version + b"\r\n" + head + b"\r\n"
    if body_type == "form":
        body, mime = (
            urllib.parse.urlencode({"query": query}).encode(),
            "application/x-www-form-urlencoded",
        )
    else:
        body, mime = query.encode(), "application/sparql-query"
    head += f"Content-Type: {mime}\r\nContent-Length: {len(body)}\r\n".encode()
    return b"POST /sparql " + version + b"\r\n" + head + b"\r\n" + body


def _connect(server: Server) -> socket.socket:
    parsed = urllib.parse.urlsplit(server.url)
    return socket.create_connection((parsed.hostname, parsed.port), timeout=30)


def _read_replies(sock: socket.socket, count: int) -> list[bytes]:
    """``count`` whole replies (each framed by its ``Content-Length``) from ``sock``."""
    buf, out = b"", []
    while len(out) < count:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            length = int(re.search(rb"\r\nContent-Length: (\d+)", buf[:end])[1])  # type: ignore[index]
            if len(buf) >= end + 4 + length:
                out.append(buf[: end + 4 + length])
                buf = buf[end + 4 + length :]
                continue
        data = sock.recv(1 << 16)
        assert data, f"the server closed the connection after {len(out)} of {count} replies"
        buf += data
    assert not buf, "bytes beyond the replies asked for"
    return out


def _exchange(server: Server, data: bytes, count: int = 1) -> list[bytes]:
    with _connect(server) as sock:
        sock.sendall(data)
        return _read_replies(sock, count)


def _undated(reply: bytes) -> bytes:
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\n", reply)


def _log_lines(server: Server, query: str, expected: int) -> list[str]:
    """The request log's lines for ``query``, their duration left out, once ``expected`` are
    there (a line is written as its answer is sent)."""
    digest = hashlib.sha256(query.encode("utf-8")).hexdigest()[:12]
    lines: list[str] = []
    for _ in range(100):
        lines = [ln for ln in server.log().splitlines() if f"query_hash={digest}" in ln]
        if len(lines) >= expected:
            break
        time.sleep(0.05)
    return [re.sub(r"^\[[^]]*\] | duration_ms=\S+", "", ln) for ln in lines]


@pytest.mark.parametrize(
    ("method", "accept", "body_type"),
    [
        ("GET", "application/sparql-results+json", ""),
        ("GET", "text/csv", ""),
        ("POST", "application/sparql-results+xml", "form"),
        ("POST", "text/tab-separated-values", "query"),
        ("POST", "*/*", "form"),
    ],
)
def test_a_kept_answer_from_the_loop_is_the_threads_byte_for_byte(
    sparql_server: Server, method: str, accept: str, body_type: str
) -> None:
    """Asked by a thread (a miss: run, kept), by a thread again (a hit), then twice as the
    loop takes it (the first time a thread answers: the loop has not seen the request
    before; then the loop does): the hits are the same bytes but the ``Date``, and their
    log lines the same but the duration. Checked: with the loop writing
    another ``Server`` header than gunicorn's, every case fails."""
    query = _lookup()
    ask = dict(method=method, accept=accept, body_type=body_type)
    _exchange(sparql_server, _request(query, extra=THREAD, **ask))
    threads = _exchange(sparql_server, _request(query, extra=THREAD, **ask))[0]
    seen = _exchange(sparql_server, _request(query, **ask))[0]
    loop = _exchange(sparql_server, _request(query, **ask))[0]
    assert threads.startswith(b"HTTP/1.1 200 OK\r\n")
    assert _undated(loop) == _undated(seen) == _undated(threads)
    first, second, third, fourth = _log_lines(sparql_server, query, 4)
    assert "cache=miss" in first and "cache=hit" in second
    assert fourth == third == second


def _thread_ticks(pid: int) -> tuple[int, int]:
    """CPU ticks used so far by the process's main thread (the event loop) and by all its
    other threads (the request threads among them)."""
    main = others = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = int(fields[11]) + int(fields[12])
        if int(task.name) == pid:
            main += ticks
        else:
            others += ticks
    return main, others


def _worker_pid(server: Server) -> int:
    """The gunicorn worker: the server's child whose children are the query workers."""
    children = [
        int(p)
        for p in Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
        .read_text()
        .split()
    ]
    return max(children, key=lambda p: len(list(Path(f"/proc/{p}/task").iterdir())))


def test_kept_answers_pipelined_take_no_request_thread(sparql_server: Server) -> None:
    """2,000 requests for a kept answer, pipelined 50 at a time on keep-alive connections:
    every one answered, in order, and the request threads' CPU time does not grow (the loop
    answered them); the same requests through threads cost those threads ~0.4 ms each.
    Counted in CPU ticks per thread, not in time. Checked: with ``kept_answers`` returning
    None (no loop answers) the request threads use more than the loop and this fails."""
    query = _lookup()
    _exchange(sparql_server, _request(query, extra=THREAD))  # kept
    worker = _worker_pid(sparql_server)
    before = _thread_ticks(worker)
    batch = _request(query) * 50
    replies: list[bytes] = []
    for _ in range(8):
        with _connect(sparql_server) as sock:
            for _ in range(5):  # the connection kept alive between batches
                sock.sendall(batch)
                replies += _read_replies(sock, 50)
    main, others = (after - then for after, then in zip(_thread_ticks(worker), before, strict=True))
    assert len(replies) == 2000
    assert len({_undated(r) for r in replies}) == 1
    assert replies[0].startswith(b"HTTP/1.1 200 OK\r\n") and b'"bindings":[{' in replies[0]
    assert others < max(5, main // 4), f"request threads used {others} ticks, the loop {main}"


def test_a_load_is_not_answered_from_the_previous_version(
    sparql_server: Server, tmp_path: Path
) -> None:
    """A kept answer (false) asked in the loop's form; a load then publishes a new version,
    after which the same request is answered afresh (true), by the loop too once kept again.
    Checked: with ``QueryPool.kept`` looking answers up under the first version it saw, the
    answer after the load is still false and this fails."""
    graph = f"http://example.org/graph/front-{uuid.uuid4()}"
    query = f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"

    def ask() -> bytes:
        return _exchange(sparql_server, _request(query))[0].rsplit(b"\r\n\r\n", 1)[1]

    assert [ask(), ask()] == [b'{"head":{},"boolean":false}'] * 2
    data = tmp_path / "fresh.nt"
    data.write_text('<http://example.org/fresh> <http://example.org/p> "loaded" .\n')
    code, log = cli("load", "--graph", graph, str(data), store=sparql_server.store.path)
    assert code == 0, log
    assert [ask(), ask()] == [b'{"head":{},"boolean":true}'] * 2
    marks = [re.findall(r"cache=(\w+)", ln) for ln in _log_lines(sparql_server, query, 4)]
    assert marks == [["miss"], ["hit"], ["miss"], ["hit"]]


def test_pipelined_requests_of_both_paths_are_answered_in_order(sparql_server: Server) -> None:
    """One connection, five requests sent at once — a hit, one for a thread, a hit, a miss,
    a hit — the last split across two sends: five replies in order, then the connection is
    still kept alive for one more. Checked: with ``_hand_over`` dropping the bytes after an
    answered request the replies stop after the first and this fails."""
    kept, other, fresh = _lookup(), _lookup(), _lookup()
    _exchange(sparql_server, _request(other, extra=THREAD))
    for ask in ({}, {"method": "POST"}, {"method": "POST", "body_type": "query"}):
        _exchange(sparql_server, _request(kept, **ask))  # kept, and seen by the loop
    sent = [
        _request(kept),
        _request(other, extra=THREAD),
        _request(kept, method="POST"),
        _request(fresh),
        _request(kept, method="POST", body_type="query"),
    ]
    data = b"".join(sent)
    with _connect(sparql_server) as sock:
        sock.sendall(data[:-7])
        time.sleep(0.2)  # the loop has answered what came whole, and waits for the rest
        sock.sendall(data[-7:])
        replies = _read_replies(sock, 5)
        sock.sendall(_request(kept))
        replies += _read_replies(sock, 1)
    bodies = [r.split(b"\r\n\r\n", 1)[1] for r in replies]
    assert all(r.startswith(b"HTTP/1.1 200 OK\r\n") for r in replies)
    assert all(b"\r\nConnection: keep-alive\r\n" in r for r in replies)
    assert bodies[0] == bodies[2] == bodies[4] == bodies[5] == bodies[3] == bodies[1]
    assert [
        m for ln in _log_lines(sparql_server, fresh, 1) for m in re.findall(r"cache=(\w+)", ln)
    ] == ["miss"]


@pytest.mark.parametrize(
    ("version", "extra"),
    [(b"HTTP/1.0", b""), (b"HTTP/1.1", b"Connection: close\r\n")],
    ids=["HTTP/1.0", "Connection: close"],
)
def test_a_closing_request_is_answered_and_closed_as_before(
    sparql_server: Server, version: bytes, extra: bytes
) -> None:
    """An HTTP/1.0 request, or one asking ``Connection: close``, for a kept answer: answered
    with ``Connection: close`` and the connection closed after it (a thread does, as
    before). Checked: with ``_PLAIN_LINE`` taking HTTP/1.0 too, the 1.0 reply says
    keep-alive and the connection stays open, and this fails."""
    query = _lookup()
    _exchange(sparql_server, _request(query, extra=THREAD))
    with _connect(sparql_server) as sock:
        sock.sendall(_request(query, version=version, extra=extra))
        reply = _read_replies(sock, 1)[0]
        sock.settimeout(10)
        assert sock.recv(1) == b"", "the connection is closed after the answer"
    assert reply.startswith(version + b" 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in reply


def test_large_kept_answers_to_a_slow_reader_arrive_whole(sparql_server: Server) -> None:
    """Sixteen kept answers of ~600 KB each (10 MB), pipelined by a client with a small
    receive buffer that waits before reading: the socket takes what its buffers hold (a few
    MB), a thread sends the rest of the answer it takes in part, then the loop answers the
    requests that follow. Every byte arrives, each reply the same as a thread's, and the
    connection serves another request. Checked: with ``_send`` forgetting what the socket
    did not take, the replies are cut short and this fails."""
    numbers = " ".join(str(i) for i in range(100))
    query = (
        f"SELECT ?v WHERE {{ VALUES ?a {{ {numbers} }} VALUES ?b {{ {numbers[:89]} }} "
        f'BIND(CONCAT(STR(?a), "-", STR(?b), "{"x" * 200}") AS ?v) }} # {uuid.uuid4()}'
    )
    threads = _exchange(sparql_server, _request(query, accept="text/csv", extra=THREAD))[0]
    _exchange(sparql_server, _request(query, accept="text/csv"))  # seen by the loop
    assert len(threads) > 600_000 and threads.startswith(b"HTTP/1.1 200 OK\r\n")
    parsed = urllib.parse.urlsplit(sparql_server.url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    sock.connect((parsed.hostname, parsed.port))
    with sock:
        sock.sendall(_request(query, accept="text/csv") * 16)
        time.sleep(0.5)  # not reading: the server's sends fill the socket's buffers
        replies = _read_replies(sock, 16)
        sock.sendall(_request(_lookup(), extra=THREAD))  # the connection reads on after them
        assert _read_replies(sock, 1)[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert {_undated(r) for r in replies} == {_undated(threads)}


def _quiet_ticks(pid: int) -> tuple[int, int]:
    """:func:`_thread_ticks` once the process's other threads have been idle for 0.5 s (15 s
    at most): a test before may have left a thread sending a large answer."""
    ticks = _thread_ticks(pid)
    for _ in range(30):
        time.sleep(0.5)
        now = _thread_ticks(pid)
        if now[1] == ticks[1]:
            return now
        ticks = now
    return ticks


def _one_pattern(limit: int, subject: str = f"<{OCCUPATION}>") -> str:
    """A one-pattern look-up never asked before, of ``limit`` rows at most."""
    return f"SELECT ?p ?o WHERE {{ {subject} ?p ?o }} LIMIT {limit} # {uuid.uuid4()}"


def test_new_lookups_are_answered_by_the_loop(sparql_server: Server) -> None:
    """2,000 one-pattern look-ups never asked before (each its own comment), pipelined 50 at
    a time: every one answered, and the request threads' CPU time stays well under the
    loop's (the loop read them from the store; through threads, those use 0.6 ms a request
    and the loop 0.1; other threads of the process, a warmer after an earlier test's load,
    may use a little). The answers are kept:
    the same texts asked again through a thread are hits, byte for byte the loop's answers
    but the ``Date``, and their log lines say ``cache=miss`` then ``cache=hit``. Checked:
    with ``KeptAnswers.look_up`` None (misses to threads, as before) the request threads use
    six times the loop's time and this fails."""
    texts = [_one_pattern(3) for _ in range(2000)]
    worker = _worker_pid(sparql_server)
    before = _quiet_ticks(worker)
    replies: list[bytes] = []
    with _connect(sparql_server) as sock:
        for at in range(0, len(texts), 50):
            sock.sendall(b"".join(_request(t, method="POST") for t in texts[at : at + 50]))
            replies += _read_replies(sock, 50)
    main, others = (after - then for after, then in zip(_thread_ticks(worker), before, strict=True))
    assert len(replies) == 2000 and all(r.startswith(b"HTTP/1.1 200 OK\r\n") for r in replies)
    assert len({r.split(b"\r\n\r\n", 1)[1] for r in replies}) == 1
    assert b'"bindings":[{' in replies[0]
    assert others < max(10, main // 2), f"request threads used {others} ticks, the loop {main}"
    for text, loop in zip(texts[:3], replies[:3], strict=True):
        thread = _exchange(sparql_server, _request(text, method="POST", extra=THREAD))[0]
        assert _undated(thread) == _undated(loop)
        marks = [re.findall(r"cache=(\w+)", ln) for ln in _log_lines(sparql_server, text, 2)]
        assert marks == [["miss"], ["hit"]]


def test_lookups_over_the_loops_bound_are_answered_by_threads(sparql_server: Server) -> None:
    """One-pattern look-ups whose answers pass ``LOOP_BYTES`` (8 KB) are cut off there by the
    loop and answered whole by a request thread (what bounds the time the loop reads the
    store while other connections wait): all rows arrive, and the request threads' CPU time
    grows. Checked: with the loop's bound at ``INLINE_BYTES`` (64 KB) the loop answers them
    itself, the threads' time stays flat (0 ticks, the loop 14) and this fails."""
    texts = [_one_pattern(250, "?s") for _ in range(100)]  # 250 rows, ~150 bytes each
    worker = _worker_pid(sparql_server)
    before = _quiet_ticks(worker)
    with _connect(sparql_server) as sock:
        sock.sendall(b"".join(_request(t) for t in texts))
        replies = _read_replies(sock, len(texts))
    main, others = (after - then for after, then in zip(_thread_ticks(worker), before, strict=True))
    bodies = {r.split(b"\r\n\r\n", 1)[1] for r in replies}
    assert len(bodies) == 1
    (body,) = bodies
    assert len(body) > 8 * 1024 and body.count(b'"p":') == body.count(b'"o":') == 250
    # the loop's part: each look-up cut off at 8 KB (~0.7 ms); a thread's: the whole answer
    assert others >= max(3, main // 2), f"request threads used {others} ticks, the loop {main}"
