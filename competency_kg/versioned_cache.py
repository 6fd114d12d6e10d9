"""Values remembered while the store's state (a version token) stays the same: the one
per-store-version cache (the pages' memo, the comparison's profiles, the endpoint's answers),
and the one sign of a changed store it is keyed by (:func:`store_version`).

One build at a time per key (:meth:`VersionedCache.get`): callers arriving while a value is
being built wait for it rather than build their own — a fresh server under load would otherwise
run the same expensive queries in every thread at once (and, past the query timeout, have them
all cut). Callers that must not wait on another's build (a query pool, which admits, times and
kills each query on its own) look a value up and put it back themselves
(:meth:`VersionedCache.find`, :meth:`VersionedCache.put`).

A cache made with ``max_bytes`` is bounded: values carry a size, the least recently used go
first, and one larger than :data:`LARGEST_SHARE` of the bound is not kept. Hits and misses
are counted apart (:attr:`VersionedCache.hits`, :attr:`VersionedCache.misses`).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Final

from competency_kg.store.versions import state_token

#: What :meth:`VersionedCache.find` returns when nothing is kept for the key and version.
MISSING: Final = object()
#: A bounded cache keeps no value larger than this share of its bound.
LARGEST_SHARE = 1 / 16


def store_version(location: str | Path | None) -> str | None:
    """The store's published version as a token (one ``stat``, as the query workers check it:
    :func:`~competency_kg.store.versions.state_token`); None for a remote store, or an
    embedded one with no published version yet: nothing is remembered for those."""
    if location is None or str(location).startswith(("http://", "https://")):
        return None
    return state_token(_store_path(str(location)))


@functools.lru_cache(maxsize=64)
def _store_path(location: str) -> Path:
    """The path of a store, made once (asked on every query; a kept answer costs the
    event loop 20 µs, of which making the path was 4)."""
    return Path(location)


class VersionedCache:
    """``get(key, version, build)``: ``build()``'s value, kept until ``version`` changes.

    ``max_bytes`` (None: unbounded) and ``max_items`` bound a cache whose keys are unbounded
    in number (the endpoint's: query texts); :meth:`put` then takes each value's size.
    """

    def __init__(self, max_bytes: int | None = None, max_items: int = 4096) -> None:
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._lock = threading.Lock()
        self._data: OrderedDict[Hashable, tuple[Hashable, Any, int]] = OrderedDict()
        self._bytes = 0
        self._flights: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, version: Hashable, build: Callable[[], Any]) -> Any:
        value = self.find(key, version)
        if value is not MISSING:
            return value
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                hit = self._data.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]  # built by the caller this one waited for
            value = build()
            self.put(key, version, value)
            return value

    def find(self, key: Hashable, version: Hashable, *, count_miss: bool = True) -> Any:
        """The value kept for ``key`` at ``version``, or :data:`MISSING` (counted apart;
        ``count_miss=False`` for a caller that hands a miss on to one that looks again)."""
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] == version:
                self.hits += 1
                if self.max_bytes is not None:
                    self._data.move_to_end(key)
                return hit[1]
            if count_miss:
                self.misses += 1
            if hit is not None:  # another version's: never served again
                self._drop(key)
            return MISSING

    def count_miss(self) -> None:
        """Count a miss that a caller found by other means (an answer computed without a
        :meth:`find` that counted it)."""
        with self._lock:
            self.misses += 1

    def put(self, key: Hashable, version: Hashable, value: Any, size: int = 0) -> bool:
        """Keep ``value`` (of ``size`` bytes) for ``key`` at ``version``; False when it is too
        large for a bounded cache. The least recently used values go to make room."""
        bound = self.max_bytes
        if bound is not None and size > bound * LARGEST_SHARE:
            return False
        with self._lock:
            self._drop(key)
            self._data[key] = (version, value, size)
            self._bytes += size
            if bound is not None:
                while self._data and (self._bytes > bound or len(self._data) > self.max_items):
                    self._drop(next(iter(self._data)))
        return True

    def _drop(self, key: Hashable) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self._bytes -= old[2]

    @property
    def size(self) -> int:
        """Bytes held (the sizes given to :meth:`put`)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


#: The one cache of values per store version, for the whole process.
CACHE = VersionedCache()


def remember(key: Hashable, version: Hashable | None, build: Callable[[], Any]) -> Any:
    """``build()``, kept under ``key`` while the store's ``version`` stays the same and built
    once for concurrent callers; built afresh every time when the version is None."""
    if version is None:
        return build()
    return CACHE.get(key, version, build)
