"""The Flask application factory.

``create_app(settings)`` reads its settings when called, never at import time. Each concern is
a blueprint in its own module, listed in :data:`BLUEPRINTS`, so that adding a page is one
import and one line here. Blueprints reach the shared services through
:mod:`competency_kg.web.state` (:func:`~competency_kg.web.state.query_executor`,
:func:`~competency_kg.web.state.get_store`), which sits below them and below this module.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Flask

from competency_kg.config import Settings
from competency_kg.config import settings as resolve_settings
from competency_kg.query_pool import (
    DEFAULT_MAX_RESULT_BYTES,
    DEFAULT_TIMEOUT,
    InlineExecutor,
    QueryPool,
)
from competency_kg.query_sandbox import parse_size
from competency_kg.store import GraphStore, open_store
from competency_kg.web import (
    compare,
    editor,
    home,
    match,
    resources,
    search,
    sparql,
    validation,
    vocabulary_pages,
    void,
    warming,
)
from competency_kg.web.security import init_security
from competency_kg.web.sparql_lean import LeanEndpoint
from competency_kg.web.state import EXTENSION, MAX_REQUEST_BYTES, SERVED, WebState

#: The blueprints every application registers, in order.
BLUEPRINTS: list[Blueprint] = [
    sparql.bp,
    editor.bp,
    validation.bp,
    compare.bp,
    match.bp,
    home.bp,
    search.bp,
    void.bp,
    vocabulary_pages.bp,
    resources.bp,
    warming.bp,
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


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def _env_size(name: str) -> int | None:
    value = os.environ.get(name)
    return parse_size(value) if value else None


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
    served: bool = False,
) -> Flask:
    """Build the web application.

    ``store`` (tests), or a remote store (``settings.store`` is an ``http(s)://`` URL),
    answers queries in the request thread; otherwise a pool of ``query_workers`` processes
    (default: ``$COMPETENCY_KG_QUERY_WORKERS`` or the number of cores) opens
    ``settings.store`` read-only. ``max_result_bytes`` caps a serialized query result
    (default: ``$COMPETENCY_KG_MAX_RESULT_BYTES`` or 50 MB); ``query_memory`` is each query
    worker's memory ceiling (default: ``$COMPETENCY_KG_QUERY_MEMORY`` or half the machine's
    memory shared among the workers). ``request_threads`` (the server's) bounds how many of
    them SPARQL queries may hold waiting for a worker. ``served``: ``competency-kg serve``
    runs it, visitors wait (not a test's own client): marked as ``app.config[SERVED]``
    before any blueprint is registered, the one mark the warmer and the templates'
    precompile (:mod:`~competency_kg.web.warming`, when registered) and the report page
    (per request) read.
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
            answer_cache=_env_size("COMPETENCY_KG_ANSWER_CACHE"),
        )

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    app.config[SERVED] = served
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
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    init_security(app)
    # outermost: SPARQL queries answered without Flask's per-request work (the rest pass on)
    app.wsgi_app = LeanEndpoint(app.wsgi_app, executor)  # type: ignore[method-assign]
    return app
