"""Values remembered while the store's state (a version token) stays the same: the one
per-store-version cache (the pages' memo, the comparison's profiles), and the one sign of a
changed store it is keyed by (:func:`store_version`).

One build at a time per key: callers arriving while a value is being built wait for it rather
than build their own — a fresh server under load would otherwise run the same expensive
queries in every thread at once (and, past the query timeout, have them all cut).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from competency_kg.store.versions import state_token


def store_version(location: str | Path | None) -> str | None:
    """The store's published version as a token (one ``stat``, as the query workers check it:
    :func:`~competency_kg.store.versions.state_token`); None for a remote store, or an
    embedded one with no published version yet: nothing is remembered for those."""
    if location is None or str(location).startswith(("http://", "https://")):
        return None
    return state_token(Path(location))


class VersionedCache:
    """``get(key, version, build)``: ``build()``'s value, kept until ``version`` changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[Hashable, tuple[Hashable, Any]] = {}
        self._flights: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, version: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                hit = self._data.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
            value = build()
            with self._lock:
                self._data[key] = (version, value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


#: The one cache of values per store version, for the whole process.
CACHE = VersionedCache()


def remember(key: Hashable, version: Hashable | None, build: Callable[[], Any]) -> Any:
    """``build()``, kept under ``key`` while the store's ``version`` stays the same and built
    once for concurrent callers; built afresh every time when the version is None."""
    if version is None:
        return build()
    return CACHE.get(key, version, build)
