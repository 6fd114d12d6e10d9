"""An in-memory copy of one published store version, built once in a fork server and shared
by the query workers forked from it.

Oxigraph's in-memory store answers the benchmark's queries 2-5x faster than its RocksDB store
(engine CPU, docs/benchmarks/plans.md, "Session 4"). One copy per worker would multiply the
memory by the workers; so the copy is built in a process that then serves as a fork server
(:func:`serve`, multiprocessing's own ``forkserver.main``): each worker forked from it shares
the copy's pages copy-on-write. The disk store is closed before the first fork (nothing is
forked from a process that has RocksDB open), and a worker forked here never opens RocksDB:
when the store's published version moves on, it says so (``stale``) and exits, and the pool
answers from the disk store until the next version's copy is built
(:mod:`competency_kg.query_copy`).

A published version is never written (:mod:`competency_kg.store.versions`), so the copy is
registered as a read-only store (:func:`~competency_kg.sparql.class_counts.keep_read_only`):
``count-by-class`` is answered from kept counts on it too, counted here once before the first
fork so every worker shares them.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import forkserver
from typing import Any

import pyoxigraph as ox

from competency_kg.sparql.class_counts import class_counter, keep_read_only

log = logging.getLogger(__name__)

#: Resident bytes one quad costs in Oxigraph's memory store (pyoxigraph 0.5), with a margin:
#: the 1 M tier's 1,955,241 quads (its named graphs and their merge) left the copy's fork
#: server at 717 MB resident, interpreter included (~370 bytes a quad).
BYTES_PER_QUAD = 400


@dataclass(frozen=True)
class Copy:
    """The copy a fork server holds: the version token it was read at, the store, its size."""

    token: str
    store: ox.Store
    quads: int


_held: Copy | None = None
#: Why this process holds no copy (too large, unreadable), for the pool's log.
refused: str | None = None


def held() -> Copy | None:
    """The copy this process holds (inherited from the fork server), or None."""
    return _held


class _TooMany(Exception):
    pass


def _bounded(quads: Iterator[ox.Quad], most: int | None) -> Iterator[ox.Quad]:
    """``quads``, raising :class:`_TooMany` past ``most`` of them."""
    for n, quad in enumerate(quads, 1):
        if most is not None and n > most:
            raise _TooMany
        yield quad


def build(version: str, token: str, max_quads: int | None) -> Copy | None:
    """Copy every quad of the published version at ``version`` into a memory store, at most
    ``max_quads`` of them (None: no bound); None (and :data:`refused` says why) when there are
    more or the version cannot be read. The disk handle is closed before this returns."""
    global _held, refused
    try:
        disk = ox.Store.read_only(version)
    except (OSError, RuntimeError) as exc:
        refused = f"cannot open {version}: {exc}"
        return None
    memory = ox.Store()
    try:
        memory.bulk_extend(_bounded(disk.quads_for_pattern(None, None, None, None), max_quads))
    except _TooMany:
        refused = f"the store holds more than {max_quads:,} quads"
        return None
    except Exception as exc:  # a damaged block: the disk store answers (and reports it)
        refused = f"cannot read {version}: {exc}"
        return None
    finally:
        del disk
        gc.collect()
    keep_read_only(memory)
    counts = class_counter(memory, {})
    if counts is not None:
        counts()  # counted once here, shared by every worker forked after
    _held = Copy(token, memory, len(memory))
    return _held


#: CPU priority (nice value) of the thread that builds a copy: 19 s of one core at 1 M
#: quads, on a server that answers meanwhile from the disk store. At nice 0 it took the cores
#: the query workers needed as a fresh server met 16 clients (108 answers refused as busy in
#: the benchmark's concurrent load, in its first two seconds); the workers, forked from the
#: main thread, keep its priority (Linux: a nice value is per thread).
BUILD_NICENESS = 10


def _build_niced(version: str, token: str, max_quads: int | None) -> None:
    """:func:`build` at :data:`BUILD_NICENESS` (this thread only)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BUILD_NICENESS)
    build(version, token, max_quads)


def serve(
    listener_fd: int,
    alive_r: int,
    version: str,
    token: str,
    max_quads: int | None,
    preload: list[str],
    **data: Any,
) -> None:
    """Body of a copy's fork server: build the copy of ``version`` (read at ``token``), then
    fork workers as multiprocessing's fork server does (``forkserver.main``, whose arguments
    the others are). Without a copy it still forks workers; they report why and exit."""
    # Built in a thread of its own: what the engine keeps per thread (its random generator,
    # seeded on first use) stays in that thread, and every worker, forked from this one,
    # seeds its own. Built here, every worker drew the same STRUUID() (rand 0.9's thread
    # generator is not reseeded on fork).
    builder = threading.Thread(target=_build_niced, args=(version, token, max_quads), name="copy")
    builder.start()
    builder.join()
    if _held is None:
        log.info("no in-memory copy of %s: %s", version, refused)
    forkserver.main(listener_fd, alive_r, preload, **data)
