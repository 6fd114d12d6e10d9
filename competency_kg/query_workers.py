"""The query pool's workers: starting and stopping them, and its two lanes (the site's pages,
and queries a caller wrote) that idle workers wait in. See :mod:`competency_kg.query_pool`
for why queries run in processes; :mod:`competency_kg.query_sandbox` is what runs inside one.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from competency_kg.child_python import import_environment
from competency_kg.query_copy import CopyServer
from competency_kg.query_sandbox import worker_main
from competency_kg.sparql.errors import CANNOT_OPEN, PoolBusy, QueryFailed, StoreUnavailable
from competency_kg.store.versions import current_version
from competency_kg.versioned_cache import store_version

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RESULT_BYTES = 50 * 1024 * 1024

STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to open the store
COPY_POLL = 0.5  # seconds between two looks for a new version to copy
_RETRY_DELAY = 2.0  # seconds between attempts to start a worker that failed to open the store

#: Lanes of the pool: the site's own pages (their queries are the site's, bounded), and
#: queries a caller wrote (``/sparql``), which may run until the timeout. Written queries may
#: hold at most ``size - reserved`` workers at once, so pages always find one; and one client
#: at most ``per_client`` of those (in flight, waiting included), so no client takes them all.
PAGES, WRITTEN = "pages", "written"

#: CPU priority (nice value) of the workers that answer written queries when workers are kept
#: for pages: under Linux's fair scheduler a nice-10 process weighs 110 against 1024 for nice 0,
#: so runaway queries on every SPARQL worker leave the page workers (and the web process) most of
#: the CPU they need, while an idle machine still gives a query all of it.
WRITTEN_NICENESS = 10


@dataclass(eq=False)
class Worker:
    """One worker process and the parent's end of its pipe."""

    process: Any
    conn: Any
    network_guarded: bool
    lane: str = PAGES  #: :data:`PAGES` workers serve pages only; :data:`WRITTEN` ones both
    #: The version token of the in-memory copy it answers from (None: the disk store).
    copy: str | None = None
    #: Its resident memory when it started: the copy's shared pages, which its memory ceiling
    #: does not count (0 for a worker of the disk store, whose ceiling counts all of it).
    at_start: int = 0


def default_size() -> int:
    """Twice the cores, at least four: queries are CPU-bound, but with only one worker per core
    two slow queries would leave every quick one waiting behind them; the kernel shares the
    cores between the extra workers instead."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(4, 2 * cores)


#: The process that started multiprocessing's fork server with :func:`start_fork_server`.
_fork_server_of: int | None = None
_fork_server_lock = threading.Lock()


def fork_server_preload() -> list[str]:
    """The modules the fork server imports once, so that workers forked from it start in
    milliseconds: the worker's module, and what the main module needs.

    Each worker runs the main module again (``multiprocessing.spawn.prepare``): by name when it
    was run with ``-m`` (preloading that name makes its imports free), or from its file (a
    console script: 0.3 s of CLI and rdflib imports in every worker, measured). Python 3.11
    cannot preload a main file (its ``__main__`` entry is a no-op: CPython gh-98552), so the
    modules that file imports are preloaded instead.
    """
    preload = ["__main__", worker_main.__module__]
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None:
        preload.append(spec.name)
    elif isinstance(getattr(main, "__file__", None), str):
        preload.extend(_imported_by(main.__file__))
    return list(dict.fromkeys(preload))


@functools.cache
def _imported_by(path: str) -> tuple[str, ...]:
    """The absolute imports at the top level of the Python file at ``path`` (none if it cannot
    be read or parsed)."""
    try:
        tree = ast.parse(Path(path).read_bytes(), path)
    except (OSError, SyntaxError, ValueError):
        return ()
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return tuple(names)


def start_fork_server() -> None:
    """Start multiprocessing's fork server (once per process) with
    :func:`~competency_kg.child_python.import_environment`, so that the workers forked from it
    run the same code as the server, wherever the server was started.

    Left alone, the fork server (``python -c …``) puts its working directory (ours) first on
    ``sys.path``, and Python 3.11 ignores the ``sys_path`` multiprocessing hands it (CPython
    gh-117378, fixed in 3.12.8 and 3.13.1): it preloaded the ``competency_kg`` of the folder the
    server was started in. It takes the environment it is started with (``os.environ``: its
    start offers no other), so the variables are set for that moment only, then put back. (A
    fork server that died would be started again by multiprocessing itself, without them.)
    """
    global _fork_server_of
    with _fork_server_lock:
        if _fork_server_of == os.getpid():
            return
        variables = import_environment()
        saved = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        try:
            multiprocessing.forkserver.ensure_running()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        _fork_server_of = os.getpid()


class WorkerLifecycle:
    """Starting, handing out, retiring and stopping the workers (the first part of the pool)."""

    store_path: str
    size: int
    memory_limit: int
    reserved: int
    max_result_bytes: int
    start_method: str
    guard_network: bool
    _idle: dict[str, queue.Queue[Worker]]
    _live: set[Worker]
    _lock: threading.Lock
    _spawn_lock: threading.Lock
    _started: bool
    _closed: bool
    _pending: int
    _open_error: str | None
    #: Most quads an in-memory copy may hold (0: no copy; :func:`copy_quads`).
    copy_quads: int
    #: The fork server whose copy is the store's current version (None: none built yet).
    _copy: CopyServer | None
    #: The version token a copy was last tried for (built, refused or failed).
    _copy_tried: str | None
    #: Why the last version tried has no copy (None: it has one, or none was tried yet).
    copy_refused: str | None

    # -- lifecycle
    def _context(self) -> Any:
        ctx = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            ctx.set_forkserver_preload(fork_server_preload())
            start_fork_server()
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
        if self.copy_quads > 0:
            threading.Thread(target=self._follow_copies, name="query-copy", daemon=True).start()

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> bool:
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
            copy, self._copy = self._copy, None
        if copy is not None:
            copy.stop()
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

    def __enter__(self) -> WorkerLifecycle:
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

    def _start_worker(
        self, lane: str, server: CopyServer | None = None, *, disk: bool = False
    ) -> tuple[Worker | None, str | None]:
        """Start a worker for ``lane``: forked by ``server`` (a copy's fork server), else by
        the current copy's when it is the store's current version (unless ``disk``), else by
        the fork server of the disk store."""
        ctx = self._context()
        parent, child = ctx.Pipe(duplex=True)
        memory = self.memory_limit
        nice = WRITTEN_NICENESS if lane == WRITTEN and self.reserved else 0
        if server is None and not disk:
            server = self._current_copy()
        kwargs = {
            "target": worker_main,
            "args": (
                child,
                self.store_path,
                self.max_result_bytes,
                self.guard_network,
                memory,
                nice,
            ),
            "name": "competency-kg-query-worker",
            "daemon": True,
        }
        try:
            proc = ctx.Process(**kwargs) if server is None else server.process(**kwargs)
            if server is not None:
                proc.start()  # this server's own socket: the copy may still be building
            else:
                with self._spawn_lock:
                    proc.start()
        except (OSError, EOFError) as exc:  # the copy's fork server stopped or died
            parent.close()
            child.close()
            with self._lock:
                dead = server is not None and server is self._copy
                if dead:
                    self._copy = None
            if dead:  # the disk store answers until the next version's copy
                log.warning("the in-memory copy's fork server is gone (%s)", exc)
                server.stop()  # type: ignore[union-attr]
                return self._start_worker(lane)
            return None, f"the query worker failed to start ({exc})"
        child.close()
        try:
            if not parent.poll(STARTUP_TIMEOUT):
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
        copy = hello[3] if len(hello) > 3 else None
        return Worker(proc, parent, bool(hello[2]), lane, copy, hello[4] if copy else 0), None

    # -- the in-memory copy (competency_kg.store.memory_copy)
    def _current_copy(self) -> CopyServer | None:
        """The copy's fork server if its copy is the store's current version, else None."""
        copy = self._copy
        if copy is None or copy.token != store_version(self.store_path):
            return None
        return copy

    def _fits(self, w: Worker) -> bool:
        """Whether ``w`` answers from what workers should answer from now: the copy of the
        current version once it is built, the disk store until then."""
        copy = self._current_copy()
        return w.copy == (copy.token if copy is not None else None)

    def _follow_copies(self) -> None:
        """Build a copy of each version the store publishes, and move the idle workers to
        what they should answer from (:meth:`_fits`) as copies are built and go stale."""
        building: threading.Thread | None = None
        while not self._closed:
            token = store_version(self.store_path)
            if token is not None and token != self._copy_tried and building is None:
                self._copy_tried = token
                with self._lock:  # stale: its workers say so and exit, the server with them
                    old, self._copy = self._copy, None
                if old is not None:
                    old.stop()
                building = threading.Thread(
                    target=self._build_copy, args=(token,), name="query-copy-build", daemon=True
                )
                building.start()
            if building is not None and not building.is_alive():
                building = None
            self._rotate()
            time.sleep(COPY_POLL)

    def _build_copy(self, token: str) -> None:
        """Start a fork server for a copy of version ``token`` and wait until it is built
        (its first worker starts), then make it the current copy; keep answering from the
        disk store if it is refused (too large) or fails."""
        version = current_version(Path(self.store_path))
        if version is None or store_version(self.store_path) != token:
            self._copy_tried = None  # moved on while looking: the next poll tries again
            return
        max_quads = self.copy_quads
        server = CopyServer(str(version), token, max_quads, fork_server_preload())
        worker, error = self._start_worker(WRITTEN, server)
        if worker is None or worker.copy != token:
            server.stop()
            if worker is not None:
                self._stop(worker)
            self.copy_refused = error
            log.info("query workers answer from the disk store: %s", error)
            return
        self.copy_refused = None
        with self._lock:
            self._copy = None if self._closed else server
        self._stop(worker)  # it proved the copy; the rotation starts the workers
        if self._closed:
            server.stop()

    def _rotate(self) -> None:
        """Replace the idle workers that do not :meth:`_fits` (stopped, a replacement started:
        from the current copy when there is one); busy ones are looked at when idle again."""
        for lane in (PAGES, WRITTEN):
            idle: list[Worker] = []
            with contextlib.suppress(queue.Empty):
                while True:
                    idle.append(self._idle[lane].get_nowait())
            for w in reversed(idle):  # back in the order they came: last in, first out
                if self._fits(w):
                    self._idle[lane].put(w)
                else:
                    self._replace(w)

    def _replace(self, w: Worker) -> None:
        """Stop an idle worker and start another in its place."""
        with contextlib.suppress(OSError):
            w.conn.send(None)
        self._retire(w, kill=False)

    def _stop(self, w: Worker) -> None:
        with contextlib.suppress(OSError):
            w.conn.send(None)
        w.process.join(1.0)
        if w.process.is_alive():
            w.process.kill()
            w.process.join(1.0)
        w.conn.close()

    def _retire(self, w: Worker, *, kill: bool) -> None:
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

    def _take_idle(self, lane: str, timeout: float) -> Worker:
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

    def _acquire(self, wait: float, lane: str = PAGES) -> Worker:
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
