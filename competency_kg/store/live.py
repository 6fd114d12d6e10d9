"""A read-only view of the embedded store that follows the loads, for long-running readers.

A read-only RocksDB handle sees the data as of opening. The view opens the store's current
published version (:mod:`competency_kg.store.versions`), which no writer touches, and moves to
the next one when a load publishes it: one ``stat`` per use tells
(:func:`~competency_kg.store.versions.state_token`, the one sign of a changed store). A store
with no version yet is read where :func:`~competency_kg.store.journal.readable_path` says (the
checkpoint of a first load still running) until its first version is published.

Used by the query workers (no rdflib there) and by the validation pages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from competency_kg.store.journal import readable_path
from competency_kg.store.versions import state_token

log = logging.getLogger(__name__)

T = TypeVar("T")


class LiveView(Generic[T]):
    """``open_at(folder)`` opens a read-only handle; :meth:`current` returns one that is up to
    date. Raises OSError (or what ``open_at`` raises) if the store cannot be opened at all."""

    def __init__(self, path: str | Path, open_at: Callable[[str], T]) -> None:
        self.path = str(path)
        self._open_at = open_at
        self._lock = threading.Lock()
        self._token = state_token(Path(self.path))
        self._handle = self._open()

    def _open(self) -> T:
        return self._open_at(str(readable_path(Path(self.path))))

    @property
    def token(self) -> str | None:
        """The version token of the handle :meth:`current` last returned: what a value read
        through it may be remembered under (:mod:`competency_kg.versioned_cache`)."""
        return self._token

    def current(self) -> T:
        with self._lock:
            token = state_token(Path(self.path))
            if token == self._token:
                return self._handle
            try:
                self._handle, self._token = self._open(), token
            except (OSError, RuntimeError) as exc:
                # the version was dropped meanwhile, or the store is gone: keep the snapshot
                # we have and try again next time
                log.debug("store reopen failed, keeping the old snapshot: %s", exc)
            return self._handle
