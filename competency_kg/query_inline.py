"""Queries answered in the calling thread: for in-memory stores (tests) and remote stores
(:class:`InlineExecutor`), and the one-pattern look-ups the query pool answers without a
worker (:class:`BoundedLookups`)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from competency_kg.query_workers import DEFAULT_MAX_RESULT_BYTES, DEFAULT_TIMEOUT, PAGES
from competency_kg.sparql.errors import (
    UNREACHABLE,
    BadRequest,
    NotAcceptable,
    QuerySyntaxError,
    ResultTooLarge,
    StoreUnavailable,
    UpstreamError,
)
from competency_kg.sparql.execute import QueryJob, execute, make_job, outcome
from competency_kg.sparql.formats import RESULTS_JSON
from competency_kg.sparql.results import RawResult
from competency_kg.sparql.text import QueryInfo, remembered, without_comments
from competency_kg.store.base import GraphStore, StoreError, StoreUnreachable
from competency_kg.store.dataset import UnsupportedDataset, answer, query_plan
from competency_kg.store.live import LiveView
from competency_kg.store.versions import state_token


class InlineExecutor:
    """Answers queries in the calling thread, without a timeout of its own: for in-memory
    stores (tests) and remote stores (a SPARQL server, which enforces its own limits).

    Same checks, dataset handling and result formats as :class:`QueryPool`.
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.max_result_bytes = max_result_bytes
        self.size = 1
        self.killed = 0
        self.network_guarded = False

    def start(self) -> None:
        pass

    def wait_ready(self, timeout: float = 0.0) -> bool:
        return True

    def close(self) -> None:
        pass

    def run(
        self,
        query: str,
        *,
        results_mime: str | None = RESULTS_JSON,
        graph_mime: str | None = "text/turtle",
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
        base_iri: str | None = None,
        timeout: float | None = None,
        info: QueryInfo | None = None,
        lane: str = PAGES,
        client: str | None = None,
    ) -> RawResult:
        job = make_job(
            query, results_mime, graph_mime, default_graphs, named_graphs, base_iri, info,
        )  # fmt: skip
        ox_store = getattr(self.store, "oxigraph", None)
        if ox_store is not None:
            reply, data = answer(ox_store, job, self.max_result_bytes)
            return outcome(reply, data)
        return self._run_remote(job)

    def _run_remote(self, job: QueryJob) -> RawResult:
        protocol = job.default_graphs is not None or job.named_graphs is not None
        try:
            result = self.store.query_raw(
                job.query,
                results_mime=job.results_mime or RESULTS_JSON,
                graph_mime=job.graph_mime or "text/turtle",
                default_graphs=list(job.default_graphs or ()) if protocol else None,
                named_graphs=list(job.named_graphs or ()) if protocol else None,
            )
        except SyntaxError as exc:  # the server's own parser refused it (HTTP 400)
            raise QuerySyntaxError(f"SPARQL syntax error: {exc}") from exc
        except UnsupportedDataset as exc:
            raise BadRequest(str(exc)) from exc
        except StoreUnreachable as exc:
            raise StoreUnavailable(UNREACHABLE) from exc
        except StoreError as exc:
            raise UpstreamError(f"the store's SPARQL server failed the query: {exc}") from exc
        wanted = job.graph_mime if result.kind == "graph" else job.results_mime
        if wanted is None:
            raise NotAcceptable(result.kind)
        if len(result.data) > self.max_result_bytes:
            raise ResultTooLarge(self.max_result_bytes)
        return result


# --------------------------------------------------------------------------- bounded lookups
#: Serialized bytes a query answered in the web process may have (a query with more goes to
#: a worker), and the longest text looked at. Every row of a one-pattern query is at least two
#: bytes of any results format (CSV's line end), so this bounds its rows (32,768), and with
#: them the triples its scan reads: the worst case, 32,768 empty CSV rows, took 20 ms
#: (a look-up 0.2 ms) on a loaded 2-core machine.
INLINE_BYTES = 64 * 1024
INLINE_CHARS = 4096
#: The bytes a one-pattern query answered in the server's event loop may have (a miss there:
#: :class:`competency_kg.web.sparql_lean.KeptAnswers`); one with more is cut off there and
#: left to a request thread, which answers it as before. New requests wait while the loop
#: reads the store, so this bounds that wait by bounding the rows read: at 1 M triples,
#: 0.3 ms for 20 whole triples in JSON, 1.4 ms cut off in the 8 KB of JSON of a broad scan,
#: 6.3 ms at worst (4,096 empty CSV rows, ``SELECT ?unbound``), against 27 ms at
#: :data:`INLINE_BYTES` (``docs/benchmarks/lookup.md``, "Misses").
LOOP_BYTES = 8 * 1024

# The tokens of a one-pattern query (what :func:`one_pattern` accepts), strictly: IRIs
# without escapes, prefixed names without escapes or dots, plain strings, integers.
_TOKENS = re.compile(
    r"(?P<ws>\s+|#[^\r\n]*)"
    r"|(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)"
    r"|(?P<pname>(?:[A-Za-z][\w\-]*)?:[\w\-]*)"
    r"|(?P<var>[?$][A-Za-z_]\w*)"
    r"|(?P<str>\"[^\"\\\r\n]*\"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*)?)"
    r"|(?P<int>\d+)"
    r"|(?P<word>[A-Za-z]+)"
    r"|(?P<punct>\^\^|[{}.*])"
)
_TERM = {"iri", "pname"}


def _tokens(text: str) -> list[tuple[str, str]] | None:
    out: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        m = _TOKENS.match(text, at)
        if m is None:
            return None
        at = m.end()
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append((kind, m.group(0)))
    return out


def one_pattern(text: str) -> bool:
    """Whether the query is one triple pattern and nothing else: ``SELECT ?v… | * [WHERE]
    { s p o [.] } [LIMIT n]`` or ``ASK [WHERE] { s p o [.] }``, after ``PREFIX``/``BASE``
    lines, with no variable twice. Its engine work is one index scan that yields a row for
    each triple it reads (no ``DISTINCT``, ``ORDER BY``, ``OFFSET``, path, filter or join
    that could read many triples for few rows), so bounding its output bounds its time: what
    lets the web process answer it without a worker it could kill (:class:`BoundedLookups`).

    >>> one_pattern("PREFIX s: <urn:s#> SELECT ?l WHERE { <urn:a> s:label ?l . } LIMIT 5")
    True
    >>> one_pattern("SELECT DISTINCT ?p { ?s ?p ?o }"), one_pattern("ASK { ?x <urn:p> ?x }")
    (False, False)
    """
    # one group and no parentheses (no FILTER, function or aggregate): most other queries
    # are told apart here, without the tokens (braces or parentheses in a string or a
    # comment: not taken)
    if len(text) > INLINE_CHARS or text.count("{") != 1 or "(" in text:
        return False
    # a comment is white space to the tokens: the same text with a new comment (a client's
    # "# round N") is found among the remembered ones
    return _one_pattern_tokens(without_comments(text) or text)


@remembered
def _one_pattern_tokens(text: str) -> bool:
    """:func:`one_pattern` after its quick look: the tokens, one by one."""
    toks = _tokens(text)
    if toks is None:
        return False
    c = _Cursor(toks)
    while c.word("PREFIX", "BASE"):  # the prologue
        name = c.kind("pname") if c.toks[c.i - 1][1].upper() == "PREFIX" else ":"
        if name is None or not name.endswith(":") or c.kind("iri") is None:
            return False
    select = c.word("SELECT")
    if select:
        if not c.take(("punct", "*")) and c.kind("var") is None:
            return False
        while c.kind("var") is not None:
            pass
    elif not c.word("ASK"):
        return False
    c.word("WHERE")
    if not (c.take(("punct", "{")) and _triple(c)):
        return False
    c.take(("punct", "."))
    if not c.take(("punct", "}")):
        return False
    if select and c.word("LIMIT") and c.kind("int") is None:
        return False
    return c.i == len(toks)


class _Cursor:
    """Where :func:`one_pattern` is in the tokens; each method takes a token if it fits."""

    def __init__(self, toks: list[tuple[str, str]]) -> None:
        self.toks = toks
        self.i = 0

    def take(self, tok: tuple[str, str]) -> bool:
        if self.i < len(self.toks) and self.toks[self.i] == tok:
            self.i += 1
            return True
        return False

    def word(self, *names: str) -> bool:
        if self.i < len(self.toks):
            kind, value = self.toks[self.i]
            if kind == "word" and value.upper() in names:
                self.i += 1
                return True
        return False

    def kind(self, *kinds: str) -> str | None:
        if self.i < len(self.toks) and self.toks[self.i][0] in kinds:
            self.i += 1
            return self.toks[self.i - 1][1]
        return None


def _triple(c: _Cursor) -> bool:
    """Take one triple pattern: terms, ``a`` as the predicate, no variable twice."""
    seen: set[str] = set()
    for allowed in (_TERM | {"var"}, _TERM | {"var", "word"}, _TERM | {"var", "str", "int"}):
        if c.i >= len(c.toks) or c.toks[c.i][0] not in allowed:
            return False
        k, value = c.toks[c.i]
        c.i += 1
        if k == "word" and value != "a":
            return False
        if k == "var":
            if value[1:] in seen:
                return False
            seen.add(value[1:])
        if k == "str" and c.take(("punct", "^^")) and c.kind("iri", "pname") is None:
            return False
    return True


class BoundedLookups:
    """One-pattern queries (:func:`one_pattern`) answered in the calling thread of the web
    process, on a read-only view of the store opened in this process: no worker round trip.

    They keep the pool's guarantees without a worker to kill: the result is written into at
    most :data:`INLINE_BYTES`, which bounds the rows and so the triples the scan reads (time)
    and the memory; a query with more goes to a worker like any other, and so does one that
    fails (the worker's reply names the failure, a damaged store too). The same dataset plan
    and :func:`~competency_kg.sparql.execute.execute` as a
    worker's :func:`~competency_kg.store.dataset.answer` give the same bytes.
    """

    def __init__(self, store_path: str, max_result_bytes: int) -> None:
        self.store_path = store_path
        self._path = Path(store_path)  # made once: asked on every look-up
        self.max_result_bytes = max_result_bytes
        self._view: LiveView[ox.Store] | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._plans: dict[str, tuple[ox.Store, dict[str, Any]]] = {}

    def _store(self, opened_only: bool) -> tuple[ox.Store, str] | None:
        """The current published version, or None when the store has none yet: then readers
        open the store's own folder, which a load may be writing (undefined behaviour for a
        read-only handle, a query looping for ever: fine in a worker that can be killed, not
        here). With ``opened_only``, None too when that version is not open yet."""
        current = state_token(self._path)
        if current is None:
            return None
        with self._lock:
            # Opened in the process that queries (a gunicorn worker), never inherited by a
            # fork: the pool's workers come from a fork server started by fork and exec.
            if self._view is None or self._pid != os.getpid():
                if opened_only:
                    return None
                self._view, self._pid = LiveView(self.store_path, ox.Store.read_only), os.getpid()
            view = self._view
        if opened_only and view.token != current:
            return None
        store, token = view.current(), view.token
        return None if token is None else (store, token)

    def _plan(
        self, store: ox.Store, token: str, opened_only: bool
    ) -> tuple[ox.Store, dict[str, Any]] | None:
        """The default dataset's plan (:func:`query_plan` without ``FROM``: is the merge
        there?), asked once per store version rather than per query (with ``opened_only``:
        None when not asked yet)."""
        plan = self._plans.get(token)
        if plan is None or plan[0] is not store:
            if opened_only:
                return None
            plan = query_plan(store, "", has_dataset=False)
            self._plans = {token: plan}
        return plan

    def answer(
        self, job: QueryJob, max_bytes: int = INLINE_BYTES, *, opened_only: bool = False
    ) -> tuple[RawResult, str] | None:
        """The result of ``job`` and the version it was read from; None when it is not a
        one-pattern query on the default dataset, its result is over ``max_bytes`` (at most
        :data:`INLINE_BYTES`; the server's event loop asks with :data:`LOOP_BYTES`), or it
        failed. ``opened_only`` (the event loop): None too when the store's current version
        is not open and planned here yet — opening it after a load takes 12–66 ms at 1 M,
        which a request thread spends, not the loop."""
        if job.default_graphs is not None or job.named_graphs is not None or job.has_dataset:
            return None
        if not one_pattern(job.query):
            return None
        limit = min(self.max_result_bytes, max_bytes, INLINE_BYTES)
        try:
            opened = self._store(opened_only)
            if opened is None:
                return None
            store, token = opened
            planned = self._plan(store, token, opened_only)
            if planned is None:
                return None
            target, kwargs = planned
        except Exception:  # a store that cannot be opened: a worker says so
            return None
        # what answer() runs after planning the same dataset
        reply, data = execute(target, kwargs, job, limit)
        if reply[0] != "ok" and (reply[0] != "too-large" or self.max_result_bytes > limit):
            return None  # larger than the limit, or failed: a worker answers, in its words
        return outcome(reply, data), token
