"""A read-only view of the embedded store that follows the loads, for long-running readers.

A read-only RocksDB handle sees the data as of opening. The view opens the store's current
published version (:mod:`competency_kg.store.versions`), which no writer touches, and moves to
the next one when a load publishes it: one ``stat`` per use tells.

Stores written before versions existed are followed by their files, as before: writes grow the
write-ahead logs (``*.log``), flushes and compactions change the folder's mtime; while a bulk
load is journaled (see :mod:`competency_kg.store.journal`) the view keeps its snapshot, and one
opened meanwhile reads the load's checkpoint. (Opening a folder another process writes is
undefined behaviour in RocksDB, which is why loads now publish versions.)

Used by the query workers (no rdflib there) and by the validation pages.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from competency_kg.store.journal import journal_dir, journal_marker, readable_path
from competency_kg.store.versions import state_token

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
    date. Raises OSError (or what ``open_at`` raises) if the store cannot be opened at all.

    A store with published versions (:mod:`competency_kg.store.versions`) is followed by its
    version pointer: one ``stat`` per use, and the folder opened is never written to. A store
    without one (written before versions existed) is followed by its files, as before."""

    def __init__(self, path: str | Path, open_at: Callable[[str], T]) -> None:
        self.path = str(path)
        self._open_at = open_at
        self._lock = threading.Lock()
        self._token = state_token(Path(self.path))
        self._seen = _Seen(self.path)
        self._handle, self._from_checkpoint = self._open()

    def _open(self) -> tuple[T, bool]:
        where = str(readable_path(Path(self.path)))
        return self._open_at(where), where == str(journal_dir(Path(self.path)))

    def current(self) -> T:
        with self._lock:
            token = state_token(Path(self.path))
            if token is not None:
                if token == self._token:
                    return self._handle
                return self._reopen(token)
            if journal_marker(Path(self.path)).exists():
                return self._handle  # a bulk load is journaled: keep what we have (old data)
            if not (self._from_checkpoint or self._seen.changed()):
                return self._handle
            return self._reopen(None)

    def _reopen(self, token: str | None) -> T:
        try:
            seen = _Seen(self.path)  # before opening: a change after it is seen next time
            self._handle, self._from_checkpoint = self._open()
            self._seen, self._token = seen, token
        except (OSError, RuntimeError) as exc:
            # (unversioned stores) mid-write or mid-compaction ("Corruption: … No such file"),
            # or gone: keep the snapshot we have and try again next time
            log.debug("store reopen failed, keeping the old snapshot: %s", exc)
        return self._handle
