"""A read-only view of the embedded store that follows the loads, for long-running readers.

A read-only RocksDB handle sees the data as of opening. Writes grow the write-ahead logs
(``*.log``); flushes and compactions add and remove files, which changes the folder's mtime.
Checking both costs a few system calls per use, and tells when to reopen. While a bulk load is
journaled (running, or killed: see :mod:`competency_kg.store.journal`) its graph is half-built,
so the view keeps the snapshot it has, and a view opened meanwhile reads the load's checkpoint:
the data as before the load.

Used by the query workers (no rdflib there) and by the validation pages.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from competency_kg.store.journal import journal_marker, readable_path

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Seen:
    """What changes on disk when a load writes: the folder's mtime (files added or removed by
    flushes and compactions), and the sizes of the write-ahead logs (``*.log``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.mtime = os.stat(path).st_mtime_ns
        with os.scandir(path) as it:
            self.logs = [(e.path, e.stat().st_size) for e in it if e.name.endswith(".log")]

    def changed(self) -> bool:
        """A few ``stat`` calls, no directory listing (this runs before every query)."""
        try:
            if os.stat(self.path).st_mtime_ns != self.mtime:
                return True
            return any(os.stat(p).st_size != size for p, size in self.logs)
        except OSError:
            return True


class LiveView(Generic[T]):
    """``open_at(folder)`` opens a read-only handle; :meth:`current` returns one that is up to
    date. Raises OSError (or what ``open_at`` raises) if the store cannot be opened at all."""

    def __init__(self, path: str | Path, open_at: Callable[[str], T]) -> None:
        self.path = str(path)
        self._open_at = open_at
        self._lock = threading.Lock()
        self._seen = _Seen(self.path)
        self._handle, self._from_checkpoint = self._open()

    def _open(self) -> tuple[T, bool]:
        where = str(readable_path(Path(self.path)))
        return self._open_at(where), where != self.path

    def current(self) -> T:
        with self._lock:
            if journal_marker(Path(self.path)).exists():
                return self._handle  # a bulk load is journaled: keep what we have (old data)
            if not (self._from_checkpoint or self._seen.changed()):
                return self._handle
            try:
                seen = _Seen(self.path)  # before opening: a change after it is seen next time
                self._handle, self._from_checkpoint = self._open()
                self._seen = seen
            except (OSError, RuntimeError) as exc:
                # mid-write or mid-compaction ("Corruption: … No such file"), or gone: keep the
                # snapshot we have and try again next time
                log.debug("store reopen failed, keeping the old snapshot: %s", exc)
            return self._handle
