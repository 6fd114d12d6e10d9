"""Executing one query on a ``pyoxigraph`` store: the rewrites, the engine, the serialized
result, capped in size; every failure as a reply a caller can send through a pipe.

Used alike by the query workers (in a sandboxed process, :mod:`competency_kg.query_sandbox`),
by the in-thread executor and by the embedded store. Which graphs a query sees is the store's
business (:func:`competency_kg.store.dataset.query_plan`): this module takes the engine's
dataset arguments as they are.
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from competency_kg.sparql.checks import check_query
from competency_kg.sparql.class_counts import class_counter
from competency_kg.sparql.errors import (
    BadRequest,
    NotAcceptable,
    QueryFailed,
    QuerySyntaxError,
    ResultTooLarge,
    damage,
    is_damage,
)
from competency_kg.sparql.formats import (
    GRAPH_MIMES,
    RESULT_MIMES,
    RESULTS_JSON,
    rdf_format,
    results_format,
)
from competency_kg.sparql.hash_joins import plan
from competency_kg.sparql.results import RawResult
from competency_kg.sparql.sizes import pattern_counter
from competency_kg.sparql.text import QueryInfo

#: How long a probe reads the store after a query timed out or its worker died.
PROBE_SECONDS = 2.0

#: A reply: ``("ok", kind, mime)``, ``("syntax", msg)``, ``("bad", msg)``, ``("error", msg)``,
#: ``("damaged", detail)``, ``("too-large", limit)``, ``("unacceptable", kind)``, ``("memory",)``.
Reply = tuple[Any, ...]


@dataclass(frozen=True)
class QueryJob:
    """One query with everything a worker needs to answer it."""

    query: str
    results_mime: str | None = RESULTS_JSON  # None: SELECT/ASK results are not acceptable
    graph_mime: str | None = "text/turtle"  # None: graph results are not acceptable
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None
    has_dataset: bool | None = None  # FROM/FROM NAMED in the text (None: not looked at yet)


def make_job(
    query: str,
    results_mime: str | None,
    graph_mime: str | None,
    default_graphs: Sequence[str] | None,
    named_graphs: Sequence[str] | None,
    base_iri: str | None,
    info: QueryInfo | None,
) -> QueryJob:
    """A checked job (:func:`check_query` unless ``info`` says it was checked already)."""
    if info is None:
        info = check_query(query)
    if results_mime is not None and results_mime not in RESULT_MIMES:
        raise ValueError(f"cannot write query results as {results_mime}")
    if graph_mime is not None and graph_mime not in GRAPH_MIMES:
        raise ValueError(f"cannot write a graph as {graph_mime}")
    return QueryJob(
        query=query,
        results_mime=results_mime,
        graph_mime=graph_mime,
        default_graphs=tuple(default_graphs) if default_graphs is not None else None,
        named_graphs=tuple(named_graphs) if named_graphs is not None else None,
        base_iri=base_iri,
        has_dataset=info.has_dataset,
    )


class _TooLarge(Exception):
    pass


class _CappedBuffer(io.BytesIO):
    """An in-memory output that refuses to grow beyond ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, b: Any) -> int:
        if self.tell() + len(b) > self.limit:
            raise _TooLarge
        return super().write(b)


def execute(
    store: ox.Store, dataset: dict[str, Any], job: QueryJob, max_bytes: int
) -> tuple[Reply, Any]:
    """Run ``job`` on ``store`` with the engine's ``dataset`` arguments: a :data:`Reply` and
    the serialized bytes (a memoryview, or None)."""
    kwargs = dict(dataset)
    if job.base_iri:
        kwargs["base_iri"] = job.base_iri
    try:
        result = run_rewritten(store, job.query, kwargs)
    except SyntaxError as exc:
        return ("syntax", str(exc)), None
    except MemoryError:
        return ("memory",), None
    except Exception as exc:
        return failure(exc), None
    buf = _CappedBuffer(max_bytes)
    try:
        if isinstance(result, ox.QueryTriples):
            kind, mime = "graph", job.graph_mime
            if mime is None:
                return ("unacceptable", kind), None
            ox.serialize(result, buf, rdf_format(mime))
        else:
            kind = "ask" if isinstance(result, ox.QueryBoolean) else "select"
            mime = job.results_mime
            if mime is None:
                return ("unacceptable", kind), None
            result.serialize(buf, results_format(mime))
    except _TooLarge:
        return ("too-large", max_bytes), None
    except MemoryError:
        return ("memory",), None
    except Exception as exc:  # evaluation errors surface while the results are drawn
        return failure(exc), None
    return ("ok", kind, mime), buf.getbuffer()


def failure(exc: Exception) -> tuple[str, str]:
    """The reply for a failed query: ``damaged`` when the engine could not read the store
    (its message names the store's files), else ``error``."""
    message = str(exc) or type(exc).__name__
    return ("damaged" if is_damage(message) else "error", message)


def probe(store: ox.Store, seconds: float = PROBE_SECONDS) -> Reply:
    """Read every quad for at most ``seconds``: ``("damaged", detail)`` if a block fails its
    check, else ``("sound",)``. Run after a query timed out or killed its worker: on a
    corrupted block, RocksDB's iterator fails at once when a scan streams, but an aggregate
    (``COUNT``, ``GROUP BY``) or ``ASK`` over it keeps retrying until the timeout (pyoxigraph
    0.5; it also piles up memory meanwhile), so the probe tells a damaged store from a slow
    query."""
    end = time.monotonic() + seconds
    try:
        for i, _quad in enumerate(store):
            if i % 4096 == 0 and time.monotonic() > end:
                break
    except Exception as exc:
        return failure(exc) if is_damage(str(exc)) else ("sound",)
    return ("sound",)


def run_rewritten(store: ox.Store, query: str, kwargs: dict[str, Any]) -> Any:
    """Run the query after the rewrites (:func:`competency_kg.sparql.hash_joins.plan`); should the
    rewrite ever produce text the engine rejects, run the query exactly as written."""
    rewritten = plan(query, pattern_counter(store, kwargs), class_counter(store, kwargs))
    if rewritten != query:
        try:
            return store.query(rewritten, **kwargs)
        except SyntaxError:
            pass
    return store.query(query, **kwargs)


def outcome(reply: Reply, data: Any) -> RawResult:
    """Turn a reply into a result, or raise the matching
    :class:`~competency_kg.sparql.errors.QueryError`."""
    status = reply[0]
    if status == "ok":
        return RawResult(reply[1], reply[2], bytes(data))
    if status == "syntax":
        raise QuerySyntaxError(f"SPARQL syntax error: {reply[1]}")
    if status == "bad":
        raise BadRequest(reply[1])
    if status == "too-large":
        raise ResultTooLarge(reply[1])
    if status == "damaged":
        raise damage(reply[1])
    if status == "unacceptable":
        raise NotAcceptable(reply[1])
    if status == "memory":
        raise QueryFailed("the query ran out of memory")
    raise QueryFailed(f"the query failed: {reply[1]}")
