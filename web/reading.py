"""Running the pages' queries through the application's query executor, and remembering
what they found for as long as the store stays the same."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from competency_kg.query_pool import InlineExecutor
from competency_kg.sparql.text import QueryInfo
from competency_kg.store.versions import state_token
from competency_kg.versioned_cache import VersionedCache
from competency_kg.web.terms import json_term, tsv_term

#: Limit for one page's queries (the executor's own limit applies when lower).
PAGE_QUERY_TIMEOUT = 20.0

_SELECT = QueryInfo(form="select", has_dataset=False, uses_service=False)


def store_fingerprint(path: str) -> str | None:
    """A cheap token that changes whenever a load changes the embedded store.

    The same signal the query workers watch to reopen the store: its published version
    (:func:`competency_kg.store.versions.state_token`), or for a store without one, the
    folder's mtime and the write-ahead logs' sizes. None for a remote store or a store that
    is not a folder.
    """
    if path.startswith(("http://", "https://")):
        return None
    token = state_token(Path(path))
    if token is not None:
        return token
    try:
        parts = [str(os.stat(path).st_mtime_ns)]
        with os.scandir(path) as it:
            for e in it:
                if e.name.endswith(".log"):
                    parts.append(f"{e.name}:{e.stat().st_size}")
    except OSError:
        return None
    return hashlib.sha1("|".join(sorted(parts)).encode()).hexdigest()[:16]


class LRUCache:
    """A small thread-safe LRU cache bounded by the total size of its values."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_items: int = 2048) -> None:
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._data: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
            return hit[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, size)
            self._bytes += size
            while self._data and (self._bytes > self.max_bytes or len(self._data) > self.max_items):
                _, (_, n) = self._data.popitem(last=False)
                self._bytes -= n

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


_MEMO = VersionedCache()


def memo(name: str, version: str | None, key: Any, fn: Callable[[], Any]) -> Any:
    """``fn()``, remembered for as long as the store ``version`` stays the same, computed
    once for concurrent callers (:class:`VersionedCache`)."""
    if version is None:
        return fn()
    return _MEMO.get((name, key), version, fn)


Row = dict[str, str]


class Reader:
    """Runs SELECT queries for the pages; rows map variable names to N-Triples terms."""

    def __init__(
        self,
        executor: Any = None,
        timeout: float = PAGE_QUERY_TIMEOUT,
        version: str | None = None,
    ) -> None:
        if executor is None:
            from competency_kg.web.state import query_executor

            executor = query_executor()
        self.executor = executor
        limit = getattr(executor, "timeout", timeout)
        self.timeout = min(timeout, limit) if limit else timeout
        # Remote engines write TSV their own way; their JSON is standard everywhere.
        self.json = isinstance(executor, InlineExecutor) and (
            getattr(executor.store, "oxigraph", None) is None
        )
        self.queries = 0
        #: the store's state (:func:`store_fingerprint`): what may be cached is cached under it
        self.version = version

    def select(self, query: str) -> list[Row]:
        self.queries += 1
        mime = "application/sparql-results+json" if self.json else "text/tab-separated-values"
        result = self.executor.run(
            query, results_mime=mime, graph_mime=None, timeout=self.timeout, info=_SELECT
        )
        return _json_rows(result.data) if self.json else _tsv_rows(result.data)


def _tsv_rows(data: bytes) -> list[Row]:
    lines = data.decode("utf-8").split("\n")
    if not lines or not lines[0]:
        return []
    names = [v[1:] for v in lines[0].split("\t")]
    rows: list[Row] = []
    for line in lines[1:]:
        if not line:
            continue
        row: Row = {}
        for name, cell in zip(names, line.split("\t"), strict=False):
            if cell:
                row[name] = tsv_term(cell)
        rows.append(row)
    return rows


def _json_rows(data: bytes) -> list[Row]:
    import json

    doc = json.loads(data)
    return [
        {k: json_term(v) for k, v in b.items()} for b in doc.get("results", {}).get("bindings", [])
    ]


def values(var: str, terms: Iterable[str]) -> str:
    """``VALUES ?var { … }`` over terms already written by this module (never raw text)."""
    return f"VALUES ?{var} {{ {' '.join(terms)} }}"


def chunks(items: Sequence[str], size: int = 400) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
