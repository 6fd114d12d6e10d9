"""Running the pages' queries through the application's query executor, and remembering
what they found for as long as the store stays the same (the version of
:func:`~competency_kg.versioned_cache.store_version`)."""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from competency_kg.query_pool import InlineExecutor
from competency_kg.sparql.formats import RESULTS_JSON, RESULTS_TSV
from competency_kg.sparql.results import RawResult, Term, solution_rows, term_rows
from competency_kg.sparql.text import QueryInfo
from competency_kg.versioned_cache import remember
from competency_kg.web.state import query_executor

#: Limit for one page's queries (the executor's own limit applies when lower).
PAGE_QUERY_TIMEOUT = 20.0

_SELECT = QueryInfo(form="select", has_dataset=False, uses_service=False)


class LRUCache:
    """A small thread-safe LRU cache bounded by the total size of its values.

    Beside the per-version cache (:func:`memo`) because its keys are requests (rendered
    pages, summaries of any resource), unbounded in number: it forgets the least used."""

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


def memo(name: str, version: str | None, key: Any, fn: Callable[[], Any]) -> Any:
    """``fn()``, remembered for as long as the store ``version`` stays the same, computed
    once for concurrent callers (:func:`~competency_kg.versioned_cache.remember`)."""
    return remember(("page", name, key), version, fn)


Row = dict[str, str]


def settle_heap() -> None:
    """Leave what the process holds now out of the garbage collector's full collections:
    collect once, then freeze what is left (:func:`gc.freeze`), unfrozen first, so what the
    previous store version held is collected. Called when a version's tables are read
    (:func:`~competency_kg.web.describe.hub_summaries`): a full collection then walks their
    100,000 objects, 50-90 ms of a page's first fetch at 1 M triples whenever one came due
    mid-page. Freezing keeps nothing alive: objects freed by their count go as before."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class Reader:
    """Runs SELECT queries for the pages; rows map variable names to N-Triples terms."""

    def __init__(
        self,
        executor: Any = None,
        timeout: float = PAGE_QUERY_TIMEOUT,
        version: str | None = None,
    ) -> None:
        if executor is None:
            executor = query_executor()
        self.executor = executor
        limit = getattr(executor, "timeout", timeout)
        self.timeout = min(timeout, limit) if limit else timeout
        # Remote engines write TSV their own way; their JSON is standard everywhere.
        self.json = isinstance(executor, InlineExecutor) and (
            getattr(executor.store, "oxigraph", None) is None
        )
        self.queries = 0
        #: the store's state (:func:`~competency_kg.versioned_cache.store_version`): what may
        #: be cached is cached under it
        self.version = version

    def select(self, query: str) -> list[Row]:
        """Rows of N-Triples terms, as pages carry them."""
        return term_rows(self._run(query))

    def terms(self, query: str) -> list[dict[str, Term]]:
        """Rows of engine terms (for the readers below the web: the metadata graph's)."""
        return solution_rows(self._run(query))[1]

    def _run(self, query: str) -> RawResult:
        self.queries += 1
        mime = RESULTS_JSON if self.json else RESULTS_TSV
        result = self.executor.run(
            query, results_mime=mime, graph_mime=None, timeout=self.timeout, info=_SELECT
        )
        return RawResult("select", mime, result.data)


def values(var: str, terms: Iterable[str]) -> str:
    """``VALUES ?var { … }`` over terms already written by this module (never raw text)."""
    return f"VALUES ?{var} {{ {' '.join(terms)} }}"


def chunks(items: Sequence[str], size: int = 400) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
