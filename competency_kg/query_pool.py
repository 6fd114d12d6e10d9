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

The pool is three parts, each a class the next extends: its workers and lanes
(:mod:`competency_kg.query_workers`), the damage probe (:mod:`competency_kg.query_probe`) and,
here, admission and answering a query. :class:`InlineExecutor` is
:mod:`competency_kg.query_inline`.
"""

from __future__ import annotations

import logging
import queue
import re
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from competency_kg.config import query_copy
from competency_kg.query_inline import BoundedLookups, InlineExecutor
from competency_kg.query_probe import EARLY_PROBE_AFTER, DamageProbe
from competency_kg.query_sandbox import (
    copy_quads,
    default_memory_limit,
    read_reply,
    resident_bytes,
)
from competency_kg.query_workers import (
    DEFAULT_MAX_RESULT_BYTES,
    DEFAULT_TIMEOUT,
    PAGES,
    WRITTEN,
    WRITTEN_NICENESS,
    Worker,
    default_size,
)
from competency_kg.sparql.errors import (
    ClientBusy,
    PoolBusy,
    QueryError,
    QueryFailed,
    QueryMemoryExceeded,
    QueryTimeout,
    damage,
    human_bytes,
)
from competency_kg.sparql.execute import QueryJob, make_job, outcome
from competency_kg.sparql.formats import RESULTS_JSON
from competency_kg.sparql.results import RawResult
from competency_kg.sparql.text import QueryInfo, remembered, strip
from competency_kg.versioned_cache import MISSING, VersionedCache, store_version

__all__ = [
    "DEFAULT_ANSWER_CACHE",
    "DEFAULT_MAX_RESULT_BYTES",
    "DEFAULT_TIMEOUT",
    "EARLY_PROBE_AFTER",
    "PAGES",
    "QUEUE_WAIT",
    "WRITTEN",
    "WRITTEN_NICENESS",
    "InlineExecutor",
    "QueryPool",
]

log = logging.getLogger(__name__)

#: Seconds a query may wait for a free worker before the answer is "busy" (503), at least:
#: waiting is not running, so the query timeout alone is too short a bound when it is short.
#: Under a bounded load with clients resubmitting runaway queries (two of four workers held
#: for the whole 2 s timeout, the killed ones being replaced), a simple query waited just over
#: 2 s on a busy machine and got a 503; it is answered a moment later instead.
QUEUE_WAIT = 10.0

#: Seconds between two looks at a running worker's resident memory. Measured with the greediest
#: query known (a sorted three-way cartesian product, ~320 MB/s): the worker was stopped within
#: a few MB of its ceiling.
_MEMORY_POLL = 0.02


#: Bytes of answers the pool keeps per store version (:attr:`QueryPool.answers`), texts
#: included: an answer over a sixteenth of it is not kept.
DEFAULT_ANSWER_CACHE = 64 * 1024 * 1024
#: What a kept answer costs beside its bytes and its text (the key's tuple, the result object).
_ENTRY_OVERHEAD = 512

#: Functions whose value differs from one run of a query to the next (SPARQL 1.1 Query
#: §17.4.5.1 ``NOW``, §17.4.5.2 ``RAND``, §17.4.4.4 ``UUID``/``STRUUID``, §17.4.2.9 ``BNODE``):
#: a query calling one is answered afresh every time.
_VOLATILE = re.compile(r"\b(?:now|rand|uuid|struuid|bnode)\s*\(", re.IGNORECASE)


@remembered
def repeatable(text: str) -> bool:
    """Whether the query gives the same answer on every run over the same data: it calls no
    function of :data:`_VOLATILE` (strings, IRIs and comments are not looked at).

    >>> repeatable('SELECT * { ?s ?p "now()" }'), repeatable("SELECT (NOW() AS ?t) {}")
    (True, False)
    """
    lowered = text.lower()  # a substring search first (the expression costs 30 µs a query)
    if not any(name in lowered for name in ("now", "rand", "uuid", "bnode")):
        return True
    return _VOLATILE.search(strip(text)) is None


def _signal_name(code: int | None) -> str:
    if code is None or code >= 0:
        return f"exit status {code}"
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


class QueryPool(DamageProbe):
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
        answer_cache: int | None = None,
        inline: bool = True,
        copy: str | None = None,
    ) -> None:
        self.store_path = str(store_path)
        #: Answers kept per store version (:mod:`competency_kg.versioned_cache`): a query
        #: asked again with the same text, formats and dataset is answered from here, without
        #: a worker, until a load publishes a new version. ``answer_cache`` bytes at most
        #: (default :data:`DEFAULT_ANSWER_CACHE`; 0: none kept).
        cache_bytes = DEFAULT_ANSWER_CACHE if answer_cache is None else answer_cache
        self.answers = VersionedCache(max_bytes=cache_bytes) if cache_bytes > 0 else None
        self._answered = threading.local()
        #: One-pattern look-ups answered in this process, without a worker (None: all go to
        #: workers; ``inline=False``).
        self.lookups = BoundedLookups(self.store_path, max_result_bytes) if inline else None
        self.size = size or default_size()
        #: ``copy``: the in-memory copy's bound (:func:`~competency_kg.config.query_copy`).
        self.copy_quads = copy_quads(query_copy(copy), self.size)
        self._copy = self._copy_tried = self.copy_refused = None
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
        #: Last in, first out: the worker that answered last answers next, so a client that
        #: sends one query after another finds what that worker counted on first use (pattern
        #: sizes, class counts, plans: per worker process) instead of each new text paying it
        #: again on each worker in turn (count-by-class 47 ms against 4 ms warm, at 1 M).
        self._idle: dict[str, queue.Queue[Worker]] = {
            PAGES: queue.LifoQueue(),
            WRITTEN: queue.LifoQueue(),
        }
        self._live: set[Worker] = set()
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
        kept = self._kept(job)
        if kept is not None:
            return kept
        if self.lookups is not None:
            found = self.lookups.answer(job)
            if found is not None:
                self._keep(job, found[1], found[0])
                return found[0]
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

    def _kept(self, job: QueryJob) -> RawResult | None:
        """The answer kept for ``job`` at the store's current version, if any. A hit takes no
        worker and no share of one: nothing runs. :meth:`answered_from` says which it was."""
        self._answered.how = None
        found = self._find(job, count_miss=True)
        if found is not None:
            self._answered.how = "miss" if found is MISSING else "hit"
        return None if found is None or found is MISSING else found

    def _find(self, job: QueryJob, *, count_miss: bool) -> RawResult | object | None:
        """The kept answer of ``job`` at the store's current version, :data:`MISSING`, or
        None when nothing is kept for it (not repeatable, no published version yet)."""
        if self.answers is None or not repeatable(job.query):
            return None
        version = store_version(self.store_path)
        if version is None:  # no published version yet: nothing is kept
            return None
        return self.answers.find(job, version, count_miss=count_miss)

    def kept(self, job: QueryJob) -> RawResult | None:
        """The answer :meth:`run` would give ``job`` (:func:`make_job` of its arguments) from
        the kept answers at the store's current version, or None; runs nothing and waits for
        nothing (a lock held for a dict lookup, one ``stat``): what the server's event loop
        answers itself (:mod:`competency_kg.web.front`). A miss is not counted: the request
        goes on to :meth:`look_up` or a thread, which count it."""
        found = self._find(job, count_miss=False)
        return None if found is None or found is MISSING else found  # type: ignore[return-value]

    def look_up(self, job: QueryJob, max_bytes: int) -> RawResult | None:
        """What :meth:`run` does for a one-pattern query that is not kept, bounded: its
        answer of at most ``max_bytes`` read in this process from a store version already
        opened (never a worker, never a wait for an open), kept and counted as a miss as
        :meth:`run` keeps and counts one; None when it is no such query, its answer is larger,
        or it failed (then :meth:`run` answers it, in its words). What the server's event loop
        answers a miss with (:class:`~competency_kg.web.sparql_lean.KeptAnswers`)."""
        if self.lookups is None:
            return None
        found = self.lookups.answer(job, max_bytes, opened_only=True)
        if found is None:
            return None
        result, version = found
        if self.answers is not None and repeatable(job.query):
            self.answers.count_miss()
        self._keep(job, version, result)
        return result

    def _keep(self, job: QueryJob, version: str | None, result: RawResult) -> None:
        """Keep a worker's answer under the version it read (its reply says which), so that
        an answer is never served for a version it was not read from."""
        if self.answers is None or version is None or not repeatable(job.query):
            return
        size = len(result.data) + len(job.query) + _ENTRY_OVERHEAD
        self.answers.put(job, version, result, size)

    def answered_from(self) -> str | None:
        """How this thread's last :meth:`run` went: ``"hit"`` (a kept answer), ``"miss"`` (looked
        up, then run by a worker), None (not one to keep: no version yet, or a volatile query)."""
        return getattr(self._answered, "how", None)

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
        end = time.monotonic() + max(limit, QUEUE_WAIT)
        while True:
            w = self._acquire(max(0.0, end - time.monotonic()), lane)
            try:
                w.conn.send(job)
                self._await_reply(w, limit)
                reply, data = read_reply(w.conn)
            except (EOFError, OSError) as exc:
                raise self._died(w) from exc
            if reply[0] != "stale":
                break
            # Its copy is of a version a load has replaced: it exited unasked; another
            # worker answers (from the disk store until the new version's copy is built).
            self._retire(w, kill=False)
        if reply[0] == "memory":  # a Python allocation failed under the address-space backstop
            self._retire(w, kill=True)
            raise QueryMemoryExceeded(self.memory_limit)
        self._idle[w.lane].put(w)
        result = outcome(reply, data)
        if len(reply) > 3:  # ("ok", kind, mime, version read)
            self._keep(job, reply[3], result)
        return result

    def _await_reply(self, w: Worker, limit: float) -> None:
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
            if rss is not None and rss - w.at_start > self.memory_limit:
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

    def _died(self, w: Worker) -> QueryError:
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
