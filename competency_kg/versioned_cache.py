"""Values remembered while the store's state (a version token) stays the same.

One build at a time per key: callers arriving while a value is being built wait for it rather
than build their own — a fresh server under load would otherwise run the same expensive
queries in every thread at once (and, past the query timeout, have them all cut).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any


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
