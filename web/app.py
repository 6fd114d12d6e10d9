"""The Flask application factory.

``create_app(settings)`` reads its settings when called, never at import time. Each concern is
a blueprint in its own module, listed in :data:`BLUEPRINTS` as ``"module:attribute"`` so that
adding a page is one line here. Blueprints reach the shared services through
:func:`query_executor` (SPARQL queries that can be stopped, see ``competency_kg.query_pool``)
and :func:`get_store` (a read-only :class:`GraphStore` for quick look-ups).
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from competency_kg.config import Settings
from competency_kg.config import settings as resolve_settings
from competency_kg.query_pool import (
    DEFAULT_MAX_RESULT_BYTES,
    DEFAULT_TIMEOUT,
    InlineExecutor,
    QueryPool,
    parse_size,
)
from competency_kg.store import GraphStore, StoreError, open_store
from competency_kg.store.live import LiveView

#: The blueprints every application registers, in order.
BLUEPRINTS: list[str] = [
    "competency_kg.web.sparql:bp",
    "competency_kg.web.editor:bp",
    "competency_kg.web.validation:bp",
    "competency_kg.web.compare:bp",
    "competency_kg.web.match:bp",
    "competency_kg.web.home:bp",
    "competency_kg.web.search:bp",
    "competency_kg.web.void:bp",
    "competency_kg.web.resources:bp",
]

#: The site's main navigation, as (label, path); pages add theirs here.
NAV_LINKS: list[tuple[str, str]] = [
    ("Occupations", "/class/occupation"),
    ("Competencies", "/class/competency"),
    ("Compare", "/compare"),
    ("Match", "/match"),
    ("Pathways", "/pathway"),
    ("SPARQL", "/sparql"),
    ("Validation", "/validation"),
]

#: Largest request body accepted (a query with a big VALUES block still fits).
MAX_REQUEST_BYTES = 10 * 1024 * 1024

EXTENSION = "competency_kg"


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


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def create_app(
    settings: Settings | None = None,
    *,
    query_timeout: float = DEFAULT_TIMEOUT,
    store: GraphStore | None = None,
    query_workers: int | None = None,
    max_result_bytes: int | None = None,
    query_memory: int | None = None,
    test_config: dict[str, Any] | None = None,
    request_threads: int | None = None,
) -> Flask:
    """Build the web application.

    ``store`` (tests), or a remote store (``settings.store`` is an ``http(s)://`` URL),
    answers queries in the request thread; otherwise a pool of ``query_workers`` processes
    (default: ``$COMPETENCY_KG_QUERY_WORKERS`` or the number of cores) opens
    ``settings.store`` read-only. ``max_result_bytes`` caps a serialized query result
    (default: ``$COMPETENCY_KG_MAX_RESULT_BYTES`` or 50 MB); ``query_memory`` is each query
    worker's memory ceiling (default: ``$COMPETENCY_KG_QUERY_MEMORY`` or half the machine's
    memory shared among the workers). ``request_threads`` (the server's) bounds how many of
    them SPARQL queries may hold waiting for a worker.
    """
    cfg = settings or resolve_settings()
    if max_result_bytes is None:
        max_result_bytes = _env_int("COMPETENCY_KG_MAX_RESULT_BYTES") or DEFAULT_MAX_RESULT_BYTES
    if query_workers is None:
        query_workers = _env_int("COMPETENCY_KG_QUERY_WORKERS")
    if query_memory is None and os.environ.get("COMPETENCY_KG_QUERY_MEMORY"):
        query_memory = parse_size(os.environ["COMPETENCY_KG_QUERY_MEMORY"])
    executor: QueryPool | InlineExecutor
    if store is None and cfg.store.startswith(("http://", "https://")):
        # A remote store is a SPARQL server already: queries go to it from the request thread,
        # with its HTTP timeout set to ours; stopping a runaway query is that server's job.
        store = open_store(cfg.store)
        if hasattr(store, "timeout"):
            store.timeout = query_timeout
    if store is not None:
        executor = InlineExecutor(store, timeout=query_timeout, max_result_bytes=max_result_bytes)
    else:
        executor = QueryPool(
            cfg.store,
            size=query_workers,
            timeout=query_timeout,
            max_result_bytes=max_result_bytes,
            reserved=_env_int("COMPETENCY_KG_PAGE_WORKERS"),
            per_client=_env_int("COMPETENCY_KG_QUERIES_PER_CLIENT"),
            request_threads=request_threads,
            memory_limit=query_memory,
        )

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    if test_config:
        app.config.update(test_config)
    app.extensions[EXTENSION] = WebState(
        settings=cfg,
        executor=executor,
        query_timeout=query_timeout,
        max_result_bytes=max_result_bytes,
        store=store,
    )
    app.context_processor(lambda: {"nav_links": NAV_LINKS})
    for spec in BLUEPRINTS:
        module, _, attr = spec.partition(":")
        app.register_blueprint(getattr(importlib.import_module(module), attr))
    importlib.import_module("competency_kg.web.security").init_security(app)
    return app


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
