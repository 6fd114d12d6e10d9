"""Run caller-supplied SPARQL queries in worker processes that can be stopped.

A query sent to a public endpoint can run for hours (a cartesian product, a property-path
explosion) and Oxigraph offers no way to cancel one from another thread. So each query runs in
a **worker process** from a small pool; every worker opens the store read-only. The request
thread hands a job to one idle worker and waits, on that worker's pipe only, for at most the
timeout; when the time is up it sends the worker SIGKILL, a background thread starts a
replacement, and the caller gets :class:`QueryTimeout`. Other requests meanwhile use the other
workers and never wait behind the runaway one.

Workers serialize the result themselves, straight into the negotiated format (SPARQL JSON/XML/
CSV/TSV, Turtle, N-Triples, JSON-LD, RDF/XML), and hand back bytes: rows are never re-encoded
in Python. Output larger than ``max_result_bytes`` stops with :class:`ResultTooLarge`.

Processes come from a ``forkserver`` context (``spawn`` on request): nothing is ever forked
from a process that has RocksDB open. What runs inside a worker (its limits, its network guard,
its main loop) is :mod:`competency_kg.query_sandbox`; what a query is and how one is checked,
executed and serialized is :mod:`competency_kg.sparql`.

No fetching on a caller's behalf. Oxigraph's ``SERVICE`` makes an HTTP request, so
:func:`~competency_kg.sparql.checks.check_query` refuses any query that uses it (and any
SPARQL Update) before it runs; and each worker, on Linux, installs a seccomp filter that
denies it IPv4/IPv6 sockets altogether (:func:`~competency_kg.query_sandbox.deny_network`),
so even a query that slipped past the check cannot reach the network.
``FROM``/``FROM NAMED`` only name graphs in the store; Oxigraph never dereferences them.

The pool is HTTP-agnostic: the web endpoint, the CLI and other pages can all use it. Without
a store folder (an in-memory store in tests), :class:`InlineExecutor` runs queries in the
calling thread with the same checks and result handling, but cannot stop them.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from competency_kg.query_sandbox import default_memory_limit, resident_bytes, worker_main
from competency_kg.sparql.errors import (
    CANNOT_OPEN,
    UNREACHABLE,
    BadRequest,
    ClientBusy,
    NotAcceptable,
    PoolBusy,
    QueryError,
    QueryFailed,
    QueryMemoryExceeded,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    UpstreamError,
    damage,
    human_bytes,
)
from competency_kg.sparql.execute import PROBE_SECONDS, QueryJob, make_job, outcome
from competency_kg.sparql.formats import RESULTS_JSON
from competency_kg.sparql.results import RawResult
from competency_kg.sparql.text import QueryInfo
from competency_kg.store.base import GraphStore, StoreError, StoreUnreachable
from competency_kg.store.dataset import UnsupportedDataset, answer
from competency_kg.store.versions import state_token

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RESULT_BYTES = 50 * 1024 * 1024

_STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to open the store
#: Seconds a query may wait for a free worker before the answer is "busy" (503), at least:
#: waiting is not running, so the query timeout alone is too short a bound when it is short.
#: Under a bounded load with clients resubmitting runaway queries (two of four workers held
#: for the whole 2 s timeout, the killed ones being replaced), a simple query waited just over
#: 2 s on a busy machine and got a 503; it is answered a moment later instead.
QUEUE_WAIT = 10.0
_RETRY_DELAY = 2.0  # seconds between attempts to start a worker that failed to open the store

#: Lanes of the pool: the site's own pages (their queries are the site's, bounded), and
#: queries a caller wrote (``/sparql``), which may run until the timeout. Written queries may
#: hold at most ``size - reserved`` workers at once, so pages always find one; and one client
#: at most ``per_client`` of those (in flight, waiting included), so no client takes them all.
PAGES, WRITTEN = "pages", "written"

#: Seconds between two looks at a running worker's resident memory. Measured with the greediest
#: query known (a sorted three-way cartesian product, ~320 MB/s): the worker was stopped within
#: a few MB of its ceiling.
_MEMORY_POLL = 0.02


def _signal_name(code: int | None) -> str:
    if code is None or code >= 0:
        return f"exit status {code}"
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


#: CPU priority (nice value) of the workers that answer written queries when workers are kept
#: for pages: under Linux's fair scheduler a nice-10 process weighs 110 against 1024 for nice 0,
#: so runaway queries on every SPARQL worker leave the page workers (and the web process) most of
#: the CPU they need, while an idle machine still gives a query all of it.
WRITTEN_NICENESS = 10
#: Seconds a query runs before the pool checks (once per store version, in an idle worker) that
#: the store can be read: an aggregate over a damaged block would otherwise run to the timeout.
EARLY_PROBE_AFTER = 2.0


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Any
    network_guarded: bool
    lane: str = PAGES  #: :data:`PAGES` workers serve pages only; :data:`WRITTEN` ones both


def _default_size() -> int:
    """Twice the cores, at least four: queries are CPU-bound, but with only one worker per core
    two slow queries would leave every quick one waiting behind them; the kernel shares the
    cores between the extra workers instead."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(4, 2 * cores)


class QueryPool:
    """A pool of worker processes answering queries on the store at ``store_path``.

    ``size`` workers (default: the number of cores) are started on first use or by
    :meth:`start`. :meth:`run` answers one query or raises a :class:`QueryError`.
    """

    def __init__(
        self,
        store_path: str | Path,
        *,
        size: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        start_method: str = "forkserver",
        guard_network: bool = True,
        memory_limit: int | None = None,
        reserved: int | None = None,
        per_client: int | None = None,
        request_threads: int | None = None,
    ) -> None:
        self.store_path = str(store_path)
        self.size = size or _default_size()
        #: Resident memory a worker may reach while answering a query; past it the worker is
        #: killed and the caller gets :class:`QueryMemoryExceeded`.
        self.memory_limit = memory_limit or default_memory_limit(self.size)
        #: Workers written queries leave to pages: a quarter (one of the default four).
        self.reserved = max(0, min(self.size - 1, self.size // 4 if reserved is None else reserved))
        #: Workers written queries may hold at once, and one client of them.
        self.written_slots = self.size - self.reserved
        self.per_client = max(1, per_client or -(-self.written_slots // 2))
        self._admission = threading.Condition()
        self._written_busy = 0
        self._written_waiting = 0
        #: Written queries that may wait for a worker: each holds a request thread, and an
        #: eighth of the threads (at least two) stay for pages. Unbounded without a server.
        self.max_waiting = (
            None
            if request_threads is None
            else max(1, request_threads - self.written_slots - max(2, request_threads // 8))
        )
        self._by_client: dict[str, int] = {}
        self.timeout = timeout
        self.max_result_bytes = max_result_bytes
        self.start_method = start_method
        self.guard_network = guard_network
        #: Idle workers by lane: the ``reserved`` page workers, and the others (at
        #: :data:`WRITTEN_NICENESS` when there are page workers), which pages may borrow.
        self._idle: dict[str, queue.Queue[_Worker]] = {PAGES: queue.Queue(), WRITTEN: queue.Queue()}
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._spawn_lock = threading.Lock()
        self._started = False
        self._closed = False
        self._pending = 0  # workers being started
        self._open_error: str | None = None
        self.killed = 0  # workers killed on timeout, for statistics and tests
        #: The early probe's finding for one store version: (token, None) sound, (token,
        #: detail) damaged; ``_probing`` while one runs.
        self._probed: tuple[str | None, str | None] | None = None
        self._probing = False

    # -- lifecycle
    def _context(self) -> Any:
        ctx = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            # Import what a worker needs once, in the fork server; children start in
            # milliseconds. The main module is preloaded too, so that children do not each
            # re-import it (for a console script that would mean rdflib and the whole CLI).
            preload = ["__main__", worker_main.__module__]
            main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
            if main_spec is not None and main_spec.name not in preload:
                preload.append(main_spec.name)
            ctx.set_forkserver_preload(preload)
        return ctx

    def start(self) -> None:
        """Start the workers (in the background; :meth:`wait_ready` waits for them)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            self._pending += self.size
        for i in range(self.size):
            self._spawn_async(PAGES if i < self.reserved else WRITTEN)

    def wait_ready(self, timeout: float = _STARTUP_TIMEOUT) -> bool:
        """Wait until every worker is up (True) or ``timeout`` passes (False)."""
        self.start()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if len(self._live) >= self.size and self._pending == 0:
                    return True
                if self._open_error and not self._live:
                    return False
            time.sleep(0.02)
        return False

    @property
    def network_guarded(self) -> bool:
        """True when every live worker runs under the network guard."""
        with self._lock:
            return bool(self._live) and all(w.network_guarded for w in self._live)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers = list(self._live)
            self._live.clear()
        for w in workers:
            with contextlib.suppress(OSError):
                w.conn.send(None)
        end = time.monotonic() + 1.0
        for w in workers:
            w.process.join(max(0.0, end - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(1.0)
            w.conn.close()

    def __enter__(self) -> QueryPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- workers
    def _spawn_async(self, lane: str) -> None:
        threading.Thread(
            target=self._spawn, args=(lane,), name="query-worker-start", daemon=True
        ).start()

    def _spawn(self, lane: str) -> None:
        """Start one worker; retry while the store cannot be opened, until the pool closes."""
        while not self._closed:
            worker, error = self._start_worker(lane)
            with self._lock:
                if worker is not None and not self._closed:
                    self._pending -= 1
                    self._live.add(worker)
                    self._open_error = None
                    self._idle[lane].put(worker)
                    return
                if worker is None:
                    self._open_error = error
            if worker is not None:  # the pool closed while it started
                self._stop(worker)
                break
            if self._closed or sys.is_finalizing():
                break
            log.warning("a query worker could not start: %s; retrying", error)
            time.sleep(_RETRY_DELAY)
        with self._lock:
            self._pending -= 1

    def _start_worker(self, lane: str) -> tuple[_Worker | None, str | None]:
        ctx = self._context()
        parent, child = ctx.Pipe(duplex=True)
        memory = self.memory_limit
        nice = WRITTEN_NICENESS if lane == WRITTEN and self.reserved else 0
        proc = ctx.Process(
            target=worker_main,
            args=(child, self.store_path, self.max_result_bytes, self.guard_network, memory, nice),
            name="competency-kg-query-worker",
            daemon=True,
        )
        with self._spawn_lock:
            proc.start()
        child.close()
        try:
            if not parent.poll(_STARTUP_TIMEOUT):
                raise EOFError("the worker did not start in time")
            hello = parent.recv()
        except (EOFError, OSError) as exc:
            proc.kill()
            proc.join(1.0)
            parent.close()
            return None, f"the query worker failed to start ({exc or type(exc).__name__})"
        if hello[0] != "ready":
            proc.join(1.0)
            parent.close()
            return None, str(hello[1])
        return _Worker(proc, parent, bool(hello[2]), lane), None

    def _stop(self, w: _Worker) -> None:
        with contextlib.suppress(OSError):
            w.conn.send(None)
        w.process.join(1.0)
        if w.process.is_alive():
            w.process.kill()
            w.process.join(1.0)
        w.conn.close()

    def _retire(self, w: _Worker, *, kill: bool) -> None:
        """Take a worker out of service (killing it first if asked) and start a replacement."""
        if kill:
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.kill(w.process.pid, signal.SIGKILL)
        with self._lock:
            self._live.discard(w)
            replace = not self._closed
            if replace:
                self._pending += 1

        def reap() -> None:
            w.process.join(5.0)
            w.conn.close()

        threading.Thread(target=reap, name="query-worker-reap", daemon=True).start()
        if replace:
            self._spawn_async(w.lane)

    def _take_idle(self, lane: str, timeout: float) -> _Worker:
        """An idle worker for ``lane``: a page takes a page worker, else borrows an idle
        SPARQL worker; a written query takes only SPARQL workers. :class:`queue.Empty` after
        ``timeout`` seconds."""
        if lane == WRITTEN:
            return self._idle[WRITTEN].get(timeout=timeout)
        end = time.monotonic() + timeout
        while True:
            for q in (self._idle[PAGES], self._idle[WRITTEN]):
                with contextlib.suppress(queue.Empty):
                    return q.get_nowait()
            left = end - time.monotonic()
            if left <= 0:
                raise queue.Empty
            # Page workers come back within a page's time; poll both lanes often.
            with contextlib.suppress(queue.Empty):
                return self._idle[PAGES].get(timeout=min(0.01, left))

    def _acquire(self, wait: float, lane: str = PAGES) -> _Worker:
        self.start()
        end = time.monotonic() + wait
        while True:
            with self._lock:
                if self._closed:
                    raise QueryFailed("the server is shutting down")
                if self._open_error and not self._live:
                    raise StoreUnavailable(CANNOT_OPEN) from RuntimeError(self._open_error)
            try:
                w = self._take_idle(lane, min(0.25, max(0.0, end - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= end:
                    raise PoolBusy(
                        f"all {self.size} query workers stayed busy for {wait:g} s; "
                        "try again shortly"
                    ) from None
                continue
            if w.process.is_alive():
                return w
            self._retire(w, kill=False)

    # -- queries
    def run(
        self,
        query: str,
        *,
        results_mime: str | None = RESULTS_JSON,
        graph_mime: str | None = "text/turtle",
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None,
        timeout: float | None = None,
        info: QueryInfo | None = None,
        lane: str = PAGES,
        client: str | None = None,
    ) -> RawResult:
        """Answer ``query`` in a worker; its result as bytes in the requested format.

        Without ``default_graphs``/``named_graphs`` or ``FROM`` the default graph is the merge
        of the named graphs (:mod:`competency_kg.store.dataset`). ``info`` (from
        :func:`check_query`) saves a second look at the text. ``lane`` :data:`WRITTEN` (with
        the ``client``'s address) for a query a caller wrote. Raises a :class:`QueryError`
        subclass (:class:`ClientBusy` when that client already has its share busy).
        """
        job = make_job(
            query, results_mime, graph_mime, default_graphs, named_graphs, base_iri, info,
        )  # fmt: skip
        limit = self.timeout if timeout is None else timeout
        if lane != WRITTEN:
            return self._run(job, limit, PAGES)
        key = client or "-"
        self._admit(key, max(limit, QUEUE_WAIT))
        try:
            return self._run(job, limit, WRITTEN)
        finally:
            with self._admission:
                self._written_busy -= 1
                self._leave(key)
                self._admission.notify()

    def _admit(self, client: str, wait: float) -> None:
        """Count a written query in: refused (:class:`ClientBusy`) beyond the client's share;
        waits while ``written_slots`` are busy (:class:`PoolBusy` after ``wait`` seconds), or
        is refused at once (:class:`PoolBusy`) when ``max_waiting`` queries wait already —
        each holds a request thread, and threads must stay free for pages."""
        with self._admission:
            held = self._by_client.get(client, 0)
            if held >= self.per_client:
                raise ClientBusy(
                    f"this client already has {held} queries running, its share of this "
                    "endpoint's workers; wait for one to finish"
                )
            limit = self.max_waiting
            if limit is not None and self._written_waiting >= limit and self._written_full():
                raise PoolBusy(
                    f"all {self.written_slots} query workers for SPARQL queries are busy and "
                    f"{limit} queries wait for them already; try again shortly"
                )
            self._by_client[client] = held + 1
            self._written_waiting += 1
            try:
                self._wait_for_slot(client, time.monotonic() + wait, wait)
            finally:
                self._written_waiting -= 1
            self._written_busy += 1

    def _written_full(self) -> bool:
        # Counted against the live workers: while a killed worker is being replaced,
        # written queries wait rather than take the one left to pages.
        live = sum(1 for w in self._live if w.lane == WRITTEN)
        return self._written_busy >= min(self.written_slots, live)

    def _wait_for_slot(self, client: str, end: float, wait: float) -> None:
        """Wait (holding ``_admission``) for a free slot; :class:`PoolBusy` at ``end``."""
        while self._written_full():
            left = end - time.monotonic()
            if left <= 0:
                self._leave(client)
                raise PoolBusy(
                    f"all {self.written_slots} query workers for SPARQL queries stayed busy "
                    f"for {wait:g} s; try again shortly"
                )
            self._admission.wait(min(left, 0.1))  # a replacement worker may come up

    def _leave(self, client: str) -> None:
        left = self._by_client[client] - 1
        if left:
            self._by_client[client] = left
        else:
            del self._by_client[client]

    def _run(self, job: QueryJob, limit: float, lane: str) -> RawResult:
        w = self._acquire(max(limit, QUEUE_WAIT), lane)
        try:
            w.conn.send(job)
            self._await_reply(w, limit)
            reply = w.conn.recv()
            data = w.conn.recv_bytes() if reply[0] == "ok" else None
        except (EOFError, OSError) as exc:
            raise self._died(w) from exc
        if reply[0] == "memory":  # a Python allocation failed under the address-space backstop
            self._retire(w, kill=True)
            raise QueryMemoryExceeded(self.memory_limit)
        self._idle[w.lane].put(w)
        return outcome(reply, data)

    def _await_reply(self, w: _Worker, limit: float) -> None:
        """Wait for ``w``'s answer for at most ``limit`` seconds, looking at its resident
        memory every :data:`_MEMORY_POLL` s; kill it at the time or memory limit."""
        end = time.monotonic() + limit
        probe_at = time.monotonic() + EARLY_PROBE_AFTER
        while not w.conn.poll(max(0.0, min(_MEMORY_POLL, end - time.monotonic()))):
            if time.monotonic() >= probe_at:
                detail = self._known_damage()
                if detail is not None:
                    self._retire(w, kill=True)
                    log.warning("query cancelled: the store cannot be read (%s)", detail)
                    raise damage(detail, "the query was cancelled, because ")
            rss = resident_bytes(w.process.pid)
            if rss is not None and rss > self.memory_limit:
                self._retire(w, kill=True)
                with self._lock:
                    self.killed += 1
                log.warning(
                    "query cancelled at %s resident (worker %s killed; limit %s)",
                    human_bytes(rss), w.process.pid, human_bytes(self.memory_limit),
                )  # fmt: skip
                raise QueryMemoryExceeded(self.memory_limit)
            if time.monotonic() >= end:
                self._retire(w, kill=True)
                with self._lock:
                    self.killed += 1
                log.warning("query cancelled after %g s (worker %s killed)", limit, w.process.pid)
                self._raise_if_damaged(f"the query was cancelled after {limit:g} s, and ")
                raise QueryTimeout(limit)

    def _died(self, w: _Worker) -> QueryError:
        """What to tell the caller when ``w`` died while answering: the memory limit when
        the engine aborted (an allocation refused under the address-space backstop), otherwise
        the signal or exit status. The worker is replaced."""
        w.process.join(2.0)
        code = w.process.exitcode
        self._retire(w, kill=True)
        if code == -signal.SIGABRT:
            log.warning("query worker %s aborted: memory limit reached", w.process.pid)
            return QueryMemoryExceeded(self.memory_limit)
        how = _signal_name(code)
        log.error("query worker %s died while answering a query (%s)", w.process.pid, how)
        self._raise_if_damaged("the query's worker died, and ")
        hint = " (its stack overflowed, most likely)" if code == -signal.SIGSEGV else ""
        return QueryFailed(
            f"the query crashed the worker process answering it ({how}){hint}; "
            "the worker has been replaced"
        )

    def _known_damage(self) -> str | None:
        """The engine's words if the store's current version is known to be damaged; starts
        the one early probe of that version (in the background, in an idle worker) when none
        has run, so a query that keeps going is checked once, not every store read."""
        token = state_token(Path(self.store_path))
        with self._lock:
            probed = self._probed
            if probed is not None and probed[0] == token:
                return probed[1]
            if self._probing:
                return None
            self._probing = True

        def check() -> None:
            finding: tuple[str | None, str | None] | None = None
            w = None
            for q in (self._idle[WRITTEN], self._idle[PAGES]):  # pages' worker last
                with contextlib.suppress(queue.Empty):
                    w = w or q.get_nowait()
            # No idle worker: every worker busy; the next long query tries again.
            if w is not None:
                reply = self._probe_in(w)
                if reply is not None:
                    finding = (token, reply[1] if reply[0] == "damaged" else None)
            with self._lock:
                self._probing = False
                if finding is not None:
                    self._probed = finding

        threading.Thread(target=check, name="query-store-probe", daemon=True).start()
        return None

    def _probe_in(self, w: _Worker) -> tuple[str, ...] | None:
        """Probe the store in idle worker ``w`` and give it back; None if ``w`` failed."""
        try:
            w.conn.send("probe")
            if not w.conn.poll(PROBE_SECONDS + 5.0):
                self._retire(w, kill=True)
                return None
            reply = w.conn.recv()
        except (EOFError, OSError):
            self._retire(w, kill=True)
            return None
        self._idle[w.lane].put(w)
        return reply

    def _raise_if_damaged(self, after: str) -> None:
        """Probe the store in an idle worker (:func:`probe`, at most :data:`PROBE_SECONDS`)
        and raise :class:`StoreDamaged` if it cannot be read; no idle worker: no probe."""
        try:
            w = self._take_idle(PAGES, 0.0)
        except queue.Empty:
            return
        reply = self._probe_in(w)
        if reply is not None and reply[0] == "damaged":
            raise damage(reply[1], after)


class InlineExecutor:
    """Answers queries in the calling thread, without a timeout of its own: for in-memory
    stores (tests) and remote stores (a SPARQL server, which enforces its own limits).

    Same checks, dataset handling and result formats as :class:`QueryPool`.
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.max_result_bytes = max_result_bytes
        self.size = 1
        self.killed = 0
        self.network_guarded = False

    def start(self) -> None:
        pass

    def wait_ready(self, timeout: float = 0.0) -> bool:
        return True

    def close(self) -> None:
        pass

    def run(
        self,
        query: str,
        *,
        results_mime: str | None = RESULTS_JSON,
        graph_mime: str | None = "text/turtle",
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None,
        timeout: float | None = None,
        info: QueryInfo | None = None,
        lane: str = PAGES,
        client: str | None = None,
    ) -> RawResult:
        job = make_job(
            query, results_mime, graph_mime, default_graphs, named_graphs, base_iri, info,
        )  # fmt: skip
        ox_store = getattr(self.store, "oxigraph", None)
        if ox_store is not None:
            reply, data = answer(ox_store, job, self.max_result_bytes)
            return outcome(reply, data)
        return self._run_remote(job)

    def _run_remote(self, job: QueryJob) -> RawResult:
        protocol = job.default_graphs is not None or job.named_graphs is not None
        try:
            result = self.store.query_raw(
                job.query,
                results_mime=job.results_mime or RESULTS_JSON,
                graph_mime=job.graph_mime or "text/turtle",
                default_graphs=list(job.default_graphs or ()) if protocol else None,
                named_graphs=list(job.named_graphs or ()) if protocol else None,
            )
        except SyntaxError as exc:  # the server's own parser refused it (HTTP 400)
            raise QuerySyntaxError(f"SPARQL syntax error: {exc}") from exc
        except UnsupportedDataset as exc:
            raise BadRequest(str(exc)) from exc
        except StoreUnreachable as exc:
            raise StoreUnavailable(UNREACHABLE) from exc
        except StoreError as exc:
            raise UpstreamError(f"the store's SPARQL server failed the query: {exc}") from exc
        wanted = job.graph_mime if result.kind == "graph" else job.results_mime
        if wanted is None:
            raise NotAcceptable(result.kind)
        if len(result.data) > self.max_result_bytes:
            raise ResultTooLarge(self.max_result_bytes)
        return result
