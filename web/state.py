"""What the web application shares between requests, and how a blueprint reaches it.

Blueprints import this module, never :mod:`competency_kg.web.app` (which imports them):
:func:`query_executor` answers SPARQL queries that can be stopped
(:mod:`competency_kg.query_pool`), :func:`get_store` gives a read-only :class:`GraphStore`
for quick look-ups.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from flask import Flask, current_app

from competency_kg.config import Settings
from competency_kg.query_pool import InlineExecutor, QueryPool
from competency_kg.store import GraphStore, StoreError, open_store
from competency_kg.store.live import LiveView

#: Largest request body accepted (a query with a big VALUES block still fits).
MAX_REQUEST_BYTES = 10 * 1024 * 1024

#: The key of :class:`WebState` in ``app.extensions``.
EXTENSION = "competency_kg"


#: ``app.config`` key set by ``competency-kg serve`` (``create_app(served=True)``, before the
#: blueprints are registered): the application answers visitors over HTTP, not a test's
#: client in process. The warmer, the templates' precompile and the report page read it.
SERVED = "CKG_SERVED"


@dataclass
class WebState:
    """What the application shares between requests (one per process)."""

    settings: Settings
    executor: QueryPool | InlineExecutor
    query_timeout: float
    max_result_bytes: int
    store: GraphStore | None = None
    _live: LiveView[GraphStore] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get_store(self) -> GraphStore:
        """The given store (tests, a remote one), or the embedded store on disk read-only,
        reopened after each load (:class:`LiveView`)."""
        if self.store is not None:
            return self.store
        with self._lock:
            if self.settings.store.startswith(("http://", "https://")):
                self.store = open_store(self.settings.store)
                return self.store
            if self._live is None:
                try:
                    self._live = LiveView(self.settings.store, _open_read_only)
                except OSError as exc:
                    raise StoreError(
                        f"no store at {self.settings.store}: run 'competency-kg load' first"
                    ) from exc
        return self._live.current()


def _open_read_only(path: str) -> GraphStore:
    return open_store(path, read_only=True)


def state(app: Flask | None = None) -> WebState:
    """The shared state of ``app`` (default: the current application)."""
    return (app or current_app).extensions[EXTENSION]


def query_executor() -> QueryPool | InlineExecutor:
    """Where blueprints send SPARQL queries: ``.run(query, …)`` → ``RawResult``."""
    return state().executor


def get_store() -> GraphStore:
    """A read-only store for quick look-ups, up to date with the last complete load.

    Its queries cannot be stopped: prefer :func:`query_executor` for anything a caller
    writes.
    """
    return state().get_store()
