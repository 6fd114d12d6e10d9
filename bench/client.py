"""A small keep-alive HTTP client that times each request (send → last byte read)."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

RETRYABLE = (
    http.client.RemoteDisconnected,
    http.client.CannotSendRequest,
    http.client.BadStatusLine,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float
    content_type: str = ""


class Client:
    """One persistent connection to ``base``; reconnects (once) when the server closed it."""

    def __init__(self, base: str, timeout: float = 600.0) -> None:
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        for attempt in (0, 1):
            conn = self._connect()
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                resp = conn.getresponse()
                data = resp.read()
            except RETRYABLE:
                self.close()
                if attempt:
                    raise
                continue
            except Exception:
                self.close()
                raise
            seconds = time.perf_counter() - start
            if resp.will_close:
                self.close()
            return Reply(resp.status, data, seconds, resp.getheader("Content-Type") or "")
        raise AssertionError("unreachable")

    def sparql(
        self, endpoint: str, query: str, accept: str, dataset: Sequence[tuple[str, str]] = ()
    ) -> Reply:
        """The query as a URL-encoded POST (SPARQL 1.1 Protocol §2.1.2), with the protocol's
        ``dataset`` parameters: the one form every peer takes (Virtuoso 7.2.5 does not answer
        a POST of ``application/sparql-query``)."""
        body = urllib.parse.urlencode([("query", query), *dataset]).encode("ascii")
        return self.request(
            "POST",
            endpoint,
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )

    def get(self, path: str, accept: str) -> Reply:
        return self.request("GET", path, None, {"Accept": accept})


def sparql_clients(
    base: str,
    endpoint: str,
    query: str,
    threads: int,
    seconds: float,
    *,
    dataset: Sequence[tuple[str, str]] = (),
    unique: str | None = None,
) -> tuple[list[float], dict[str, int]]:
    """One client process of a throughput pass: ``threads`` keep-alive clients, each sending
    ``query`` (a URL-encoded POST asking for SPARQL JSON) until ``seconds`` have passed; the
    latencies of the 200 answers and the other outcomes counted by kind. The one loop of
    ``bench.run.throughput`` and ``bench.lookup``.

    With ``unique`` (a tag for this process), every request's text differs (a comment with
    the tag, the client and a counter), so no answer kept per text can serve it.
    """
    lock = threading.Lock()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    stop_at = time.monotonic() + seconds

    def client(n: int) -> None:
        c = Client(base, timeout=30)
        mine: list[float] = []
        i = 0
        while time.monotonic() < stop_at:
            i += 1
            text = query if unique is None else f"{query}\n# {unique}.{n}.{i}"
            try:
                reply = c.sparql(endpoint, text, "application/sparql-results+json", dataset)
            except Exception as exc:  # counted, never fatal: the pass goes on
                with lock:
                    errors[type(exc).__name__] += 1
                c.close()
                continue
            if reply.status == 200:
                mine.append(reply.seconds)
            else:
                with lock:
                    errors[f"HTTP {reply.status}"] += 1
        c.close()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(seconds + 60)
    return latencies, dict(errors)


def run_clients(
    ex: Executor,
    base: str,
    endpoint: str,
    query: str,
    clients: int,
    seconds: float,
    processes: int,
    *,
    dataset: Sequence[tuple[str, str]] = (),
    unique: str | None = None,
) -> tuple[list[float], Counter[str], float]:
    """A throughput pass: ``clients`` clients (threads spread over ``processes`` client
    processes of ``ex``, so that the client is not held to one core by Python's GIL) run
    :func:`sparql_clients` for ``seconds``; the latencies of all 200 answers, the other
    outcomes, and the seconds the pass took."""
    share = [clients // processes + (i < clients % processes) for i in range(processes)]
    started = time.monotonic()
    futures = [
        ex.submit(
            sparql_clients, base, endpoint, query, n, seconds, dataset=dataset,
            unique=None if unique is None else f"{unique}.{i}",
        )
        for i, n in enumerate(share) if n
    ]  # fmt: skip
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    for f in futures:
        lat, errs = f.result()
        latencies += lat
        errors.update(errs)
    return latencies, errors, time.monotonic() - started
